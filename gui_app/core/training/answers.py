"""What the model answered for every test sample, kept small enough for a 10,000-image split.

Per sample only its true class and the model's top-3 classes with their probabilities (about
40 bytes); the images stay in the dataset's own test tensor (shared, not copied) and one is
read from it when a view asks. From these a confusion cell lists its samples, most confident
first, and the errors line up from the most confidently wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gui_app.core.text.class_names import class_name

#: How many of the most probable classes each sample keeps.
TOP_K = 3


@dataclass(frozen=True)
class SampleAnswer:
    """One test sample and the model's answer: its image (uint8 ``(H, W)`` or ``(H, W, 3)``, a
    copy), its true class, and the top classes with their probabilities, most probable first."""

    index: int
    image: np.ndarray
    true: int
    classes: tuple[int, ...]
    probabilities: tuple[float, ...]
    class_names: tuple[str, ...] = ()

    def name(self, label: int) -> str:
        """Class ``label``'s name (its number when the dataset names none)."""
        return class_name(self.class_names, label)

    @property
    def predicted(self) -> int:
        return self.classes[0]

    @property
    def confidence(self) -> float:
        """The probability the model gave its answer."""
        return self.probabilities[0]

    @property
    def wrong(self) -> bool:
        return self.predicted != self.true


@dataclass
class SplitAnswers:
    """The test split's answers: row ``i`` is test sample ``i``.

    ``top_classes`` and ``top_probabilities`` are ``(N, k)`` with ``k = min(TOP_K, classes)``;
    ``images`` is the dataset's test tensor, ``(N, H, W)`` or ``(N, C, H, W)``.
    """

    true: np.ndarray
    top_classes: np.ndarray
    top_probabilities: np.ndarray
    images: torch.Tensor
    class_names: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.true)

    @property
    def predicted(self) -> np.ndarray:
        return self.top_classes[:, 0]

    @property
    def confidence(self) -> np.ndarray:
        """The probability each sample's answer got."""
        return self.top_probabilities[:, 0]

    def _by_confidence(self, indices: np.ndarray) -> np.ndarray:
        """``indices`` most confident first; equal confidences keep the test split's order."""
        order = np.argsort(-self.confidence[indices], kind="stable")
        return indices[order]

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """The test indices of true class ``true`` answered ``predicted``, most confident first."""
        return self._by_confidence(np.flatnonzero((self.true == true) & (self.predicted == predicted)))

    def most_confidently_wrong(self, limit: int | None = None) -> np.ndarray:
        """Every wrong answer's test index, the surest first (at most ``limit``)."""
        ranked = self._by_confidence(np.flatnonzero(self.true != self.predicted))
        return ranked if limit is None else ranked[:limit]

    def image(self, index: int) -> np.ndarray:
        """Test image ``index`` as uint8 ``(H, W)`` or ``(H, W, 3)`` (a copy, read now)."""
        image = self.images[index]
        if image.dim() == 3:
            image = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0)
        return np.ascontiguousarray(image.numpy()).copy()

    def answer(self, index: int) -> SampleAnswer:
        """Everything about test sample ``index``, for a view that shows one."""
        return SampleAnswer(
            int(index),
            self.image(index),
            int(self.true[index]),
            tuple(int(c) for c in self.top_classes[index]),
            tuple(float(p) for p in self.top_probabilities[index]),
            self.class_names,
        )


def top_answers(scores: torch.Tensor, k: int = TOP_K) -> tuple[torch.Tensor, torch.Tensor]:
    """(classes, probabilities) of the ``k`` most probable classes of each row of ``scores``.

    The probabilities are the softmax of the network's outputs (its logits for CrossEntropyLoss;
    log-probabilities for NLLLoss give the same probabilities back).
    """
    probabilities = torch.softmax(scores.float(), dim=1)
    top = torch.topk(probabilities, min(k, probabilities.shape[1]), dim=1)
    return top.indices, top.values
