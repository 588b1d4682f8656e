"""Draw the MNIST sample the app ships (``resources/data/mnist-sample/``) from full MNIST.

The sample is what a first run trains on when no full copy can be found or downloaded, and the
test suite's MNIST data. It is class-balanced (the same number of images of every digit), drawn
with a recorded seed, kept in MNIST's own order, and written as MNIST itself is: IDX + gzip.
``sample.json`` records the seed, the counts and the SHA-256 of every source and output file, so
anyone can check that the sample is exactly what this script draws from the published files.

Usage::

    python scripts/make_mnist_sample.py ../shared/data/mnist       # the four original .gz files
    python scripts/make_mnist_sample.py FOLDER --check             # verify the committed sample
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gui_app.core.data.idx_files import idx_bytes, read_idx  # noqa: E402

OUT = REPO / "resources" / "data" / "mnist-sample"
SEED = 20260225
#: split prefix -> images per class (10 classes)
PER_CLASS = {"train": 1000, "t10k": 200}
STEMS = ("images-idx3-ubyte", "labels-idx1-ubyte")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def balanced_indices(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """``per_class`` random indices of every class, sorted so that the sample keeps MNIST's order."""
    chosen = [rng.choice(np.flatnonzero(labels == digit), per_class, replace=False) for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def draw(source: Path) -> tuple[dict[str, bytes], dict]:
    """The sample's files (name -> gzip bytes) and its record, from the four source files."""
    rng = np.random.default_rng(SEED)
    files: dict[str, bytes] = {}
    record: dict = {
        "dataset": "MNIST sample",
        "credit": "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges; CC BY-SA 3.0",
        "script": "scripts/make_mnist_sample.py",
        "seed": SEED,
        "per_class": PER_CLASS,
        "sources": {},
        "files": {},
    }
    for split, per_class in PER_CLASS.items():
        paths = {stem: source / f"{split}-{stem}.gz" for stem in STEMS}
        for path in paths.values():
            if not path.is_file():
                raise SystemExit(f"{path} not found: pass the folder that holds MNIST's four .gz files")
            record["sources"][path.name] = sha256(path)
        images, labels = (read_idx(paths[stem]).numpy() for stem in STEMS)
        index = balanced_indices(labels, per_class, rng)
        for stem, array in zip(STEMS, (images[index], labels[index]), strict=True):
            name = f"{split}-{stem}.gz"
            files[name] = gzip.compress(idx_bytes(array), compresslevel=9, mtime=0)
            record["files"][name] = hashlib.sha256(files[name]).hexdigest()
        record[f"{split}_count"] = len(index)
    return files, record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="folder with MNIST's four original .gz files")
    parser.add_argument("--check", action="store_true", help="verify the committed sample instead of writing it")
    args = parser.parse_args(argv)
    files, record = draw(args.source)
    if args.check:
        stored = json.loads((OUT / "sample.json").read_text(encoding="utf-8"))
        files_ok = {name: (OUT / name).is_file() and sha256(OUT / name) == d for name, d in record["files"].items()}
        bad = [name for name, ok in files_ok.items() if not ok]
        if bad or stored != record:
            print(f"the committed sample differs from what this script draws: {bad or 'sample.json'}", file=sys.stderr)
            return 1
        print(f"{OUT}: matches ({record['train_count']:,} training and {record['t10k_count']:,} test images)")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    (OUT / "sample.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    total = sum(len(d) for d in files.values())
    print(f"wrote {OUT}: {record['train_count']:,} + {record['t10k_count']:,} images, {total / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
