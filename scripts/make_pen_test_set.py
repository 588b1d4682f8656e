"""Make the project's pen-style test set, tests/data/handwriting/pen_digits.npz (seeded).

Two kinds of digit that the training never sees: MNIST's TEST split (150 of each digit) redrawn
as pen strokes with its own seed, and the hand-made glyphs of tests/data/handwriting/
stroke_digits.py (25 styles, 20 copies each), both written with a uniform pen 4-8% of a
200-400 px picture, turned, sheared, stretched into wide pictures and wobbled
(gui_app/core/digits/pen_styles.py). Then the same two again as a tablet that keeps only 8-12
evenly spaced points of the pen's path records them ("tablet": the next 100 MNIST test digits of
each class, and 20 more copies of each glyph), and once more as a normalised tablet recording:
exactly 8 points, the strokes joined, each axis stretched to fill a square ("tablet-box": the next
100 of each class, 20 more copies of each glyph). The training script redraws the TRAINING split only.

    .venv/bin/python scripts/make_pen_test_set.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gui_app.core.data.datasets import IDX_FILES  # noqa: E402
from gui_app.core.data.idx_files import find_idx_file, read_idx  # noqa: E402
from gui_app.core.digits.pen_strokes import Polyline, digit_strokes  # noqa: E402
from gui_app.core.digits.pen_styles import PenStyle, pen_digit  # noqa: E402
from tests.data.handwriting.pen_digits import PEN_SET, PenDigit, save_pen_set  # noqa: E402
from tests.data.handwriting.stroke_digits import GLYPHS  # noqa: E402

DATA_DIRS = (Path("/work/data/MNIST/raw"), REPO.parent / "shared" / "data" / "mnist")
#: Not the training script's seed (0 and up): a different draw of every pen variation.
SEED, GLYPH_SEED, TABLET_SEED, BOX_SEED = 2718, 2719, 2720, 2721
#: The first half: the pen variations as the training draws them, unsampled (straight segments).
PEN_STYLE = PenStyle()
#: The tablet half: every digit a few evenly spaced points of its path, strokes mostly joined.
TABLET_STYLE = PenStyle(sampled=1.0, points=(8, 12))
#: The normalised tablet part: 8 points of the whole path, x and y each scaled to fill a square.
BOX_STYLE = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0, box=1.0, wide=0.0)
#: MNIST test digits of each class in the pen-strokes part and in each tablet part (the defaults).
PER_DIGIT, TABLET_PER_DIGIT = 150, 100
#: How many of each class's MNIST test digits the set uses, first to last: other measures skip them.
USED_PER_DIGIT = PER_DIGIT + 2 * TABLET_PER_DIGIT


def mnist_test_split(data_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's test images (N×28×28 uint8) and labels, from ``data_dir`` or the usual places."""
    dirs = [data_dir] if data_dir else list(DATA_DIRS)
    for folder in dirs:
        found = [find_idx_file([folder], stem) for stem in IDX_FILES[2:]]
        if all(found):
            images, labels = (read_idx(p).numpy() for p in found)
            return images, labels
    raise SystemExit(f"MNIST's test split not found in {', '.join(map(str, dirs))}")


def mnist_test_digits(
    split: tuple[np.ndarray, np.ndarray],
    per_digit: int,
    rng: np.random.Generator,
    skip: int = 0,
    style: PenStyle = PEN_STYLE,
    source: str = "mnist-test",
) -> list[PenDigit]:
    """``per_digit`` of each digit of MNIST's test ``split`` (after the first ``skip``), as pen strokes."""
    out = []
    for label, lines in mnist_test_strokes(split, per_digit, skip):
        placed, size, pen = pen_digit(lines, label, rng, style)
        out.append(PenDigit(label, placed, size, pen, source))
    return out


def mnist_test_strokes(
    split: tuple[np.ndarray, np.ndarray], per_digit: int, skip: int
) -> list[tuple[int, list[Polyline]]]:
    """(label, skeleton polylines) of ``per_digit`` of each class after its first ``skip``, classes in order."""
    images, labels = split
    chosen = np.concatenate([np.flatnonzero(labels == d)[skip : skip + per_digit] for d in range(10)])
    strokes = digit_strokes(images[chosen] / 255.0)
    return [(int(label), lines) for label, lines in zip(labels[chosen], strokes, strict=True)]


def glyph_digits(
    copies: int, rng: np.random.Generator, style: PenStyle = PEN_STYLE, source: str = "glyphs"
) -> list[PenDigit]:
    """Every hand-made glyph ``copies`` times, each a fresh draw of the pen variations."""
    out = []
    for label, strokes in GLYPHS.values():
        lines = [np.array(stroke, dtype=np.float32) for stroke in strokes]
        for _ in range(copies):
            placed, size, pen = pen_digit(lines, label, rng, style, variants=False)
            out.append(PenDigit(label, placed, size, pen, source))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-digit", type=int, default=PER_DIGIT, help="MNIST test digits of each class")
    parser.add_argument("--copies", type=int, default=20, help="pen copies of each hand-made glyph")
    parser.add_argument(
        "--tablet", type=int, default=TABLET_PER_DIGIT, help="MNIST test digits of each class in each tablet part"
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=PEN_SET)
    args = parser.parse_args(argv)
    # one generator each, so either half can be made again on its own (the tests remake the glyphs)
    split = mnist_test_split(args.data_dir)
    mnist = mnist_test_digits(split, args.per_digit, np.random.default_rng(SEED))
    digits = mnist + glyph_digits(args.copies, np.random.default_rng(GLYPH_SEED))
    tablet = np.random.default_rng(TABLET_SEED)
    digits += mnist_test_digits(split, args.tablet, tablet, args.per_digit, TABLET_STYLE, "tablet")
    digits += glyph_digits(args.copies, tablet, TABLET_STYLE, "tablet")
    box = np.random.default_rng(BOX_SEED)
    skip = args.per_digit + args.tablet
    digits += mnist_test_digits(split, args.tablet, box, skip, BOX_STYLE, "tablet-box")
    digits += glyph_digits(args.copies, box, BOX_STYLE, "tablet-box")
    save_pen_set(digits, args.out)
    print(f"{args.out}: {len(digits)} pen digits ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
