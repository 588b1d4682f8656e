"""Containers on the canvas: frames with their lanes side by side, collapse and expand, drops and
drags into, out of and between lanes (each one undo step), inner errors and their Fix badges."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

from gui_app.core.analysis.messages import block_number
from gui_app.core.project.blocks import TOP, Lane, walk
from gui_app.core.project.presets import load_preset
from gui_app.core.text.numbers import format_count, format_shape
from gui_app.ui.canvas import NetworkCanvas
from gui_app.ui.canvas.container_items import CollapseToggle, ContainerItem
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, BlockItem
from gui_app.ui.canvas.layout import EMPTY_LANE_HEIGHT
from gui_app.ui.document.document import Document
from gui_app.ui.layer_drag import layer_mime_data
from tests.residual_nets import residual_cnn

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
COPY = Qt.DropAction.CopyAction


def _canvas(qtbot, spec) -> NetworkCanvas:
    view = NetworkCanvas(Document(spec))
    qtbot.addWidget(view)
    view.resize(1100, 900)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def canvas(qtbot) -> NetworkCanvas:
    return _canvas(qtbot, residual_cnn())


def on_screen(view: NetworkCanvas, scene_point: QPointF) -> QPoint:
    """Scroll ``scene_point`` into the middle of the view; where it is in the viewport."""
    view.centerOn(scene_point)
    QApplication.processEvents()
    return view.mapFromScene(scene_point)


def centre_of(item) -> QPointF:
    return item.mapToScene(QPointF(BLOCK_WIDTH / 2, BLOCK_HEIGHT / 2))


def mouse(view: NetworkCanvas, kind: QEvent.Type, pos: QPoint, buttons=LEFT) -> None:
    button = LEFT if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, QPointF(pos), view.viewport().mapToGlobal(QPointF(pos)), button, buttons, NO_MOD)
    QApplication.sendEvent(view.viewport(), event)


def drag_block(view: NetworkCanvas, item: BlockItem, target: QPointF) -> None:
    """Press on the block's middle, move it in steps so that its middle ends on ``target``, release."""
    view.resetTransform()
    view.scale(0.5, 0.5)  # the start and the end of the drag on screen at once
    start_scene = centre_of(item)
    view.centerOn((start_scene + target) / 2)
    QApplication.processEvents()
    start, end = view.mapFromScene(start_scene), view.mapFromScene(target)
    mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, 11):
        mouse(view, QEvent.Type.MouseMove, start + (end - start) * (i / 10))
    mouse(view, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton)


def click(view: NetworkCanvas, scene_point: QPointF) -> None:
    pos = on_screen(view, scene_point)
    mouse(view, QEvent.Type.MouseButtonPress, pos)
    mouse(view, QEvent.Type.MouseButtonRelease, pos, buttons=Qt.MouseButton.NoButton)


def drop(view: NetworkCanvas, type_name: str, scene_point: QPointF) -> None:
    mime = layer_mime_data(type_name)
    pos = on_screen(view, scene_point)
    QApplication.sendEvent(view.viewport(), QDragEnterEvent(pos, COPY, mime, LEFT, NO_MOD))
    QApplication.sendEvent(view.viewport(), QDragMoveEvent(pos, COPY, mime, LEFT, NO_MOD))
    marker = (view.network_scene.marker.lane, view.network_scene.marker.index)
    QApplication.sendEvent(view.viewport(), QDropEvent(QPointF(pos), COPY, mime, LEFT, NO_MOD))
    view.last_marker = marker


def state(doc: Document):
    return doc.spec.to_json(), [(p.block.uid, p.address) for p in walk(doc.spec.layers)]


# ---------------------------------------------------------------------- frames and numbering


def test_resnet18_draws_each_residual_as_a_frame_with_labelled_lanes_and_inner_numbers(qtbot) -> None:
    view = _canvas(qtbot, load_preset("cifar10_resnet18"))
    scene, doc = view.network_scene, view.document
    residuals = [layer for layer in doc.spec.layers if layer.type == "Residual"]
    assert len(residuals) == 8
    for residual in residuals:
        frame = scene.items_by_uid[residual.uid]
        assert isinstance(frame, ContainerItem)
        assert frame.state.lane_names == ("body", "shortcut") and frame.state.merge == "sum"
        for lane in residual.lanes:
            for block in lane:
                assert scene.items_by_uid[block.uid].parentItem() is frame  # drawn inside the frame
    first = doc.spec.layers[4]
    assert scene.items_by_uid[first.uid].state.number == "#5"
    second_conv = scene.items_by_uid[first.lanes[0][3].uid]
    assert isinstance(second_conv, BlockItem) and block_number(second_conv.state.index) == "5.body.4"
    projection = doc.spec.layers[8].lanes[1][0]
    assert block_number(scene.items_by_uid[projection.uid].state.index) == "9.shortcut.1"
    # Body and shortcut stand side by side: the shortcut's blocks are right of the body's, level with them.
    body_item = scene.items_by_uid[doc.spec.layers[8].lanes[0][0].uid]
    assert centre_of(scene.items_by_uid[projection.uid]).x() > centre_of(body_item).x() + BLOCK_WIDTH
    assert centre_of(scene.items_by_uid[projection.uid]).y() == centre_of(body_item).y()
    frame = scene.items_by_uid[first.uid]
    assert "4,672" not in frame.state.params and frame.state.shape == format_shape(doc.result(first.uid).output_shape)


