"""The Fix badge on the block at fault: one click applies the fix as one undo step; undo restores
the network exactly. And each block's tooltip shows its named shape and its costs."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gui_app.core.analysis.repair import problems
from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import load_spec_file
from gui_app.ui.canvas import NetworkCanvas
from gui_app.ui.canvas.items import BlockItem
from gui_app.ui.document.document import Document
from tests.core.analysis.broken_networks import BROKEN

SEED_CNN = Path(__file__).parents[2] / "data" / "seed_cifar10_cnn.json"
LEFT = Qt.MouseButton.LeftButton


def _canvas(qtbot, document: Document) -> NetworkCanvas:
    view = NetworkCanvas(document)
    qtbot.addWidget(view)
    view.resize(800, 1400)
    view.show()
    qtbot.waitExposed(view)
    return view


def _click_badge(view: NetworkCanvas, item: BlockItem) -> None:
    badge = item.fix_badge
    centre = view.mapFromScene(badge.mapToScene(badge.shape().boundingRect().center()))
    for kind, buttons in (
        (QEvent.Type.MouseButtonPress, LEFT),
        (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton),
    ):
        event = QMouseEvent(
            kind,
            QPointF(centre),
            view.viewport().mapToGlobal(QPointF(centre)),
            LEFT,
            buttons,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(view.viewport(), event)


def _state(doc: Document) -> tuple[str, list[int]]:
    return doc.spec.to_json(), [layer.uid for layer in doc.spec.layers]


def test_the_seed_cnn_is_fixed_by_one_click_on_its_badge_and_undone_in_one_step(qtbot) -> None:
    doc = Document(load_spec_file(SEED_CNN))
    view = _canvas(qtbot, doc)
    scene = view.network_scene
    bad = doc.spec.layers[7]
    item = scene.items_by_uid[bad.uid]
    assert item.fix_badge.isVisible() and "set in_features to 576" in item.fix_badge.toolTip()
    assert not any(scene.items_by_uid[layer.uid].fix_badge.isVisible() for layer in doc.spec.layers[:7])
    before = _state(doc)
    _click_badge(view, item)
    assert bad.params["in_features"] == 576 and doc.compiled.ok
    assert not item.fix_badge.isVisible() and scene.items_by_uid[bad.uid] is item
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Fix: set in_features to 576"
    doc.undo()
    assert _state(doc) == before and item.fix_badge.isVisible()
    doc.redo()
    assert doc.compiled.ok


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_fix_applies_as_one_undo_step_that_restores_the_network_exactly(qtbot, case) -> None:
    doc = Document(BROKEN[case][0].copy())
    view = _canvas(qtbot, doc)
    before = _state(doc)
    problem = next(p for p in problems(doc.compiled, doc.warnings) if p.remedy is not None)
    assert problem.remedy.label == BROKEN[case][1]
    assert doc.apply_fix(problem.remedy)
    assert doc.undo_stack.count() == 1 and doc.spec.to_json() != before[0]
    after = _state(doc)
    # The blocks the fix kept are the same items on the canvas.
    assert set(before[1]) & set(after[1]) <= set(view.network_scene.items_by_uid)
    doc.undo()
    assert _state(doc) == before
    doc.redo()
    assert _state(doc) == after


def test_a_network_wide_fix_is_on_the_input_block(qtbot) -> None:
    spec, label = BROKEN["input of another dataset"]
    doc = Document(spec.copy())
    view = _canvas(qtbot, doc)
    scene = view.network_scene
    assert scene.input_item.fix_badge.isVisible() and label in scene.input_item.fix_badge.toolTip()
    _click_badge(view, scene.input_item)
    assert doc.spec.input_shape == (1, 28, 28) and doc.warnings == []
    assert not scene.input_item.fix_badge.isVisible()


def test_a_locked_network_refuses_the_fix_and_says_why(qtbot) -> None:
    doc = Document(load_spec_file(SEED_CNN))
    view = _canvas(qtbot, doc)
    doc.lock("Training is running")
    with qtbot.waitSignal(doc.edit_refused) as refused:
        _click_badge(view, view.network_scene.items_by_uid[doc.spec.layers[7].uid])
    assert refused.args == ["Training is running"] and doc.spec.layers[7].params["in_features"] == 400


def test_a_blocks_tooltip_names_its_dimensions_and_shows_its_costs(qtbot) -> None:
    doc = Document(load_preset("cifar10_lenet"))
    view = _canvas(qtbot, doc)
    items = view.network_scene.items_by_uid
    pool = items[doc.spec.layers[3].uid].toolTip()
    assert "Output: N×6×16×16 (N, C, H, W)" in pool
    assert "MACs per sample: 0" in pool and "Activation memory per sample: 6.0 KB" in pool  # 6·16·16·4 bytes
    conv = items[doc.spec.layers[0].uid].toolTip()
    # 6 output channels · 32·32 positions · 3·5·5 weights each; 456 parameters of 4 bytes.
    assert "MACs per sample: 460.8k" in conv and "Parameters: 456 (1.8 KB)" in conv
    linear = items[doc.spec.layers[9].uid].toolTip()
    assert "Output: N×120 (N, F)" in linear and "MACs per sample: 69.1k" in linear  # 576·120
    assert "Shape: N×3×32×32 (N, C, H, W)" in view.network_scene.input_item.toolTip()
    doc.set_param(doc.spec.layers[0].uid, "out_channels", 12)
    assert "Output: N×12×16×16 (N, C, H, W)" in items[doc.spec.layers[3].uid].toolTip()
