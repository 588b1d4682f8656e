"""Saliency of the pad's digit: only ink can have driven the answer, and the top-3 are in order."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gui_app.core.digits.preprocessing import mnist_image, normalise
from gui_app.core.digits.reader import DigitReader
from gui_app.core.digits.saliency import SaliencyMethod, saliency, top_classes
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place, render_picture


@pytest.fixture(scope="module")
def reader() -> DigitReader:
    return DigitReader.from_file()


def _seven() -> torch.Tensor:
    label, strokes = GLYPHS["7-plain"]
    picture = render_picture(StrokeDigit("7-plain", label, place(strokes, 0.7, 0.0), 1 / 14), (200, 200))
    image = mnist_image(picture)
    assert image is not None
    return image


@pytest.mark.parametrize("method", list(SaliencyMethod))
def test_blank_pixels_get_no_saliency_and_the_stroke_does(reader: DigitReader, method: SaliencyMethod) -> None:
    image = _seven()
    result = saliency(reader.network, image, reader.model.mean, reader.model.std, method)
    blank = image.numpy() == 0
    assert blank.sum() > 400  # most of a 28×28 digit is background
    assert np.all(result.attribution[blank] == 0)
    ink = image.numpy() > 0.5
    assert np.abs(result.attribution[ink]).sum() > 0
    assert result.attribution.shape == (28, 28) and result.method is method


def test_the_target_is_the_answer_and_the_top_three_are_the_most_likely(reader: DigitReader) -> None:
    image = _seven()
    probabilities = reader.probabilities(image)[0]
    result = saliency(reader.network, image, reader.model.mean, reader.model.std)
    assert result.target == int(probabilities.argmax())
    assert [c for c, _ in result.top] == torch.argsort(probabilities, descending=True)[:3].tolist()
    assert result.top[0][1] == pytest.approx(float(probabilities.max()), abs=1e-5)


def test_integrated_gradients_add_up_to_the_change_from_a_black_image(reader: DigitReader) -> None:
    image = _seven()
    network, mean, std = reader.network, reader.model.mean, reader.model.std
    result = saliency(network, image, mean, std, SaliencyMethod.INTEGRATED_GRADIENTS, steps=128)
    with torch.no_grad():
        change = (
            network(normalise(image, mean, std))[0, result.target]
            - network(normalise(torch.zeros(28, 28), mean, std))[0, result.target]
        )
    assert float(result.attribution.sum()) == pytest.approx(float(change), rel=0.1)


def test_the_weights_get_no_gradients(reader: DigitReader) -> None:
    saliency(reader.network, _seven(), reader.model.mean, reader.model.std)
    assert all(p.grad is None for p in reader.network.parameters())


def test_top_classes_order_ties_by_class() -> None:
    top = top_classes([0.1, 0.3, 0.3, 0.2, 0.1])
    assert [c for c, _ in top] == [1, 2, 3]
    assert [p for _, p in top] == pytest.approx([0.3, 0.3, 0.2])
    assert [c for c, _ in top_classes(np.array([0.5, 0.5]))] == [0, 1]
