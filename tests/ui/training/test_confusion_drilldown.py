"""The confusion drill-down: a clicked cell lists its test images, surest first, with their top-3;
*Most confidently wrong* lists every error; a clicked image goes out with its pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui_app.ui.training.drilldown import TEST_INDEX_ROLE
from gui_app.ui.training.evaluation_view import EvaluationView
from tests.evaluation_fixtures import Evaluated, evaluated_mlp


@pytest.fixture
def evaluated() -> Evaluated:
    return evaluated_mlp()


@pytest.fixture
def view(qtbot, evaluated) -> EvaluationView:
    widget = EvaluationView()
    qtbot.addWidget(widget)
    widget.set_result(evaluated.result)
    widget.resize(1000, 260)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _click_cell(view: EvaluationView, true: int, predicted: int) -> None:
    centre = view.confusion.cell_rect(true, predicted).center().toPoint()
    QTest.mouseClick(view.confusion, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)


def _top3_text(evaluated: Evaluated, index: int) -> str:
    """The top-3 as the tooltip writes it, from the probabilities the test computed itself."""
    row = evaluated.probabilities[index]
    ranked = sorted(range(10), key=lambda c: (-row[c], c))[:3]
    return ", ".join(f"{c} {row[c]:.1%}" for c in ranked)


def test_clicking_a_confusion_cell_lists_exactly_its_images_in_confidence_order(view, evaluated):
    true, predicted = evaluated.worst_cell()
    expected = evaluated.expected_cell(true, predicted)
    assert len(expected) >= 2  # an order to check
    _click_cell(view, true, predicted)
    assert view.listing.currentWidget() is view.answer_list
    assert view.answer_list.test_indices() == expected
    assert view.confusion.selected_cell == (true, predicted)
    assert view.listing_title.text() == f"True {true} → {predicted}: {len(expected)} images"
    model = view.answer_list.model()
    for row, index in enumerate(expected):
        item = model.index(row)
        assert model.data(item, TEST_INDEX_ROLE) == index
        tooltip = model.data(item, Qt.ItemDataRole.ToolTipRole)
        assert tooltip == f"Test image #{index}: true {true}, answered {_top3_text(evaluated, index)} (wrong)"


def test_a_diagonal_cell_lists_the_right_answers_and_an_empty_cell_lists_none(view, evaluated):
    _click_cell(view, 1, 1)
    assert view.answer_list.test_indices() == evaluated.expected_cell(1, 1)
    assert len(evaluated.expected_cell(1, 1)) == evaluated.result.confusion[1, 1] > 10
    empty = np.argwhere(evaluated.result.confusion == 0)[0]
    _click_cell(view, int(empty[0]), int(empty[1]))
    assert view.answer_list.test_indices() == [] and view.listing_title.text().endswith(": no image")


def test_most_confidently_wrong_lists_every_error_surest_first(view, evaluated, qtbot):
    assert view.wrong_button.isEnabled()
    qtbot.mouseClick(view.wrong_button, Qt.MouseButton.LeftButton)
    expected = evaluated.expected_most_confidently_wrong()
    assert view.answer_list.test_indices() == expected
    assert view.listing_title.text() == f"{len(expected)} errors, surest first"
    assert view.confusion.selected_cell is None
    qtbot.mouseClick(view.samples_button, Qt.MouseButton.LeftButton)
    assert view.listing.currentWidget() is view.sample_scroll and not view.samples_button.isEnabled()


def test_clicking_a_listed_image_emits_its_pixels_label_and_top3(view, evaluated, qtbot):
    true, predicted = evaluated.worst_cell()
    _click_cell(view, true, predicted)
    qtbot.wait(10)  # the list lays its items out
    second = view.answer_list.row_rect(1).center()
    with qtbot.waitSignal(view.test_image_chosen, timeout=2000) as chosen:
        QTest.mouseClick(view.answer_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, second)
    (answer,) = chosen.args
    index = evaluated.expected_cell(true, predicted)[1]
    assert answer.index == index and answer.true == true and answer.predicted == predicted
    assert (answer.image == evaluated.data.test_x[index, 0].numpy()).all()
    assert answer.confidence == pytest.approx(float(evaluated.probabilities[index, predicted]), abs=1e-6)


def test_a_new_result_goes_back_to_the_samples(view, evaluated):
    _click_cell(view, *evaluated.worst_cell())
    view.set_result(evaluated.result)
    assert view.listing.currentWidget() is view.sample_scroll and view.confusion.selected_cell is None


def test_the_keyboard_moves_through_the_matrix_and_opens_a_cell(view, evaluated, qtbot):
    matrix = view.confusion
    assert matrix.focusPolicy() == Qt.FocusPolicy.StrongFocus and matrix.accessibleName() == "Confusion matrix"
    matrix.setFocus()
    qtbot.waitUntil(matrix.hasFocus)
    focused_frame = _highlight_pixels(matrix)
    true, predicted = evaluated.worst_cell()
    qtbot.keyClick(matrix, Qt.Key.Key_Down)  # the first key frames the top-left cell
    assert matrix.selected_cell == (0, 0)
    for _ in range(true):
        qtbot.keyClick(matrix, Qt.Key.Key_Down)
    for _ in range(12):  # past the last column: the frame stops there
        qtbot.keyClick(matrix, Qt.Key.Key_Right)
    assert matrix.selected_cell == (true, 9)
    for _ in range(9 - predicted):
        qtbot.keyClick(matrix, Qt.Key.Key_Left)
    assert matrix.selected_cell == (true, predicted)
    assert matrix.accessibleDescription().startswith(f"true {true}, predicted {predicted}: ")
    assert view.listing.currentWidget() is not view.answer_list  # moving lists nothing yet
    qtbot.keyClick(matrix, Qt.Key.Key_Return)
    assert view.listing.currentWidget() is view.answer_list
    assert view.answer_list.test_indices() == evaluated.expected_cell(true, predicted)
    view.show_samples()
    qtbot.keyClick(matrix, Qt.Key.Key_Up)  # after Samples the frame starts again at the top left
    qtbot.keyClick(matrix, Qt.Key.Key_Space)
    assert view.answer_list.test_indices() == evaluated.expected_cell(0, 0)
    assert focused_frame > 0
    matrix.clearFocus()
    qtbot.waitUntil(lambda: not matrix.hasFocus())
    assert _highlight_pixels(matrix) == 0  # the focus frame goes with the focus


def _highlight_pixels(widget) -> int:
    """How many pixels of the widget are painted in the focus colour."""
    image = widget.grab().toImage()
    colour = widget.palette().color(widget.palette().ColorRole.Highlight).rgb()
    return sum(image.pixel(x, y) == colour for x in range(image.width()) for y in range(image.height()))
