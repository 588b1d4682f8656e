"""The not-a-digit shapes scripts/train_digit_model.py shows its model, as the app would read them.

Letter-like shapes (gui_app/core/digits/pen_letters.py) written with the pen-style variations
of the pen copy (turned, sheared, wide boxes, a tablet's few sampled points, a uniform pen 4-8%
of the picture), and scribbles (gui_app/core/digits/pen_scribbles.py) with the same variations
but every point kept (a tangle cut down to a tablet's 8 points is a few lines that may be a
digit), all put through the app's own preprocessing. The training asks the model for
equal scores on them (outlier exposure), so the confidence floor in gui_app/core/digits/
rejection.py answers "not a digit" for such shapes. A few seconds to make: not cached.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from gui_app.core.digits.pen_letters import LETTERS, letter_strokes
from gui_app.core.digits.pen_scribbles import SCRIBBLES
from gui_app.core.digits.pen_strokes import Polyline
from gui_app.core.digits.pen_styles import PenStyle, pen_digit, pen_picture
from gui_app.core.digits.preprocessing import mnist_image
from scripts.pen_training_set import TRAINING_STYLE

#: Scribbles are drawn like the pen copy but never cut down to a tablet's few points.
SCRIBBLE_STYLE = replace(TRAINING_STYLE, sampled=0.0)


def build(per_shape: int, seed: int, per_scribble: int = 0) -> torch.Tensor:
    """N×1×28×28 float: ``per_shape`` pen pictures of every shape in ``LETTERS``, then
    ``per_scribble`` of every kind in ``SCRIBBLES``, preprocessed."""
    rng = np.random.default_rng(seed + 20_000)  # apart from the pen copy's and the training's draws
    out = [_picture(letter_strokes(name, rng), rng, TRAINING_STYLE) for name in LETTERS for _ in range(per_shape)]
    scribble_rng = np.random.default_rng(seed + 30_000)  # the letters stay as they were without scribbles
    out += [
        _picture(draw(scribble_rng), scribble_rng, SCRIBBLE_STYLE)
        for draw in SCRIBBLES.values()
        for _ in range(per_scribble)
    ]
    kept = [image for image in out if image is not None]
    kinds = f", {len(SCRIBBLES)} kinds of scribble" if per_scribble else ""
    print(f"not-a-digit shapes: {len(kept)} ({len(LETTERS)} shapes{kinds})", flush=True)
    return torch.stack(kept).unsqueeze(1)


def _picture(strokes: list[Polyline], rng: np.random.Generator, style: PenStyle) -> torch.Tensor | None:
    placed, size, pen = pen_digit(strokes, -1, rng, style, variants=False)
    return mnist_image(pen_picture(placed, size, pen), invert=True)
