"""The inspector: editors generated from the catalogue, edits recompile, errors land on the right block."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSpinBox

from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.ui.canvas import NetworkCanvas
from gui_app.ui.document.document import Document
from gui_app.ui.editing.inspector import LayerInspector
from gui_app.ui.editing.param_editors import NullableEditor, PaddingEditor, TupleEditor
from gui_app.ui.window.project_files import mlp_spec


@pytest.fixture
def views(qtbot) -> Iterator[tuple[Document, NetworkCanvas, LayerInspector]]:
    doc = Document(mlp_spec())
    canvas = NetworkCanvas(doc)
    inspector = LayerInspector(doc)
    scene = canvas.network_scene

    def follow() -> None:
        inspector.show_selection(scene.selected_uids())

    scene.selectionChanged.connect(follow)
    for widget in (canvas, inspector):
        qtbot.addWidget(widget)
        widget.show()
    yield doc, canvas, inspector
    scene.selectionChanged.disconnect(follow)  # the scene outlives this test until Qt deletes it


def select(canvas: NetworkCanvas, index: int) -> int:
    uid = canvas.document.spec.layers[index].uid
    canvas.network_scene.select_uids([uid])
    return uid


def inferred(inspector: LayerInspector, key: str) -> tuple[int, str]:
    """(what the size's spin box shows, its note)."""
    row = inspector.rows[key]
    return row.editor.box.value(), row.note.text()


def test_editing_a_parameter_recompiles_and_updates_shapes_downstream(views) -> None:
    doc, canvas, inspector = views
    select(canvas, 1)
    spin = inspector.editors["out_features"].box
    assert isinstance(spin, QSpinBox)
    assert (spin.minimum(), spin.value()) == (1, 128)
    assert inferred(inspector, "in_features") == (784, "inferred")
    assert not inspector.rows["in_features"].note.isEnabled()  # greyed
    spin.setValue(64)
    assert doc.spec.layers[1].params["out_features"] == 64
    items = canvas.network_scene.items_by_uid
    assert items[doc.spec.layers[1].uid].state.shape == "64"
    assert items[doc.spec.layers[3].uid].state.params == "8,320 params"  # 64*128 + 128
    select(canvas, 3)
    assert inferred(inspector, "in_features") == (64, "inferred")
    doc.undo()
    assert inferred(inspector, "in_features") == (128, "inferred")


def test_the_form_keeps_its_widgets_while_the_same_block_is_edited(views) -> None:
    doc, canvas, inspector = views
    select(canvas, 1)
    spin = inspector.editors["out_features"].box
    spin.setValue(50)
    spin.setValue(51)
    assert inspector.editors["out_features"].box is spin
    assert doc.undo_stack.count() == 1  # merged into one step
    doc.undo()
    assert spin.value() == 128  # the editor follows undo


def test_an_impossible_kernel_shows_its_error_on_the_right_block(views) -> None:
    doc, canvas, inspector = views
    doc.load(NetworkSpec([LayerSpec("Conv2d"), LayerSpec("ReLU"), LayerSpec("Conv2d")], (1, 28, 28)), None)
    uid = select(canvas, 2)
    kernel = inspector.editors["kernel_size"]
    assert isinstance(kernel, TupleEditor) and len(kernel.boxes) == 2
    kernel.boxes[0].setValue(30)  # 30×3 kernel on a 26×26 input
    assert doc.spec.layers[2].params["kernel_size"] == [30, 3]
    states = {u: item.state for u, item in canvas.network_scene.items_by_uid.items()}
    assert [u for u, s in states.items() if s.error] == [uid]
    assert "larger than its padded input" in states[uid].error
    assert inspector.problem.isVisible() and "larger than" in inspector.problem.text()
    kernel.boxes[0].setValue(3)
    assert doc.spec.layers[2].params["kernel_size"] == 3
    assert not any(item.state.error for item in canvas.network_scene.items_by_uid.values())
    assert "Error" not in inspector.problem.text() or not inspector.problem.isVisible()


def test_a_value_the_catalogue_refuses_is_a_message_not_a_crash(views) -> None:
    doc, canvas, inspector = views
    doc.add_layer("Unflatten", 1)
    select(canvas, 1)
    editor = inspector.editors["unflattened_size"]
    editor.box.setText("1, abc, 28")
    editor.box.editingFinished.emit()
    assert inspector.message.isVisible()
    assert doc.spec.layers[1].params == {}
    assert editor.box.text() == "1, 28, 28"  # back to the spec's value
    editor.box.setText("16, 7, 7")
    editor.box.editingFinished.emit()
    assert doc.spec.layers[1].params["unflattened_size"] == [16, 7, 7]


def test_editors_match_each_parameter_kind(views) -> None:
    doc, canvas, inspector = views
    doc.load(
        NetworkSpec([LayerSpec("Conv2d"), LayerSpec("MaxPool2d"), LayerSpec("GELU"), LayerSpec("BatchNorm2d")]), None
    )
    select(canvas, 0)
    assert isinstance(inspector.editors["padding"], PaddingEditor)
    assert isinstance(inspector.editors["bias"].box, QCheckBox)
    assert isinstance(inspector.editors["padding_mode"].box, QComboBox)
    inspector.editors["padding"].mode.setCurrentText("same")
    assert doc.spec.layers[0].params["padding"] == "same"
    select(canvas, 1)
    stride = inspector.editors["stride"]
    assert isinstance(stride, NullableEditor) and stride.auto.isChecked()
    stride.auto.setChecked(False)
    assert doc.spec.layers[1].params["stride"] is not None
    select(canvas, 3)
    eps = inspector.editors["eps"].box
    assert isinstance(eps, QLineEdit) and eps.text() == "1e-05"
    eps.setText("1e-3")
    eps.editingFinished.emit()
    assert doc.spec.layers[3].params["eps"] == pytest.approx(1e-3)


def test_input_block_edits_the_input_shape(views) -> None:
    doc, canvas, inspector = views
    canvas.network_scene.clearSelection()
    inspector.show_selection([], "input")
    editor = inspector.editors["input_shape"]
    editor.box.setText("1, 14, 14")
    editor.box.editingFinished.emit()
    assert doc.spec.input_shape == (1, 14, 14)
    assert doc.compiled.layers[0].output_shape == (196,)


def test_a_locked_document_disables_the_form_and_says_why(views) -> None:
    doc, canvas, inspector = views
    select(canvas, 1)
    doc.lock("Training is running")
    assert not inspector.form_host.isEnabled()
    assert inspector.lock_note.isVisible() and "Training is running" in inspector.lock_note.text()
    assert canvas.banner.isVisible()
    doc.unlock()
    assert inspector.form_host.isEnabled()
    assert not canvas.banner.isVisible()
    assert isinstance(inspector.lock_note, QLabel)


def _wrong_in_features() -> NetworkSpec:
    return NetworkSpec(
        [LayerSpec("Flatten"), LayerSpec("Linear", {"in_features": 400, "out_features": 10})], (1, 28, 28)
    )


def test_a_wrong_inferred_size_from_the_file_can_be_reset_in_the_inspector(views, qtbot) -> None:
    doc, canvas, inspector = views
    doc.load(_wrong_in_features(), None)
    select(canvas, 1)
    row = inspector.rows["in_features"]
    assert inferred(inspector, "in_features") == (400, "set")
    assert inspector.problem.isVisible() and "in_features is 400 but the input gives 784" in inspector.problem.text()
    assert row.reset.isEnabled() and "784" in row.reset.toolTip()
    qtbot.mouseClick(row.reset, Qt.MouseButton.LeftButton)
    assert "in_features" not in doc.spec.layers[1].params and doc.compiled.ok
    assert inferred(inspector, "in_features") == (784, "inferred")
    assert not row.reset.isEnabled() and not inspector.problem.isVisible()
    assert doc.undo_stack.undoText() == "Reset Linear in_features"
    doc.undo()
    assert doc.spec.layers[1].params["in_features"] == 400 and inspector.rows["in_features"] is row
    assert inferred(inspector, "in_features") == (400, "set")


def test_a_wrong_inferred_size_can_be_typed_right(views) -> None:
    doc, canvas, inspector = views
    doc.load(_wrong_in_features(), None)
    select(canvas, 1)
    inspector.rows["in_features"].editor.box.setValue(784)
    assert doc.spec.layers[1].params["in_features"] == 784 and doc.compiled.ok
    box = inspector.rows["in_features"].editor.box
    assert box.specialValueText() == "auto" and box.minimum() == 0
    box.setValue(0)  # the lowest step, "auto": infer it again
    assert "in_features" not in doc.spec.layers[1].params and doc.compiled.ok
    assert inferred(inspector, "in_features") == (784, "inferred")


def test_reset_puts_a_parameter_back_to_its_default_in_one_undo_step(views) -> None:
    doc, canvas, inspector = views
    select(canvas, 1)  # the MLP's first Linear sets out_features 128 (the default is 10)
    row = inspector.rows["out_features"]
    assert row.reset.isEnabled() and "default (10)" in row.reset.toolTip()
    assert not inspector.rows["bias"].reset.isEnabled()  # already the default
    row.reset.click()
    assert "out_features" not in doc.spec.layers[1].params and row.editor.box.value() == 10
    assert not row.reset.isEnabled()
    doc.undo()
    assert doc.spec.layers[1].params["out_features"] == 128 and row.editor.box.value() == 128


def test_every_parameter_of_every_block_has_an_editor_and_reset(views, qtbot) -> None:
    doc, canvas, inspector = views
    doc.load(NetworkSpec([LayerSpec(name) for name in CATALOGUE], (3, 32, 32)), None)
    for index, name in enumerate(CATALOGUE):
        select(canvas, index)
        qtbot.wait(1)  # widgets added to a shown form are shown on the next event loop pass
        assert inspector.title.text() == name
        assert set(inspector.rows) == {p.name for p in CATALOGUE[name].params}, name
        for key, row in inspector.rows.items():
            assert row.editor.isVisibleTo(inspector) and row.reset.isVisibleTo(inspector), (name, key)
