"""Which pixels of the 28×28 input drove the answer: gradient × input and integrated gradients.

Both attribute the score of one class (the predicted one unless told) to the input's pixels in
[0, 1], before normalisation, so a pixel without ink (0) gets exactly 0: only ink can have
driven the answer. Gradient × input is one backward pass (about 4 ms for the bundled model on
one CPU thread); integrated gradients averages the gradient along the path from a black image
to the digit (``steps`` images in one batch, a few tens of ms) and its attributions add up to
the score's change from the black image. The network's weights get no gradients. Torch only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import torch
from torch import nn

from gui_app.core.digits.preprocessing import FIELD, normalise

#: Points on the path from the black image to the digit (midpoint rule).
IG_STEPS = 16
#: (class, probability) pairs, most likely first
TopClasses = tuple[tuple[int, float], ...]


class SaliencyMethod(StrEnum):
    GRADIENT_X_INPUT = "gradient × input"
    INTEGRATED_GRADIENTS = "integrated gradients"


@dataclass(frozen=True)
class Saliency:
    """Per-pixel attribution (28×28, signed: positive pixels raised the class's score)."""

    attribution: np.ndarray
    target: int
    method: SaliencyMethod
    #: the three most likely classes, most likely first: (class, probability)
    top: TopClasses


def top_classes(probabilities: torch.Tensor | np.ndarray | Sequence[float], k: int = 3) -> TopClasses:
    """The ``k`` most likely classes and their probabilities, most likely first (ties: lower class first)."""
    values = np.asarray(probabilities, dtype=np.float32).reshape(-1)
    order = sorted(range(len(values)), key=lambda i: (-float(values[i]), i))[:k]
    return tuple((i, float(values[i])) for i in order)


def _scores_and_gradient(
    network: nn.Module, images: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...], target: int | None
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(scores of the last image, d score[target] / d image for each image, target)."""
    with torch.enable_grad():
        pixels = images.detach().reshape(-1, FIELD, FIELD).float().requires_grad_(True)
        scores = network(normalise(pixels, mean, std)).float()
        if target is None:
            target = int(scores[-1].argmax())
        # autograd.grad, not backward(): only the input's gradient, nothing lands in the weights' .grad
        (gradient,) = torch.autograd.grad(scores[:, target].sum(), pixels)
    return scores[-1].detach(), gradient, target


def saliency(
    network: nn.Module,
    image: torch.Tensor,
    mean: tuple[float, ...],
    std: tuple[float, ...],
    method: SaliencyMethod = SaliencyMethod.GRADIENT_X_INPUT,
    target: int | None = None,
    steps: int = IG_STEPS,
) -> Saliency:
    """Attribute ``network``'s score for ``target`` (default: its answer) to ``image``'s pixels.

    ``image`` is the 28×28 float image in [0, 1] the model read (a :class:`Prediction`'s), and
    ``mean``/``std`` the normalisation it was trained with. ``network`` must be in eval mode.
    """
    image = image.detach().reshape(FIELD, FIELD).float()
    if method is SaliencyMethod.INTEGRATED_GRADIENTS:
        if target is None:
            with torch.inference_mode():
                target = int(network(normalise(image, mean, std))[0].argmax())
        alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
        path = alphas.view(-1, 1, 1) * image
        _scores, gradients, target = _scores_and_gradient(network, path, mean, std, target)
        attribution = gradients.mean(0) * image
        with torch.inference_mode():
            scores = network(normalise(image, mean, std))[0].float()
    else:
        scores, gradient, target = _scores_and_gradient(network, image, mean, std, target)
        attribution = gradient[0] * image
    probabilities = torch.softmax(scores, dim=0)
    return Saliency(attribution.detach().numpy().copy(), target, method, top_classes(probabilities))
