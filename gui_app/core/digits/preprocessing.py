"""A picture of a digit -> the 28×28 image an MNIST model expects, made the way MNIST was made.

MNIST's digits were size-normalised so that the ink fits a 20×20 box (aspect ratio kept,
antialiased), then placed in a 28×28 field so that the centre of mass of the ink is at its
centre (pixel index 14, 14; measured on the training set: 13.99, 14.00). A model trained on
MNIST only reads other digits well when they are made the same way, so the draw pad and
``netbuilder predict`` both go through :func:`mnist_image` here. Torch only, no Qt.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 (the usual torch spelling)

#: Side of the model's input and of the box the ink is scaled into.
FIELD, BOX = 28, 20
#: Where the centre of mass goes, in pixel indices (row, column).
CENTRE = 14.0
#: The per-pixel normalisation MNIST models are usually trained with.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

#: Ink below this (on a 0..1 scale, after the background is removed) does not count towards the
#: ink's bounding box: antialiasing fringes and scanner noise.
INK_THRESHOLD = 0.2
#: A picture whose strongest ink is below this contrast over the background is blank.
MIN_CONTRAST = 0.15


def as_gray(image: Any) -> torch.Tensor:
    """A 2-D float tensor in [0, 1] from a uint8 / float array or tensor (H×W, or 1×H×W)."""
    tensor = image if isinstance(image, torch.Tensor) else torch.from_numpy(np.array(image, copy=True))
    tensor = tensor.detach().cpu()
    if tensor.dim() == 3 and tensor.shape[0] == 1:
        tensor = tensor[0]
    if tensor.dim() != 2:
        raise ValueError(f"expected a grayscale image (H×W), got shape {tuple(tensor.shape)}")
    if tensor.dtype == torch.uint8:
        return tensor.float().div_(255.0)
    tensor = tensor.float()
    return tensor.div(255.0) if tensor.numel() and float(tensor.max()) > 1.0 else tensor


def _border(gray: torch.Tensor) -> torch.Tensor:
    return torch.cat([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def is_dark_on_light(gray: torch.Tensor) -> bool:
    """True when the picture is dark ink on a light background (paper, most drawing programs).

    A picture of one digit is framed by its background, so the border decides; when the border
    is as much ink as paper, what most of the picture is decides.
    """
    border = float(_border(gray).mean())
    if abs(border - 0.5) > 0.2:
        return border > 0.5
    return float(gray.median()) > 0.5


def ink_map(image: Any, invert: bool | None = None) -> torch.Tensor:
    """Ink strength in [0, 1] (background 0): light-on-dark as is, dark-on-light inverted.

    ``invert=None`` detects the polarity. The background level (the border's median) is
    subtracted and the strongest ink stretched to 1, so grey paper and pale pencil read like the
    pad's white on black.
    """
    gray = as_gray(image)
    if gray.numel() == 0:
        return gray
    if invert is None:
        invert = is_dark_on_light(gray)
    ink = 1.0 - gray if invert else gray
    background = float(_border(ink).median())
    peak = float(ink.max())
    if peak - background < MIN_CONTRAST:
        return torch.zeros_like(ink)
    return ((ink - background) / (peak - background)).clamp_(0.0, 1.0)


def ink_box(ink: torch.Tensor) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right), inclusive, of the pixels that are ink; None if there are none."""
    mask = ink > INK_THRESHOLD
    rows = torch.nonzero(mask.any(dim=1)).flatten()
    cols = torch.nonzero(mask.any(dim=0)).flatten()
    if rows.numel() == 0:
        return None
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def centre_of_mass(image: torch.Tensor) -> tuple[float, float]:
    """(row, column) of the intensity-weighted mean pixel index."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows = torch.arange(image.shape[0], dtype=image.dtype)
    cols = torch.arange(image.shape[1], dtype=image.dtype)
    return float(image.sum(1) @ rows) / total, float(image.sum(0) @ cols) / total


def mnist_image(image: Any, invert: bool | None = None) -> torch.Tensor | None:
    """The 28×28 float image (ink 1, background 0) MNIST would have made of ``image``.

    Parameters
    ----------
    image
        A grayscale picture of one digit, any size: uint8 (0..255) or float (0..1).
    invert
        True for dark ink on light paper, False for light ink on dark (the pad), None to detect.

    Returns
    -------
    torch.Tensor | None
        28×28 float32 in [0, 1], or None when there is no ink (an empty pad predicts nothing).
    """
    prepared = prepare(image, invert)
    return None if prepared is None else prepared[0]


def prepare(image: Any, invert: bool | None = None) -> tuple[torch.Tensor, float] | None:
    """:func:`mnist_image`'s image and how much of the picture the ink spans.

    The span is the ink box's longer side over the picture's longer side (1: edge to edge): the
    28×28 image no longer tells a digit that fills the pad from a small one.
    """
    ink = ink_map(image, invert)
    box = ink_box(ink)
    if box is None:
        return None
    top, bottom, left, right = box
    crop = ink[top : bottom + 1, left : right + 1]
    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(height * scale)), max(1, round(width * scale)))
    # antialias=True averages over the source pixels when shrinking, like MNIST's normalisation
    small = F.interpolate(crop[None, None], size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0]
    small = small.clamp_(0.0, 1.0)
    com_row, com_col = centre_of_mass(small)
    field = _place(small, CENTRE - com_row, CENTRE - com_col)
    peak = float(field.max())
    if peak <= 0:
        return None
    return field.div_(peak), max(height, width) / max(ink.shape)


def _place(patch: torch.Tensor, row: float, col: float) -> torch.Tensor:
    """A 28×28 field with ``patch``'s top-left corner at (``row``, ``col``), clipped at the edges.

    The whole-pixel part is a copy; the fraction is a bilinear shift, which moves the centre of
    mass by exactly that fraction, so it lands on (14, 14) rather than within half a pixel of it.
    """
    r0, c0 = math.floor(row), math.floor(col)
    fr, fc = row - r0, col - c0
    canvas = torch.zeros(FIELD + 1, FIELD + 1)  # canvas[r + 1, c + 1] is pixel (r, c)
    h, w = patch.shape
    top, left = max(r0 + 1, 0), max(c0 + 1, 0)
    bottom, right = min(r0 + 1 + h, FIELD + 1), min(c0 + 1 + w, FIELD + 1)
    if top < bottom and left < right:
        canvas[top:bottom, left:right] = patch[top - r0 - 1 : bottom - r0 - 1, left - c0 - 1 : right - c0 - 1]
    return (
        (1 - fr) * (1 - fc) * canvas[1:, 1:]
        + fr * (1 - fc) * canvas[:-1, 1:]
        + (1 - fr) * fc * canvas[1:, :-1]
        + fr * fc * canvas[:-1, :-1]
    )


def normalise(images: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """N×28×28 (or 28×28) images in [0, 1] -> the N×1×28×28 batch a model was trained on."""
    batch = images.reshape(-1, 1, FIELD, FIELD).float()
    return (batch - float(mean[0])) / float(std[0])
