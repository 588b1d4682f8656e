"""How people write digits with a pen, as random variations of stroke polylines.

:mod:`pen_strokes` turns an MNIST digit into the polylines a pen would draw; this module varies
them the way pen writers do and MNIST rarely shows (1s with a flag and a foot, 7s with a bar
through the stem or a hook at the start; :mod:`pen_glyphs` draws whole digits from scratch) and
places them in a picture: writing that fills a wide box, a tablet that keeps only a few evenly
spaced points of the pen's path (``PenStyle.sampled``), hand wobble at the sampled points, and a
uniform pen 4-8% of the picture wide (:func:`pen_picture`). Every draw comes from the ``numpy``
generator passed in, so a seed fixes the result. numpy only, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gui_app.core.digits.pen_strokes import Polyline, render, sample_along, sample_in_time, simplify


@dataclass(frozen=True)
class PenStyle:
    """The ranges a pen picture is drawn from (each a (low, high) pair, drawn uniformly)."""

    side: tuple[int, int] = (200, 400)  #: picture side in pixels
    pen: tuple[float, float] = (0.04, 0.08)  #: pen width, share of the picture's shorter side
    fill: tuple[float, float] = (0.55, 0.9)  #: the digit's longer side, share of the picture
    wide: float = 0.25  #: chance of a wide picture (and writing stretched to fill it)
    rotation: float = 10.0  #: degrees either way
    shear: float = 0.3
    tolerance: tuple[float, float] = (0.5, 1.2)  #: straight-segment tolerance, 28×28 pixels
    wobble: tuple[float, float] = (0.0, 0.012)  #: jitter of each point, share of the digit's size
    sampled: float = 0.0  #: chance that the pen's path keeps only a few evenly spaced points
    points: tuple[int, int] = (8, 16)  #: how many, when it does (both ends included)
    pen_up: float = 0.75  #: chance that the path joins the strokes (the pen's move between them drawn)
    box: float = 0.0  #: chance that a sampled path is stretched to fill its box, each axis on its own
    timed: float = 0.0  #: chance that a sampled path is clocked instead (about ``points`` reports, strokes apart)


def ellipse_arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16) -> Polyline:
    """``n`` points on an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down, y down)."""
    angles = np.radians(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(angles), cy + ry * np.sin(angles)], 1).astype(np.float32)


def polyline(*points: tuple[float, float]) -> Polyline:
    """The points as one stroke (K×2 float32)."""
    return np.array(points, dtype=np.float32)


def _extent(lines: list[Polyline]) -> tuple[np.ndarray, np.ndarray]:
    points = np.concatenate(lines)
    return points.min(0), points.max(0)


# ----------------------------------------------------------------------------- stroke variants


def add_flag_and_foot(lines: list[Polyline], rng: np.random.Generator) -> list[Polyline]:
    """A 1's flag from the top down to the left (25-55° from the vertical), sometimes a foot.

    Flatter or longer flags than this are a 7's top stroke: people who write them cross their 7s.
    """
    low, high = _extent(lines)
    height = float(high[1] - low[1]) or 1.0
    points = np.concatenate(lines)
    top, bottom = points[np.argmin(points[:, 1])], points[np.argmax(points[:, 1])]
    angle = math.radians(rng.uniform(25, 55))
    length = height * rng.uniform(0.15, 0.4)
    # in writing order: the flag up to the top, the stem down, then the foot
    out = [polyline((top[0] - length * math.sin(angle), top[1] + length * math.cos(angle)), tuple(top)), *lines]
    if rng.random() < 0.35:
        half = height * rng.uniform(0.15, 0.35)
        out.append(polyline((bottom[0] - half, bottom[1]), (bottom[0] + half * rng.uniform(0.7, 1.2), bottom[1])))
    return out


def add_bar_or_hook(lines: list[Polyline], rng: np.random.Generator) -> list[Polyline]:
    """A 7's bar across the stem at mid-height, or a hook down from the start of its top stroke."""
    low, high = _extent(lines)
    height, width = float(high[1] - low[1]) or 1.0, float(high[0] - low[0]) or 1.0
    points = np.concatenate(lines)
    if rng.random() < 0.65:
        y = low[1] + height * rng.uniform(0.45, 0.6)
        near = points[np.abs(points[:, 1] - y) < 0.12 * height]
        x = float(near[:, 0].mean()) if len(near) else float(points[:, 0].mean())
        half = width * rng.uniform(0.18, 0.32)
        tilt = height * rng.uniform(-0.04, 0.04)
        return [*lines, polyline((x - half, y + tilt), (x + half * rng.uniform(0.8, 1.2), y - tilt))]
    upper = points[points[:, 1] < low[1] + 0.3 * height]
    corner = upper[np.argmin(upper[:, 0])]
    drop = height * rng.uniform(0.1, 0.25)
    return [polyline((corner[0] - drop * rng.uniform(0, 0.3), corner[1] + drop), tuple(corner)), *lines]


