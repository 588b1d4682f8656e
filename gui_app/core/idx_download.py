"""Download MNIST's and Fashion-MNIST's IDX files without torchvision.

The desktop bundle leaves torchvision out (see docs/packaging.md), yet a first MNIST run there must
still be able to fetch its data. Same mirrors and checksums as torchvision; the ``.gz`` files land
in ``ROOT/MNIST/raw/`` (``FashionMNIST`` for Fashion-MNIST), where the loader reads them as they are.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from collections.abc import Sequence
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

#: dataset name -> (torchvision folder name, mirrors tried in order, (file name, md5) pairs)
IDX_SOURCES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "mnist": (
        "MNIST",
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        _MNIST_FILES,
    ),
    "fashion_mnist": (
        "FashionMNIST",
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        _FASHION_FILES,
    ),
}


def download_idx(
    name: str,
    root: Path,
    *,
    mirrors: Sequence[str] | None = None,
    files: Sequence[tuple[str, str]] | None = None,
    timeout: float = 15.0,
) -> bool:
    """Fetch a dataset's four IDX files into ``root/<folder>/raw``.

    Parameters
    ----------
    name
        A key of :data:`IDX_SOURCES`.
    root
        The data folder; created if needed.
    mirrors, files
        Override the mirrors and the (file name, md5) pairs (tests serve their own subset).
    timeout
        Seconds to wait on a silent connection.

    Returns
    -------
    bool
        True when every file is present with the right checksum. False, never an exception, when
        offline or a mirror serves something else: the caller then tells the user where to put
        the files. Files already present and correct are not fetched again.
    """
    folder, default_mirrors, default_files = IDX_SOURCES[name]
    raw = root / folder / "raw"
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    for filename, md5 in files or default_files:
        target = raw / filename
        if target.is_file() and _md5(target) == md5:
            continue
        if not any(_fetch(mirror + filename, target, md5, timeout) for mirror in mirrors or default_mirrors):
            return False
    return True


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(url: str, target: Path, md5: str, timeout: float) -> bool:
    """Download ``url`` to ``target`` through a temporary file; keep it only if the md5 matches."""
    partial = target.with_name(target.name + ".part")
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
            while chunk := response.read(1 << 16):
                digest.update(chunk)
                out.write(chunk)
    except (OSError, ValueError):  # URLError and timeouts are OSErrors; ValueError: a malformed URL
        partial.unlink(missing_ok=True)
        return False
    if digest.hexdigest() != md5:
        partial.unlink(missing_ok=True)
        return False
    os.replace(partial, target)
    return True
