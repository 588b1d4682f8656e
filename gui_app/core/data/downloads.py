"""Download MNIST, Fashion-MNIST and CIFAR-10 into a data folder, with progress and cancel.

The mirrors and checksums are torchvision's own (read from its dataset classes when torchvision is
installed, else the copy below, for the desktop bundle that leaves torchvision out). The fetching
is ours, because torchvision's ``download=True`` writes straight to the final file name, shows its
progress only on a terminal and cannot be cancelled: an interrupted download there leaves a
half-written file that the next run reads as data. Here every file is written to ``NAME.part``,
checked against its MD5 and only then renamed into place, so a failed, cancelled or killed
download never leaves a file that looks like data; files already present and correct are kept,
so the next attempt fetches only the files still missing (a file cut off midway starts again).

The result is the layout torchvision reads (``ROOT/MNIST/raw/`` with the ``.gz`` files and their
uncompressed copies, ``ROOT/cifar-10-batches-py/``), so a plain PyTorch script can use the folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

_MNIST_FILES = (
    ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
)
_FASHION_FILES = (
    ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
    ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
    ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
)
_CIFAR_ARCHIVE = ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")
#: (dataset, file) -> bytes, so that the progress bar moves evenly across files of very different
#: sizes (MNIST's training images are 340 times its labels); unknown files count as equal shares
_SIZES = {
    ("mnist", "train-images-idx3-ubyte.gz"): 9_912_422,
    ("mnist", "train-labels-idx1-ubyte.gz"): 28_881,
    ("mnist", "t10k-images-idx3-ubyte.gz"): 1_648_877,
    ("mnist", "t10k-labels-idx1-ubyte.gz"): 4_542,
    ("fashion_mnist", "train-images-idx3-ubyte.gz"): 26_421_880,
    ("fashion_mnist", "train-labels-idx1-ubyte.gz"): 29_515,
    ("fashion_mnist", "t10k-images-idx3-ubyte.gz"): 4_422_102,
    ("fashion_mnist", "t10k-labels-idx1-ubyte.gz"): 5_148,
}
_CIFAR_URL = "https://www.cs.toronto.edu/~kriz/"
#: what torchvision's CIFAR10 reader needs in cifar-10-batches-py/
CIFAR_FILES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch", "batches.meta")


@dataclass(frozen=True)
class Source:
    """Where a dataset is downloaded from and where it lands under the data folder."""

    display: str
    folder: str
    mirrors: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    #: the archive's top folder, for a dataset shipped as one .tar.gz (CIFAR-10)
    extracts_to: str | None = None
    #: the files that folder must hold to be complete
    contents: tuple[str, ...] = ()


#: dataset name -> where it comes from (torchvision's lists when it is installed; see sources())
BUILT_IN_SOURCES: dict[str, Source] = {
    "mnist": Source(
        "MNIST",
        "MNIST/raw",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        _MNIST_FILES,
    ),
    "fashion_mnist": Source(
        "Fashion-MNIST",
        "FashionMNIST/raw",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        _FASHION_FILES,
    ),
    "cifar10": Source("CIFAR-10", "", (_CIFAR_URL,), (_CIFAR_ARCHIVE,), "cifar-10-batches-py", CIFAR_FILES),
}


def sources() -> dict[str, Source]:
    """The download sources, taken from torchvision's dataset classes when it is installed."""
    try:
        from torchvision import datasets as tv
    except ImportError:
        return dict(BUILT_IN_SOURCES)
    found = dict(BUILT_IN_SOURCES)
    for name, cls in (("mnist", tv.MNIST), ("fashion_mnist", tv.FashionMNIST)):
        mirrors, resources = getattr(cls, "mirrors", None), getattr(cls, "resources", None)
        if mirrors and resources:
            base = BUILT_IN_SOURCES[name]
            found[name] = Source(base.display, base.folder, tuple(mirrors), tuple(tuple(r) for r in resources))
    url, md5 = getattr(tv.CIFAR10, "url", None), getattr(tv.CIFAR10, "tgz_md5", None)
    if url and md5:
        base_url, filename = url.rsplit("/", 1)
        found["cifar10"] = dataclasses.replace(
            BUILT_IN_SOURCES["cifar10"], mirrors=(base_url + "/",), files=((filename, md5),)
        )
    return found


@dataclass(frozen=True)
class DownloadProgress:
    """Where a download stands: file ``index`` (from 0) of ``count``, ``received`` of ``total`` bytes."""

    dataset: str
    filename: str
    index: int
    count: int
    received: int
    total: int | None
    #: the whole download's progress in [0, 1], each file weighted by its (expected) size
    fraction: float
    #: the server being contacted, while no answer has come yet ("" once it has)
    connecting_to: str = ""

    def describe(self) -> str:
        where = f"{self.dataset}: {self.filename} ({self.index + 1}/{self.count})"
        if self.connecting_to:  # a slow or blocked network shows here, not as a frozen bar
            return f"Downloading {where}, connecting to {self.connecting_to}…"
        size = f"{self.received / 1e6:.1f}" + (f" of {self.total / 1e6:.1f} MB" if self.total else " MB")
        return f"Downloading {where}, {size}"


