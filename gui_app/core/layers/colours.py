"""One hue per catalogue category, shared by the canvas (ui/theme.py) and exported pictures.

Hex strings, no Qt, so the core's picture export draws a network in the canvas's colours.
"""

from __future__ import annotations

#: Every category of :data:`definitions.CATEGORIES`, plus the input and output ends.
CATEGORY_COLOURS = {
    "Linear": "#4C7BD9",
    "Convolution": "#2E9E8F",
    "Pooling": "#5FA84A",
    "Normalisation": "#9B6BD3",
    "Activation": "#E08A2E",
    "Regularisation": "#C4577A",
    "Recurrent": "#3F9BC9",
    "Attention and embedding": "#3F9BC9",
    "Upsampling and padding": "#5FA84A",
    "Shape": "#7D8796",
    "Containers": "#2E86AB",
    "Models": "#B5883E",
    "Input": "#56606E",
    "Output": "#56606E",
}
#: For a category without a hue of its own.
FALLBACK_COLOUR = "#7D8796"
