"""A test image clicked in the evaluation's drill-down shows on the draw pad's 28×28 panel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from gui_app.core.digits.reader import BUNDLED
from gui_app.core.training.answers import SampleAnswer
from gui_app.core.training.trained_model import ModelFileError
from gui_app.ui.drawing import panel as drawing_panel
from gui_app.ui.window.main_window import MainWindow
from tests.evaluation_fixtures import evaluated_mlp
from tests.ui.drawing.shown_input import shown_input_pixels


def _forget_changes(window: MainWindow) -> None:
    window.document.undo_stack.setClean()


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window, before_close_func=_forget_changes)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.apply_default_layout()
    return window


def test_clicking_a_listed_image_shows_it_on_the_pads_panel_with_the_models_reading(window, qtbot):
    evaluated = evaluated_mlp()
    window.draw_panel.set_trained_model(evaluated.model)  # what the end of a run does
    view = window.training_panel.evaluation
    view.set_result(evaluated.result)
    window.training_panel.tabs.setCurrentWidget(view)
    qtbot.wait(20)
    true, predicted = evaluated.worst_cell()
    centre = view.confusion.cell_rect(true, predicted).center().toPoint()
    QTest.mouseClick(view.confusion, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    qtbot.wait(10)
    first = view.answer_list.row_rect(0).center()
    QTest.mouseClick(view.answer_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first)
    index = evaluated.expected_cell(true, predicted)[0]
    image = evaluated.data.test_x[index, 0].numpy()
    assert (shown_input_pixels(window.draw_panel) == image).all()
    pad = window.draw_panel
    assert pad.predicted.text() == str(predicted)  # the same model reads it the same way
    assert pad.last_prediction.confidence == pytest.approx(float(evaluated.probabilities[index, predicted]), abs=1e-5)
    assert pad.status.text() == f"Test image #{index}, true class {true} (from Training ▸ Evaluation)"
    assert (
        window.statusBar()
        .currentMessage()
        .startswith(
            f"Test image #{index}, true class {true}: shown on the draw pad (the Draw a digit tab), "
            f"where the model trained this session reads {predicted} ("
        )
    )
    assert view.listing.currentWidget() is view.answer_list  # the listing stays where it was


def _answer(index: int) -> SampleAnswer:
    """Test image ``index`` as the evaluated MLP answered it."""
    evaluated = evaluated_mlp()
    order = np.argsort(-evaluated.probabilities[index])[:3]
    return SampleAnswer(
        index,
        evaluated.data.test_x[index, 0].numpy(),
        int(evaluated.data.test_y[index]),
        tuple(int(c) for c in order),
        tuple(float(evaluated.probabilities[index, c]) for c in order),
    )


def test_the_status_says_what_the_pads_own_model_reads_not_what_the_evaluation_said(window):
    # No model trained in this window (a New, or another project): the bundled model reads the pad.
    window.show_test_image(_answer(7))
    pad = window.draw_panel
    reading = pad.last_prediction
    assert reading is not None and pad.current_source() == BUNDLED
    true = int(evaluated_mlp().data.test_y[7])
    verdict = "right" if reading.digit == true else "wrong"
    assert (
        window.statusBar()
        .currentMessage()
        .endswith(f"where the bundled MNIST model reads {reading.digit} ({reading.confidence:.1%}, {verdict})")
    )


@pytest.fixture
def no_bundled_model(monkeypatch) -> None:
    """The bundled model's file cannot be read (before the window's pad first loads it)."""

    def missing():
        raise ModelFileError("mnist_cnn.pt: not found")

    monkeypatch.setattr(drawing_panel, "load_bundled_model", missing)


def test_an_image_the_pad_cannot_read_is_not_said_to_be_shown(no_bundled_model, window):
    window.show_test_image(_answer(7))
    message = window.statusBar().currentMessage()
    assert message == f"⚠ Test image #7, true class {_answer(7).true}: not shown, the draw pad has no model to read it"
    assert "No model to read digits: mnist_cnn.pt: not found" in window.draw_panel.status.text()