VARIANTS: dict[int, tuple[float, Callable[[list[Polyline], np.random.Generator], list[Polyline]]]] = {
    1: (0.5, add_flag_and_foot),
    7: (0.5, add_bar_or_hook),
}


def vary(lines: list[Polyline], label: int, rng: np.random.Generator) -> list[Polyline]:
    """The stroke variants pen writers use for ``label``, applied with their chance."""
    chance, variant = VARIANTS.get(label, (0.0, None))
    if variant is not None and rng.random() < chance:
        return variant(lines, rng)
    return lines


# ----------------------------------------------------------------------------- the picture


def pen_lines(
    lines: list[Polyline], rng: np.random.Generator, style: PenStyle, size: tuple[int, int]
) -> tuple[list[Polyline], float]:
    """``lines`` placed in a picture of ``size`` (H, W) as a pen writer would: (lines in px, pen px).

    The digit is turned, sheared and (in a wide picture) stretched, simplified to straight
    segments, wobbled at each point, and scaled so its longer side is a share of the picture.
    """
    angle = math.radians(rng.uniform(-style.rotation, style.rotation))
    shear = rng.uniform(-style.shear, style.shear)
    stretch = size[1] / size[0] * rng.uniform(0.8, 1.0) if size[1] > size[0] else rng.uniform(0.85, 1.15)
    cos, sin = math.cos(angle), math.sin(angle)
    matrix = np.array([[cos * stretch, -sin + shear], [sin * stretch, cos]], dtype=np.float32)
    low, high = _extent(lines)
    centre = (low + high) / 2
    moved = [(line - centre) @ matrix.T for line in lines]
    if style.sampled and rng.random() < style.sampled:
        count = int(rng.integers(style.points[0], style.points[1] + 1))
        if style.timed and rng.random() < style.timed:
            moved = sample_in_time(moved, count)
        else:
            moved = sample_along(moved, count, pen_up=bool(rng.random() < style.pen_up))
        if style.box and rng.random() < style.box:
            moved = fill_box(moved, size[1] / size[0])
    else:
        # the tolerance is given in pixels of MNIST's 20-pixel box: in the lines' units, that share
        tolerance = rng.uniform(*style.tolerance) * float((high - low).max()) / 20
        moved = [simplify(line, tolerance) for line in moved]
    low, high = _extent(moved)
    span = np.maximum(high - low, 1e-6)
    scale = min(size) * rng.uniform(*style.fill) / float(span.max())
    scale = min(scale, 0.92 * size[1] / float(span[0]), 0.92 * size[0] / float(span[1]))
    pen = min(size) * rng.uniform(*style.pen)
    room = np.array([size[1], size[0]], dtype=np.float32) - span * scale
    origin = rng.uniform(0.2, 0.8, 2) * room - low * scale
    wobble = rng.uniform(*style.wobble) * float(span.max()) * scale
    placed = [line * scale + origin + rng.normal(0, wobble, line.shape).astype(np.float32) for line in moved]
    return placed, pen


def fill_box(lines: list[Polyline], aspect: float) -> list[Polyline]:
    """``lines`` stretched along each axis on its own until their box is ``aspect`` (width / height).

    Tablet recordings are often normalised so that x and y each run over the whole range: a thin
    1 or a tall 7 then fills a square, its flag or top stroke stretched long and flat.
    """
    low, high = _extent(lines)
    span = np.maximum(high - low, 1e-6)
    factor = np.array([aspect * float(span[1]) / float(span[0]), 1.0], dtype=np.float32)
    return [(line - low) * factor for line in lines]


def picture_size(rng: np.random.Generator, style: PenStyle) -> tuple[int, int]:
    """(height, width): square, or one side up to 1.8 times the other for a wide picture."""
    side = int(rng.integers(style.side[0], style.side[1] + 1))
    if rng.random() < style.wide:
        return side, min(int(side * rng.uniform(1.3, 1.8)), 2 * style.side[1])
    return side, side


def pen_picture(lines: list[Polyline], size: tuple[int, int], pen: float) -> np.ndarray:
    """Black strokes on white paper, uint8 H×W: what a user hands to ``netbuilder predict``."""
    return (255 - np.round(render(lines, size, pen) * 255)).astype(np.uint8)


def pen_digit(
    lines: list[Polyline], label: int, rng: np.random.Generator, style: PenStyle, variants: bool = True
) -> tuple[list[Polyline], tuple[int, int], float]:
    """One pen-written copy of a digit's strokes: (lines in picture pixels, picture (H, W), pen px).

    ``variants=False`` keeps the strokes as they are (glyphs that already have their flag or bar).
    """
    size = picture_size(rng, style)
    placed, pen = pen_lines(vary(lines, label, rng) if variants else lines, rng, style, size)
    return placed, size, pen