def test_the_frame_shows_the_containers_output_shape_and_parameter_count(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[5]
    frame = scene.items_by_uid[residual.uid]
    assert frame.state.shape == "32×16×16"
    assert frame.state.params == f"{format_count(doc.result(residual.uid).params)} params"
    parallel = scene.items_by_uid[doc.spec.layers[7].uid]
    assert parallel.state.merge == "concat" and parallel.state.lane_names == ("lane1", "lane2")


# ---------------------------------------------------------------------- collapse and expand


def test_the_toggle_collapses_a_container_to_one_block_with_its_shape_and_params(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[5]
    before_json = doc.spec.to_json()
    output_y = scene.output_item.pos().y()
    frame = scene.items_by_uid[residual.uid]
    click(canvas, frame.mapToScene(frame.toggle_rect().center()))
    block = scene.items_by_uid[residual.uid]
    assert isinstance(block, BlockItem) and block.state.title == "Residual"
    assert block.state.shape == "32×16×16"
    assert block.state.params == f"{format_count(doc.result(residual.uid).params)} params"
    assert "7 blocks" in block.state.summary
    assert all(b.uid not in scene.items_by_uid for lane in residual.lanes for b in lane)
    assert scene.output_item.pos().y() < output_y  # the network below moved up
    # View state only: the project is as it was and nothing is on the undo stack.
    assert doc.spec.to_json() == before_json and doc.undo_stack.count() == 0
    toggle = next(child for child in block.childItems() if isinstance(child, CollapseToggle))
    click(canvas, toggle.mapToScene(toggle.boundingRect().center()))
    assert isinstance(scene.items_by_uid[residual.uid], ContainerItem)
    assert scene.output_item.pos().y() == output_y


def test_left_collapses_the_container_of_the_selected_block_and_right_expands_it(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    scene.select_uids([residual.lanes[0][1].uid])
    canvas.setFocus()
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Left, NO_MOD))
    assert residual.uid in scene.collapsed and scene.selected_uids() == [residual.uid]
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Right, NO_MOD))
    assert residual.uid not in scene.collapsed
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier))
    assert scene.collapsed == {doc.spec.layers[i].uid for i in (3, 5, 7)}


