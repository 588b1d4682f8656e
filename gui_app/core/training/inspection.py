"""What each block of a network computes for one input, and its weights where a picture says something.

The block view shows, for the block a user selects, what that block hands on: block ``k``'s
output is what the first ``k + 1`` modules of the ``nn.Sequential`` make of the (normalised)
input. One forward pass with a hook on every module records all of them at once, so selecting
another block costs nothing. Each output comes with the way to show it (:class:`DisplayKind`);
the drawing itself is the window's. Torch and numpy only, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import torch
from torch import nn

#: Modules that pass an image on unchanged in layout, so a Linear after only these sees the input's pixels.
_PASS_THROUGH = (nn.Flatten, nn.Dropout, nn.Dropout2d, nn.Identity)
#: At most this many first-layer units or filters are drawn (a picture of 4,096 units says no more).
MAX_UNITS = 256
#: Filters of a deep convolution: this many filters (columns) × this many of their input channels (rows).
MAX_FILTER_COLUMNS, MAX_FILTER_ROWS = 16, 8


class DisplayKind(StrEnum):
    """How a block's output is drawn."""

    #: (channels, height, width): a grid of feature maps
    MAPS = "maps"
    #: (rows, columns), such as a sequence of features or a 1-D convolution's channels: one picture
    MATRIX = "matrix"
    #: one number per unit: bars
    VECTOR = "vector"
    #: the last block of a classifier: the probability of each class
    PROBABILITIES = "probabilities"


@dataclass(frozen=True)
class BlockOutput:
    """Block ``index``'s output for one input sample (no batch dimension) and how to show it."""

    index: int
    type: str
    values: np.ndarray
    kind: DisplayKind

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)


def display_kind(shape: tuple[int, ...]) -> DisplayKind:
    """Maps for images, a picture for 2-D outputs, bars for everything flat (a 64×1×1 pool too)."""
    if len(shape) == 3 and shape[1] * shape[2] > 1:
        return DisplayKind.MAPS
    if len(shape) == 2 and min(shape) > 1:
        return DisplayKind.MATRIX
    return DisplayKind.VECTOR


def to_probabilities(scores: torch.Tensor, loss: str, last: nn.Module) -> torch.Tensor | None:
    """The class probabilities a classifier's last output stands for; None when it is no classifier.

    CrossEntropyLoss trains scores (softmax gives probabilities) unless the network already ends
    in a Softmax; NLLLoss trains log-probabilities; BCEWithLogitsLoss one independent logit per class.
    """
    if scores.dim() != 1:
        return None
    if isinstance(last, nn.Softmax):
        return scores
    if loss == "CrossEntropyLoss":
        return torch.softmax(scores.float(), dim=0)
    if loss == "NLLLoss":
        return scores.float().exp()
    if loss == "BCEWithLogitsLoss":
        return torch.sigmoid(scores.float())
    return None


