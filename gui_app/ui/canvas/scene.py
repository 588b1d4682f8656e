"""The scene: observes the document and keeps one item per block on show, keyed by uid.

A block is a :class:`BlockItem`; an expanded container is a :class:`ContainerItem` frame whose
lanes' blocks are its child items; a collapsed container is one :class:`BlockItem` showing the
container's output shape and parameters. :mod:`gui_app.ui.canvas.layout` says where each goes.

A change of the tree (insert, remove, move, lanes, a loaded project) runs :meth:`NetworkScene.sync`,
which lays the tree out again, adds and removes only the items that came or went (or changed
between frame and block) and moves only those whose position changed. Any other change updates
the blocks it names by uid, and those whose compiler result or warning it changed (a new size
flows downstream), and nothing else. Items are never rebuilt, so selection and scroll position
survive every edit.

Which containers are collapsed is view state, kept here for the session and not saved: it is how
the user looks at the network, not the network (a project file, its diff and its dirty flag stay
about the network), and uids, the only stable names a block has, live only as long as the process.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Signal, Slot
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QGraphicsScene

from gui_app.core.analysis.compiler import LayerResult
from gui_app.core.analysis.costs import LayerCost
from gui_app.core.analysis.dims import Names, shape_with_names
from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.messages import Where, block_number
from gui_app.core.analysis.repair import problems
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.layers.containers import CONTAINERS
from gui_app.core.project.blocks import TOP, Lane, Place, count_blocks, walk
from gui_app.core.project.spec import STRUCTURAL, Change, ChangeKind, LayerSpec
from gui_app.core.text.numbers import format_bytes, format_count, format_macs, format_shape
from gui_app.core.training.events import HealthEvent
from gui_app.ui.canvas.container_items import CollapseToggle, ContainerItem, FrameState
from gui_app.ui.canvas.fix_badge import BADGE_GAP, beside_fix
from gui_app.ui.canvas.fix_badge import BADGE_WIDTH as FIX_BADGE_WIDTH
from gui_app.ui.canvas.health import BADGE_HEIGHT, HealthBadge
from gui_app.ui.canvas.health import BADGE_WIDTH as HEALTH_BADGE_WIDTH
from gui_app.ui.canvas.items import BLOCK_HEIGHT, BLOCK_WIDTH, GAP, BlockItem, BlockState, InsertionMarker
from gui_app.ui.canvas.layout import HEADER, CanvasLayout, LaneGeometry, lay_out
from gui_app.ui.document.document import Document
from gui_app.ui.theme import canvas_colours

CanvasItem = BlockItem | ContainerItem


class NetworkScene(QGraphicsScene):
    """The chain Input → blocks → Output of one document, containers drawn as frames."""

    #: A user dragged blocks (the one grabbed, or the selection it is in) to the marker's gap, along
    #: a lane or into another: (uids, target Lane, the gap's index in that lane as it is now).
    blocks_move_requested = Signal(list, object, int)
    #: A user clicked a block's Fix badge: the block's uid, or None for the Input (a network-wide fix).
    fix_requested = Signal(object)
    #: A Parallel's "+ lane" (its uid) and a lane's ✕ (the Parallel's uid, the lane).
    lane_add_requested = Signal(int)
    lane_remove_requested = Signal(int, int)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.colours = canvas_colours()
        self.items_by_uid: dict[int, CanvasItem] = {}
        #: the containers shown as one block (view state, see the module's docstring)
        self.collapsed: set[int] = set()
        self.layout = CanvasLayout()
        #: the fix each item's badge applies (None: the Input's, the network's)
        self.fix_for_item: dict[int | None, Fix] = {}
        self.input_item = BlockItem(None, "input", self.colours)
        self.output_item = BlockItem(None, "output", self.colours)
        self.addItem(self.input_item)
        self.addItem(self.output_item)
        self.marker = InsertionMarker(self.colours)
        self.marker.lane = TOP
        self.addItem(self.marker)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        #: what each item was last drawn from (its compiler result, warning, names, cost, fix)
        self._shown: dict[int, tuple] = {}
        self._places: dict[int, Place] = {}
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
        self._place_health_badges()  # a Fix badge that came or went moves them

    def detach(self) -> None:
        """Stop following the document (a scene about to be thrown away)."""
        self.document.changed.disconnect(self._document_changed)

    def sync(self) -> None:
        """Lay the items out in line with the document's tree, then update every block."""
        layers = self.document.spec.layers
        self._places = {place.block.uid: place for place in walk(layers)}
        self.collapsed &= {uid for uid, place in self._places.items() if place.block.lanes is not None}
        self.layout = layout = lay_out(layers, self.collapsed)
        for badge in self.health_badges.values():
            badge.setParentItem(None)  # kept while the item it stands by may be replaced (a collapse)
        created = self._make_items(layout)
        free = bool(layout.frames)
        for uid, (x, y) in layout.positions.items():
            item = self.items_by_uid[uid]
            parent = layout.parent[uid]
            px, py = layout.positions[parent] if parent is not None else (0.0, 0.0)
            item.place(QPointF(x - px, y - py))
            if isinstance(item, ContainerItem):
                item.set_geometry(layout.frames[uid])
            else:
                item.free_drag = free
        self.input_item.place(QPointF(0, 0))
        self.output_item.place(QPointF(0, layout.output_y))
        # New items are drawn from scratch; the others only where what they show changed (a
        # block that moved has a new index in its result, so it is among them).
        self._update_blocks(created)
        self._update_ends()
        self._place_health_badges()
        self._update_rect()

    def _make_items(self, layout: CanvasLayout) -> set[int]:
        """Items for the blocks on show (a frame for an expanded container), each in its frame;
        the others taken out. Returns the uids whose items are new."""
        created: set[int] = set()
        stale: list[CanvasItem] = []
        for uid in list(self.items_by_uid):
            item = self.items_by_uid[uid]
            if uid not in layout.positions or isinstance(item, ContainerItem) != (uid in layout.frames):
                stale.append(self.items_by_uid.pop(uid))
                self._shown.pop(uid, None)
        for item in stale:
            item.setParentItem(None)  # the blocks it held that stay are put in their new frames below
        for uid in layout.order:
            item = self.items_by_uid.get(uid)
            if item is None:
                item = self._new_item(uid, uid in layout.frames)
                self.items_by_uid[uid] = item
                created.add(uid)
            parent = layout.parent[uid]
            parent_item = self.items_by_uid[parent] if parent is not None else None
            if item.parentItem() is not parent_item:
                item.setParentItem(parent_item)
            if item.scene() is None:
                self.addItem(item)
        for item in stale:
            if item.scene() is self:
                self.removeItem(item)
        return created

    def _new_item(self, uid: int, frame: bool) -> CanvasItem:
        if frame:
            return ContainerItem(uid, self.colours)
        item = BlockItem(uid, "layer", self.colours)
        if self._places[uid].block.lanes is not None:
            item.collapse_toggle = CollapseToggle(item, self.colours)  # held: the item must keep it alive
        return item

    def _update_blocks(self, named: set[int]) -> None:
        """Update the items ``named`` by uid, and any other whose result, warning or fix changed."""
        doc = self.document
        top_uids = [layer.uid for layer in doc.spec.layers]
        warnings: dict[int, object] = {}
        for warning in doc.warnings:
            if warning.index is not None and top_uids[warning.index] not in warnings:
                warnings[top_uids[warning.index]] = warning
        names = dict(zip(top_uids, doc.dims.layers, strict=True))
        costs = _costs_by_uid(doc.compiled.layers, doc.costs.layers)
        fixes = self._first_fixes()
        for uid, item in self.items_by_uid.items():
            place = self._places[uid]
            result = doc.result(uid)
            fix = fixes.get(uid)
            shown = (result, warnings.get(uid), names.get(uid), costs.get(uid), fix.label if fix else None)
            if uid in named or self._shown.get(uid) != shown:
                self._shown[uid] = shown
                where = place.address if place.depth else place.index
                if isinstance(item, ContainerItem):
                    item.set_state(_frame_state(where, place.block, result, shown[4]))
                else:
                    item.set_state(_layer_state(where, place.block, *shown))

    def _first_fixes(self) -> dict[int | None, Fix]:
        """Each item's first fix (None: the network's), errors before warnings; a block hidden in a
        collapsed container has its fix on that container's block."""
        hidden = self.layout.hidden_in
        first: dict[int | None, Fix] = {}
        for problem in problems(self.document.compiled, self.document.warnings):
            if problem.remedy is not None:
                uid = None if problem.index is None else problem.uid
                first.setdefault(hidden.get(uid, uid) if uid is not None else None, problem.remedy)
        self.fix_for_item = first
        return first

    def fix_clicked(self, item: CanvasItem) -> None:
        """A block's Fix badge was clicked (the Input's stands for the network-wide fixes)."""
        self.fix_requested.emit(item.uid)

    def _update_ends(self) -> None:
        doc = self.document
        shape = tuple(doc.spec.input_shape)
        named = shape_with_names(shape, doc.dims.input)
        fix = self._first_fixes().get(None)
        self.input_item.set_state(
            BlockState("Input", "", format_shape(shape), "", "Input", fix=fix.label if fix else None, named_shape=named)
        )
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

    def network_rect(self) -> QRectF:
        """Where the network is drawn: Input to Output, the widest frame included."""
        layout = self.layout
        return QRectF(layout.left, 0, layout.right - layout.left, layout.output_y + BLOCK_HEIGHT)

    def _update_rect(self) -> None:
        rect = self.network_rect()
        # Room beside the network for the toggles (left), a Fix badge and a health badge (right),
        # and around it to scroll to.
        self.setSceneRect(rect.adjusted(-90, -GAP * 2, _RIGHT_MARGIN, GAP * 2))

    def set_dark(self, dark: bool) -> None:
        self.colours = canvas_colours(dark)
        for item in [self.input_item, self.output_item, *self.items_by_uid.values(), *self.health_badges.values()]:
            item.set_colours(self.colours)
        for item in self.items():
            if isinstance(item, CollapseToggle):
                item.colours = self.colours
        self.marker.colours = self.colours
        for view in self.views():
            view.resetCachedContent()  # the cached background has the old colours
        self.update()

    # ------------------------------------------------------------------ collapse and expand
    def toggle_collapsed(self, uid: int) -> None:
        self.set_collapsed([uid], uid not in self.collapsed)

    def set_collapsed(self, uids: list[int], collapsed: bool) -> None:
        """Collapse (or expand) the containers ``uids``; a selection inside a collapsed one moves
        to its block."""
        containers = {uid for uid in uids if uid in self._places and self._places[uid].block.lanes is not None}
        wanted = self.collapsed | containers if collapsed else self.collapsed - containers
        if wanted == self.collapsed:
            return
        selected = self.selected_uids()
        self.collapsed = wanted
        self.sync()
        hidden = self.layout.hidden_in
        self.select_uids(list(dict.fromkeys(hidden.get(uid, uid) for uid in selected)))

    def containers(self) -> list[int]:
        """Every container in the network, outermost first."""
        return [uid for uid, place in self._places.items() if place.block.lanes is not None]

    # ------------------------------------------------------------------ lanes
    def lane_add_clicked(self, uid: int) -> None:
        self.lane_add_requested.emit(uid)

    def lane_remove_clicked(self, uid: int, lane: int) -> None:
        self.lane_remove_requested.emit(uid, lane)

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
                badge = self.health_badges[uid] = HealthBadge(self.colours)
            badge.add(block, event)
        self._place_health_badges()

    def _place_health_badges(self) -> None:
        """Each health badge beside its block's item (a block, or a container's header) and its
        Fix badge; a badge whose block is no longer on show goes."""
        for uid, badge in list(self.health_badges.items()):
            item = self.items_by_uid.get(uid)
            if item is None:
                self._remove_badge(self.health_badges.pop(uid))
                continue
            if badge.parentItem() is not item:
                badge.setParentItem(item)  # which puts it in the scene too
            badge.setPos(beside_fix(item.fix_badge, BADGE_HEIGHT))

    def clear_health(self) -> None:
        """Take every health badge away (a new run, or an edit that made the figures stale)."""
        for badge in self.health_badges.values():
            self._remove_badge(badge)
        self.health_badges.clear()

    def _remove_badge(self, badge: HealthBadge) -> None:
        if badge.scene() is self:
            self.removeItem(badge)

    # ------------------------------------------------------------------ selection
    def selected_uids(self) -> list[int]:
        """Selected blocks' uids (any depth, containers included), in the order the canvas shows them."""
        order = {uid: n for n, uid in enumerate(self.layout.order)}
        # Items being removed during a sync may still be selected: only blocks on show count.
        uids = [
            item.uid
            for item in self.selectedItems()
            if isinstance(item, (BlockItem, ContainerItem))
            and item.uid in order
            and self.items_by_uid.get(item.uid) is item
        ]
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
        self.select_uids([layer.uid for layer in self.document.spec.layers])

    # ------------------------------------------------------------------ insertion positions
    def drop_target(self, scene_pos: QPointF) -> tuple[Lane, int]:
        """The lane and the gap in it that a drop at ``scene_pos`` lands in (the innermost lane there)."""
        lane = self.layout.lane_at(scene_pos.x(), scene_pos.y())
        return lane.lane, lane.index_at(scene_pos.y())

    def marker_y(self, index: int, lane: Lane = TOP) -> float:
        return self.layout.lanes[lane].slot_y(index)

    def show_marker(self, index: int, lane: Lane = TOP) -> None:
        geometry = self.layout.lanes.get(lane, self.layout.top_lane)
        width = BLOCK_WIDTH if geometry.lane == TOP else geometry.width
        self.marker.index = index
        self.marker.lane = geometry.lane
        self.marker.set_width(width)
        self.marker.setPos(QPointF(geometry.axis - width / 2, geometry.slot_y(index)))
        self.marker.setVisible(True)

    def hide_marker(self) -> None:
        self.marker.index = -1
        self.marker.lane = TOP
        self.marker.setVisible(False)

    def anchor_place(self) -> tuple[Lane, int]:
        """Where keyboard adds and pastes go: after the last selected block, in its lane (into an
        empty lane of a selected container), else at the end of the network."""
        uids = self.selected_uids()
        if uids:
            place = self._places[uids[-1]]
            return place.lane, place.index + 1
        if self.input_item.isSelected():
            return TOP, 0
        return TOP, len(self.document.spec.layers)

    # ------------------------------------------------------------------ block drags
    def block_dragged(self, item: CanvasItem) -> None:
        # A dragged selection moves every selected item; the one under the mouse places the marker,
        # as it places the drop (block_released comes from it)
        grabbed = self.mouseGrabberItem()
        if grabbed is not None and grabbed is not item:
            return
        lane, gap = self._drag_target(item)
        self.show_marker(gap, lane)

    def block_released(self, item: CanvasItem) -> None:
        self.hide_marker()
        if item.uid in self._places:
            lane, gap = self._drag_target(item)
            selected = self.selected_uids()
            uids = selected if item.uid in selected else [item.uid]
            # lands where the marker was and syncs the scene; a drop back where it was is no step
            self.blocks_move_requested.emit(uids, lane, gap)
        # A refused or no-op move leaves the dragged blocks off the layout: put them back.
        for block in self.items_by_uid.values():
            block.place(block.layout_pos)

    def _drag_target(self, item: CanvasItem) -> tuple[Lane, int]:
        """Where a dragged item would land: the lane, and the gap in it as the lane is now (in its
        own lane, the gap past the block whose place it takes)."""
        width = item.width if isinstance(item, ContainerItem) else BLOCK_WIDTH
        grip = item.mapToScene(QPointF(width / 2, (HEADER if isinstance(item, ContainerItem) else BLOCK_HEIGHT) / 2))
        place = self._places[item.uid]
        inside = {p.block.uid for p in walk([place.block])}
        lane = self._lane_at(grip, inside)
        if lane.lane != place.lane:
            return lane.lane, lane.index_at(grip.y())
        target = lane.block_at(grip.y())
        return lane.lane, target if target <= place.index else target + 1

    def _lane_at(self, point: QPointF, outside: set[int]) -> LaneGeometry:
        """The innermost lane at ``point`` that is not in one of the containers ``outside``."""
        best = self.layout.top_lane
        for lane in self.layout.lanes.values():
            if lane.lane.container not in outside and lane.depth > best.depth and lane.holds(point.x(), point.y()):
                best = lane
        return best

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
#: A Fix badge and a health badge side by side right of a block, and a little air.
_RIGHT_MARGIN = 2 * BADGE_GAP + FIX_BADGE_WIDTH + HEALTH_BADGE_WIDTH + 6


