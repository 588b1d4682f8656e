"""The draw panel shows a given 28×28 image as the model's input, with the model's reading."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gui_app.core.data.idx_files import read_idx
from gui_app.core.digits.reader import DigitReader, load_bundled_model
from tests.data.handwriting.replay import replay_stroke
from tests.mnist_subset import RAW
from tests.ui.drawing.shown_input import shown_input_pixels


def test_a_given_image_replaces_the_drawing_and_is_read_as_it_is(panel):
    replay_stroke(panel.pad, [(0.5, 0.2), (0.5, 0.8)])
    assert not panel.pad.is_empty()
    image = read_idx(RAW / "t10k-images-idx3-ubyte")[0].numpy()  # MNIST's first test digit, a 7
    prediction = panel.show_image(image, "test image #0")
    assert panel.pad.is_empty() and panel.status.text() == "test image #0"
    expected = DigitReader(load_bundled_model()).probabilities(torch.from_numpy(image / 255.0).float())[0]
    assert prediction.probabilities == pytest.approx(expected.tolist(), abs=1e-6)
    assert panel.predicted.text() == str(int(expected.argmax())) == "7"
    assert (shown_input_pixels(panel) == image).all()


def test_an_image_of_another_size_is_refused(panel):
    with pytest.raises(ValueError, match="28×28"):
        panel.show_image(np.zeros((32, 32), dtype=np.uint8))