ProgressCallback = Callable[[DownloadProgress], None]


def _throttled(callback: ProgressCallback) -> ProgressCallback:
    """``callback`` called only when the progress moves by 0.1% (or a file or connection starts):
    about 1,000 calls per download however many chunks, so a GUI can pass each to its UI thread."""
    shown: tuple = ()

    def report(progress: DownloadProgress) -> None:
        nonlocal shown
        # a new file or a connection attempt always goes through, so a stalled one is visible
        key = (int(progress.fraction * 1000), progress.index, progress.connecting_to)
        if key != shown:
            shown = key
            callback(progress)

    return report


class DownloadError(Exception):
    """A download that did not complete; ``str()`` says why in one sentence."""


class DownloadCancelledError(DownloadError):
    """The user cancelled; nothing half-written was kept."""


#: How URLs are opened; the test suite replaces it so that no test can reach the network.
urlopen = urllib.request.urlopen


def offline() -> bool:
    """True when ``$NETBUILDER_OFFLINE`` is set (to anything but 0): never try the network."""
    return os.environ.get("NETBUILDER_OFFLINE", "0") not in ("", "0")


def download_dataset(
    name: str,
    root: Path,
    *,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    timeout: float = 15.0,
    source: Source | None = None,
) -> Path:
    """Fetch dataset ``name`` (a key of :data:`BUILT_IN_SOURCES`) into ``root``; return its folder.

    Raises :class:`DownloadCancelledError` when ``cancelled()`` turns true (checked before each
    connection and between chunks) and :class:`DownloadError` for anything else that stops it (no
    mirror answers, a bad checksum, a full disk); in every case no partial file is left.
    """
    if offline():
        raise DownloadError("downloads are turned off ($NETBUILDER_OFFLINE is set)")
    progress = _throttled(progress) if progress is not None else None
    source = source or sources()[name]
    folder = root / source.folder if source.folder else root
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_parts(folder)
        _download_files(name, source, root, folder, progress, cancelled or (lambda: False), timeout)
    except DownloadError:
        raise
    except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:  # a full disk, a damaged archive
        raise DownloadError(f"{source.display} could not be saved in {folder}: {exc}") from None
    return root / source.extracts_to if source.extracts_to else folder


def _download_files(
    name: str,
    source: Source,
    root: Path,
    folder: Path,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool],
    timeout: float,
) -> None:
    count = len(source.files)
    sizes = [_SIZES.get((name, filename), 0) for filename, _ in source.files]
    weights = [size / sum(sizes) for size in sizes] if all(sizes) else [1 / count] * count
    for index, (filename, md5) in enumerate(source.files):
        target = folder / filename
        if source.extracts_to and _complete(root / source.extracts_to, source.contents):
            continue  # already unpacked; the archive itself was removed
        if not (target.is_file() and _md5(target) == md5):
            report = _reporter(progress, source.display, filename, index, count, weights)
            _fetch_from_mirrors(source.mirrors, target, md5, timeout, report, cancelled)
        if source.extracts_to:
            _extract(target, root, source.extracts_to, source.contents)
        else:
            _decompress(target)


def _fetch_from_mirrors(
    mirrors: tuple[str, ...],
    target: Path,
    md5: str,
    timeout: float,
    report: Callable[..., None],
    cancelled: Callable[[], bool],
) -> None:
    """Try each mirror in turn; :class:`DownloadError` with every mirror's reason when none works."""
    reasons = []
    for mirror in mirrors:
        if cancelled():
            raise DownloadCancelledError("the download was cancelled")
        try:
            _fetch(mirror + target.name, target, md5, timeout, report, cancelled)
            return
        except DownloadCancelledError:
            raise
        except DownloadError as exc:
            if cancelled():  # cancelled while connecting: not a failure of the mirror
                raise DownloadCancelledError("the download was cancelled") from None
            reasons.append(str(exc))
    raise DownloadError(f"the download failed ({'; '.join(reasons)})")


def _complete(folder: Path, contents: tuple[str, ...]) -> bool:
    return folder.is_dir() and all((folder / name).is_file() for name in contents)


def _remove_stale_parts(folder: Path, older_than_s: float = 24 * 3600) -> None:
    """Delete ``.part`` files a killed download left behind (a day old: surely not in progress)."""
    now = time.time()
    for part in folder.glob("*.part"):
        with contextlib.suppress(OSError):  # gone already, or not ours to delete: harmless either way
            if now - part.stat().st_mtime > older_than_s:
                part.unlink()


