"""The canvas widget: drops from the palette, zoom, pan, rubber-band selection, keyboard moves.

Dragging empty space pans; Shift+drag draws a rubber band; Ctrl+wheel zooms around the mouse.
While a palette drag hovers, the scene's insertion marker shows where the layer will land (in the
innermost lane under the mouse: a container's body, shortcut or lane, or the top-level chain), and
the drop becomes one ``Add`` command on the document. ← collapses the selected containers (or the
one holding the selected block), → expands them; Shift+← and Shift+→ do it to every container.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QLabel

from gui_app.core.project.blocks import Lane
from gui_app.ui.canvas.container_items import ContainerItem
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, BlockItem
from gui_app.ui.canvas.scene import NetworkScene
from gui_app.ui.document.document import Document
from gui_app.ui.layer_drag import dragged_layer_type

MIN_ZOOM = 0.15
MAX_ZOOM = 3.0


class NetworkCanvas(QGraphicsView):
    """The network editor in the centre of the window."""

    #: Emitted with the uids of a finished drop (so the window can select and focus them).
    layer_dropped = Signal(int)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("networkCanvas")
        self.setAccessibleName("networkCanvas")
        self.setAccessibleDescription("The network as a chain of blocks from Input to Output")
        self.document = document
        self.network_scene = NetworkScene(document, self)
        self.network_scene.fix_requested.connect(self._fix_requested)
        self.network_scene.blocks_move_requested.connect(self._blocks_move_requested)
        self.network_scene.lane_add_requested.connect(self._lane_add_requested)
        self.network_scene.lane_remove_requested.connect(self._lane_remove_requested)
        self.setScene(self.network_scene)
        self.setAcceptDrops(True)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStatusTip(
            "Drag a block to move it · drag space to pan · Shift+drag to select · Ctrl+wheel to zoom · "
            "↑/↓ select · Alt+↑/↓ move · ←/→ fold"
        )
        self.banner = QLabel(self)
        self.banner.setObjectName("canvasLockBanner")
        self.banner.setWordWrap(True)
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setVisible(False)
        document.lock_changed.connect(self._show_lock)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    # ------------------------------------------------------------------ zoom and pan
    def zoom_by(self, factor: float) -> None:
        factor = max(MIN_ZOOM / self.zoom, min(MAX_ZOOM / self.zoom, factor))
        self.scale(factor, factor)

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def reset_zoom(self) -> None:
        self.resetTransform()

    def fit(self) -> None:
        """Frame the whole network (never blowing small networks up past 100%)."""
        rect = self.network_scene.network_rect().adjusted(-30, -20, 30, 20)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom > 1.0:
            self.resetTransform()
        elif self.zoom < MIN_ZOOM:
            self.resetTransform()
            self.scale(MIN_ZOOM, MIN_ZOOM)
        self.centerOn(rect.center()) if self.zoom < 1.0 else self.ensureVisible(QRectF(rect.topLeft(), rect.size()))

    def frame_for_reading(self, min_zoom: float = 0.8) -> None:
        """Fit the network, but never below a zoom where block text stays readable; a long network
        then starts at its Input and the user scrolls down."""
        self.fit()
        if self.zoom < min_zoom:
            self.resetTransform()
            self.scale(min_zoom, min_zoom)
            top = self.network_scene.input_item.sceneBoundingRect()
            self.centerOn(top.center().x(), top.top() + self.viewport().height() / (2 * min_zoom) - 20)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self.zoom_by(1.15**steps)
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        on_item = isinstance(self.itemAt(event.position().toPoint()), (BlockItem, ContainerItem))
        if not on_item and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        elif event.button() == Qt.MouseButton.MiddleButton or not on_item:
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        else:
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)

    # ------------------------------------------------------------------ keyboard
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._collapse_by_key(key == Qt.Key.Key_Left, bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            event.accept()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            if event.modifiers() & Qt.KeyboardModifier.AltModifier:
                self._move_selected(step)
            else:
                self._select_neighbour(step)
            event.accept()
            return
        super().keyPressEvent(event)

    def _select_neighbour(self, step: int) -> None:
        """Select the next (or previous) block as the canvas shows them, into and out of frames."""
        order = self.network_scene.layout.order
        if not order:
            return
        uids = self.network_scene.selected_uids()
        start = 0 if step > 0 else len(order) - 1
        index = order.index(uids[-1 if step > 0 else 0]) + step if uids else start
        uid = order[max(0, min(index, len(order) - 1))]
        self.network_scene.select_uids([uid])
        item = self.network_scene.items_by_uid[uid]
        top = item.mapToScene(QPointF(0, 0))
        self.ensureVisible(QRectF(top, QSizeF(BLOCK_WIDTH, BLOCK_HEIGHT)), 20, 40)

    def _move_selected(self, step: int) -> None:
        """Alt+↑/↓: move the one selected block a place up or down its lane."""
        uids = self.network_scene.selected_uids()
        if len(uids) != 1:
            return
        place = self.document.spec.place(uids[0])
        if place.index + step >= 0:
            self.document.move_blocks(uids, place.lane, place.index + step + (1 if step > 0 else 0))

    def _collapse_by_key(self, collapse: bool, every: bool) -> None:
        """← / →: collapse or expand the selected containers (a selected inner block: the container
        holding it); with Shift, every container."""
        scene = self.network_scene
        if every:
            scene.set_collapsed(scene.containers(), collapse)
            return
        targets = []
        for uid in scene.selected_uids():
            place = self.document.spec.place(uid)
            if place.block.lanes is not None and (collapse != (uid in scene.collapsed)):
                targets.append(uid)
            elif collapse and place.lane.container is not None:
                targets.append(place.lane.container)
        scene.set_collapsed(targets, collapse)

    def _blocks_move_requested(self, uids: list[int], lane: Lane, index: int) -> None:
        self.document.move_blocks(uids, lane, index)

    def _lane_add_requested(self, container: int) -> None:
        self.document.add_lane(container)

    def _lane_remove_requested(self, container: int, lane: int) -> None:
        self.document.remove_lane(container, lane)

    def _fix_requested(self, uid: int | None) -> None:
        """Apply the fix whose badge was clicked (the Input's: the network's)."""
        fix = self.network_scene.fix_for_item.get(uid)
        if fix is not None:
            self.document.apply_fix(fix)

    # ------------------------------------------------------------------ drag and drop
    def _layer_type(self, event: QDropEvent) -> str | None:
        return dragged_layer_type(event.mimeData())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._layer_type(event) and not self.document.lock_reason:
            event.acceptProposedAction()
            self._update_marker(event)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._layer_type(event) and not self.document.lock_reason:
            event.acceptProposedAction()
            self._update_marker(event)
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self.network_scene.hide_marker()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        name = self._layer_type(event)
        scene = self.network_scene
        if name is None:
            event.ignore()
            return
        lane, index = self._drop_target(event.position().toPoint())
        scene.hide_marker()
        uid = self.document.add_layer(name, index, lane=lane)
        if uid is not None:
            scene.select_uids([uid])
            self.layer_dropped.emit(uid)
            event.acceptProposedAction()
        else:
            event.ignore()

    def _drop_target(self, pos: QPoint) -> tuple[Lane, int]:
        return self.network_scene.drop_target(self.mapToScene(pos))

    def _update_marker(self, event: QDropEvent) -> None:
        lane, index = self._drop_target(event.position().toPoint())
        self.network_scene.show_marker(index, lane)

    # ------------------------------------------------------------------ lock banner
    def _show_lock(self, reason: str) -> None:
        self.banner.setText(f"<b>Locked.</b> {reason}" if reason else "")
        self.banner.setVisible(bool(reason))
        self._place_banner()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_banner()

    def _place_banner(self) -> None:
        width = self.viewport().width() - 24
        self.banner.setFixedWidth(max(100, width))
        self.banner.adjustSize()
        self.banner.move(12, 10)