def test_a_collapsed_container_keeps_showing_an_inner_error_and_its_fix(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    scene.set_collapsed([residual.uid], True)
    doc.set_param(residual.lanes[0][3].uid, "in_channels", 8)
    block = scene.items_by_uid[residual.uid]
    assert "block 4.body.4 (Conv2d)" in block.state.error
    assert block.fix_badge.isVisible() and "set in_channels to 16" in block.fix_badge.toolTip()
    canvas.network_scene.fix_clicked(block)
    assert doc.compiled.ok


# ---------------------------------------------------------------------- drops and drags


def test_a_palette_drop_into_a_lane_inserts_there_as_one_undo_step(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    before = state(doc)
    relu, conv = (scene.items_by_uid[b.uid] for b in residual.lanes[0][2:4])
    between = (centre_of(relu) + centre_of(conv)) / 2
    drop(canvas, "Dropout", between)
    body = Lane(residual.uid, 0)
    assert canvas.last_marker == (body, 3)
    assert [b.type for b in doc.spec.layers[3].lanes[0]] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "Dropout",
        "Conv2d",
        "BatchNorm2d",
    ]
    added = doc.spec.layers[3].lanes[0][3]
    assert (
        scene.selected_uids() == [added.uid] and block_number(scene.items_by_uid[added.uid].state.index) == "4.body.4"
    )
    assert doc.undo_stack.count() == 1
    doc.undo()
    assert state(doc) == before


def test_a_drop_into_an_empty_shortcut_fills_it(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    lane = scene.layout.lanes[Lane(residual.uid, 1)]
    drop(canvas, "Identity", QPointF(lane.axis, lane.top + EMPTY_LANE_HEIGHT / 2))
    assert [b.type for b in doc.spec.layers[3].lanes[1]] == ["Identity"]


def test_a_dropped_residual_comes_with_its_empty_body_and_shortcut(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    first, second = (scene.items_by_uid[layer.uid] for layer in doc.spec.layers[:2])
    drop(canvas, "Residual", (centre_of(first) + centre_of(second)) / 2)
    assert canvas.last_marker == (TOP, 1)
    added = doc.spec.layers[1]
    assert added.type == "Residual" and added.lanes == [[], []]
    frame = scene.items_by_uid[added.uid]
    assert isinstance(frame, ContainerItem) and frame.state.number == "#2"


def test_dragging_an_inner_block_out_to_the_top_level(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    before = state(doc)
    dropout = doc.spec.layers[3].lanes[0][2]  # the body's ReLU
    item = scene.items_by_uid[dropout.uid]
    relu_after = scene.items_by_uid[doc.spec.layers[4].uid]
    target = centre_of(relu_after) + QPointF(0, BLOCK_HEIGHT / 2 + 8)  # just below block 5
    drag_block(canvas, item, target)
    assert doc.spec.place(dropout.uid).lane == TOP and doc.spec.place(dropout.uid).index == 5
    assert [b.type for b in doc.spec.layers[3].lanes[0]] == ["Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d"]
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Move ReLU"
    assert (
        isinstance(scene.items_by_uid[dropout.uid], BlockItem) and scene.items_by_uid[dropout.uid].parentItem() is None
    )
    doc.undo()
    assert state(doc) == before
    assert scene.items_by_uid[dropout.uid].parentItem() is scene.items_by_uid[doc.spec.layers[3].uid]


def test_dragging_a_block_between_lanes(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    relu = residual.lanes[0][2]
    lane = scene.layout.lanes[Lane(residual.uid, 1)]
    drag_block(canvas, scene.items_by_uid[relu.uid], QPointF(lane.axis, lane.top + EMPTY_LANE_HEIGHT / 2))
    assert [b.uid for b in doc.spec.layers[3].lanes[1]] == [relu.uid]
    assert doc.undo_stack.count() == 1
    assert block_number(scene.items_by_uid[relu.uid].state.index) == "4.shortcut.1"


def test_dragging_a_top_level_block_into_a_lane(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    relu = doc.spec.layers[4]
    parallel = doc.spec.layers[7]
    lane2 = parallel.lanes[1]
    target = (centre_of(scene.items_by_uid[lane2[0].uid]) + centre_of(scene.items_by_uid[lane2[1].uid])) / 2
    drag_block(canvas, scene.items_by_uid[relu.uid], target)
    assert doc.spec.place(relu.uid).address == (6, "lane2", 1)
    assert doc.undo_stack.count() == 1


def test_dragging_a_frame_by_its_header_moves_the_container_into_a_lane(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    before = state(doc)
    residual = doc.spec.layers[3]
    parallel = doc.spec.layers[7]
    body_first = scene.items_by_uid[residual.lanes[0][0].uid]
    drag_frame(canvas, scene.items_by_uid[parallel.uid], centre_of(body_first) + QPointF(0, BLOCK_HEIGHT / 2 + 8))
    assert doc.spec.place(parallel.uid).address == (3, "body", 1)
    assert [b.type for b in doc.spec.block(parallel.uid).lanes[1]] == ["Conv2d", "ReLU"]  # with what it holds
    frame = scene.items_by_uid[parallel.uid]
    assert isinstance(frame, ContainerItem) and frame.parentItem() is scene.items_by_uid[residual.uid]
    assert doc.undo_stack.count() == 1
    doc.undo()
    assert state(doc) == before


def test_a_short_drag_of_an_inner_block_snaps_back_without_an_edit(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    item = scene.items_by_uid[doc.spec.layers[3].lanes[0][1].uid]
    drag_block(canvas, item, centre_of(item) + QPointF(6, 5))
    assert doc.undo_stack.count() == 0
    assert all(i.pos() == i.layout_pos for i in scene.items_by_uid.values())


def drag_frame(view: NetworkCanvas, frame: ContainerItem, target: QPointF) -> None:
    grip = frame.mapToScene(QPointF(frame.width / 2, 20))
    view.resetTransform()
    view.scale(0.4, 0.4)
    view.centerOn((grip + target) / 2)
    QApplication.processEvents()
    start, end = view.mapFromScene(grip), view.mapFromScene(target)
    mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, 11):
        mouse(view, QEvent.Type.MouseMove, start + (end - start) * (i / 10))
    mouse(view, QEvent.Type.MouseButtonRelease, end, buttons=Qt.MouseButton.NoButton)


def test_the_lane_buttons_add_and_remove_a_parallel_lane(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    parallel = doc.spec.layers[7]
    frame = scene.items_by_uid[parallel.uid]
    assert frame.state.can_add_lane and not frame.state.can_remove_lane
    click(canvas, frame.mapToScene(frame._add_rect.center()))
    assert len(doc.spec.layers[7].lanes) == 3 and doc.undo_stack.undoText() == "Add lane"
    frame = scene.items_by_uid[parallel.uid]
    assert frame.state.lane_names == ("lane1", "lane2", "lane3") and frame.state.can_remove_lane
    click(canvas, frame.mapToScene(frame._remove_rects[0].center()))
    assert [[b.type for b in lane] for lane in doc.spec.layers[7].lanes] == [["Conv2d", "ReLU"], []]
    doc.undo()
    doc.undo()
    assert len(doc.spec.layers[7].lanes) == 2 and doc.compiled.ok


# ---------------------------------------------------------------------- errors and fixes


def test_an_inner_error_highlights_the_inner_block_at_fault(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[3]
    bad = residual.lanes[0][3]
    doc.set_param(bad.uid, "in_channels", 8)
    inner = scene.items_by_uid[bad.uid]
    assert inner.state.error and "in_channels is 8" in inner.state.error
    frame = scene.items_by_uid[residual.uid]
    assert frame.state.error.startswith("block 4.body.4 (Conv2d)")
    others = [scene.items_by_uid[b.uid] for b in residual.lanes[0] if b.uid != bad.uid]
    assert not any(item.state.error for item in others)
    assert inner.fix_badge.isVisible() and not frame.fix_badge.isVisible()
    click_badge(canvas, inner)
    assert doc.compiled.ok and bad.params["in_channels"] == 16


def click_badge(view: NetworkCanvas, item) -> None:
    badge = item.fix_badge
    click(view, badge.mapToScene(badge.shape().boundingRect().center()))


def test_the_shortcut_fix_badge_puts_in_the_projection_in_one_click_and_undoes(canvas: NetworkCanvas) -> None:
    doc, scene = canvas.document, canvas.network_scene
    residual = doc.spec.layers[5]
    doc.spec.replace_lane(Lane(residual.uid, 1), [])  # as a file could hold it: no projection
    doc.undo_stack.clear()
    broken = state(doc)
    frame = scene.items_by_uid[residual.uid]
    assert frame.state.error and "they are added, so they must match" in frame.state.error
    assert (
        frame.fix_badge.isVisible() and "1×1 Conv2d with 32 output channels and stride 2" in frame.fix_badge.toolTip()
    )
    click_badge(canvas, frame)
    assert doc.compiled.ok and doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText().startswith("Fix: put a 1×1 Conv2d")
    assert [b.type for b in doc.spec.layers[5].lanes[1]] == ["Conv2d", "BatchNorm2d"]
    assert not scene.items_by_uid[residual.uid].fix_badge.isVisible()
    fixed = state(doc)
    doc.undo()
    assert state(doc) == broken and scene.items_by_uid[residual.uid].fix_badge.isVisible()
    doc.redo()
    assert state(doc) == fixed


def test_the_inspector_edits_an_inner_block_and_offers_the_fix_of_a_container(canvas: NetworkCanvas, qtbot) -> None:
    from gui_app.ui.editing.inspector import LayerInspector

    doc = canvas.document
    inspector = LayerInspector(doc)
    qtbot.addWidget(inspector)
    conv = doc.spec.layers[5].lanes[0][0]
    inspector.show_selection([conv.uid])
    assert inspector.title.text() == "Conv2d" and "Block 6.body.1" in inspector.info.text()
    assert inspector.rows["in_channels"].editor.box.value() == 16  # inferred from what reaches the body
    inspector.rows["out_channels"].editor.box.setValue(24)  # as the user types it
    assert doc.spec.block(conv.uid).params["out_channels"] == 24 and doc.undo_stack.count() == 1
    residual = doc.spec.layers[5]
    doc.spec.replace_lane(Lane(residual.uid, 1), [])
    inspector.show_selection([residual.uid])
    assert "its lanes on the canvas" in inspector.form_host.findChildren(type(inspector.title))[0].text()
    assert inspector.fix_buttons and inspector.fix_buttons[0].text().startswith("Fix: put a 1×1 Conv2d")
    inspector.fix_buttons[0].click()
    assert [b.type for b in doc.spec.layers[5].lanes[1]] == ["Conv2d", "BatchNorm2d"]
