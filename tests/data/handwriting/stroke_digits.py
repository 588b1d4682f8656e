"""Hand-made digits as pen strokes, in the styles people write them, and ways to vary them.

Each glyph is a list of strokes; each stroke a polyline in a box about 0.6 wide and 1 tall (y
down), written in the order and direction a person would draw it. :func:`variants` places a glyph
on the pad at several sizes, slants, widths and pen widths, with a little seeded hand tremor, so
the tests replay digits the model has never seen through the pad's own mouse handling, and
:func:`render_picture` draws them as dark-on-white pictures of any size for ``netbuilder predict``.
No Qt here; the pad replay lives in ``replay.py``.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

import numpy as np

from gui_app.core.digits.pen_styles import pen_picture

Point = tuple[float, float]
Stroke = list[Point]


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 40) -> Stroke:
    """Points on an ellipse from ``start`` to ``end`` degrees (0 = right, 90 = down, y down)."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a))) for a in np.linspace(start, end, n)
    ]


def _figure_eight(top: float = 0.21, bottom: float = 0.27, n: int = 48) -> Stroke:
    # y runs top -> bottom -> top while x swings right/left: the one-stroke 8 most people write
    points = []
    for t in np.linspace(0, 2 * math.pi, n):
        y = 0.5 - 0.49 * math.cos(t)
        amp = top if y < 0.5 else bottom
        points.append((0.3 + amp * math.sin(2 * t), y))
    return points


GLYPHS: dict[str, tuple[int, list[Stroke]]] = {
    "0-oval": (0, [arc(0.3, 0.5, 0.28, 0.49, -90, 275)]),
    "0-narrow": (0, [arc(0.3, 0.5, 0.19, 0.49, -60, 300)]),
    "0-round": (0, [arc(0.3, 0.5, 0.34, 0.46, -100, 265)]),
    "1-stick": (1, [[(0.3, 0.0), (0.3, 1.0)]]),
    "1-flag": (1, [[(0.1, 0.22), (0.33, 0.0), (0.33, 1.0)]]),  # a long flag: often read as 7
    "1-short-flag": (1, [[(0.17, 0.16), (0.32, 0.0), (0.32, 1.0)]]),
    "1-serif": (1, [[(0.12, 0.2), (0.32, 0.0), (0.32, 1.0)], [(0.1, 1.0), (0.55, 1.0)]]),
    "2-round": (2, [[*arc(0.3, 0.27, 0.27, 0.26, 195, 390), (0.02, 1.0), (0.6, 1.0)]]),
    "2-curl": (2, [[*arc(0.3, 0.25, 0.25, 0.23, 200, 380), (0.36, 0.6), (0.04, 0.98), (0.6, 0.96)]]),
    "2-angular": (2, [[(0.03, 0.12), (0.3, 0.0), (0.55, 0.14), (0.5, 0.4), (0.02, 1.0), (0.6, 1.0)]]),
    "3-round": (3, [[*arc(0.28, 0.25, 0.26, 0.24, 200, 450), *arc(0.28, 0.73, 0.3, 0.26, -90, 160)]]),
    "3-flat": (3, [[(0.05, 0.0), (0.55, 0.0), (0.24, 0.4), *arc(0.26, 0.69, 0.3, 0.3, -95, 150)]]),
    "4-closed": (4, [[(0.42, 0.0), (0.0, 0.66), (0.62, 0.66)], [(0.45, 0.08), (0.45, 1.0)]]),
    "4-open": (4, [[(0.06, 0.0), (0.04, 0.55), (0.6, 0.55)], [(0.46, 0.0), (0.46, 1.0)]]),
    "5-two": (5, [[(0.08, 0.0), (0.05, 0.46), *arc(0.28, 0.69, 0.3, 0.3, 225, 500)], [(0.08, 0.0), (0.56, 0.0)]]),
    "5-one": (5, [[(0.56, 0.0), (0.1, 0.0), (0.07, 0.45), *arc(0.29, 0.69, 0.29, 0.3, 225, 495)]]),
    "6-curve": (6, [[(0.5, 0.0), (0.3, 0.15), (0.12, 0.4), (0.03, 0.66), *arc(0.3, 0.72, 0.27, 0.27, 180, -170)]]),
    "6-straight": (6, [[(0.45, 0.0), (0.06, 0.62), *arc(0.3, 0.73, 0.26, 0.26, 200, -160)]]),
    "7-plain": (7, [[(0.0, 0.0), (0.6, 0.0), (0.2, 1.0)]]),
    "7-crossed": (7, [[(0.0, 0.0), (0.6, 0.0), (0.22, 1.0)], [(0.14, 0.52), (0.52, 0.52)]]),
    "7-hook": (7, [[(0.0, 0.14), (0.04, 0.0), (0.6, 0.0), (0.32, 1.0)]]),
    "8-one": (8, [_figure_eight()]),
    "8-rings": (8, [arc(0.3, 0.24, 0.21, 0.24, -90, 275), arc(0.3, 0.74, 0.28, 0.26, -90, 275)]),
    "9-stick": (9, [[*arc(0.3, 0.27, 0.26, 0.26, 0, -360), (0.56, 0.3), (0.52, 1.0)]]),
    "9-curl": (
        9,
        [[*arc(0.3, 0.27, 0.26, 0.26, 0, -360), (0.56, 0.3), (0.54, 0.7), (0.46, 0.9), (0.32, 1.0), (0.2, 0.97)]],
    ),
}


