"""scripts/train_digit_model.py --evaluate: the per-digit lines docs/digit-model.md's tables come from."""

from __future__ import annotations

from scripts.train_digit_model import _digit_line


def test_a_digits_line_gives_each_parts_share_and_its_tablet_misreadings() -> None:
    readings = [("mnist-test", 4), ("glyphs", 4), ("glyphs", 9), ("tablet", 4), ("tablet", 8), ("tablet", 8)]
    readings += [("tablet", None), ("tablet-box", 4), ("tablet-box", None)]
    # the pen strokes part is MNIST's and the glyphs' together; a refusal is a misreading
    assert _digit_line(4, readings) == "66.7% / 25.0% / 50.0%  (8 (2), no digit (1); no digit (1))"


def test_a_part_with_nothing_wrong_shows_a_dash() -> None:
    assert _digit_line(0, [("mnist-test", 0), ("tablet", 0), ("tablet-box", 0)]) == "100.0% / 100.0% / 100.0%  (-; -)"
