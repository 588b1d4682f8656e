"""Scribbles for the not-a-digit training: busier than any digit, and apart from the letters' draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gui_app.core.digits.pen_scribbles import SCRIBBLES
from gui_app.core.digits.pen_styles import PenStyle, pen_digit, pen_picture
from gui_app.core.digits.preprocessing import mnist_image
from scripts import letter_training_set


@pytest.mark.parametrize("kind", list(SCRIBBLES))
def test_a_scribble_inks_more_of_its_picture_than_a_digit_does(kind: str) -> None:
    # a digit's skeleton is at most about three times its box's longer side; these are longer
    rng = np.random.default_rng(3)
    for _ in range(10):
        lines = SCRIBBLES[kind](rng)
        length = sum(float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()) for line in lines)
        low, high = np.concatenate(lines).min(0), np.concatenate(lines).max(0)
        assert length > 4 * float((high - low).max()), (kind, length)
        image = mnist_image(pen_picture(*pen_digit(lines, -1, rng, PenStyle(), variants=False)), invert=True)
        assert image is not None and torch.isfinite(image).all()


def test_scribbles_leave_the_letters_as_they_were() -> None:
    # the letters are drawn from their own seed, so the default recipe (no scribbles) is unchanged
    letters = letter_training_set.build(2, 0)
    both = letter_training_set.build(2, 0, per_scribble=3)
    assert len(both) == len(letters) + 3 * len(SCRIBBLES)
    assert torch.equal(both[: len(letters)], letters)
