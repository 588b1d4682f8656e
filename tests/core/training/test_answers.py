"""Every test sample's top-3 answer: a confusion cell's samples and the most confidently wrong."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gui_app.core.training.evaluation import evaluate_model
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def evaluated():
    """A briefly trained MLP's evaluation, with the probabilities computed here from its outputs."""
    data = mnist_slice(800, 300)
    model = Trainer(mlp_spec(), config(lr=0.05), dataset=data).fit().model
    net = model.build().eval()
    x = (data.test_x.float() / 255.0 - model.mean[0]) / model.std[0]
    with torch.no_grad():
        probabilities = torch.softmax(net(x.reshape(len(x), 1, 28, 28)), dim=1).numpy()
    return data, evaluate_model(model, data), probabilities


def _expected_cell(true: list[int], probabilities: np.ndarray, t: int, p: int) -> list[int]:
    answers = probabilities.argmax(1)
    members = [i for i, label in enumerate(true) if label == t and answers[i] == p]
    return sorted(members, key=lambda i: (-probabilities[i, p], i))


def test_every_cell_lists_exactly_its_samples_most_confident_first(evaluated):
    data, result, probabilities = evaluated
    true = data.test_y.tolist()
    answers = result.answers
    listed = 0
    for t in range(10):
        for p in range(10):
            cell = answers.cell(t, p).tolist()
            assert cell == _expected_cell(true, probabilities, t, p)
            assert len(cell) == result.confusion[t, p]
            listed += len(cell)
    assert listed == len(true)


def test_each_sample_keeps_its_top_three_probabilities(evaluated):
    data, result, probabilities = evaluated
    answers = result.answers
    expected_classes = np.argsort(-probabilities, axis=1, kind="stable")[:, :3]
    assert answers.top_classes.shape == (len(data.test_y), 3)
    assert (answers.top_classes == expected_classes).all()
    expected = np.take_along_axis(probabilities, expected_classes, axis=1)
    assert answers.top_probabilities == pytest.approx(expected, abs=1e-6)


def test_the_most_confidently_wrong_are_every_error_surest_first(evaluated):
    data, result, probabilities = evaluated
    answers = probabilities.argmax(1)
    true = data.test_y.numpy()
    errors = [i for i in range(len(true)) if answers[i] != true[i]]
    expected = sorted(errors, key=lambda i: (-probabilities[i, answers[i]], i))
    assert result.answers.most_confidently_wrong().tolist() == expected
    assert result.answers.most_confidently_wrong(5).tolist() == expected[:5]
    assert len(expected) == result.confusion.sum() - np.trace(result.confusion) > 5


def test_an_answer_reads_its_image_from_the_dataset_on_demand(evaluated):
    data, result, _ = evaluated
    answers = result.answers
    # no copy of the images is kept: the answers read the dataset's own test tensor
    assert answers.images.data_ptr() == data.test_x.data_ptr()
    index = int(answers.most_confidently_wrong(1)[0])
    answer = answers.answer(index)
    assert answer.image.dtype == np.uint8 and answer.image.shape == (28, 28)
    assert (answer.image == data.test_x[index, 0].numpy()).all()
    assert answer.true == int(data.test_y[index]) != answer.predicted and answer.wrong
    assert answer.classes == tuple(answers.top_classes[index].tolist())
    assert answer.confidence == pytest.approx(float(answers.top_probabilities[index, 0]))


def test_the_answers_cost_a_few_dozen_bytes_a_sample(evaluated):
    _, result, _ = evaluated
    answers = result.answers
    per_sample = (answers.true.nbytes + answers.top_classes.nbytes + answers.top_probabilities.nbytes) / len(answers)
    assert per_sample <= 48  # 10,000 test images: under half a megabyte, the images not copied
