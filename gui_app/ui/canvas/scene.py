"""The scene: observes the document and keeps one :class:`BlockItem` per layer, keyed by uid.

Every document change runs :meth:`NetworkScene.sync`, which updates items in place: it adds and
removes only the blocks that came or went, moves only those whose position changed and repaints
only those whose text changed. Selection and scroll position therefore survive every edit.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene

from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.text.numbers import format_count, format_shape
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, GAP, STEP, BlockItem, BlockState, InsertionMarker
from gui_app.ui.document.document import Document
from gui_app.ui.theme import canvas_colours


class NetworkScene(QGraphicsScene):
    """The chain Input → layers → Output of one document."""

    #: A user asked to move a block by dragging it (uid, target index); the view pushes the command.
    move_requested = Signal(int, int)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.colours = canvas_colours()
        self.items_by_uid: dict[int, BlockItem] = {}
        self.input_item = BlockItem(None, "input", self.colours)
        self.output_item = BlockItem(None, "output", self.colours)
        self.addItem(self.input_item)
        self.addItem(self.output_item)
        self.marker = InsertionMarker(self.colours)
        self.addItem(self.marker)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        document.changed.connect(self.sync)
        self.sync()

    # ------------------------------------------------------------------ sync
    def sync(self, _change=None) -> None:
        """Bring the items in line with the document (in place)."""
        doc = self.document
        layers = doc.spec.layers
        wanted = {layer.uid for layer in layers}
        for uid in [u for u in self.items_by_uid if u not in wanted]:
            item = self.items_by_uid.pop(uid)
            self.removeItem(item)
        warnings: dict[int, object] = {}
        for warning in doc.warnings:
            if warning.index is not None and warning.index not in warnings:
                warnings[warning.index] = warning
        for index, layer in enumerate(layers):
            item = self.items_by_uid.get(layer.uid)
            if item is None:
                item = BlockItem(layer.uid, "layer", self.colours)
                self.items_by_uid[layer.uid] = item
                self.addItem(item)
            item.place(QPointF(0, (index + 1) * STEP))
            result = doc.compiled.layers[index]
            warning = warnings.get(index)
            layer_type = CATALOGUE[layer.type]
            category = layer_type.category
            summary = result.summary or layer_type.summary({**layer_type.defaults(), **layer.params})
            shape = format_shape(result.output_shape) if result.output_shape is not None else "?"
            item.set_state(
                BlockState(
                    layer.type,
                    summary,
                    shape,
                    f"{format_count(result.params)} params" if result.params else "",
                    category,
                    result.error,
                    f"{warning.message} — {warning.fix}"
                    if warning is not None and warning.fix
                    else (warning.message if warning is not None else None),
                    index,
                )
            )
        self.input_item.place(QPointF(0, 0))
        self.input_item.set_state(BlockState("Input", "", format_shape(doc.spec.input_shape), "", "Input"))
        self.output_item.place(QPointF(0, (len(layers) + 1) * STEP))
        compiled = doc.compiled
        out = compiled.output_shape
        loss = doc.spec.training.loss
        self.output_item.set_state(
            BlockState(
                "Output",
                loss,
                f"{format_shape(out)}" if out is not None else "— (fix the errors above)",
                f"{format_count(compiled.total_params)} params",
                "Output",
            )
        )
        self._update_rect()

    def _update_rect(self) -> None:
        n = len(self.document.spec.layers)
        height = (n + 2) * STEP - GAP
        self.setSceneRect(QRectF(-90, -GAP * 2, BLOCK_WIDTH + 180, height + GAP * 4))

    def set_dark(self, dark: bool) -> None:
        self.colours = canvas_colours(dark)
        for item in [self.input_item, self.output_item, *self.items_by_uid.values()]:
            item.set_colours(self.colours)
        self.marker.colours = self.colours
        for view in self.views():
            view.resetCachedContent()  # the cached background has the old colours
        self.update()

    # ------------------------------------------------------------------ selection
    def selected_uids(self) -> list[int]:
        """Selected layer uids, in network order."""
        order = {layer.uid: i for i, layer in enumerate(self.document.spec.layers)}
        # Items being removed during a sync may still be selected: only layers of the spec count.
        uids = [item.uid for item in self.selectedItems() if isinstance(item, BlockItem) and item.uid in order]
        return sorted(uids, key=order.__getitem__)

    def select_uids(self, uids: list[int]) -> None:
        self.blockSignals(True)
        self.clearSelection()
        for uid in uids:
            item = self.items_by_uid.get(uid)
            if item is not None:
                item.setSelected(True)
        self.blockSignals(False)
        self.selectionChanged.emit()

    def select_all_layers(self) -> None:
        self.select_uids(list(self.items_by_uid))

    # ------------------------------------------------------------------ insertion positions
    def insertion_index(self, scene_y: float) -> int:
        """Where a block dropped at ``scene_y`` lands (0 = first layer, n = before Output)."""
        n = len(self.document.spec.layers)
        k = round((scene_y + GAP / 2) / STEP) - 1
        return max(0, min(k, n))

    def marker_y(self, index: int) -> float:
        return (index + 1) * STEP - GAP / 2

    def show_marker(self, index: int) -> None:
        self.marker.index = index
        self.marker.setPos(QPointF(0, self.marker_y(index)))
        self.marker.setVisible(True)

    def hide_marker(self) -> None:
        self.marker.index = -1
        self.marker.setVisible(False)

    def anchor_after(self) -> int:
        """Where keyboard adds and pastes go: after the last selected block, else at the end."""
        uids = self.selected_uids()
        if uids:
            return self.document.spec.index_of(uids[-1]) + 1
        if self.input_item.isSelected():
            return 0
        return len(self.document.spec.layers)

    # ------------------------------------------------------------------ block drags
    def block_dragged(self, item: BlockItem) -> None:
        index = self._move_target(item)
        source = self.document.spec.index_of(item.uid)
        gap = index if index <= source else index + 1
        self.show_marker(gap)

    def block_released(self, item: BlockItem) -> None:
        self.hide_marker()
        target = self._move_target(item)
        if item.uid is not None and target != self.document.spec.index_of(item.uid):
            self.move_requested.emit(item.uid, target)
        self.sync()  # snap back into the layout if the move was refused or is a no-op

    def _move_target(self, item: BlockItem) -> int:
        n = len(self.document.spec.layers)
        centre = item.pos().y() + BLOCK_HEIGHT / 2
        return max(0, min(int(centre // STEP) - 1, n - 1))

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self.colours.background)
        # A light dot grid gives the eye a reference while panning and zooming; the step doubles
        # when zoomed out so there are never more than a few thousand dots to draw.
        step = 24
        while (rect.width() / step) * (rect.height() / step) > 4000:
            step *= 2
        left = int(rect.left()) - int(rect.left()) % step
        top = int(rect.top()) - int(rect.top()) % step
        painter.setPen(self.colours.grid)
        painter.drawPoints(
            [
                QPointF(x, y)
                for x in range(left, int(rect.right()) + 1, step)
                for y in range(top, int(rect.bottom()) + 1, step)
            ]
        )
