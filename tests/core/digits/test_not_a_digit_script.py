"""scripts/evaluate_not_a_digit.py: the "Not a digit" figures docs/digit-model.md gives."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from gui_app.core.digits.pen_letters import LETTERS
from gui_app.core.digits.reader import DigitReader, bundled_model_path
from scripts import evaluate_not_a_digit
from scripts.evaluate_not_a_digit import UNSEEN_SHAPES, pen_set_line, shape_line, shape_pictures
from tests.data.handwriting.pen_digits import load_pen_set, pictures, save_pen_set

SHAPE_LINE = re.compile(r"(\S+): (\d+) of (\d+) refused, median confidence ([\d.]+), mostly (\d)$")
PEN_SET_LINE = re.compile(r"pen-style set: (\d+) of (\d+) refused .*, (\d+) of them read right")


def _shape(line: str) -> tuple[int, float, int]:
    """(refused, median confidence, the digit most often best) from a shape's line."""
    match = SHAPE_LINE.match(line)
    assert match, line
    return int(match[2]), float(match[4]), int(match[5])


def test_a_trained_shape_is_refused_and_a_plus_is_read_as_the_4_some_write() -> None:
    reader = DigitReader.from_file()
    refused, median, _ = _shape(shape_line(reader, "#", shape_pictures(LETTERS["#"], seed=1, count=10)))
    assert refused >= 9 and median < 0.2
    refused, median, digit = _shape(shape_line(reader, "+", shape_pictures(UNSEEN_SHAPES["+"], seed=1, count=10)))
    assert refused <= 2 and median > 0.2 and digit == 4


def test_a_dot_among_real_digits_adds_one_refusal() -> None:
    reader = DigitReader.from_file()
    digits = load_pen_set()[::20]  # 250, every class and part
    labels, pics = [d.label for d in digits], list(pictures(digits))
    dot = np.full_like(pics[0], 255)
    dot[100:110, 100:110] = 0  # a dab of the pen in place of the first digit

    def counts(line: str) -> tuple[int, int]:
        match = PEN_SET_LINE.match(line)
        assert match, line
        return int(match[1]), int(match[3])

    refused, right = counts(pen_set_line(reader, labels, pics))
    refused_with_dot, right_with_dot = counts(pen_set_line(reader, labels, [dot, *pics[1:]]))
    assert refused_with_dot == refused + 1 and right <= right_with_dot <= right + 1
    assert refused <= 0.02 * len(digits)  # real digits are nearly never refused


def test_the_script_reports_every_shape_and_the_pen_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save_pen_set(load_pen_set()[::50], tmp_path / "few.npz")
    argv = [str(bundled_model_path()), "--count", "3", "--pen-set", str(tmp_path / "few.npz")]
    assert evaluate_not_a_digit.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    shapes = [SHAPE_LINE.search(line)[1] for line in lines if SHAPE_LINE.search(line)]
    assert shapes == [*LETTERS, *UNSEEN_SHAPES]
    assert PEN_SET_LINE.search(lines[-1]) and " of 100 refused" in lines[-1]
