"""The not-a-digit shapes scripts/train_digit_model.py shows its model, as the app would read them.

Letter-like shapes (gui_app/core/digits/pen_letters.py) written with the pen-style variations
of the pen copy (turned, sheared, wide boxes, a tablet's few sampled points, a uniform pen 4-8%
of the picture) and put through the app's own preprocessing. The training asks the model for
equal scores on them (outlier exposure), so the confidence floor in gui_app/core/digits/
rejection.py answers "not a digit" for such shapes. A few seconds to make: not cached.
"""

from __future__ import annotations

import numpy as np
import torch

from gui_app.core.digits.pen_letters import LETTERS, letter_strokes
from gui_app.core.digits.pen_styles import pen_digit, pen_picture
from gui_app.core.digits.preprocessing import mnist_image
from scripts.pen_training_set import TRAINING_STYLE


def build(per_shape: int, seed: int) -> torch.Tensor:
    """N×1×28×28 float: ``per_shape`` pen pictures of every shape in ``LETTERS``, preprocessed."""
    rng = np.random.default_rng(seed + 20_000)  # apart from the pen copy's and the training's draws
    out = []
    for name in LETTERS:
        for _ in range(per_shape):
            placed, size, pen = pen_digit(letter_strokes(name, rng), -1, rng, TRAINING_STYLE, variants=False)
            image = mnist_image(pen_picture(placed, size, pen), invert=True)
            if image is not None:
                out.append(image)
    print(f"not-a-digit shapes: {len(out)} ({len(LETTERS)} shapes)", flush=True)
    return torch.stack(out).unsqueeze(1)