def _reporter(
    progress: ProgressCallback | None, display: str, filename: str, index: int, count: int, weights: list[float]
) -> Callable[..., None]:
    before = sum(weights[:index])

    def report(received: int, total: int | None, connecting_to: str = "") -> None:
        if progress is not None:
            within = min(1.0, received / total) if total else 0.0
            last = index == count - 1 and within == 1.0
            fraction = 1.0 if last else min(1.0, before + weights[index] * within)
            progress(DownloadProgress(display, filename, index, count, received, total, fraction, connecting_to))

    return report


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


#: How often a connection attempt looks at ``cancelled()`` while it waits for the server.
CANCEL_POLL_S = 0.05


def _open(url: str, timeout: float, cancelled: Callable[[], bool]) -> Any:
    """``urlopen(url)``, given up as soon as ``cancelled()`` turns true.

    A DNS lookup or a connect to a server that drops packets blocks for the whole timeout (DNS
    longer), and Stop must not wait for it: the attempt runs in a daemon thread, which closes
    whatever it gets once nobody waits for it any more.
    """
    outcome: dict[str, Any] = {}
    lock = threading.Lock()
    done = threading.Event()

    def connect() -> None:
        try:
            response = urlopen(url, timeout=timeout)
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome["error"] = exc
        else:
            with lock:
                if outcome.get("abandoned"):
                    response.close()
                else:
                    outcome["response"] = response
        finally:
            done.set()

    threading.Thread(target=connect, name="NetBuilder connect", daemon=True).start()
    while not done.wait(CANCEL_POLL_S):
        if cancelled():
            with lock:
                outcome["abandoned"] = True
                late = outcome.pop("response", None)  # it answered just now
            if late is not None:
                late.close()
            raise DownloadCancelledError("the download was cancelled")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


def _fetch(
    url: str,
    target: Path,
    md5: str,
    timeout: float,
    report: Callable[..., None],
    cancelled: Callable[[], bool],
) -> None:
    """Download ``url`` to ``target`` through a ``.part`` file of its own; keep it only if the MD5 matches.

    The ``.part`` name is unique, so two downloads of the same file (a run and the Data menu, or
    the window and the command line) never write into one file.
    """
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f"{target.name}.", suffix=".part")
    partial = Path(name)
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    try:
        report(0, None, urllib.parse.urlsplit(url).hostname or url)
        with open(handle, "wb") as out, _open(url, timeout, cancelled) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            report(0, total)
            while chunk := response.read(1 << 16):
                if cancelled():
                    raise DownloadCancelledError("the download was cancelled")
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
                report(received, total)
        if total is not None and received != total:
            raise DownloadError(f"{url}: the connection closed after {received:,} of {total:,} bytes")
        if digest.hexdigest() != md5:
            raise DownloadError(f"{url}: the file's checksum is wrong (a proxy page or a damaged copy?)")
        os.chmod(partial, 0o644)  # mkstemp made it private; the data is not
        os.replace(partial, target)
    except DownloadError:
        partial.unlink(missing_ok=True)
        raise
    except (OSError, ValueError, HTTPException) as exc:  # URLError, timeouts, a cut connection
        partial.unlink(missing_ok=True)
        raise DownloadError(f"{url}: {getattr(exc, 'reason', None) or exc or type(exc).__name__}") from None
    except BaseException:  # Ctrl+C, or anything else: still no half-written file
        partial.unlink(missing_ok=True)
        raise


def _decompress(gz_file: Path) -> None:
    """Write the uncompressed copy torchvision's readers expect beside the ``.gz`` file.

    An existing copy is kept only when its size is the one the gzip trailer records, so a
    truncated copy (a plain script's interrupted download, say) is replaced, not read forever.
    """
    plain = gz_file.with_suffix("")
    with open(gz_file, "rb") as f:
        f.seek(-4, os.SEEK_END)
        size = int.from_bytes(f.read(4), "little")  # ISIZE: the uncompressed size mod 2**32
    if plain.is_file() and plain.stat().st_size % 2**32 == size:
        return
    handle, name = tempfile.mkstemp(dir=plain.parent, prefix=f"{plain.name}.", suffix=".part")
    partial = Path(name)
    try:
        with gzip.open(gz_file, "rb") as src, open(handle, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(partial, 0o644)
        os.replace(partial, plain)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _extract(archive: Path, root: Path, top: str, contents: tuple[str, ...]) -> None:
    """Unpack a ``.tar.gz`` in a scratch folder, then swap its top folder in for any incomplete one."""
    if _complete(root / top, contents):
        return
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=root) as scratch:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise DownloadError(f"{archive.name} could not be unpacked: {exc}") from None
        unpacked = Path(scratch) / top
        if not _complete(unpacked, contents):
            raise DownloadError(f"{archive.name} does not hold {top}/ with {', '.join(contents)}")
        if (root / top).exists():  # an incomplete copy: moved into the scratch folder, deleted with it
            os.replace(root / top, Path(scratch) / "incomplete")
        os.replace(unpacked, root / top)
    archive.unlink(missing_ok=True)