def block_outputs(network: nn.Sequential, sample: torch.Tensor, loss: str | None = None) -> list[BlockOutput]:
    """Every block's output for ``sample`` (one normalised input, no batch dimension), in eval mode.

    With ``loss`` (the run's loss function), the last block of a classifier is given as class
    probabilities. The network's own training/eval mode is restored afterwards.
    """
    captured: list[torch.Tensor] = []

    def record(_module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        # A copy: an in-place activation after this block would change the tensor it returned.
        captured.append(output.detach()[0].clone())

    handles = [module.register_forward_hook(record) for module in network]
    was_training = network.training
    network.eval()
    try:
        with torch.inference_mode():
            network(sample.unsqueeze(0))
    finally:
        for handle in handles:
            handle.remove()
        network.train(was_training)
    outputs = []
    for index, (module, output) in enumerate(zip(network, captured, strict=True)):
        kind = display_kind(tuple(output.shape))
        values = output.reshape(-1) if kind is DisplayKind.VECTOR else output
        if index == len(network) - 1 and loss is not None:
            probabilities = to_probabilities(values, loss, module)
            if probabilities is not None:
                values, kind = probabilities, DisplayKind.PROBABILITIES
        outputs.append(BlockOutput(index, type(module).__name__, values.float().numpy(), kind))
    return outputs


# ---------------------------------------------------------------------- weights as pictures


@dataclass(frozen=True)
class WeightPictures:
    """Weights drawn as small images: ``tiles`` is (N, h, w), or (N, h, w, 3) for colour inputs.

    Values are signed weights (drawn with zero in the middle of the colour scale); ``columns``
    is how many tiles a row of the grid holds when the layout means something (filters ×
    input channels), else 0 (the view chooses); ``caption`` says what the tiles are.
    """

    tiles: np.ndarray
    columns: int
    caption: str


def weight_pictures(
    network: nn.Sequential, input_shape: tuple[int, ...], index: int, max_units: int = MAX_UNITS
) -> WeightPictures | None:
    """Block ``index``'s weights as pictures, or None when a picture of them says nothing.

    A Linear layer that sees the input's pixels (only Flatten or Dropout before it) shows each
    unit's weights as an image of the input's size; a Conv2d shows its filters as tiles.
    """
    module = network[index]
    if isinstance(module, nn.Linear) and _sees_pixels(network, input_shape, index):
        return _linear_units(module, input_shape, max_units)
    if isinstance(module, nn.Conv2d):
        return _conv_filters(module, max_units)
    return None


def _sees_pixels(network: nn.Sequential, input_shape: tuple[int, ...], index: int) -> bool:
    if len(input_shape) != 3 or input_shape[0] not in (1, 3):
        return False
    if not all(isinstance(module, _PASS_THROUGH) for module in network[:index]):
        return False
    return network[index].in_features == math.prod(input_shape)


def _linear_units(module: nn.Linear, input_shape: tuple[int, ...], max_units: int) -> WeightPictures:
    channels, height, width = input_shape
    shown = min(module.out_features, max_units)
    weight = module.weight.detach()[:shown].float().reshape(shown, channels, height, width)
    tiles = weight[:, 0] if channels == 1 else weight.permute(0, 2, 3, 1)
    of = f" (the first {shown} of {module.out_features})" if shown < module.out_features else ""
    caption = (
        f"{shown} units{of}: each unit's {module.in_features} weights drawn as a {height}×{width} image; "
        "red pixels raise the unit's output, blue ones lower it"
    )
    return WeightPictures(tiles.numpy().copy(), 0, caption)


def _conv_filters(module: nn.Conv2d, max_units: int) -> WeightPictures:
    weight = module.weight.detach().float()  # (out, in / groups, kh, kw)
    out_channels, in_channels, kh, kw = weight.shape
    size = f"{kh}×{kw}"
    if in_channels in (1, 3):
        shown = min(out_channels, max_units)
        tiles = weight[:shown, 0] if in_channels == 1 else weight[:shown].permute(0, 2, 3, 1)
        of = f" (the first {shown} of {out_channels})" if shown < out_channels else ""
        colour = "" if in_channels == 1 else ", in colour (its red, green and blue weights)"
        caption = f"{shown} filters{of}, {size} each{colour}"
        return WeightPictures(tiles.numpy().copy(), 0, caption)
    columns, rows = min(out_channels, MAX_FILTER_COLUMNS), min(in_channels, MAX_FILTER_ROWS)
    # row r, column c: filter c's weights over input channel r
    tiles = weight[:columns, :rows].transpose(0, 1).reshape(rows * columns, kh, kw)
    caption = (
        f"filters 1–{columns} of {out_channels} (columns) over input channels 1–{rows} of {in_channels} "
        f"(rows), {size} each"
    )
    return WeightPictures(tiles.numpy().copy(), columns, caption)


# ---------------------------------------------------------------------- grids


def grid_columns(count: int, tile: tuple[int, int], area: tuple[float, float], gap: int = 1) -> int:
    """The number of columns that draws ``count`` tiles of ``tile`` (h, w) largest in ``area`` (w, h)."""
    best, best_zoom = 1, -1.0
    for columns in range(1, max(1, count) + 1):
        rows = math.ceil(count / columns)
        zoom = min(area[0] / (columns * (tile[1] + gap)), area[1] / (rows * (tile[0] + gap)))
        if zoom > best_zoom:
            best, best_zoom = columns, zoom
    return best


def mosaic(tiles: np.ndarray, columns: int, gap: int = 1) -> np.ndarray:
    """The tiles (N, h, w[, 3]) laid out in rows of ``columns``, separated by NaN gaps of ``gap``."""
    count, height, width = tiles.shape[:3]
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    extra = tiles.shape[3:]
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap, *extra), np.nan, np.float32)
    for n in range(count):
        top, left = (n // columns) * (height + gap), (n % columns) * (width + gap)
        grid[top : top + height, left : left + width] = tiles[n]
    return grid
