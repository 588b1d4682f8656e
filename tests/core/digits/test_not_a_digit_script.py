"""scripts/evaluate_not_a_digit.py: the "Not a digit" figures docs/digit-model.md gives."""

from __future__ import annotations

import re

from gui_app.core.digits.pen_letters import LETTERS
from gui_app.core.digits.reader import DigitReader
from scripts.evaluate_not_a_digit import UNSEEN_SHAPES, pen_set_line, shape_line, shape_pictures
from tests.data.handwriting.pen_digits import load_pen_set, pictures


def test_a_trained_shape_is_refused_and_an_unseen_plus_is_reported_as_read() -> None:
    reader = DigitReader.from_file()
    hash_line = shape_line(reader, "#", shape_pictures(LETTERS["#"], seed=1, count=10))
    refused, median = re.match(r"#: (\d+) of 10 refused, median confidence ([\d.]+)", hash_line).groups()
    assert int(refused) >= 9 and float(median) < 0.2, hash_line
    # a plus is how some write a 4: the model reads it, sure of it, and the line says so
    plus_line = shape_line(reader, "+", shape_pictures(UNSEEN_SHAPES["+"], seed=1, count=10))
    assert re.match(r"\+: \d of 10 refused, .* mostly 4$", plus_line), plus_line


def test_real_digits_are_counted_as_refused_only_when_they_are() -> None:
    reader = DigitReader.from_file()
    digits = load_pen_set()[:300]
    labels, pics = [d.label for d in digits], list(pictures(digits))
    dot = pics[0].copy()
    dot[:] = 255
    dot[100:110, 100:110] = 0  # a dab of the pen in place of the first digit
    line = pen_set_line(reader, labels, [dot, *pics[1:]])
    refused, right = map(
        int, re.match(r"pen-style set: (\d+) of 300 refused .*, (\d+) of them read right", line).groups()
    )
    assert 1 <= refused <= 4 and right <= refused, line
