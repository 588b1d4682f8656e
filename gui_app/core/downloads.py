"""Download MNIST, Fashion-MNIST and CIFAR-10 into a data folder, with progress and cancel.

The mirrors and checksums are torchvision's own (read from its dataset classes when torchvision is
installed, else the copy below, for the desktop bundle that leaves torchvision out). The fetching
is ours, because torchvision's ``download=True`` writes straight to the final file name, shows its
progress only on a terminal and cannot be cancelled: an interrupted download there leaves a
half-written file that the next run reads as data. Here every file is written to ``NAME.part``,
checked against its MD5 and only then renamed into place, so a failed, cancelled or killed
download never leaves a file that looks like data; files already present and correct are kept,
so the next attempt resumes where the last one stopped.

The result is the layout torchvision reads (``ROOT/MNIST/raw/`` with the ``.gz`` files and their
uncompressed copies, ``ROOT/cifar-10-batches-py/``), so a plain PyTorch script can use the folder.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

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


@dataclass(frozen=True)
class Source:
    """Where a dataset is downloaded from and where it lands under the data folder."""

    display: str
    folder: str
    mirrors: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    #: the archive's top folder, for a dataset shipped as one .tar.gz (CIFAR-10)
    extracts_to: str | None = None


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
    "cifar10": Source("CIFAR-10", "", (_CIFAR_URL,), (_CIFAR_ARCHIVE,), extracts_to="cifar-10-batches-py"),
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
        found["cifar10"] = Source("CIFAR-10", "", (base_url + "/",), ((filename, md5),), "cifar-10-batches-py")
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

    def describe(self) -> str:
        size = f"{self.received / 1e6:.1f}" + (f" of {self.total / 1e6:.1f} MB" if self.total else " MB")
        return f"Downloading {self.dataset}: {self.filename} ({self.index + 1}/{self.count}), {size}"


ProgressCallback = Callable[[DownloadProgress], None]


def throttled(callback: ProgressCallback) -> ProgressCallback:
    """``callback`` called only when the progress moves by 0.1%: at most 1,000 calls per download,
    however many chunks, so a GUI can pass each one to its UI thread."""
    shown = -1

    def report(progress: DownloadProgress) -> None:
        nonlocal shown
        permille = int(progress.fraction * 1000)
        if permille != shown:
            shown = permille
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

    Raises :class:`DownloadCancelledError` when ``cancelled()`` turns true (checked between chunks) and
    :class:`DownloadError` when every mirror fails; in both cases no partial file is left.
    """
    if offline():
        raise DownloadError("downloads are turned off ($NETBUILDER_OFFLINE is set)")
    source = source or sources()[name]
    folder = root / source.folder if source.folder else root
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {folder}: {exc.strerror or exc}") from None
    count = len(source.files)
    sizes = [_SIZES.get((name, filename), 0) for filename, _ in source.files]
    weights = [size / sum(sizes) for size in sizes] if all(sizes) else [1 / count] * count
    for index, (filename, md5) in enumerate(source.files):
        target = folder / filename
        if source.extracts_to and (root / source.extracts_to).is_dir():
            continue  # already extracted; the archive itself may have been removed
        if not (target.is_file() and _md5(target) == md5):
            reasons = []
            for mirror in source.mirrors:
                report = _reporter(progress, source.display, filename, index, count, weights)
                try:
                    _fetch(mirror + filename, target, md5, timeout, report, cancelled)
                    break
                except DownloadCancelledError:
                    raise
                except DownloadError as exc:
                    reasons.append(str(exc))
            else:
                raise DownloadError(f"the download failed ({'; '.join(reasons)})")
        if source.extracts_to:
            _extract(target, root, source.extracts_to)
        else:
            _decompress(target)
    return root / source.extracts_to if source.extracts_to else folder


def _reporter(
    progress: ProgressCallback | None, display: str, filename: str, index: int, count: int, weights: list[float]
) -> Callable[[int, int | None], None]:
    before = sum(weights[:index])

    def report(received: int, total: int | None) -> None:
        if progress is not None:
            within = min(1.0, received / total) if total else 0.0
            last = index == count - 1 and within == 1.0
            fraction = 1.0 if last else min(1.0, before + weights[index] * within)
            progress(DownloadProgress(display, filename, index, count, received, total, fraction))

    return report


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(
    url: str,
    target: Path,
    md5: str,
    timeout: float,
    report: Callable[[int, int | None], None],
    cancelled: Callable[[], bool] | None,
) -> None:
    """Download ``url`` to ``target`` through ``target.part``; keep it only if the MD5 matches."""
    partial = target.with_name(target.name + ".part")
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    try:
        with urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            report(0, total)
            while chunk := response.read(1 << 16):
                if cancelled is not None and cancelled():
                    raise DownloadCancelledError("the download was cancelled")
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
                report(received, total)
        if total is not None and received != total:
            raise DownloadError(f"{url}: the connection closed after {received:,} of {total:,} bytes")
        if digest.hexdigest() != md5:
            raise DownloadError(f"{url}: the file's checksum is wrong (a proxy page or a damaged copy?)")
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
    """Write the uncompressed copy torchvision's readers expect beside the ``.gz`` file."""
    plain = gz_file.with_suffix("")
    if plain.is_file():
        return
    partial = plain.with_name(plain.name + ".part")
    try:
        with gzip.open(gz_file, "rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(partial, plain)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _extract(archive: Path, root: Path, top: str) -> None:
    """Unpack a ``.tar.gz`` into a temporary folder, then move its top folder into place."""
    if (root / top).is_dir():
        return
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=root) as scratch:
        try:
            with tarfile.open(archive, "r:gz") as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise DownloadError(f"{archive.name} could not be unpacked: {exc}") from None
        if not (Path(scratch) / top).is_dir():
            raise DownloadError(f"{archive.name} does not hold the folder {top}")
        os.replace(Path(scratch) / top, root / top)
    archive.unlink(missing_ok=True)

