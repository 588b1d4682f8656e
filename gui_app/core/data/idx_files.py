"""Reading (and writing) the IDX files MNIST and Fashion-MNIST ship in, plain or gzipped.

We read them ourselves rather than through ``torchvision.datasets.MNIST`` because torchvision
only accepts its own folder layout with uncompressed files, while users have the files in all
sorts of places: a torchvision root, a folder of ``.gz`` downloads, a copy from a colleague.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from gui_app.core.files.reading import DATA_LIMIT, FileReadError, read_maybe_gzip

#: IDX type code -> numpy dtype (big-endian, as the format stores it).
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IdxFileError(ValueError):
    """A file that is not a valid IDX file; ``str()`` names the file and the problem."""


def read_idx(path: str | Path) -> torch.Tensor:
    """Read one IDX file (``.gz`` or not) into a tensor of its stored shape and type.

    The file is read through the bounded gate (a gzip bomb stops at ``DATA_LIMIT``) and its header
    checked against the bytes actually there before anything is allocated from it.
    """
    path = Path(path)
    try:
        data = read_maybe_gzip(path, DATA_LIMIT)
    except FileReadError as exc:
        raise IdxFileError(str(exc)) from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise IdxFileError(f"{path}: not an IDX file (bad magic number)")
    dtype = _IDX_TYPES[data[2]]
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFileError(f"{path}: truncated or damaged (the header of {ndim} sizes is cut off)")
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    # Python integers: a header claiming 2**31 × 2**31 × 4 values must not wrap round to 0 bytes
    expected = math.prod(dims) * dtype.itemsize
    if len(data) - header != expected:
        shape = "×".join(str(d) for d in dims) or "one value"
        raise IdxFileError(
            f"{path}: truncated or damaged (its header says {shape}, {expected:,} bytes of data; "
            f"the file holds {len(data) - header:,})"
        )
    if math.prod(d for d in dims if d) * dtype.itemsize > DATA_LIMIT:
        # numpy cannot even describe such an array, empty or not (a zero size beside 2**32 × 2**32)
        sizes = "×".join(map(str, dims))
        raise IdxFileError(f"{path}: damaged (its header claims sizes {sizes}, far past any dataset)")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return torch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True))


def idx_bytes(array: np.ndarray | torch.Tensor) -> bytes:
    """A uint8 array as an IDX file's bytes (what the MNIST sample and the tests' slice are made of)."""
    array = np.ascontiguousarray(array.numpy() if isinstance(array, torch.Tensor) else array, dtype=np.uint8)
    header = (0x0800 | array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.tobytes()


def find_idx_file(folders: list[Path], stem: str) -> Path | None:
    """The first ``stem`` or ``stem.gz`` found in ``folders`` (in order)."""
    for folder in folders:
        for name in (stem, stem + ".gz"):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    return None
