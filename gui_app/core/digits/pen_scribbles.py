"""Scribbles, drawn as pen strokes: ink that is plainly no digit, for the model to be unsure of.

A digit model trained on digits alone reads a tangle of a dozen crossing lines as an 8 or a 4,
often with more than half its confidence, and such a tangle rarely inks enough of its square for
the scribble rule of :mod:`rejection` to catch it. The training script can show the model these
beside the letter-like shapes of :mod:`pen_letters`, with a target of equal scores
(``--scribbles``; measured and not used for the bundled model: docs/digit-model.md). Every kind is
far busier than any digit (a dozen or more strokes' worth of lines crossing each other); none is
a digit written over again (a 0 traced twice is still a 0, so there are no rings on one centre).
Coordinates in a unit box, y down. numpy only, no Qt.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gui_app.core.digits.pen_strokes import Polyline


def tangle(rng: np.random.Generator) -> list[Polyline]:
    """16-30 points anywhere in the box joined in one stroke: lines crossing every way.

    Fewer, and the few long lines may be a digit's strokes (a 1's flag and stem, a 7).
    """
    return [rng.uniform(0.0, 1.0, (int(rng.integers(16, 31)), 2)).astype(np.float32)]


def crossing_out(rng: np.random.Generator) -> list[Polyline]:
    """Back and forth across the box 8-20 times, as someone crossing out; sometimes both ways."""
    turns = int(rng.integers(8, 21))
    along = np.linspace(0.0, 1.0, turns) + rng.uniform(-0.03, 0.03, turns)
    across = np.where(np.arange(turns) % 2, 1.0, 0.0) + rng.uniform(-0.1, 0.1, turns)
    lines = [np.stack([across, along], 1)]
    if rng.random() < 0.4:
        lines.append(lines[0][:, ::-1].copy())  # hatched: the same again, the other way
    elif rng.random() < 0.5:
        lines = [lines[0][:, ::-1].copy()]  # up and down instead of side to side
    tilt = rng.uniform(-0.4, 0.4)
    return [(line + np.stack([tilt * (line[:, 1] - 0.5), np.zeros(len(line))], 1)).astype(np.float32) for line in lines]


def coil(rng: np.random.Generator) -> list[Polyline]:
    """4-8 overlapping loops drifting sideways across the box, like a child's scribbled spring.

    Never drifting down: loops stacked up the page are an 8 written over again.
    """
    loops = int(rng.integers(4, 9))
    t = np.linspace(0.0, 2 * np.pi * loops, 12 * loops)
    radius = rng.uniform(0.25, 0.45) * (1 + 0.25 * np.sin(t * rng.uniform(0.2, 0.5)))
    drift = np.linspace(0.0, 1.0, len(t))
    x = drift + radius * np.cos(t) * rng.uniform(0.6, 1.0)
    y = 0.5 + radius * np.sin(t) + 0.15 * np.sin(t / loops * rng.uniform(1, 3))
    return [np.stack([x, y], 1).astype(np.float32)]


#: Each kind of scribble, by name.
SCRIBBLES: dict[str, Callable[[np.random.Generator], list[Polyline]]] = {
    "tangle": tangle,
    "crossing-out": crossing_out,
    "coil": coil,
}
