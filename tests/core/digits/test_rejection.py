"""Not a digit: dots, dashes and pad-filling scribbles get a reason instead of a digit; 1s do not."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.core.data.idx_files import read_idx
from gui_app.core.data.locations import sample_dir
from gui_app.core.digits.pen_strokes import render
from gui_app.core.digits.reader import DigitReader
from gui_app.core.digits.rejection import InkShape, not_a_digit
from tests.data.handwriting.pen_digits import load_pen_set, pictures

PAD = 280  # the pad's rendering: white ink on black, pen 1/14 of the side by default


@pytest.fixture(scope="module")
def reader() -> DigitReader:
    return DigitReader.from_file()


def _pad(lines: list[list[tuple[float, float]]], pen: float = PAD / 14) -> np.ndarray:
    """Lines in pad units (0..1) as the pad renders them: white on black, uint8."""
    ink = render([np.array(line, dtype=np.float32) * PAD for line in lines], (PAD, PAD), pen)
    return (ink * 255).round().astype(np.uint8)


def _scribble(seed: int) -> list[list[tuple[float, float]]]:
    """Back and forth over the whole pad, as someone crossing out: a dense zigzag."""
    rng = np.random.default_rng(seed)
    ys = np.linspace(0.05, 0.95, 24)
    xs = np.where(np.arange(24) % 2, 0.95, 0.05) + rng.uniform(-0.04, 0.04, 24)
    return [list(zip(xs.tolist(), (ys + rng.uniform(-0.02, 0.02, 24)).tolist(), strict=True))]


@pytest.mark.parametrize(
    ("lines", "pen", "reason"),
    [
        ([[(0.5, 0.5)]], PAD / 14, "a dot"),  # one click
        ([[(0.3, 0.7), (0.31, 0.705)]], PAD / 14, "a dot"),  # a click with a twitch
        ([[(0.8, 0.2)]], PAD / 40, "a dot"),  # a thin pen
        ([[(0.5, 0.5)]], PAD / 8, "a dot"),  # a thick pen
        ([[(0.35, 0.5), (0.6, 0.5)]], PAD / 14, "a dash"),
        ([[(0.1, 0.4), (0.9, 0.43)]], PAD / 20, "a dash"),  # a long one, slightly tilted
        ([[(0.4, 0.3), (0.52, 0.32)]], PAD / 25, "a dash"),  # a short one
        (_scribble(0), PAD / 14, "a scribble"),
        (_scribble(1), PAD / 10, "a scribble"),
    ],
)
def test_dots_dashes_and_scribbles_are_not_digits(reader, lines, pen, reason) -> None:
    prediction = reader.read(_pad(lines, pen), invert=False)
    assert prediction is not None and not prediction.is_digit
    assert prediction.reason is not None and prediction.reason.startswith(reason), prediction.reason


def test_little_confidence_is_not_a_digit_and_says_the_best_guess() -> None:
    shape = InkShape(flatness=1.4, fill=0.2, coverage=0.15, extent=0.6)  # an ordinary digit's shape
    assert not_a_digit(shape, 4, 0.29) == "not like any digit (at best a 4, 29% sure)"
    assert not_a_digit(shape, 4, 0.31) is None


def test_mnist_ones_still_read_as_1(reader) -> None:
    stems = ("images-idx3-ubyte", "labels-idx1-ubyte")
    images, labels = (read_idx(sample_dir() / f"t10k-{stem}.gz").numpy() for stem in stems)
    ones = [p for p, y in zip(images, labels, strict=True) if y == 1]
    predictions = reader.read_many(ones, invert=False)
    read_as_one = sum(p is not None and p.is_digit and p.digit == 1 for p in predictions)
    assert read_as_one >= len(ones) - 1, f"{read_as_one} of {len(ones)} MNIST 1s read as 1"


def test_pen_written_ones_still_read_as_1(reader) -> None:
    ones = [d for d in load_pen_set() if d.label == 1]
    predictions = reader.read_many(list(pictures(ones)))
    read_as_one = sum(p is not None and p.is_digit and p.digit == 1 for p in predictions)
    assert read_as_one / len(ones) >= 0.97, f"{read_as_one} of {len(ones)} pen 1s read as 1"


@pytest.mark.parametrize("height", [0.15, 0.25, 0.4])
@pytest.mark.parametrize("pen", [PAD / 40, PAD / 14])
def test_short_thin_ones_on_the_pad_read_as_1(reader, height: float, pen: float) -> None:
    # a short upright stroke is what a hurried 1 is: not a dot, not a dash
    picture = _pad([[(0.5, 0.5 - height / 2), (0.49, 0.5 + height / 2)]], pen)
    prediction = reader.read(picture, invert=False)
    assert prediction is not None and prediction.is_digit and prediction.digit == 1, prediction
