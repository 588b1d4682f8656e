"""Whole digits drawn from scratch as pen strokes, in the order and direction people write them.

MNIST's redrawn digits (:mod:`pen_strokes`) carry its writers' styles but a guessed writing order,
and a tablet that keeps a few evenly spaced points of the pen's path draws a digit differently
for every order. These glyphs are written stroke by stroke as pen writers do, each with random
proportions: 0s either way round, closed or left open; 1s with a flag (short and steep to long and
flat) and sometimes a foot; 2s round, angular or with a loop at the foot; open and closed 4s;
5s with the bar first or last; 6s with a straight or curved stem; 8s in one stroke or as two
rings; 9s with a straight or a curled tail, the head written either way round; flat-topped 3s;
7s plain, hooked or crossed (the bar often reaching further left of the stem than right). The
box is about 0.6 wide and 1 tall, y down; :func:`pen_styles.pen_digit` places it in a picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from gui_app.core.digits.pen_strokes import Polyline
from gui_app.core.digits.pen_styles import ellipse_arc as arc
from gui_app.core.digits.pen_styles import polyline as line

Glyph = list[Polyline]


def _zero(rng: np.random.Generator) -> Glyph:
    """From the top, mostly anticlockwise, overshooting the start or stopping short of it."""
    u = rng.uniform
    start = u(-125, -55)
    turn = u(330, 390) * (-1 if rng.random() < 0.7 else 1)
    return [arc(0.3, 0.5, u(0.15, 0.34), u(0.44, 0.5), start, start + turn, 24)]


def _one(rng: np.random.Generator) -> Glyph:
    """A stem, mostly with a flag up to its top first: 20-65° from the vertical, 15-60% of its height.

    The long, flat flags are the 1s a tablet's few points turn into 7s; a 7's top is longer, near
    level, and its stem leans (:func:`_seven`), which is what tells them apart.
    """
    u = rng.uniform
    top, foot = (0.3, 0.0), (0.3 + u(-0.08, 0.04), 1.0)
    stem = line(top, foot)
    if rng.random() < 0.15:
        return [stem]
    angle = math.radians(u(20, 65))
    # reaching less far left than a 7's top, and not below the stem's middle
    length = min(u(0.15, 0.6), 0.42 / math.sin(angle), 0.45 / math.cos(angle))
    flag = line((top[0] - length * math.sin(angle), top[1] + length * math.cos(angle)), top)
    strokes = [np.concatenate([flag, stem[1:]])]
    if rng.random() < 0.3:
        half = u(0.12, 0.3)
        strokes.append(line((foot[0] - half, 1.0), (foot[0] + half * u(0.7, 1.2), 1.0)))
    return strokes


def _two(rng: np.random.Generator) -> Glyph:
    """A hook over the top, a diagonal to the foot (sometimes through a small loop), the base."""
    u = rng.uniform
    r = u(0.2, 0.3)
    if rng.random() < 0.3:  # angular: straight segments over the top
        hook = line((0.02, u(0.1, 0.2)), (0.3, 0.0), (u(0.5, 0.6), u(0.1, 0.2)), (u(0.45, 0.55), u(0.35, 0.45)))
    else:
        hook = arc(0.3, r, u(0.24, 0.3), r, u(180, 215), u(370, 410), 12)
    foot = (u(0.0, 0.08), 1.0)
    base = line(foot, (u(0.5, 0.68), u(0.94, 1.02)))
    if rng.random() < 0.3:
        loop = arc(foot[0] + 0.08, 0.92, 0.08, 0.08, 150, u(-120, -60), 8)
        return [np.concatenate([hook, loop, base[1:]])]
    return [np.concatenate([hook, base])]


def _three(rng: np.random.Generator) -> Glyph:
    u = rng.uniform
    w = u(0.45, 0.6)
    if rng.random() < 0.5:
        upper = line((0.0, 0.0), (w, 0.0), (u(0.15, 0.3), u(0.35, 0.45)))
    else:
        upper = arc(w / 2, 0.24, w / 2, 0.24, 200, 450)
    return [np.concatenate([upper, arc(w / 2, 0.7, w * u(0.5, 0.6), 0.3, -90, 160)])]


def _four(rng: np.random.Generator) -> Glyph:
    u = rng.uniform
    bar, stem, w = u(0.5, 0.7), u(0.35, 0.55), u(0.5, 0.75)
    if rng.random() < 0.6:  # open: a down stroke, then the bar
        arm = line((u(0.0, 0.15), u(0.0, 0.1)), (u(-0.05, 0.05), bar), (w, bar + u(-0.04, 0.04)))
    else:  # closed, as a pen writes it: one diagonal
        arm = line((stem + u(-0.05, 0.05), 0.0), (0.0, bar), (w, bar + u(-0.04, 0.04)))
    return [arm, line((stem, u(0.0, 0.1)), (stem + u(-0.08, 0.03), 1.0))]


def _five(rng: np.random.Generator) -> Glyph:
    """A 5: its bar drawn last (a second stroke) or first (one stroke, right to left, then down)."""
    u = rng.uniform
    w, drop = u(0.45, 0.65), u(0.35, 0.5)
    corner = (u(0.0, 0.1), 0.0)
    ry = (1.0 - drop) / 2 * u(0.95, 1.05)
    belly = arc(w / 2, 1.0 - ry, w * u(0.5, 0.6), ry, 225, u(480, 510))
    body = np.concatenate([line(corner, (u(-0.03, 0.05), drop)), belly])
    bar = line(corner, (w + u(-0.05, 0.1), u(-0.05, 0.03)))
    if rng.random() < 0.5:
        return [body, bar]
    return [np.concatenate([bar[::-1], body])]


def _six(rng: np.random.Generator) -> Glyph:
    """Down the left from the top right, then the loop anticlockwise, closed or nearly."""
    u = rng.uniform
    r = u(0.2, 0.3)
    cy = 1.0 - r
    start = (u(0.35, 0.6), 0.0)
    if rng.random() < 0.5:
        stem = line(start, (0.3 - r * u(0.8, 1.0), cy * u(0.85, 1.0)))
    else:
        stem = line(start, (u(0.12, 0.25), u(0.25, 0.4)), (0.3 - r, cy))
    loop = arc(0.3, cy, r * u(0.9, 1.15), r, 180, 180 - u(320, 370), 16)
    return [np.concatenate([stem, loop[1:]])]


def _seven(rng: np.random.Generator) -> Glyph:
    """A near-level top and a leaning stem; sometimes a hook before the top, a bar across the stem."""
    u = rng.uniform
    w = u(0.45, 0.7)
    foot = (u(0.1, 0.35), 1.0)
    top = line((0.0, u(-0.05, 0.06)), (w, 0.0), foot)
    if rng.random() < 0.3:
        top = np.concatenate([line((u(-0.02, 0.04), u(0.12, 0.25))), top])
    if rng.random() < 0.35:
        y = u(0.45, 0.6)
        x = w + (foot[0] - w) * y
        half = u(0.12, 0.22)
        x -= half * u(0.0, 0.6)  # then the bar usually reaches further left of the stem than right
        return [top, line((x - half, y + u(-0.03, 0.03)), (x + half * u(0.8, 1.2), y))]
    return [top]


def _eight(rng: np.random.Generator) -> Glyph:
    """One stroke from the top, crossing at the waist (either way round), or two stacked rings."""
    u = rng.uniform
    waist = u(0.4, 0.55)
    if rng.random() < 0.2:
        upper = arc(0.3, waist / 2, u(0.15, 0.24), waist / 2, -90, 270, 16)
        lower = arc(0.3, (1 + waist) / 2, u(0.2, 0.3), (1 - waist) / 2, -90, 270, 16)
        return [upper, lower]
    top, bottom, side = u(0.14, 0.24), u(0.18, 0.3), -1.0 if rng.random() < 0.7 else 1.0
    t = np.linspace(u(-0.3, 0.1), 2 * math.pi + u(0.0, 0.35), 40)
    down = 0.5 - 0.5 * np.cos(t)  # 0 at the top, 1 at the bottom, 0.5 where the stroke crosses
    y = np.where(down < 0.5, down * 2 * waist, waist + (down - 0.5) * 2 * (1 - waist))
    x = 0.3 + side * np.where(y < waist, top, bottom) * np.sin(2 * t)
    return [np.stack([x, y], 1).astype(np.float32)]


def _nine(rng: np.random.Generator) -> Glyph:
    """A head (sometimes left open), then a straight or curled tail from the head's right side.

    Most write the head anticlockwise from its right side; some clockwise from its left, and a
    tablet's few points then cut that head into a 3's open top, with the pen's move across it.
    """
    u = rng.uniform
    rx, ry = u(0.18, 0.3), u(0.17, 0.27)
    clockwise = rng.random() < 0.3
    start = u(150, 220) if clockwise else u(-20, 15)
    sweep = u(330, 370) if clockwise else -u(320, 370)
    head = arc(0.3, ry, rx, ry, start, start + sweep)
    right = (0.3 + rx * u(0.9, 1.02), ry * u(0.9, 1.2))
    if rng.random() < 0.5:
        tail = line(right, (right[0] - u(-0.05, 0.2), 1.0))
    else:
        tail = np.concatenate([line(right), arc(right[0] - 0.2, 0.75, 0.2, 0.25, 0, 120, 8)])
    return [head, tail]


_MAKERS: dict[int, Callable[[np.random.Generator], Glyph]] = {
    0: _zero,
    1: _one,
    2: _two,
    3: _three,
    4: _four,
    5: _five,
    6: _six,
    7: _seven,
    8: _eight,
    9: _nine,
}

#: Digits :func:`synthetic_glyph` can make.
SYNTHETIC_LABELS = tuple(_MAKERS)


def synthetic_glyph(label: int, rng: np.random.Generator) -> Glyph:
    """A digit ``label`` drawn from scratch in one of the ways people write it, strokes in order."""
    if label not in _MAKERS:
        raise ValueError(f"no synthetic glyph for {label}")
    return _MAKERS[label](rng)
