"""How often digit models refuse letter-like shapes, and how often they refuse real digits.

The figures of docs/digit-model.md's "Not a digit" section, made again for any number of model
files side by side: 40 new pen pictures of each shape the training shows (``pen_letters``) and of
five it never shows (N, F, R, a plus, a Y: some write a 4 as a plus, a 4 or a 7 as a Y), each
refused or read at what confidence; then the share of the project's pen-style test set (5,000
digits) the not-a-digit rules refuse, and how many of those the model had read right. Seeded, so
that it can be made again; the pictures are not the training's (its letters are seeded from
20,000 up).

    .venv/bin/python scripts/evaluate_not_a_digit.py resources/models/mnist_cnn.pt other.pt
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gui_app.core.digits.pen_letters import LETTERS, jittered  # noqa: E402
from gui_app.core.digits.pen_styles import PenStyle, pen_digit, pen_picture  # noqa: E402
from gui_app.core.digits.reader import DigitReader  # noqa: E402
from tests.data.handwriting.pen_digits import PEN_SET, load_pen_set, pictures  # noqa: E402

Stroke = list[tuple[float, float]]

#: Shapes the training never shows, in the glyphs' 0.6 × 1 box, strokes in writing order.
UNSEEN_SHAPES: dict[str, list[Stroke]] = {
    "N": [[(0.0, 1.0), (0.0, 0.0), (0.6, 1.0), (0.6, 0.0)]],
    "F": [[(0.55, 0.0), (0.0, 0.0), (0.0, 1.0)], [(0.0, 0.5), (0.4, 0.5)]],
    "R": [[(0.0, 1.0), (0.0, 0.0), (0.45, 0.05), (0.55, 0.25), (0.45, 0.45), (0.0, 0.5), (0.55, 1.0)]],
    "+": [[(0.3, 0.1), (0.3, 0.9)], [(0.0, 0.5), (0.6, 0.5)]],
    "Y": [[(0.0, 0.0), (0.3, 0.45)], [(0.6, 0.0), (0.3, 0.45), (0.3, 1.0)]],
}
#: The pen's variations the shapes are drawn with: three in ten cut to a tablet's few points.
SHAPE_STYLE = PenStyle(sampled=0.3)
assert not set(LETTERS) & set(UNSEEN_SHAPES), "a shape the training shows is not unseen"


def shape_seed(name: str) -> int:
    """The seed of a shape's pictures: the training's own letters are seeded from 20,000 up."""
    return 4242 + ord(name)


def shape_pictures(strokes: list[Stroke], seed: int, count: int) -> list[np.ndarray]:
    """``count`` pen pictures of a shape, each corner moved a little, as ``pen_letters`` varies them."""
    rng = np.random.default_rng(seed)
    return [pen_picture(*pen_digit(jittered(strokes, rng), -1, rng, SHAPE_STYLE)) for _ in range(count)]


def shape_line(reader: DigitReader, name: str, pics: list[np.ndarray]) -> str:
    """How many of a shape's pictures are refused, the median confidence of the best digit, and
    the digit most often best (refused pictures' best guesses included)."""
    predictions = reader.read_many(pics)
    if not pics or any(p is None for p in predictions):
        raise ValueError(f"{name}: every picture needs ink ({len(pics)} pictures)")
    refused = sum(not p.is_digit for p in predictions)
    median = float(np.median([p.confidence for p in predictions]))
    digits = np.bincount([p.digit for p in predictions], minlength=10)
    return f"{name}: {refused} of {len(pics)} refused, median confidence {median:.2f}, mostly {int(digits.argmax())}"


def pen_set_line(reader: DigitReader, labels: list[int], pics: list[np.ndarray]) -> str:
    """How many real digits are refused, and how many of those the model's best digit had right."""
    predictions = reader.read_many(pics)
    refused = [(p, label) for p, label in zip(predictions, labels, strict=True) if p is not None and not p.is_digit]
    right = sum(p.digit == label for p, label in refused)
    n = len(labels)
    share = f"{len(refused)} of {n} refused ({len(refused) / n:.2%})"
    return f"pen-style set: {share}, {right} of them read right ({right / n:.2%} of the set)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+", help="digit model files (TrainedModel)")
    parser.add_argument("--count", type=int, default=40, help="pictures of each shape (at least 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    parser.add_argument("--pen-set", type=Path, default=PEN_SET, help="the real digits (default: the project's)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    if args.threads:  # only when asked: a test calls main() in the suite's own process
        torch.set_num_threads(args.threads)
    shapes = {**LETTERS, **UNSEEN_SHAPES}
    drawn = {name: shape_pictures(strokes, shape_seed(name), args.count) for name, strokes in shapes.items()}
    pen_set = load_pen_set(args.pen_set)
    labels, pen_pictures = [d.label for d in pen_set], list(pictures(pen_set))
    for path in args.models:
        reader = DigitReader.from_file(path)
        print(path)
        for name, pics in drawn.items():
            print(f"  {'unseen ' if name in UNSEEN_SHAPES else ''}{shape_line(reader, name, pics)}")
        print(f"  {pen_set_line(reader, labels, pen_pictures)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
