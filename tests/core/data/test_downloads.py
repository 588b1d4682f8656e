"""Dataset downloads against a loopback HTTP server that serves the tests' MNIST slice: checksums,
progress, cancel, a connection cut midway, and resuming afterwards. No test reaches the network."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import socket
import sys
import tarfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from gui_app.core.data import downloads
from gui_app.core.data.datasets import CIFAR_FILES, IDX_FILES, load_dataset, locate
from gui_app.core.data.downloads import (
    DownloadCancelledError,
    DownloadError,
    DownloadProgress,
    Source,
    download_dataset,
)
from gui_app.core.data.locations import cache_dir
from gui_app.core.training.trainer import Callback, Trainer
from tests.core.training_fixtures import config, mlp_spec
from tests.mnist_subset import RAW

REAL_SOURCES = downloads.sources


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_download_verifies_every_file_and_leaves_a_folder_torchvision_reads(tmp_path: Path, mirror) -> None:
    seen: list[DownloadProgress] = []
    folder = download_dataset("mnist", tmp_path / "data", source=mirror.source(), progress=seen.append)
    assert folder == tmp_path / "data" / "MNIST" / "raw"
    for stem in IDX_FILES:
        assert (folder / stem).read_bytes() == (RAW / stem).read_bytes()
        assert gzip.decompress((folder / f"{stem}.gz").read_bytes()) == (RAW / stem).read_bytes()
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert "Downloading MNIST: t10k-labels-idx1-ubyte.gz (4/4)" in seen[-1].describe()
    assert seen[0].describe() == "Downloading MNIST: train-images-idx3-ubyte.gz (1/4), connecting to 127.0.0.1…"
    assert seen[1].describe().startswith("Downloading MNIST: train-images-idx3-ubyte.gz (1/4), 0.0 of 0.3 MB")
    from torchvision.datasets import MNIST

    assert len(MNIST(str(tmp_path / "data"), train=False)) == 500


def test_a_dead_mirror_falls_through_to_the_next(tmp_path: Path, mirror) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/"
    download_dataset("mnist", tmp_path, source=mirror.source((dead, mirror.url)))
    assert len(_leftovers(tmp_path / "MNIST" / "raw")) == 8


def test_a_wrong_checksum_keeps_nothing(tmp_path: Path, mirror) -> None:
    tampered = [(name, "0" * 32) for name, _ in mirror.files]
    with pytest.raises(DownloadError, match="checksum is wrong"):
        download_dataset("mnist", tmp_path / "data", source=mirror.source(files=tampered))
    assert _leftovers(tmp_path / "data") == []


def test_offline_is_a_download_error_naming_the_cause(tmp_path: Path, mirror) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/"
    source = Source("Fashion-MNIST", "FashionMNIST/raw", (dead,), (("x.gz", "0" * 32),))
    with pytest.raises(DownloadError, match=r"^the download failed \(http://127.0.0.1:\d+/x.gz: "):
        download_dataset("fashion_mnist", tmp_path / "data", source=source, timeout=5)
    assert _leftovers(tmp_path / "data") == []


def test_cancel_stops_within_a_chunk_and_keeps_nothing(tmp_path: Path, mirror) -> None:
    seen: list[DownloadProgress] = []
    with pytest.raises(DownloadCancelledError):
        download_dataset(
            "mnist", tmp_path / "data", source=mirror.source(), progress=seen.append, cancelled=lambda: bool(seen)
        )
    assert _leftovers(tmp_path / "data") == []


def test_a_download_cut_midway_leaves_no_data_and_the_next_run_falls_back_then_resumes(
    tmp_path: Path, mirror, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("NETBUILDER_DATA", str(cache))
    mirror.server.cut.add("t10k-images-idx3-ubyte.gz")
    with pytest.raises(DownloadError, match="closed after"):
        download_dataset("mnist", cache, source=mirror.source())
    raw = cache / "MNIST" / "raw"
    # the two finished files (and their uncompressed copies) stay; nothing of the cut one
    finished = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    assert _leftovers(raw) == sorted([*finished, *(f"{stem}.gz" for stem in finished)])

    # next run, offline: the incomplete cache is not read as data; the sample is used, and says so
    monkeypatch.setattr(downloads, "urlopen", lambda url, *a, **k: (_ for _ in ()).throw(OSError("offline")))
    offline = load_dataset("mnist")
    assert offline.origin == "sample" and len(offline.train_x) == 10_000
    assert str(cache) in offline.detail and "offline" in offline.detail

    # next run, online again: only the missing files are fetched, then the full download is used
    monkeypatch.setattr(downloads, "urlopen", urllib.request.urlopen)
    mirror.server.cut.clear()
    mirror.requests.clear()
    resumed = load_dataset("mnist")
    assert sorted(mirror.requests) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert resumed.origin == "download" and len(resumed.train_x) == 2000 and len(resumed.test_x) == 500
    assert resumed.note == f"MNIST downloaded to {raw}"


def test_part_files_from_a_killed_download_are_never_read_and_old_ones_are_cleaned(
    tmp_path: Path, mirror, monkeypatch
) -> None:

    monkeypatch.setenv("NETBUILDER_DATA", str(tmp_path / "cache"))
    raw = tmp_path / "cache" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in IDX_FILES:  # complete, valid data, but under a download's temporary names
        (raw / f"{stem}.gz.x1.part").write_bytes(gzip.compress((RAW / stem).read_bytes()))
        (raw / f"{stem}.x2.part").write_bytes((RAW / stem).read_bytes())
    two_days_ago = time.time() - 2 * 24 * 3600
    for part in raw.glob("*.x1.part"):
        os.utime(part, (two_days_ago, two_days_ago))
    monkeypatch.setenv("NETBUILDER_OFFLINE", "1")
    assert load_dataset("mnist").origin == "sample"
    monkeypatch.delenv("NETBUILDER_OFFLINE")
    assert len(load_dataset("mnist").train_x) == 2000  # downloaded
    left = sorted(p.name for p in raw.glob("*.part"))
    assert left == sorted(f"{stem}.x2.part" for stem in IDX_FILES)  # recent ones may be in progress elsewhere


def test_two_downloads_of_the_same_files_at_once_both_succeed(tmp_path: Path, mirror) -> None:

    mirror.server.delay = 0.002  # slow enough that the two overlap
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            download_dataset("mnist", tmp_path / "data", source=mirror.source())
        except BaseException as exc:  # any failure, reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    raw = tmp_path / "data" / "MNIST" / "raw"
    for stem in IDX_FILES:
        assert (raw / stem).read_bytes() == (RAW / stem).read_bytes()
    assert not list(raw.glob("*.part"))


def test_cancel_while_connecting_is_a_cancel_not_a_failure(tmp_path: Path, mirror, monkeypatch) -> None:
    cancel = []

    def stalls(url, *args, **kwargs):
        cancel.append(url)  # the user presses Cancel while the connection hangs ...
        raise TimeoutError("timed out")  # ... and it then times out

    monkeypatch.setattr(downloads, "urlopen", stalls)
    two_mirrors = mirror.source((mirror.url, mirror.url))
    with pytest.raises(DownloadCancelledError):
        download_dataset("mnist", tmp_path / "data", source=two_mirrors, cancelled=lambda: bool(cancel))
    assert len(cancel) == 1  # the second mirror was not tried
    assert _leftovers(tmp_path / "data") == []


def test_a_full_disk_while_unpacking_is_a_download_error(tmp_path: Path, mirror, monkeypatch) -> None:

    real_copy = shutil.copyfileobj

    def full(src, dst, *args):  # only the unpacking runs out of space (the test server copies too)
        if isinstance(src, gzip.GzipFile):
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, *args)

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with pytest.raises(DownloadError, match=r"could not be saved .* No space left on device"):
        download_dataset("mnist", tmp_path / "data", source=mirror.source())
    assert not list((tmp_path / "data").rglob("*.part"))


def test_a_truncated_uncompressed_copy_is_rewritten(tmp_path: Path, mirror) -> None:
    raw = download_dataset("mnist", tmp_path / "data", source=mirror.source())
    stem = "train-images-idx3-ubyte"
    (raw / stem).write_bytes((raw / stem).read_bytes()[:1000])  # a plain script's interrupted write
    download_dataset("mnist", tmp_path / "data", source=mirror.source())
    assert (raw / stem).read_bytes() == (RAW / stem).read_bytes()


def test_sources_are_torchvisions_own_when_it_is_installed(monkeypatch) -> None:
    from torchvision.datasets import MNIST

    assert REAL_SOURCES()["mnist"].mirrors == tuple(MNIST.mirrors)
    assert REAL_SOURCES()["mnist"].files == tuple(tuple(r) for r in MNIST.resources)
    monkeypatch.setitem(sys.modules, "torchvision", None)  # the desktop bundle
    assert REAL_SOURCES() == downloads.BUILT_IN_SOURCES


def test_load_dataset_downloads_without_torchvision(tmp_path: Path, mirror, monkeypatch) -> None:
    """The desktop bundle has no torchvision: the built-in sources are used and the .gz files read."""
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setattr(downloads, "sources", REAL_SOURCES)
    monkeypatch.setitem(downloads.BUILT_IN_SOURCES, "mnist", mirror.source())
    loaded = load_dataset("mnist")
    assert loaded.origin == "download" and tuple(loaded.test_x.shape) == (500, 1, 28, 28)


def test_stop_during_a_training_runs_download_cancels_it_cleanly(mirror) -> None:

    class StopAtFirstProgress(Callback):
        def __init__(self) -> None:
            self.progress: list[DownloadProgress] = []

        def on_download(self, trainer, progress) -> None:
            self.progress.append(progress)
            trainer.stop()

    stopper = StopAtFirstProgress()
    result = Trainer(mlp_spec(), config(data_dir=None), [stopper]).fit()
    assert result.status == "stopped" and result.error is None and result.epochs_completed == 0
    assert stopper.progress and stopper.progress[0].dataset == "MNIST"
    assert _leftovers(cache_dir()) == []


def test_an_archive_is_unpacked_into_place_and_then_removed(tmp_path: Path, mirror) -> None:
    """CIFAR-10 comes as one .tar.gz: it is unpacked beside the data, never over it, then deleted."""

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in CIFAR_FILES:
            data = name.encode()
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = buffer.getvalue()
    (tmp_path / "served" / "cifar.tar.gz").write_bytes(archive)
    md5 = hashlib.md5(archive, usedforsecurity=False).hexdigest()
    source = Source("CIFAR-10", "", (mirror.url,), (("cifar.tar.gz", md5),), "cifar-10-batches-py", CIFAR_FILES)
    root = tmp_path / "data"
    folder = download_dataset("cifar10", root, source=source)
    assert folder == root / "cifar-10-batches-py" and locate("cifar10", root) == folder
    assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py"]  # no archive, no scratch folder
    assert (folder / "test_batch").read_bytes() == b"test_batch"
    mirror.requests.clear()
    download_dataset("cifar10", root, source=source)  # already there: nothing fetched again
    assert mirror.requests == []
