"""The tests' MNIST: the first 2,000 training and 500 test images of the bundled sample.

The app ships one copy of MNIST data (``resources/data/mnist-sample``, drawn by
scripts/make_mnist_sample.py); the tests read a slice of it rather than a second committed copy.
The slice is written once per test session as plain IDX files in torchvision's layout
(``DATA/MNIST/raw``), which is also what the exported training script and torchrun tests read.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from gui_app.core.data.datasets import IDX_FILES
from gui_app.core.data.idx_files import idx_bytes, read_idx
from gui_app.core.data.locations import sample_dir

TRAIN, TEST = 2000, 500


def _make() -> Path:
    root = Path(tempfile.mkdtemp(prefix="netbuilder-tests-mnist-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in IDX_FILES:
        count = TRAIN if stem.startswith("train") else TEST
        (raw / stem).write_bytes(idx_bytes(read_idx(sample_dir() / f"{stem}.gz")[:count]))
    return root


#: a torchvision root holding the slice; RAW holds the four files themselves
DATA = _make()
RAW = DATA / "MNIST" / "raw"
