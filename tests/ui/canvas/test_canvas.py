"""The canvas, driven through its real widget: drops, block drags, rubber band, zoom, in-place updates."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from gui_app.core.project.blocks import TOP
from gui_app.ui.canvas import NetworkCanvas, NetworkScene
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, STEP, BlockItem
from gui_app.ui.document.document import Document
from gui_app.ui.layer_drag import layer_mime_data
from gui_app.ui.window.project_files import mlp_spec

COPY = Qt.DropAction.CopyAction
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def canvas(qtbot) -> NetworkCanvas:
    view = NetworkCanvas(Document(mlp_spec()))
    qtbot.addWidget(view)
    view.resize(700, 1000)
    view.show()
    qtbot.waitExposed(view)
    return view


def types(view: NetworkCanvas) -> list[str]:
    return [layer.type for layer in view.document.spec.layers]


def view_pos(view: NetworkCanvas, x: float, y: float) -> QPoint:
    return view.mapFromScene(QPointF(x, y))


def block_centre(view: NetworkCanvas, index: int) -> QPoint:
    return view_pos(view, BLOCK_WIDTH / 2, (index + 1) * STEP + BLOCK_HEIGHT / 2)


def mouse(view: NetworkCanvas, kind: QEvent.Type, pos: QPoint, buttons=LEFT, modifiers=NO_MOD) -> None:
    button = LEFT if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, QPointF(pos), view.viewport().mapToGlobal(QPointF(pos)), button, buttons, modifiers)
    QApplication.sendEvent(view.viewport(), event)


def drag_with_mouse(view: NetworkCanvas, start: QPoint, end: QPoint, modifiers=NO_MOD) -> None:
    mouse(view, QEvent.Type.MouseButtonPress, start, modifiers=modifiers)
    for i in range(1, 9):
        p = start + (end - start) * (i / 8)
        mouse(view, QEvent.Type.MouseMove, p, modifiers=modifiers)
    mouse(view, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton, modifiers=modifiers)


def test_a_palette_drop_inserts_where_the_marker_shows(canvas: NetworkCanvas) -> None:
    scene = canvas.network_scene
    start = canvas.document.spec.to_dict()
    mime = layer_mime_data("Dropout")
    # Hover between block 2 (Linear) and block 3 (ReLU): the gap before layer index 2.
    pos = view_pos(canvas, BLOCK_WIDTH / 2, scene.marker_y(2) + 3)
    enter = QDragEnterEvent(pos, COPY, mime, LEFT, NO_MOD)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert enter.isAccepted()
    QApplication.sendEvent(canvas.viewport(), QDragMoveEvent(pos, COPY, mime, LEFT, NO_MOD))
    assert scene.marker.isVisible() and scene.marker.index == 2
    marker_y = scene.marker.pos().y()
    assert (2 * STEP + BLOCK_HEIGHT) < marker_y < 3 * STEP  # drawn in the gap between the two blocks
    drop = QDropEvent(QPointF(pos), COPY, mime, LEFT, NO_MOD)
    QApplication.sendEvent(canvas.viewport(), drop)
    assert types(canvas) == ["Flatten", "Linear", "Dropout", "ReLU", "Linear", "ReLU", "Linear"]
    assert not scene.marker.isVisible()
    assert scene.selected_uids() == [canvas.document.spec.layers[2].uid]
    canvas.document.undo()
    assert canvas.document.spec.to_dict() == start


def test_a_drop_of_something_else_is_refused(canvas: NetworkCanvas) -> None:
    from PySide6.QtCore import QMimeData

    mime = QMimeData()
    mime.setText("Linear")
    enter = QDragEnterEvent(block_centre(canvas, 1), COPY, mime, LEFT, NO_MOD)
    enter.setAccepted(False)
    QApplication.sendEvent(canvas.viewport(), enter)
    assert not enter.isAccepted()


def test_dragging_a_block_moves_it_and_undo_puts_it_back(canvas: NetworkCanvas) -> None:
    doc = canvas.document
    start = doc.spec.to_dict()
    flatten = doc.spec.layers[0].uid
    drag_with_mouse(canvas, block_centre(canvas, 0), block_centre(canvas, 3))
    assert types(canvas) == ["Linear", "ReLU", "Linear", "Flatten", "ReLU", "Linear"]
    assert doc.spec.index_of(flatten) == 3
    item = canvas.network_scene.items_by_uid[flatten]
    assert item.pos() == item.layout_pos  # snapped into the chain
    doc.undo()
    assert doc.spec.to_dict() == start
    doc.redo()
    assert doc.spec.index_of(flatten) == 3


def test_dragging_a_selection_moves_the_blocks_together_in_one_undo_step(
    canvas: NetworkCanvas, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = canvas.document
    start = doc.spec.to_dict()
    flatten, linear = (layer.uid for layer in doc.spec.layers[:2])
    canvas.network_scene.select_uids([flatten, linear])
    relu = doc.spec.layers[4].uid
    scene = canvas.network_scene
    shown = []
    real_show = scene.show_marker
    monkeypatch.setattr(scene, "show_marker", lambda index, lane=TOP: shown.append(index) or real_show(index, lane))
    drag_with_mouse(canvas, block_centre(canvas, 0), block_centre(canvas, 3))
    # the marker stood in the gap before block 4, the ReLU: the pair lands there
    assert shown[-1] == 4 and 5 not in shown  # the grabbed block places it, not the one dragged beside it
    assert types(canvas) == ["ReLU", "Linear", "Flatten", "Linear", "ReLU", "Linear"]
    assert [doc.spec.index_of(uid) for uid in (flatten, linear, relu)] == [2, 3, 4]
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Move 2 blocks"
    for uid in (flatten, linear):
        item = canvas.network_scene.items_by_uid[uid]
        assert item.pos() == item.layout_pos
    doc.undo()
    assert doc.spec.to_dict() == start
    doc.redo()
    assert types(canvas) == ["ReLU", "Linear", "Flatten", "Linear", "ReLU", "Linear"]


def test_a_short_drag_snaps_back_without_an_edit(canvas: NetworkCanvas) -> None:
    doc = canvas.document
    drag_with_mouse(canvas, block_centre(canvas, 2), block_centre(canvas, 2) + QPoint(0, 12))
    assert doc.undo_stack.count() == 0
    item = canvas.network_scene.items_by_uid[doc.spec.layers[2].uid]
    assert item.pos() == item.layout_pos


def test_shift_drag_on_empty_space_selects_with_a_rubber_band(canvas: NetworkCanvas) -> None:
    left = -40
    start = view_pos(canvas, left, 1 * STEP + 10)
    end = view_pos(canvas, BLOCK_WIDTH / 2, 3 * STEP + 10)
    drag_with_mouse(canvas, start, end, modifiers=Qt.KeyboardModifier.ShiftModifier)
    uids = [layer.uid for layer in canvas.document.spec.layers]
    assert canvas.network_scene.selected_uids() == uids[0:3]


def test_dragging_empty_space_pans(canvas: NetworkCanvas) -> None:
    for _ in range(3):
        canvas.zoom_in()
    bar = canvas.verticalScrollBar()
    before = bar.value()
    drag_with_mouse(canvas, view_pos(canvas, -60, 3 * STEP), view_pos(canvas, -60, 3 * STEP) - QPoint(0, 200))
    assert bar.value() > before
    assert canvas.network_scene.selected_uids() == []


def test_ctrl_wheel_zooms_and_fit_frames_the_network(canvas: NetworkCanvas) -> None:
    pos = QPointF(block_centre(canvas, 1))
    wheel = QWheelEvent(
        pos,
        canvas.viewport().mapToGlobal(pos),
        QPoint(),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom == pytest.approx(1.15**2)
    for _ in range(30):
        canvas.document.add_layer("ReLU")
    canvas.fit()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    scene = canvas.network_scene
    assert visible.contains(scene.input_item.sceneBoundingRect().center())
    assert visible.contains(scene.output_item.sceneBoundingRect().center())
    assert canvas.zoom < 1


def test_an_edit_updates_items_in_place_and_keeps_the_selection(canvas: NetworkCanvas) -> None:
    doc = canvas.document
    scene = canvas.network_scene
    items = dict(scene.items_by_uid)
    second_linear = doc.spec.layers[3].uid
    scene.select_uids([second_linear])
    doc.set_param(doc.spec.layers[1].uid, "out_features", 32)
    assert scene.items_by_uid == items
    assert scene.selected_uids() == [second_linear]
    assert items[doc.spec.layers[1].uid].state.shape == "32"
    assert items[second_linear].state.params == "4,224 params"  # 32*128 + 128, recomputed downstream
    assert scene.output_item.state.params == "30.6k params"  # 25,120 + 4,224 + 1,290


def test_an_error_shows_on_the_block_at_fault(canvas: NetworkCanvas) -> None:
    doc = canvas.document
    bad = doc.add_layer("Conv2d", 3)
    scene = canvas.network_scene
    with_errors = [uid for uid, item in scene.items_by_uid.items() if item.state.error]
    assert with_errors == [bad]
    assert "Unflatten" in scene.items_by_uid[bad].toolTip()
    assert scene.output_item.state.shape.startswith("—")


def test_arrow_keys_walk_the_chain_and_alt_arrows_move_a_block(canvas: NetworkCanvas, qtbot) -> None:
    doc = canvas.document
    uids = [layer.uid for layer in doc.spec.layers]
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    qtbot.keyClick(canvas, Qt.Key.Key_Down)
    assert canvas.network_scene.selected_uids() == [uids[1]]
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert doc.spec.index_of(uids[1]) == 2
    qtbot.keyClick(canvas, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert doc.spec.index_of(uids[1]) == 1 and doc.undo_stack.count() == 2
    canvas.network_scene.select_uids([uids[-1]])
    qtbot.keyClick(canvas, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)  # the last one stays last
    assert doc.spec.index_of(uids[-1]) == len(uids) - 1 and doc.undo_stack.count() == 2


def test_one_parameter_edit_updates_only_that_blocks_item(canvas: NetworkCanvas, monkeypatch) -> None:
    doc = canvas.document
    scene = canvas.network_scene
    dropout = doc.add_layer("Dropout", 3)
    items = dict(scene.items_by_uid)
    updated: list[tuple[int | None, bool]] = []
    real = BlockItem.set_state
    monkeypatch.setattr(BlockItem, "set_state", lambda item, state: updated.append((item.uid, real(item, state))))
    doc.set_param(dropout, "p", 0.25)
    assert scene.items_by_uid == items  # the same items: nothing rebuilt
    assert [uid for uid, _ in updated if uid is not None] == [dropout]  # no other block was touched
    assert [uid for uid, changed in updated if changed] == [dropout]  # and only it repaints
    assert "0.25" in items[dropout].state.summary
    updated.clear()
    doc.undo()
    assert [uid for uid, changed in updated if changed] == [dropout]
    assert "0.25" not in items[dropout].state.summary


def test_a_block_drag_syncs_the_scene_once(qtbot, monkeypatch) -> None:
    syncs = []
    real = NetworkScene.sync
    monkeypatch.setattr(NetworkScene, "sync", lambda scene, *args: syncs.append(1) or real(scene, *args))
    view = NetworkCanvas(Document(mlp_spec()))
    qtbot.addWidget(view)
    view.resize(700, 1000)
    view.show()
    qtbot.waitExposed(view)
    syncs.clear()
    drag_with_mouse(view, block_centre(view, 0), block_centre(view, 3))
    assert types(view) == ["Linear", "ReLU", "Linear", "Flatten", "ReLU", "Linear"]
    assert len(syncs) == 1
    syncs.clear()
    view.document.lock("Training is running")  # a refused move snaps back without a sync
    drag_with_mouse(view, block_centre(view, 0), block_centre(view, 3))
    assert types(view) == ["Linear", "ReLU", "Linear", "Flatten", "ReLU", "Linear"]
    assert syncs == []
    assert all(item.pos() == item.layout_pos for item in view.network_scene.items_by_uid.values())
