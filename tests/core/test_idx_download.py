"""MNIST download without torchvision (the desktop bundle's path), against a loopback HTTP server
that serves the tests' MNIST subset."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui_app.core import datasets
from gui_app.core.idx_download import IDX_SOURCES, download_idx

SUBSET = Path(__file__).resolve().parents[1] / "data" / "MNIST" / "raw"
STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A loopback HTTP server holding the subset gzipped; yields its URL and (file, md5) pairs."""
    served = tmp_path / "served"
    served.mkdir()
    files = []
    for stem in STEMS:
        data = gzip.compress((SUBSET / stem).read_bytes(), mtime=0)
        (served / f"{stem}.gz").write_bytes(data)
        files.append((f"{stem}.gz", hashlib.md5(data, usedforsecurity=False).hexdigest()))
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", files
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_fetches_and_verifies_every_file(tmp_path: Path, mirror) -> None:
    url, files = mirror
    root = tmp_path / "data"
    assert download_idx("mnist", root, mirrors=[url], files=files, timeout=10)
    raw = root / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(name for name, _ in files)
    for stem in STEMS:
        assert gzip.decompress((raw / f"{stem}.gz").read_bytes()) == (SUBSET / stem).read_bytes()


def test_a_dead_mirror_falls_through_to_the_next(tmp_path: Path, mirror) -> None:
    url, files = mirror
    dead = f"http://127.0.0.1:{_closed_port()}/"
    assert download_idx("mnist", tmp_path, mirrors=[dead, url], files=files, timeout=10)


def test_a_wrong_checksum_keeps_nothing(tmp_path: Path, mirror) -> None:
    url, files = mirror
    tampered = [(name, "0" * 32) for name, _ in files]
    assert not download_idx("mnist", tmp_path, mirrors=[url], files=tampered, timeout=10)
    assert list((tmp_path / "MNIST" / "raw").iterdir()) == []


def test_offline_is_false_not_an_exception(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/"
    assert not download_idx("fashion_mnist", tmp_path, mirrors=[dead], timeout=5)
    assert IDX_SOURCES["fashion_mnist"][0] == "FashionMNIST"


def test_load_dataset_downloads_without_torchvision(tmp_path: Path, mirror, monkeypatch) -> None:
    """With torchvision unimportable, ``load_dataset`` fetches MNIST itself and reads the .gz files."""
    url, files = mirror
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setenv("NETBUILDER_DATA", str(tmp_path / "cache"))  # no MNIST already in the cache
    monkeypatch.setitem(IDX_SOURCES, "mnist", ("MNIST", (url,), tuple(files)))
    loaded = datasets.load_dataset("mnist", tmp_path / "data", download=True)
    assert tuple(loaded.train_x.shape) == (2000, 1, 28, 28)
    assert tuple(loaded.test_x.shape) == (500, 1, 28, 28)
