"""Shapes that are not digits, drawn as pen strokes: what the digit model learns to be unsure of.

A digit model names one of ten digits for anything; trained only on digits it reads an H or a #
as a 4 with 80% confidence, so the confidence floor of :mod:`rejection` never fires on them. The
training script shows the model these shapes with a target of equal scores for every digit
(outlier exposure), so that it is unsure of letter-like shapes and the floor says "not a digit".
Only shapes that no way of writing a digit resembles are here: no Z (a 2), T (a 7), S (a 5),
O (a 0), I or l (a 1), b or G (a 6), g or q (a 9), B (an 8). numpy only, no Qt.
"""

from __future__ import annotations

import numpy as np

from gui_app.core.digits.pen_strokes import Polyline

Stroke = list[tuple[float, float]]

#: Each shape as strokes in writing order, in a box about 0.6 wide and 1 tall (y down).
LETTERS: dict[str, list[Stroke]] = {
    "H": [[(0.0, 0.0), (0.0, 1.0)], [(0.6, 0.0), (0.6, 1.0)], [(0.0, 0.5), (0.6, 0.5)]],
    "W": [[(0.0, 0.0), (0.2, 1.0), (0.4, 0.35), (0.6, 1.0), (0.8, 0.0)]],
    "M": [[(0.0, 1.0), (0.0, 0.0), (0.35, 0.6), (0.7, 0.0), (0.7, 1.0)]],
    "K": [[(0.0, 0.0), (0.0, 1.0)], [(0.55, 0.0), (0.0, 0.55), (0.6, 1.0)]],
    "X": [[(0.0, 0.0), (0.6, 1.0)], [(0.6, 0.0), (0.0, 1.0)]],
    "#": [
        [(0.2, 0.0), (0.15, 1.0)],
        [(0.5, 0.0), (0.45, 1.0)],
        [(0.0, 0.33), (0.65, 0.33)],
        [(0.0, 0.66), (0.65, 0.66)],
    ],
    "A": [[(0.0, 1.0), (0.3, 0.0), (0.6, 1.0)], [(0.12, 0.6), (0.48, 0.6)]],
    "E": [[(0.55, 0.0), (0.0, 0.0), (0.0, 1.0), (0.55, 1.0)], [(0.0, 0.5), (0.45, 0.5)]],
    "*": [[(0.3, 0.0), (0.3, 1.0)], [(0.0, 0.25), (0.6, 0.75)], [(0.6, 0.25), (0.0, 0.75)]],
}


def letter_strokes(name: str, rng: np.random.Generator, jitter: float = 0.06) -> list[Polyline]:
    """``name``'s strokes with each corner moved a little (``jitter`` of the box), so no two are alike."""
    return jittered(LETTERS[name], rng, jitter)


def jittered(strokes: list[Stroke], rng: np.random.Generator, jitter: float = 0.06) -> list[Polyline]:
    """``strokes`` as polylines, each point moved by up to ``jitter`` either way in x and y."""
    return [
        (np.array(stroke, dtype=np.float32) + rng.uniform(-jitter, jitter, (len(stroke), 2))).astype(np.float32)
        for stroke in strokes
    ]
