"""A test image clicked in the evaluation's drill-down shows on the draw pad's 28×28 panel."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

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
    assert f"Test image #{index}, true class {true}, answered {predicted}" in window.statusBar().currentMessage()
    assert view.listing.currentWidget() is view.answer_list  # the listing stays where it was