def _layer_state(
    where: Where,
    layer: LayerSpec,
    result: LayerResult,
    warning,
    names: Names | None,
    cost: LayerCost | None,
    fix: str | None,
) -> BlockState:
    """What the block of ``layer`` shows, from its compiler result, first warning, costs and fix
    (a collapsed container: its output shape, parameters and what it holds)."""
    layer_type = CATALOGUE[layer.type]
    if layer.lanes is not None:
        inside = count_blocks([layer]) - 1
        summary = f"{inside} block{'s' if inside != 1 else ''} · {_merge_words(layer, result)}"
    else:
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
        where,
        fix,
        shape_with_names(result.output_shape, names) if result.output_shape is not None and names else "",
        _cost_lines(result, cost) if cost is not None else (),
    )


def _frame_state(where: Where, block: LayerSpec, result: LayerResult, fix: str | None) -> FrameState:
    """What an expanded container's frame shows."""
    rule = CONTAINERS[block.type]
    lanes = block.lanes or []
    numbered = not rule.fixed_names
    return FrameState(
        block.type,
        _container_summary(block, result),
        f"#{block_number(where)}",
        format_shape(result.output_shape) if result.output_shape is not None else "?",
        f"{format_count(result.params)} params" if result.params else "no parameters",
        result.error,
        tuple(block.lane_name(n) for n in range(len(lanes))),
        _merge(block, result),
        fix,
        numbered and len(lanes) < rule.max_lanes,
        numbered and len(lanes) > rule.min_lanes,
    )


