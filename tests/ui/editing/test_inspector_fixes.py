"""The inspector's fix buttons: one per problem with a fix, one click is one undo step."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from gui_app.core.project.spec import load_spec_file
from gui_app.ui.document.document import Document
from gui_app.ui.editing.inspector import LayerInspector
from tests.core.analysis.broken_networks import BROKEN, SCORES, mlp

SEED_CNN = Path(__file__).parents[2] / "data" / "seed_cifar10_cnn.json"


def _inspector(qtbot, doc: Document) -> LayerInspector:
    inspector = LayerInspector(doc)
    qtbot.addWidget(inspector)
    inspector.show()
    return inspector


def _labels(inspector: LayerInspector) -> list[str]:
    return [button.text() for button in inspector.fix_buttons if button.isVisibleTo(inspector)]


def test_the_faulty_block_has_a_fix_button_that_mends_it_in_one_undo_step(qtbot) -> None:
    doc = Document(load_spec_file(SEED_CNN))
    inspector = _inspector(qtbot, doc)
    bad = doc.spec.layers[7]
    inspector.show_selection([doc.spec.layers[6].uid])
    assert not inspector.fix_host.isVisibleTo(inspector)
    inspector.show_selection([bad.uid])
    assert _labels(inspector) == ["Fix: set in_features to 576"]
    before = doc.spec.to_json()
    qtbot.mouseClick(inspector.fix_buttons[0], Qt.MouseButton.LeftButton)
    assert bad.params["in_features"] == 576 and doc.compiled.ok
    assert doc.undo_stack.count() == 1 and not inspector.fix_host.isVisibleTo(inspector)
    assert inspector.editors["in_features"].box.value() == 576
    doc.undo()
    assert doc.spec.to_json() == before and _labels(inspector) == ["Fix: set in_features to 576"]


def test_each_problem_of_a_block_gets_its_own_button(qtbot) -> None:
    # Too many outputs and a Softmax before CrossEntropyLoss: the Softmax carries both warnings.
    doc = Document(mlp(("Linear", {"out_features": 12}), ("Softmax", {})))
    inspector = _inspector(qtbot, doc)
    inspector.show_selection([doc.spec.layers[4].uid])
    assert _labels(inspector) == ["Fix: remove this Softmax", "Fix: set out_features of block 4 to 10"]
    qtbot.mouseClick(inspector.fix_buttons[1], Qt.MouseButton.LeftButton)
    assert doc.spec.layers[3].params["out_features"] == 10
    assert _labels(inspector) == ["Fix: remove this Softmax"]


def test_the_input_shows_the_network_wide_fix(qtbot) -> None:
    doc = Document(BROKEN["input of another dataset"][0].copy())
    inspector = _inspector(qtbot, doc)
    inspector.show_selection([], end="input")
    assert "MNIST samples are 1×28×28" in inspector.problem.text()
    assert _labels(inspector) == ["Fix: set the input shape to 1×28×28"]
    qtbot.mouseClick(inspector.fix_buttons[0], Qt.MouseButton.LeftButton)
    assert doc.spec.input_shape == (1, 28, 28) and inspector.editors["input_shape"].box.text() == "1, 28, 28"


def test_fix_buttons_are_disabled_while_the_network_is_locked(qtbot) -> None:
    doc = Document(mlp(SCORES, ("Softmax", {})))
    inspector = _inspector(qtbot, doc)
    inspector.show_selection([doc.spec.layers[4].uid])
    doc.lock("Training is running")
    assert not inspector.fix_buttons[0].isEnabled()
    doc.unlock()
    assert inspector.fix_buttons[0].isEnabled()
