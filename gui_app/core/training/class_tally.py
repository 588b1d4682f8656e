"""Right and wrong answers counted per class on the device, for per-class accuracy every epoch.

One ``index_add_`` per batch into a ``2 × classes`` counter (a bincount of ``label * 2 + right``
that needs no host sync: ``torch.bincount`` on a GPU reads the input's maximum back first), and
one read-back per validation pass, which also gives the overall count of correct answers.
"""

from __future__ import annotations

import math

import torch


class ClassTally:
    """``counts[2 * c + 1]`` is how many samples of class ``c`` were answered right, ``2 * c`` wrong."""

    def __init__(self, classes: int, device: torch.device) -> None:
        self.counts = torch.zeros(2 * classes, dtype=torch.long, device=device)

    def add(self, scores: torch.Tensor, labels: torch.Tensor) -> None:
        """Count a batch: ``scores`` (N, classes) and ``labels`` (N,) on the counter's device."""
        right = scores.argmax(1) == labels
        self.counts.index_add_(0, labels * 2 + right, torch.ones_like(labels))

    def read(self) -> tuple[int, tuple[float, ...]]:
        """(correct answers in all, each class's accuracy with NaN for a class never seen)."""
        pairs = self.counts.view(-1, 2).tolist()  # the one wait for the device
        correct = sum(right for _, right in pairs)
        per_class = tuple(right / (wrong + right) if wrong + right else math.nan for wrong, right in pairs)
        return correct, per_class
