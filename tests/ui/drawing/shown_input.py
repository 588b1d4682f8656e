"""What the draw panel's "model input" square shows, read back as 28×28 grey values."""

from __future__ import annotations

import numpy as np

from gui_app.ui.drawing.panel import INPUT_ZOOM, DrawPanel


def shown_input_pixels(panel: DrawPanel) -> np.ndarray:
    """One pixel from the middle of each zoomed square of the panel's 28×28 input."""
    image = panel.model_input.pixmap().toImage()
    middle = [i * INPUT_ZOOM + INPUT_ZOOM // 2 for i in range(28)]
    return np.array([[image.pixelColor(x, y).red() for x in middle] for y in middle])
