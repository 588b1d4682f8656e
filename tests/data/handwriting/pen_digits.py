"""The project's pen-style test set: digits as a tablet records them, never seen in training.

``pen_digits.npz`` (made by ``scripts/make_pen_test_set.py``) holds each digit as its pen
strokes in picture pixels, the picture's size and the pen's width, not as pixels: 5,000 pictures
of 200-400 px would be megabytes, their strokes are a few hundred kilobytes. :func:`pictures`
draws them as black strokes on white, the way a user's files reach ``netbuilder predict``.
No Qt here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gui_app.core.digits.pen_strokes import Polyline
from gui_app.core.digits.pen_styles import pen_picture

PEN_SET = Path(__file__).with_name("pen_digits.npz")
#: What ``source`` holds: MNIST's test split redrawn as pen strokes, the hand-made glyphs, or
#: either as a tablet records them (a few evenly spaced points of the pen's path), as they are or
#: normalised so that x and y each fill the box ("tablet-box").
SOURCES = ("mnist-test", "glyphs", "tablet", "tablet-box")
#: The parts the docs report: MNIST's and the glyphs' pen strokes together, then each tablet part.
PARTS = ("pen strokes", "tablet", "tablet-box")


def part_of(source: str) -> str:
    """The part of :data:`PARTS` a digit of ``source`` counts in."""
    return source if source.startswith("tablet") else "pen strokes"


@dataclass(frozen=True)
class PenDigit:
    """One pen-written digit: its strokes (pixels), picture size (H, W), pen width and origin."""

    label: int
    lines: list[Polyline]
    size: tuple[int, int]
    pen: float
    source: str


def save_pen_set(digits: list[PenDigit], path: Path = PEN_SET) -> None:
    """Write ``digits`` as flat arrays (no pickles: ``np.load`` reads it with allow_pickle=False)."""
    lines = [line for d in digits for line in d.lines]
    np.savez_compressed(
        path,
        labels=np.array([d.label for d in digits], dtype=np.uint8),
        sizes=np.array([d.size for d in digits], dtype=np.uint16),
        pens=np.array([d.pen for d in digits], dtype=np.float32),
        sources=np.array([SOURCES.index(d.source) for d in digits], dtype=np.uint8),
        lines_per_digit=np.array([len(d.lines) for d in digits], dtype=np.uint16),
        points_per_line=np.array([len(line) for line in lines], dtype=np.uint16),
        # a tenth of a pixel is finer than the antialiasing: 16-bit fixed point halves the file
        points=np.round(np.concatenate(lines) * 10).astype(np.int16),
    )


def load_pen_set(path: Path = PEN_SET) -> list[PenDigit]:
    """The digits ``save_pen_set`` wrote."""
    with np.load(path, allow_pickle=False) as data:
        points = data["points"].astype(np.float32) / 10
        line_ends = np.cumsum(data["points_per_line"])
        lines = np.split(points, line_ends[:-1])
        digit_ends = np.cumsum(data["lines_per_digit"])
        starts = np.concatenate([[0], digit_ends[:-1]])
        return [
            PenDigit(
                int(label), lines[int(start) : int(end)], (int(size[0]), int(size[1])), float(pen), SOURCES[int(source)]
            )
            for label, start, end, size, pen, source in zip(
                data["labels"], starts, digit_ends, data["sizes"], data["pens"], data["sources"], strict=True
            )
        ]


def pictures(digits: list[PenDigit]) -> Iterator[np.ndarray]:
    """Each digit as a uint8 picture, black strokes on white."""
    for digit in digits:
        yield pen_picture(digit.lines, digit.size, digit.pen)
