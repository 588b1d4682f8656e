"""A briefly trained MLP's evaluation on the tests' MNIST slice, with the probabilities that
the tests compute themselves from the model's outputs (the independent check of the drill-down)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from gui_app.core.data.dataset_types import LoadedDataset
from gui_app.core.training.evaluation import EvaluationResult, evaluate_model
from gui_app.core.training.trained_model import TrainedModel
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@dataclass(frozen=True)
class Evaluated:
    data: LoadedDataset
    model: TrainedModel
    result: EvaluationResult
    #: softmax of the model's outputs for every test image, computed here: (N, 10)
    probabilities: np.ndarray

    def expected_cell(self, true: int, predicted: int) -> list[int]:
        """The test indices of cell (true, predicted), surest first, ties in test order."""
        answers = self.probabilities.argmax(1)
        labels = self.data.test_y.tolist()
        members = [i for i, label in enumerate(labels) if label == true and answers[i] == predicted]
        return sorted(members, key=lambda i: (-self.probabilities[i, predicted], i))

    def expected_most_confidently_wrong(self) -> list[int]:
        answers = self.probabilities.argmax(1)
        labels = self.data.test_y.tolist()
        errors = [i for i, label in enumerate(labels) if answers[i] != label]
        return sorted(errors, key=lambda i: (-self.probabilities[i, answers[i]], i))

    def worst_cell(self) -> tuple[int, int]:
        """The off-diagonal cell with the most test images."""
        mistakes = self.result.confusion.copy()
        np.fill_diagonal(mistakes, 0)
        true, predicted = np.unravel_index(int(mistakes.argmax()), mistakes.shape)
        return int(true), int(predicted)


@functools.cache
def evaluated_mlp() -> Evaluated:
    """Trained once per test session (one epoch on 800 images; 300 test images)."""
    data = mnist_slice(800, 300)
    model = Trainer(mlp_spec(), config(lr=0.05), dataset=data).fit().model
    net = model.build().eval()
    x = (data.test_x.float() / 255.0 - model.mean[0]) / model.std[0]
    with torch.no_grad():
        probabilities = torch.softmax(net(x.reshape(len(x), 1, 28, 28)), dim=1).numpy()
    return Evaluated(data, model, evaluate_model(model, data), probabilities)