def _merge(block: LayerSpec, result: LayerResult) -> str:
    if block.type == "Residual":
        return "sum"
    return str(result.kwargs.get("merge") or block.params.get("merge") or CATALOGUE[block.type].defaults().get("merge"))


def _container_summary(block: LayerSpec, result: LayerResult) -> str:
    if block.type == "Residual":
        return "body + shortcut, summed"
    return f"{len(block.lanes or [])} lanes, {'summed' if _merge(block, result) == 'sum' else 'concatenated'}"


def _merge_words(block: LayerSpec, result: LayerResult) -> str:
    """How a collapsed container joins its lanes, in the few words its block has room for."""
    if block.type == "Residual":
        shortcut = (block.lanes or [[], []])[1]
        return f"{len(shortcut)}-block shortcut" if shortcut else "identity shortcut"
    return f"{len(block.lanes or [])} lanes, {_merge(block, result)}"


def _costs_by_uid(results: list[LayerResult], costs: list[LayerCost]) -> dict[int, LayerCost]:
    """Each block's cost by uid, the blocks in lanes included (the two trees have one shape)."""
    found: dict[int, LayerCost] = {}
    for result, cost in zip(results, costs, strict=True):
        found[result.uid] = cost
        for lane_results, lane_costs in zip(result.lanes, cost.lanes, strict=False):
            found.update(_costs_by_uid(lane_results, list(lane_costs)))
    return found


def _cost_lines(result: LayerResult, cost: LayerCost) -> tuple[str, ...]:
    """The tooltip's costs of one block: per sample, and its parameters' memory (float32)."""
    if cost.macs is None or cost.activation_bytes is None:
        return ()
    return (
        f"MACs per sample: {format_macs(cost.macs)}",
        f"Activation memory per sample: {format_bytes(cost.activation_bytes)}",
        f"Parameters: {result.params:,} ({format_bytes(cost.param_bytes)})",
    )
