"""After a run: the confusion matrix, per-class accuracy, sample predictions and every test
sample's top-3 answer on the test split.

Plain numpy results, so the Qt views only draw them and the command line could print them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gui_app.core.data.dataset_types import LoadedDataset
from gui_app.core.training.answers import TOP_K, SplitAnswers, top_answers
from gui_app.core.training.trained_model import TrainedModel


@dataclass
class EvaluationResult:
    """``confusion[t, p]`` counts test samples of true class t predicted as p.

    ``images`` are the sample images as uint8 ``(K, H, W)`` or ``(K, H, W, 3)``, with their
    true and predicted class indices; about half of them are mistakes when there are enough.
    ``answers`` holds every test sample's top-3 answer (not its image) for the drill-down.
    """

    class_names: tuple[str, ...]
    confusion: np.ndarray
    images: np.ndarray
    true: np.ndarray
    predicted: np.ndarray
    #: every test sample's answer (top-3 classes and probabilities), for the confusion drill-down
    answers: SplitAnswers | None = None

    @property
    def accuracy(self) -> float:
        total = self.confusion.sum()
        return float(np.trace(self.confusion) / total) if total else float("nan")

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """Recall of each class (NaN for a class with no test samples)."""
        counts = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counts > 0, np.diag(self.confusion) / np.maximum(counts, 1), np.nan)


@torch.no_grad()
def predict_top(
    model: TrainedModel, images: torch.Tensor, device: str | torch.device = "cpu", batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """(classes, probabilities), each ``(N, k)``, of the model's top-k answers for uint8 ``images``
    (scaled and normalised as trained); column 0 is the answer."""
    net = model.build().to(device)
    channels = images.shape[1] if images.dim() == 4 else 1
    mean = torch.tensor(model.mean, dtype=torch.float32)
    std = torch.tensor(model.std, dtype=torch.float32)
    if len(mean) != channels:  # a single value stored for a multi-channel input
        mean, std = mean[:1].expand(channels), std[:1].expand(channels)
    view = (1, channels, 1, 1) if images.dim() == 4 else (1, -1)
    scale = 1 / 255.0 if images.dtype == torch.uint8 else 1.0
    mean, std = mean.view(view).to(device), std.view(view).to(device)
    classes, probabilities = [], []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device).to(torch.float32) * scale
        x = ((x - mean) / std).reshape(len(x), *model.input_shape)
        top_classes, top_probabilities = top_answers(net(x))
        classes.append(top_classes.cpu())
        probabilities.append(top_probabilities.cpu())
    if not classes:
        return torch.empty(0, TOP_K, dtype=torch.long), torch.empty(0, TOP_K)
    return torch.cat(classes), torch.cat(probabilities)


def evaluate_model(
    model: TrainedModel, dataset: LoadedDataset, device: str | torch.device = "cpu", n_samples: int = 36
) -> EvaluationResult | None:
    """Evaluate a classifier on ``dataset``'s test split; None for a regression dataset."""
    if dataset.task != "classification" or len(dataset.test_x) == 0:
        return None
    top_classes, top_probabilities = predict_top(model, dataset.test_x, device)
    predicted = top_classes[:, 0]
    true = dataset.test_y
    classes = dataset.num_classes
    confusion = torch.zeros(classes * classes, dtype=torch.long)
    confusion.index_add_(
        0, (true * classes + predicted.clamp(0, classes - 1)).long(), torch.ones(len(true), dtype=torch.long)
    )
    wrong = torch.nonzero(predicted != true).flatten()[: n_samples // 2]
    right = torch.nonzero(predicted == true).flatten()[: n_samples - len(wrong)]
    chosen = torch.sort(torch.cat([wrong, right])).values
    images = dataset.test_x[chosen]
    images = images[:, 0] if images.shape[1] == 1 else images.permute(0, 2, 3, 1)
    answers = SplitAnswers(
        true.numpy().copy(), top_classes.numpy(), top_probabilities.numpy(), dataset.test_x, tuple(dataset.class_names)
    )
    return EvaluationResult(
        dataset.class_names,
        confusion.view(classes, classes).numpy(),
        np.ascontiguousarray(images.numpy()),
        true[chosen].numpy(),
        predicted[chosen].numpy(),
        answers,
    )
