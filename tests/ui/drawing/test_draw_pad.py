"""The draw pad and panel, driven with real mouse and key events along stroke paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest

from gui_app.core.analysis.compiler import build_model
from gui_app.core.digits.reader import BUNDLED, TRAINED
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import TrainedModel
from gui_app.ui.drawing.pad import RENDER_SIDE, DrawPad
from gui_app.ui.drawing.panel import DrawPanel
from tests.data.handwriting.replay import LEFT, NO_BUTTON, replay_digit, replay_stroke, send_mouse, widget_point
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place, variants

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def pad(qtbot) -> DrawPad:
    widget = DrawPad()
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    widget.show()
    return widget


def _digit(name: str, height: float = 0.7, slant: float = 0.0, pen: float = 1 / 14) -> StrokeDigit:
    label, strokes = GLYPHS[name]
    return StrokeDigit(name, label, place(strokes, height, slant), pen)


# ------------------------------------------------------------------ the pad


def test_a_drag_becomes_one_stroke_of_white_ink_on_black(pad: DrawPad) -> None:
    replay_stroke(pad, [(0.503, 0.2), (0.503, 0.5), (0.503, 0.8)])  # edges off the pixel grid
    assert len(pad.strokes()) == 1
    image = pad.render_image()
    assert image.shape == (RENDER_SIDE, RENDER_SIDE) and image.dtype == np.uint8
    middle = RENDER_SIDE // 2
    assert image[middle, middle] == 255  # on the stroke
    assert image[middle, 20] == 0 and image[10, middle] == 0  # beside and above it
    # the pen is about 1/14 of the side wide, antialiased at its edges
    row = image[middle]
    assert abs(int((row > 127).sum()) - RENDER_SIDE / 14) <= 3
    assert ((row > 0) & (row < 255)).any()


def test_moves_without_a_held_button_draw_nothing(pad: DrawPad) -> None:
    send_mouse(pad, QEvent.Type.MouseMove, widget_point(pad, (0.3, 0.3)), NO_BUTTON, NO_BUTTON)
    assert pad.is_empty()


def test_right_click_escape_and_button_clear(pad: DrawPad, panel: DrawPanel, qtbot) -> None:
    replay_stroke(pad, [(0.2, 0.2), (0.8, 0.8)])
    with qtbot.waitSignal(pad.cleared, timeout=1000):
        QTest.mouseClick(pad, Qt.MouseButton.RightButton, pos=widget_point(pad, (0.5, 0.5)).toPoint())
    assert pad.is_empty()

    replay_stroke(pad, [(0.2, 0.2), (0.8, 0.8)])
    pad.setFocus()
    QTest.keyClick(pad, Qt.Key.Key_Escape)
    assert pad.is_empty()

    replay_digit(panel.pad, _digit("7-plain"))
    panel.clear_button.click()
    assert panel.pad.is_empty() and panel.last_prediction is None
    assert panel.predicted.text() == "–"


def test_ctrl_z_undoes_the_last_stroke(pad: DrawPad) -> None:
    replay_stroke(pad, [(0.2, 0.2), (0.8, 0.2)])
    replay_stroke(pad, [(0.5, 0.2), (0.5, 0.9)])
    pad.setFocus()
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(pad.strokes()) == 1 and pad.strokes()[0][0] == pytest.approx((0.2, 0.2), abs=0.01)
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.is_empty()


def test_pad_stays_square_and_keeps_the_drawing_across_resizes(pad: DrawPad) -> None:
    replay_stroke(pad, [(0.25, 0.5), (0.75, 0.5)])
    before = pad.render_image()
    pad.resize(500, 260)
    rect = pad.pad_rect()
    assert rect.width() == rect.height() == 260
    assert rect.center().x() == pytest.approx(250, abs=1)
    assert np.array_equal(pad.render_image(), before)  # rendered from strokes, not the screen
    # a stroke drawn on the resized pad lands at the same pad position
    replay_stroke(pad, [(0.5, 0.25), (0.5, 0.75)])
    assert pad.strokes()[1][0] == pytest.approx((0.5, 0.25), abs=0.01)


def test_pen_width_scales_with_the_rendered_side(pad: DrawPad) -> None:
    replay_stroke(pad, [(0.5, 0.2), (0.5, 0.8)])
    small, large = pad.render_image(140), pad.render_image(560)
    width_small = int((small[70] > 127).sum())
    width_large = int((large[280] > 127).sum())
    assert width_large == pytest.approx(4 * width_small, abs=4)


# ------------------------------------------------------------------ the panel


def test_empty_pad_predicts_nothing(panel: DrawPanel) -> None:
    assert panel.predict() is None
    assert panel.last_prediction is None and panel.predicted.text() == "–"
    assert panel.current_source() == BUNDLED


@pytest.mark.parametrize("name", sorted(GLYPHS))
def test_each_drawn_digit_is_read(panel: DrawPanel, name: str) -> None:
    digit = _digit(name)
    replay_digit(panel.pad, digit)
    prediction = panel.last_prediction
    assert prediction is not None
    assert panel.predicted.text() == str(digit.label), f"{name} read as {prediction.digit}"
    assert panel.confidence.text().endswith("sure")
    assert prediction.image.shape == (28, 28)
    assert float(panel.bars.opts["height"].sum()) == pytest.approx(1.0, abs=1e-4)


def test_prediction_updates_while_drawing(panel: DrawPanel, qtbot) -> None:
    stroke = place(GLYPHS["1-stick"][1], 0.7)[0]
    replay_stroke(panel.pad, stroke, release=False)  # the pen is still down
    qtbot.waitUntil(lambda: panel.last_prediction is not None, timeout=2000)
    send_mouse(panel.pad, QEvent.Type.MouseButtonRelease, widget_point(panel.pad, stroke[-1]), LEFT, NO_BUTTON)
    assert panel.predicted.text() == "1"


def test_undo_re_reads_the_remaining_strokes(panel: DrawPanel) -> None:
    replay_digit(panel.pad, _digit("7-crossed"))
    assert panel.predicted.text() == "7"
    panel.undo_button.click()
    assert len(panel.pad.strokes()) == 1 and panel.predicted.text() == "7"


def _linear_model(input_shape: tuple[int, ...], outputs: int) -> TrainedModel:
    spec = NetworkSpec([LayerSpec("Flatten", {}), LayerSpec("Linear", {"out_features": outputs})], input_shape)
    return TrainedModel(spec, build_model(spec, seed=1).state_dict(), (0.1307,), (0.3081,), "")


def test_a_fitting_trained_model_is_selected_and_an_unfitting_one_is_not(panel: DrawPanel) -> None:
    panel.set_trained_model(_linear_model((1, 28, 28), 10))
    assert panel.current_source() == TRAINED
    assert panel.model_selector.currentText() == "trained this session"
    panel.set_trained_model(_linear_model((3, 32, 32), 10))
    assert panel.current_source() == BUNDLED
    assert not panel.model_selector.model().item(1).isEnabled()
    assert "3×32×32 → 10" in panel.status.text()
    panel.set_trained_model(None)
    assert panel.current_source() == BUNDLED


def test_switching_models_re_reads_the_drawing(panel: DrawPanel) -> None:
    replay_digit(panel.pad, _digit("3-round"))
    bundled = panel.last_prediction
    panel.set_trained_model(_linear_model((1, 28, 28), 10))
    assert panel.last_prediction is not None and panel.last_prediction is not bundled
    panel.model_selector.setCurrentIndex(0)
    assert panel.predicted.text() == "3"


# ------------------------------------------------------------------ real-handwriting accuracy


@pytest.mark.slow
def test_stroke_digits_in_many_styles_are_read(panel: DrawPanel) -> None:
    """All 1,350 variants (25 glyphs × 3 sizes × 3 slants × 2 widths × 3 pen widths), by mouse."""
    digits = variants()
    wrong: Counter[str] = Counter()
    for digit in digits:
        replay_digit(panel.pad, digit)
        prediction = panel.last_prediction
        if prediction is None or prediction.digit != digit.label:
            wrong[digit.name.split("/")[0]] += 1
    accuracy = 1 - sum(wrong.values()) / len(digits)
    print(f"stroke digits through the pad: {accuracy:.2%} of {len(digits)}; wrong: {dict(wrong)}")
    assert accuracy >= 0.97


def test_hidpi_scale_factor_gives_the_same_image() -> None:
    """QT_SCALE_FACTOR=2 must not change what the model sees (it renders from strokes)."""
    script = (
        "import json, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from gui_app.ui.drawing.panel import DrawPanel\n"
        "from tests.data.handwriting.replay import replay_digit\n"
        "from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place\n"
        "app = QApplication([])\n"
        "panel = DrawPanel(); panel.resize(700, 400); panel.show(); app.processEvents()\n"
        "label, strokes = GLYPHS['4-open']\n"
        "replay_digit(panel.pad, StrokeDigit('4', label, place(strokes, 0.7), 1 / 14))\n"
        "p = panel.last_prediction\n"
        "print(json.dumps({'digit': p.digit, 'ink': float(p.image.sum()), 'ratio': app.devicePixelRatio()}))\n"
    )
    results = []
    for factor in ("1", "2"):
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": factor, "OMP_NUM_THREADS": "1"}
        out = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=True
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    assert results[1]["ratio"] == 2
    assert results[0]["digit"] == results[1]["digit"] == 4
    assert results[0]["ink"] == pytest.approx(results[1]["ink"], rel=0.02)


def test_a_missing_bundled_model_is_a_message_not_a_crash(qtbot, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr("gui_app.core.digits.reader.bundled_model_path", lambda: tmp_path / "gone.pt")
    panel = DrawPanel()
    qtbot.addWidget(panel)
    replay_digit(panel.pad, _digit("7-plain"))
    assert panel.last_prediction is None and panel.predicted.text() == "–"
    assert "gone.pt: no such file" in panel.status.text()
