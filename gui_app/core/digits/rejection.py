"""Not a digit: a dot, a dash, a scribble that fills the pad, or a shape the model barely knows.

A digit model always names one of ten digits, even for a dot. These rules decide, before the
answer is shown, that the ink is not a digit at all, so the pad says "draw a digit" and
``netbuilder predict --json`` gives ``"digit": null`` with the reason. They look at the ink as
the model sees it (the 28×28 image, whose longer side is always 20 px), plus how much of the
picture the ink spans (``extent``), so they do not depend on the picture's size:

- a dot: a small (``extent``), round and solid blob: one dab of the pen. A digit written with a
  very thick pen can be as round and solid, but spans much more of the picture;
- a dash: ink clearly wider than tall and solid (``fill``, the share of its box that is ink),
  or a thin straight stroke (``elongation``) lying within 30° of the horizontal (``tilt``): a
  dash drawn at a slant fills little of its box. No digit is either; a dash nearer the vertical
  is a 1, and reads as one;
- a scribble: ink that spans nearly the whole picture and covers half the square around it
  (``coverage``); a digit written that large covers a third or less, even with a thick pen;
- anything else the model gives less than ``MIN_CONFIDENCE`` to its best digit. The bundled
  model was trained to be unsure of letter-like shapes (H, W, #, ...: ``pen_letters.py``), so
  those fall under the floor too; a network the user trained only on digits is not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gui_app.core.digits.preprocessing import centre_of_mass, ink_box

#: A dot: ink spanning less than DOT_EXTENT of the picture, about as tall as wide, and solid.
DOT_EXTENT, DOT_ROUNDNESS, DOT_FILL = 0.2, (0.7, 1.4), 0.55
#: A dash: ink box height / width below DASH_FLATNESS, with its box at least DASH_FILL ink.
DASH_FLATNESS, DASH_FILL = 0.6, 0.45
#: A dash at a slant: ink whose narrow axis is under DASH_ELONGATION of its long one, lying within
#: DASH_TILT degrees of the horizontal. MNIST's test set and the pen-style set have no such digit
#: (their straight ones lie 44° and 37.6° or more from it); of 4,000 MNIST digits redrawn at a
#: tablet's 8 points, 2 are (a 1 laid down to 26° by the redrawing's slant and stretch, a flat 4).
DASH_ELONGATION, DASH_TILT = 0.2, 30.0
#: A scribble: ink spanning at least SCRIBBLE_EXTENT of the picture's longer side and covering at
#: least SCRIBBLE_COVERAGE of the square around it.
SCRIBBLE_EXTENT, SCRIBBLE_COVERAGE = 0.8, 0.5
#: The model's best digit needs at least this probability to be an answer. The bundled model
#: gives letter-like shapes about 0.11 (it was trained towards 0.1 each) and real digits rarely
#: under 0.2: a higher floor refuses more right answers without refusing more letters.
MIN_CONFIDENCE = 0.2


@dataclass(frozen=True)
class InkShape:
    """What the rules look at, measured on the 28×28 image the model reads."""

    flatness: float  #: height over width of the ink box
    fill: float  #: share of the ink box that is ink
    coverage: float  #: share of the square around the ink box (its longer side) that is ink
    extent: float  #: longer side of the ink box over the picture's longer side (1: edge to edge)
    elongation: float = 1.0  #: spread of the ink across its main axis over the spread along it (0: a line)
    tilt: float = 90.0  #: degrees between the ink's main axis and the horizontal (0-90)


def ink_shape(image: torch.Tensor, extent: float) -> InkShape:
    """The shape of the ink in ``image`` (28×28, ink 1), whose box spans ``extent`` of the picture."""
    box = ink_box(image)
    if box is None:
        return InkShape(1.0, 0.0, 0.0, extent)
    top, bottom, left, right = box
    height, width = bottom - top + 1, right - left + 1
    area = float(image.sum())
    elongation, tilt = _axes(image)
    return InkShape(height / width, area / (height * width), area / max(height, width) ** 2, extent, elongation, tilt)


def _axes(image: torch.Tensor) -> tuple[float, float]:
    """(elongation, tilt) of the ink, from its second moments: a straight stroke's axes."""
    rows, cols = torch.meshgrid(*(torch.arange(n, dtype=image.dtype) for n in image.shape), indexing="ij")
    row, col = centre_of_mass(image)
    x, y, total = cols - col, rows - row, image.sum()
    xx, yy, xy = (float((image * a * b).sum() / total) for a, b in ((x, x), (y, y), (x, y)))
    spread = math.hypot(xx - yy, 2 * xy)
    major, minor = (xx + yy + spread) / 2, max((xx + yy - spread) / 2, 0.0)
    tilt = abs(math.degrees(0.5 * math.atan2(2 * xy, xx - yy)))
    return (math.sqrt(minor / major) if major > 0 else 1.0), tilt


def not_a_digit(shape: InkShape, digit: int, confidence: float) -> str | None:
    """Why this ink is not read as a digit (a short phrase), or None when it is one."""
    low, high = DOT_ROUNDNESS
    if shape.extent < DOT_EXTENT and low <= shape.flatness <= high and shape.fill >= DOT_FILL:
        return "a dot, not a digit"
    solid = shape.flatness < DASH_FLATNESS and shape.fill >= DASH_FILL
    if solid or (shape.elongation < DASH_ELONGATION and shape.tilt < DASH_TILT):
        return "a dash, not a digit"
    if shape.extent >= SCRIBBLE_EXTENT and shape.coverage >= SCRIBBLE_COVERAGE:
        return "a scribble that fills the picture, not a digit"
    if confidence < MIN_CONFIDENCE:
        return f"not like any digit (at best a {digit}, {confidence:.0%} sure)"
    return None
