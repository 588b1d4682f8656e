"""The panel says "draw a digit" for ink that is not one (a dot, a dash, a letter), and reads a 1 as 1."""

from __future__ import annotations

import pyqtgraph as pg
import pytest

from gui_app.ui.drawing.panel import CHART_TITLE, DrawPanel
from tests.data.handwriting.replay import replay_stroke


@pytest.mark.parametrize(
    ("stroke", "reason"),
    [([(0.5, 0.5)], "a dot"), ([(0.3, 0.55), (0.45, 0.55), (0.62, 0.56)], "a dash")],
)
def test_a_dot_or_a_dash_on_the_pad_asks_for_a_digit(panel: DrawPanel, stroke, reason: str) -> None:
    replay_stroke(panel.pad, stroke)
    assert panel.predicted.text() == "–"
    assert panel.confidence.text() == "draw a digit"
    assert panel.confidence.toolTip().startswith(reason)
    assert panel.last_prediction is not None and not panel.last_prediction.is_digit


def _chart(panel: DrawPanel) -> tuple[str, list[int], list[float]]:
    """The chart's title, each bar's opacity and height, as drawn."""
    alphas = [pg.mkBrush(brush).color().alpha() for brush in panel.bars.opts["brushes"]]
    return panel.chart_caption.text(), alphas, list(panel.bars.opts["height"])


def test_refused_ink_shows_the_scores_faded_under_the_reason(panel: DrawPanel) -> None:
    replay_stroke(panel.pad, [(0.3, 0.55), (0.45, 0.55), (0.62, 0.56)])
    title, alphas, heights = _chart(panel)
    assert title.startswith("a dash, not a digit") and "not an answer" in title
    assert max(alphas) < 128 and heights == pytest.approx(panel.last_prediction.probabilities)
    panel.pad.clear()
    assert _chart(panel)[0] == CHART_TITLE and max(_chart(panel)[2]) == 0
    replay_stroke(panel.pad, [(0.5, 0.38), (0.5, 0.5), (0.49, 0.62)])
    title, alphas, _heights = _chart(panel)
    assert title == CHART_TITLE and min(alphas) == 255
    assert panel.bars.opts["brushes"][1] != panel.bars.opts["brushes"][7]  # the 1 read stands out


def test_a_short_stroke_down_is_a_1_and_clears_the_message(panel: DrawPanel) -> None:
    replay_stroke(panel.pad, [(0.5, 0.5)])
    assert panel.confidence.text() == "draw a digit"
    panel.pad.clear()
    replay_stroke(panel.pad, [(0.5, 0.38), (0.5, 0.5), (0.49, 0.62)])
    assert panel.predicted.text() == "1"
    assert panel.confidence.text().endswith("sure") and panel.confidence.toolTip() == ""


def test_a_letter_on_the_pad_asks_for_a_digit(panel: DrawPanel) -> None:
    # an H, three strokes, as someone would write it on the pad
    for stroke in ([(0.3, 0.25), (0.3, 0.75)], [(0.65, 0.25), (0.66, 0.75)], [(0.3, 0.5), (0.65, 0.52)]):
        replay_stroke(panel.pad, stroke)
    assert panel.predicted.text() == "–"
    assert panel.confidence.text() == "draw a digit"
    assert panel.confidence.toolTip().startswith("not like any digit")
