"""Derive the committed MNIST test subset from the full MNIST IDX files.

Usage: python tests/data/make_mnist_subset.py MNIST_DIR  (a folder with the four .gz or raw files)
"""

import gzip
import struct
import sys
from pathlib import Path

import numpy as np

SIZES = {"train": 2000, "t10k": 500}


def read_idx(path: Path) -> np.ndarray:
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path.write_bytes(header + array.tobytes())


def find(source: Path, stem: str) -> Path:
    for candidate in (source / stem, source / f"{stem}.gz", source / "MNIST" / "raw" / stem):
        if candidate.exists():
            return candidate
    raise SystemExit(f"{stem} not found in {source}")


def main(source: Path) -> None:
    out = Path(__file__).parent / "MNIST" / "raw"
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, n in SIZES.items():
        images = read_idx(find(source, f"{split}-images-idx3-ubyte"))
        labels = read_idx(find(source, f"{split}-labels-idx1-ubyte"))
        index = np.sort(rng.permutation(len(labels))[:n])
        write_idx(out / f"{split}-images-idx3-ubyte", images[index])
        write_idx(out / f"{split}-labels-idx1-ubyte", labels[index])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