@dataclass(frozen=True)
class StrokeDigit:
    """One digit as drawn on the pad: strokes in pad units (0..1) and the pen width ratio."""

    name: str
    label: int
    strokes: list[Stroke]
    pen_ratio: float


def _resample(stroke: Stroke, step: float) -> Stroke:
    """Points every ``step`` along the polyline, as a mouse would report them."""
    out = [stroke[0]]
    for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        out.extend((x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1))
    return out


def place(
    strokes: list[Stroke],
    height: float,
    slant: float = 0.0,
    width: float = 1.0,
    centre: Point = (0.5, 0.5),
    tremor: float = 0.0,
    seed: int = 0,
) -> list[Stroke]:
    """Put a glyph on the pad: ``height`` in pad units, ``slant`` as a shear (positive leans right),
    ``width`` stretching x, and ``tremor`` pad units of smooth hand wobble."""
    rng = random.Random(seed)
    phase = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
    placed = []
    for stroke in strokes:
        points = []
        for x, y in _resample(stroke, 0.02):
            gx = (x - 0.3) * width + slant * (0.5 - y)
            gy = y - 0.5
            wob_x = tremor * math.sin(7 * y + phase[0]) + tremor * math.sin(13 * x + phase[1])
            wob_y = tremor * math.sin(9 * x + phase[2]) + tremor * math.sin(11 * y + phase[3])
            points.append((centre[0] + gx * height + wob_x, centre[1] + gy * height + wob_y))
        placed.append([(min(max(px, 0.0), 1.0), min(max(py, 0.0), 1.0)) for px, py in points])
    return placed


#: The variation grid: sizes (share of the pad's height), slants, widths and pen widths.
HEIGHTS = (0.4, 0.62, 0.85)
SLANTS = (-0.15, 0.0, 0.3)
WIDTHS = (0.8, 1.2)
PEN_RATIOS = (1 / 40, 1 / 14, 1 / 8)


def variants(glyphs: dict[str, tuple[int, list[Stroke]]] = GLYPHS, seed: int = 5) -> list[StrokeDigit]:
    """Every glyph at every height, slant, width and pen width, off-centre and wobbly (seeded)."""
    rng = random.Random(seed)
    out = []
    for name, (label, strokes) in glyphs.items():
        for height in HEIGHTS:
            for slant in SLANTS:
                for width in WIDTHS:
                    for pen in PEN_RATIOS:
                        margin = 0.5 - height / 2 - 0.05
                        centre = (0.5 + rng.uniform(-margin, margin) * 0.6, 0.5 + rng.uniform(-margin, margin))
                        placed = place(strokes, height, slant, width, centre, tremor=0.006, seed=rng.randrange(10**6))
                        tag = f"{name}/h{height:g}/s{slant:g}/w{width:g}/p{pen:.3f}"
                        out.append(StrokeDigit(tag, label, placed, pen))
    return out


def render_picture(digit: StrokeDigit, size: tuple[int, int], pen_px: float | None = None) -> np.ndarray:
    """The digit as a dark-on-white uint8 picture (H×W), drawn with round pen dabs.

    The strokes keep their place on a square pad that is centred in the picture, so a wide or tall
    canvas has extra paper around it, as a drawing program's would.
    """
    height, width = size
    side = min(height, width)
    origin = np.array([(width - side) / 2, (height - side) / 2], dtype=np.float32)
    pen = pen_px if pen_px is not None else max(1.0, digit.pen_ratio * side)
    lines = [np.array(stroke, dtype=np.float32) * side + origin for stroke in digit.strokes]
    return pen_picture(lines, size, pen)
