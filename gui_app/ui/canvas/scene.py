"""The scene: observes the document and keeps one :class:`BlockItem` per layer, keyed by uid.

A change of the chain (insert, remove, move, a loaded project) runs :meth:`NetworkScene.sync`,
which adds and removes only the blocks that came or went and moves only those whose position
changed. Any other change updates the blocks it names by uid, and those whose compiler result or
warning it changed (a new size flows downstream), and nothing else. Items are never rebuilt, so
selection and scroll position survive every edit.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene

from gui_app.core.analysis.compiler import LayerResult
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.spec import STRUCTURAL, Change, ChangeKind, LayerSpec
from gui_app.core.text.numbers import format_count, format_shape
from gui_app.core.training.events import HealthEvent
from gui_app.ui.canvas.health import BADGE_HEIGHT, HealthBadge
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
        #: what each layer's item was last drawn from: its compiler result and its warning
        self._shown: dict[int, tuple[LayerResult, object]] = {}
        #: each block's layer-health badge, by uid, while a run's figures are current
        self.health_badges: dict[int, HealthBadge] = {}
        document.changed.connect(self._document_changed)
        self.sync()

    # ------------------------------------------------------------------ sync
    def _document_changed(self, change: Change) -> None:
        parts = change.each()
        if any(part.kind not in _KEEPS_HEALTH for part in parts):
            self.clear_health()  # the figures were measured on the network as it was
        if any(part.kind in STRUCTURAL for part in parts):
            self.sync()
            return
        self._update_blocks({part.uid for part in parts if part.uid is not None})
        self._update_ends()

    def detach(self) -> None:
        """Stop following the document (a scene about to be thrown away)."""
        self.document.changed.disconnect(self._document_changed)

    def sync(self) -> None:
        """Lay the items out in line with the document's chain, then update every block."""
        layers = self.document.spec.layers
        wanted = {layer.uid for layer in layers}
        for uid in [u for u in self.items_by_uid if u not in wanted]:
            self.removeItem(self.items_by_uid.pop(uid))
            self._shown.pop(uid, None)
        for index, layer in enumerate(layers):
            item = self.items_by_uid.get(layer.uid)
            if item is None:
                item = BlockItem(layer.uid, "layer", self.colours)
                self.items_by_uid[layer.uid] = item
                self.addItem(item)
            item.place(QPointF(0, (index + 1) * STEP))
        self.input_item.place(QPointF(0, 0))
        self.output_item.place(QPointF(0, (len(layers) + 1) * STEP))
        self._update_blocks(wanted)
        self._update_ends()
        self._update_rect()

    def _update_blocks(self, named: set[int]) -> None:
        """Update the blocks ``named`` by uid, and any other whose result or warning changed."""
        doc = self.document
        warnings: dict[int, object] = {}
        for warning in doc.warnings:
            if warning.index is not None and warning.index not in warnings:
                warnings[warning.index] = warning
        for index, layer in enumerate(doc.spec.layers):
            shown = (doc.compiled.layers[index], warnings.get(index))
            if layer.uid in named or self._shown.get(layer.uid) != shown:
                self._shown[layer.uid] = shown
                self.items_by_uid[layer.uid].set_state(_layer_state(index, layer, *shown))

    def _update_ends(self) -> None:
        doc = self.document
        self.input_item.set_state(BlockState("Input", "", format_shape(doc.spec.input_shape), "", "Input"))
        compiled = doc.compiled
        out = compiled.output_shape
        self.output_item.set_state(
            BlockState(
                "Output",
                doc.spec.training.loss,
                f"{format_shape(out)}" if out is not None else "— (fix the errors above)",
                f"{format_count(compiled.total_params)} params",
                "Output",
            )
        )

    def _update_rect(self) -> None:
        n = len(self.document.spec.layers)
        height = (n + 2) * STEP - GAP
        self.setSceneRect(QRectF(-90, -GAP * 2, BLOCK_WIDTH + 180, height + GAP * 4))

    def set_dark(self, dark: bool) -> None:
        self.colours = canvas_colours(dark)
        for item in [self.input_item, self.output_item, *self.items_by_uid.values(), *self.health_badges.values()]:
            item.set_colours(self.colours)
        self.marker.colours = self.colours
        for view in self.views():
            view.resetCachedContent()  # the cached background has the old colours
        self.update()

    # ------------------------------------------------------------------ layer health
    @Slot(object)
    def show_health(self, event: HealthEvent) -> None:
        """Add a health probe's figures to the badges of its blocks (created at the first probe).

        A block whose type differs from the probe's (figures of another network) is left alone.
        """
        layers = self.document.spec.layers
        for block in event.blocks:
            if block.index >= len(layers) or layers[block.index].type != block.type:
                continue
            uid = layers[block.index].uid
            badge = self.health_badges.get(uid)
            if badge is None:
                badge = HealthBadge(self.colours, self.items_by_uid[uid])
                badge.setPos(BLOCK_WIDTH + 8, (BLOCK_HEIGHT - BADGE_HEIGHT) / 2)
                self.health_badges[uid] = badge
            badge.add(block, event)

    def clear_health(self) -> None:
        """Take every health badge away (a new run, or an edit that made the figures stale)."""
        for badge in self.health_badges.values():
            self.removeItem(badge)
        self.health_badges.clear()

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
            self.move_requested.emit(item.uid, target)  # a move syncs the scene
        # A refused or no-op move leaves the dragged blocks off the layout: put them back.
        for block in self.items_by_uid.values():
            block.place(block.layout_pos)

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


#: Changes after which a run's health figures still describe the network: its name, its settings.
_KEEPS_HEALTH = frozenset({ChangeKind.NAME, ChangeKind.TRAINING})


def _layer_state(index: int, layer: LayerSpec, result: LayerResult, warning) -> BlockState:
    """What the block of ``layer`` shows, from its compiler result and first warning."""
    layer_type = CATALOGUE[layer.type]
    summary = result.summary or layer_type.summary({**layer_type.defaults(), **layer.params})
    note = None
    if warning is not None:
        note = f"{warning.message} — {warning.fix}" if warning.fix else warning.message
    return BlockState(
        layer.type,
        summary,
        format_shape(result.output_shape) if result.output_shape is not None else "?",
        f"{format_count(result.params)} params" if result.params else "",
        layer_type.category,
        result.error,
        note,
        index,
    )
