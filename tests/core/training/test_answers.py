"""Every test sample's top-3 answer: a confusion cell's samples and the most confidently wrong."""

from __future__ import annotations

import numpy as np
import pytest

from tests.evaluation_fixtures import Evaluated, evaluated_mlp


@pytest.fixture
def evaluated() -> Evaluated:
    return evaluated_mlp()


def test_every_cell_lists_exactly_its_samples_most_confident_first(evaluated):
    result, answers = evaluated.result, evaluated.result.answers
    listed = 0
    for t in range(10):
        for p in range(10):
            cell = answers.cell(t, p).tolist()
            assert cell == evaluated.expected_cell(t, p)
            assert len(cell) == result.confusion[t, p]
            listed += len(cell)
    assert listed == len(evaluated.data.test_y)


def test_each_sample_keeps_its_top_three_probabilities(evaluated):
    answers, probabilities = evaluated.result.answers, evaluated.probabilities
    expected_classes = np.argsort(-probabilities, axis=1, kind="stable")[:, :3]
    assert answers.top_classes.shape == (len(evaluated.data.test_y), 3)
    assert (answers.top_classes == expected_classes).all()
    expected = np.take_along_axis(probabilities, expected_classes, axis=1)
    assert answers.top_probabilities == pytest.approx(expected, abs=1e-6)


def test_the_most_confidently_wrong_are_every_error_surest_first(evaluated):
    answers, expected = evaluated.result.answers, evaluated.expected_most_confidently_wrong()
    assert answers.most_confidently_wrong().tolist() == expected
    assert answers.most_confidently_wrong(5).tolist() == expected[:5]
    confusion = evaluated.result.confusion
    assert len(expected) == confusion.sum() - np.trace(confusion) > 5


def test_an_answer_reads_its_image_from_the_dataset_on_demand(evaluated):
    data, answers = evaluated.data, evaluated.result.answers
    # no copy of the images is kept: the answers read the dataset's own test tensor
    assert answers.images.data_ptr() == data.test_x.data_ptr()
    index = int(answers.most_confidently_wrong(1)[0])
    answer = answers.answer(index)
    assert answer.image.dtype == np.uint8 and answer.image.shape == (28, 28)
    assert (answer.image == data.test_x[index, 0].numpy()).all()
    assert answer.true == int(data.test_y[index]) != answer.predicted and answer.wrong
    assert answer.classes == tuple(answers.top_classes[index].tolist())
    assert answer.confidence == pytest.approx(float(answers.top_probabilities[index, 0]))
    assert answer.name(answer.true) == str(answer.true)  # MNIST's classes are named by their digits


def test_the_answers_cost_a_few_dozen_bytes_a_sample(evaluated):
    answers = evaluated.result.answers
    per_sample = (answers.true.nbytes + answers.top_classes.nbytes + answers.top_probabilities.nbytes) / len(answers)
    assert per_sample <= 48  # 10,000 test images: under half a megabyte, the images not copied
