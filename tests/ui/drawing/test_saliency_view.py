"""The pad's saliency overlay and top-3 follow each reading; blank pixels never drove the answer."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.core.digits.saliency import SaliencyMethod
from gui_app.ui.drawing.panel import DrawPanel
from tests.data.handwriting.replay import replay_digit
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place


@pytest.fixture
def panel(qtbot) -> DrawPanel:
    widget = DrawPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 300)
    widget.show()
    return widget


def _draw(panel: DrawPanel, name: str) -> None:
    label, strokes = GLYPHS[name]
    replay_digit(panel.pad, StrokeDigit(name, label, place(strokes, 0.7, 0.0), 1 / 14))


@pytest.mark.parametrize("method", list(SaliencyMethod))
def test_the_overlay_explains_the_answer_with_the_ink_only(panel: DrawPanel, qtbot, method) -> None:
    panel.saliency.method.setCurrentIndex(list(SaliencyMethod).index(method))
    _draw(panel, "2-round")
    qtbot.waitUntil(lambda: panel.saliency.last_saliency is not None)
    result, reading = panel.saliency.last_saliency, panel.last_prediction
    assert result.method is method and result.target == reading.digit
    image = reading.image.numpy()
    assert np.all(result.attribution[image == 0] == 0)
    assert np.abs(result.attribution[image > 0.5]).sum() > 0
    top = [digit for digit, _ in result.top]
    assert top[0] == reading.digit and len(top) == 3
    assert top == list(np.argsort(-np.asarray(reading.probabilities), kind="stable")[:3])
    text = panel.saliency.top.text()
    assert all(str(digit) in text for digit in top) and f"{reading.confidence:.1%}" in text
    assert panel.saliency.overlay.image() is not None


def test_clearing_the_pad_clears_the_overlay(panel: DrawPanel, qtbot) -> None:
    _draw(panel, "7-plain")
    qtbot.waitUntil(lambda: panel.saliency.last_saliency is not None)
    panel.pad.clear()
    assert panel.saliency.last_saliency is None and "–" in panel.saliency.top.text()


def test_each_reading_is_announced_for_the_block_view(panel: DrawPanel, qtbot) -> None:
    readings: list[object] = []
    panel.reading_changed.connect(readings.append)
    _draw(panel, "7-plain")
    assert readings and readings[-1] is panel.last_prediction
    panel.pad.clear()
    assert readings[-1] is None


def test_refused_ink_lists_the_scores_without_an_answer(panel: DrawPanel, qtbot) -> None:
    replay_digit(panel.pad, StrokeDigit("dash", 1, [[(0.3, 0.55), (0.45, 0.55), (0.62, 0.56)]], 1 / 25))
    qtbot.waitUntil(lambda: panel.saliency.last_saliency is not None)
    assert not panel.last_prediction.is_digit
    text = panel.saliency.top.text()
    assert text.startswith("top 3, no answer") and "<b>" not in text
    panel.pad.clear()
    _draw(panel, "7-plain")
    qtbot.waitUntil(lambda: panel.saliency.last_saliency is not None)
    assert panel.saliency.top.text().startswith("top 3<br><b>7")
