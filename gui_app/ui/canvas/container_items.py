"""Containers on the canvas: a Residual or Parallel drawn as a frame around its lanes.

The frame's header reads like a block (type, number, output shape, parameters, or the error);
below it the lanes stand side by side, each labelled, each a chain of ordinary blocks (children of
the frame, so they move with it), and their lines meet at the merge (⊕ for a sum, a bar for a
concatenation). The header's toggle collapses the container to one block; a collapsed block
carries a :class:`CollapseToggle` to open it again. Like every canvas item, a frame only shows
state and reports intent to the scene; it never edits the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSceneMouseEvent

from gui_app.core.layers.colours import CATEGORY_COLOURS
from gui_app.ui.canvas.fix_badge import BADGE_GAP, BADGE_HEIGHT, FixBadge
from gui_app.ui.canvas.items import GAP, block_fonts, paint_arrow
from gui_app.ui.canvas.layout import HEADER, LABEL, MERGE, FrameGeometry
from gui_app.ui.theme import CanvasColours

TOGGLE = 18.0
_ADD_LANE = "＋ lane"
_RADIUS = 10.0
_MERGE_RADIUS = 10.0


@dataclass(frozen=True)
class FrameState:
    """Everything a frame shows; compared to skip repaints that would change nothing."""

    title: str
    summary: str
    number: str
    shape: str
    params: str
    error: str | None
    lane_names: tuple[str, ...]
    #: "sum" or "concat"
    merge: str
    fix: str | None = None
    #: whether the header offers "+ lane" and each lane label a ✕ (a Parallel within its bounds)
    can_add_lane: bool = False
    can_remove_lane: bool = False


class ContainerItem(QGraphicsObject):
    """An expanded container: its frame, lanes' wiring and merge; its blocks are child items."""

    def __init__(self, uid: int, colours: CanvasColours) -> None:
        super().__init__()
        self.uid = uid
        self.colours = colours
        self.state = FrameState("", "", "", "", "", None, (), "sum")
        self.layout_pos = QPointF()
        self.show_arrow = True
        self._width = 300.0
        self._height = 200.0
        #: each lane in local coordinates: (axis x, top y, bottom y, empty?)
        self._lanes: list[tuple[float, float, float, bool]] = []
        self._merge_y = 0.0
        self._add_rect = QRectF()
        self._remove_rects: list[QRectF] = []
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        # Drawn once per zoom and state, then blitted: a repaint of a network with many frames
        # would otherwise redraw every header, label and line.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.fix_badge = FixBadge(self, self._width, HEADER)

    # ------------------------------------------------------------------ geometry and state
    def set_geometry(self, frame: FrameGeometry) -> None:
        """Take the frame's size and its lanes' places (scene coordinates, made local here)."""
        lanes = [
            (lane.axis - frame.x, lane.top - frame.y, lane.bottom - frame.y, not lane.uids) for lane in frame.lanes
        ]
        merge_y = frame.merge_y - frame.y
        if (frame.width, frame.height, lanes, merge_y) == (self._width, self._height, self._lanes, self._merge_y):
            return
        self.prepareGeometryChange()
        self._width, self._height, self._lanes, self._merge_y = frame.width, frame.height, lanes, merge_y
        self.fix_badge.setPos(self._width + BADGE_GAP, (HEADER - BADGE_HEIGHT) / 2)
        self._place_buttons()
        self.update()

    def set_state(self, state: FrameState) -> bool:
        """Show ``state``; returns whether anything changed."""
        if state == self.state:
            return False
        self.state = state
        tip = f"<b>{state.title}</b> {state.summary}<br>Output: {state.shape or '—'}<br>{state.params or '0 params'}"
        if state.error:
            tip += f"<br><span style='color:#d7263d'><b>Error:</b> {state.error}</span>"
        if state.fix:
            tip += f"<br><b>Fix:</b> {state.fix} (the Fix button beside the frame)"
        tip += "<br><i>The ▾ toggle (or ← / →) collapses and expands it.</i>"
        self.setToolTip(tip)
        self.fix_badge.show_fix(state.fix)
        self._place_buttons()
        self.update()
        return True

    def _place_buttons(self) -> None:
        """Where "+ lane" and each lane's ✕ are (worked out with the layout, so clicks find them
        whether or not the frame has been painted)."""
        small = block_fonts().small
        metrics = QFontMetrics(small)
        right = self._width - 12 - metrics.horizontalAdvance(self.state.number) - 10
        label_width = metrics.horizontalAdvance(_ADD_LANE) + 12
        self._add_rect = QRectF(right - label_width, 7, label_width, 19) if self.state.can_add_lane else QRectF()
        self._remove_rects = []
        if self.state.can_remove_lane:
            for number, (axis, *_rest) in enumerate(self._lanes):
                name = self.state.lane_names[number] if number < len(self.state.lane_names) else ""
                self._remove_rects.append(QRectF(axis + 12 + metrics.horizontalAdvance(name), HEADER + 10, 14, 14))

    def set_colours(self, colours: CanvasColours) -> None:
        self.colours = colours
        self.update()

    def place(self, pos: QPointF) -> None:
        """Move to the layout position (in the parent's coordinates) without reporting a drag."""
        self.layout_pos = pos
        if self.pos() != pos:
            self.setPos(pos)

    @property
    def width(self) -> float:
        return self._width

    def boundingRect(self) -> QRectF:
        return QRectF(-3, -GAP - 1, self._width + 6, self._height + GAP + 4)

    def shape(self) -> QPainterPath:
        """The header with the lane labels, and the merge strip: the frame is grabbed there; the
        space between lanes pans."""
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, self._width, HEADER + LABEL - 4), _RADIUS, _RADIUS)
        path.addRect(QRectF(0, self._height - MERGE + 4, self._width, MERGE - 4))
        return path

    def toggle_rect(self) -> QRectF:
        return QRectF(10, 8, TOGGLE, TOGGLE)

    # ------------------------------------------------------------------ mouse
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        pos = event.pos()
        if event.button() == Qt.MouseButton.LeftButton and scene is not None:
            if self.toggle_rect().adjusted(-4, -4, 4, 4).contains(pos):
                event.accept()
                scene.toggle_collapsed(self.uid)
                return
            if self.state.can_add_lane and self._add_rect.contains(pos):
                event.accept()
                scene.lane_add_clicked(self.uid)
                return
            for number, rect in enumerate(self._remove_rects):
                if self.state.can_remove_lane and rect.contains(pos):
                    event.accept()
                    scene.lane_remove_clicked(self.uid, number)
                    return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if scene is not None and event.pos().y() < HEADER:
            scene.toggle_collapsed(self.uid)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and self.scene() is not None:
            scene = self.scene()
            if hasattr(scene, "block_dragged") and self.pos() != self.layout_pos:
                scene.block_dragged(self)
        return super().itemChange(change, value)

    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        scene = self.scene()
        if scene is not None and hasattr(scene, "block_released") and self.pos() != self.layout_pos:
            scene.block_released(self)

    # ------------------------------------------------------------------ painting
    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        accent = QColor(CATEGORY_COLOURS["Containers"])
        if self.show_arrow and self.pos() == self.layout_pos:
            paint_arrow(painter, self.colours, self._width / 2, 0.0)
        self._paint_frame(painter, accent)
        self._paint_header(painter)
        self._paint_lanes(painter, accent)
        self._paint_merge(painter, accent)

    def _paint_frame(self, painter: QPainter, accent: QColor) -> None:
        c = self.colours
        fill = QColor(accent)
        fill.setAlpha(20)
        outline = QColor(accent)
        outline.setAlpha(200)
        width = 1.4
        if self.state.error:
            outline, width = c.error, 2.0
        if self.isSelected():
            outline, width = (c.selected, 2.5) if not self.state.error else (outline, 3.0)
        rect = QRectF(0, 0, self._width, self._height)
        painter.setPen(QPen(outline, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, _RADIUS, _RADIUS)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, self._width, HEADER), _RADIUS, _RADIUS)
        band = QColor(accent)
        band.setAlpha(46)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(band)
        painter.drawPath(header.intersected(_rect_path(rect)))

    def _paint_header(self, painter: QPainter) -> None:
        """Line 1: the toggle, type, summary and number; line 2: output shape (or the error) and params."""
        c, s = self.colours, self.state
        fonts = block_fonts()
        title_font, body_font, small_font = fonts.title, fonts.body, fonts.small
        _paint_toggle(painter, self.toggle_rect(), c, expanded=True)
        left, right = self.toggle_rect().right() + 8, self._width - 12
        painter.setFont(small_font)
        number_width = QFontMetrics(small_font).horizontalAdvance(s.number)
        painter.setPen(c.block_subtle)
        painter.drawText(QPointF(right - number_width, 21), s.number)
        right_limit = right - number_width - 10
        if s.can_add_lane:
            painter.setPen(QPen(c.block_subtle, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(self._add_rect, 5, 5)
            painter.drawText(self._add_rect, Qt.AlignmentFlag.AlignCenter, _ADD_LANE)
            right_limit = self._add_rect.left() - 8
        painter.setFont(title_font)
        painter.setPen(c.block_text)
        painter.drawText(QPointF(left, 21), s.title)
        x = left + QFontMetrics(title_font).horizontalAdvance(s.title) + 8
        body = QFontMetrics(body_font)
        painter.setFont(body_font)
        painter.setPen(c.block_subtle)
        painter.drawText(QPointF(x, 21), body.elidedText(s.summary, Qt.TextElideMode.ElideRight, int(right_limit - x)))
        count_width = body.horizontalAdvance(s.params) if s.params else 0
        if s.params:
            painter.drawText(QPointF(right - count_width, 41), s.params)
        if s.error:
            painter.setPen(c.error)
            line = "⚠ " + s.error
        else:
            painter.setPen(c.block_text)
            line = f"→ {s.shape}"
        painter.drawText(
            QPointF(left, 41), body.elidedText(line, Qt.TextElideMode.ElideRight, int(right - left - count_width - 10))
        )

    def _paint_lanes(self, painter: QPainter, accent: QColor) -> None:
        """The split under the header, each lane's label and line in, and each empty lane's identity."""
        c = self.colours
        fonts = block_fonts()
        body_font, small_font = fonts.body, fonts.small
        split = HEADER + 6
        axes = [axis for axis, *_ in self._lanes]
        painter.setPen(QPen(c.arrow, 1.6))
        painter.drawLine(QPointF(self._width / 2, HEADER), QPointF(self._width / 2, split))
        if axes:
            painter.drawLine(QPointF(min(axes), split), QPointF(max(axes), split))
        for number, (axis, top, bottom, empty) in enumerate(self._lanes):
            painter.setPen(QPen(c.arrow, 1.6))
            painter.drawLine(QPointF(axis, split), QPointF(axis, top + 2))
            name = self.state.lane_names[number] if number < len(self.state.lane_names) else ""
            painter.setFont(small_font)
            painter.setPen(QColor(accent).darker(110) if not _is_dark(c) else QColor(accent).lighter(140))
            painter.drawText(QPointF(axis + 7, split + 15), name)
            if number < len(self._remove_rects):
                painter.setPen(c.block_subtle)
                painter.drawText(self._remove_rects[number], Qt.AlignmentFlag.AlignCenter, "✕")
            if empty:
                painter.setPen(QPen(c.arrow, 1.6))
                painter.drawLine(QPointF(axis, top), QPointF(axis, bottom))
                # Two short lines: they must fit beside the line in half an empty lane's width.
                painter.setFont(body_font)
                painter.setPen(c.block_subtle)
                painter.drawText(QPointF(axis + 8, top + 22), "identity")
                painter.setFont(small_font)
                painter.drawText(QPointF(axis + 8, top + 36), "empty lane")

    def _paint_merge(self, painter: QPainter, accent: QColor) -> None:
        """Each lane's line down to the merge, the ⊕ (sum) or concat bar, and the line out."""
        c = self.colours
        merge = self._merge_y
        painter.setPen(QPen(c.arrow, 1.6))
        axes = [axis for axis, *_ in self._lanes]
        for axis, _top, bottom, _empty in self._lanes:
            painter.drawLine(QPointF(axis, bottom), QPointF(axis, merge))
        if axes:
            painter.drawLine(QPointF(min(axes), merge), QPointF(max(axes), merge))
        centre = QPointF(self._width / 2, merge + 4 + _MERGE_RADIUS)
        painter.drawLine(QPointF(centre.x(), merge), QPointF(centre.x(), centre.y() - _MERGE_RADIUS))
        painter.drawLine(QPointF(centre.x(), centre.y() + _MERGE_RADIUS), QPointF(centre.x(), self._height))
        painter.setBrush(c.block)
        painter.setPen(QPen(accent, 1.8))
        small_font = block_fonts().small
        if self.state.merge == "sum":
            painter.drawEllipse(centre, _MERGE_RADIUS, _MERGE_RADIUS)
            painter.drawLine(centre + QPointF(-5.5, 0), centre + QPointF(5.5, 0))
            painter.drawLine(centre + QPointF(0, -5.5), centre + QPointF(0, 5.5))
            words = "sum"
        else:
            bar = QRectF(centre.x() - 26, centre.y() - 8, 52, 16)
            painter.drawRoundedRect(bar, 4, 4)
            painter.setFont(small_font)
            painter.setPen(c.block_text)
            painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, "concat")
            words = "along dim 1"
        painter.setFont(small_font)
        painter.setPen(c.block_subtle)
        painter.drawText(QPointF(centre.x() + 32, centre.y() + 4), words)


class CollapseToggle(QGraphicsObject):
    """The ▸ beside a collapsed container's block: a click opens the container again."""

    def __init__(self, parent: QGraphicsObject, colours: CanvasColours) -> None:
        super().__init__(parent)
        self.colours = colours
        self.setPos(-TOGGLE - 8, (50 - TOGGLE) / 2)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Expand this container (→)")

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, TOGGLE + 2, TOGGLE + 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _paint_toggle(painter, QRectF(0, 0, TOGGLE, TOGGLE), self.colours, expanded=False)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # the click is the toggle's: it neither selects nor drags the block

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        parent = self.parentItem()
        if self.boundingRect().contains(event.pos()) and scene is not None and parent is not None:
            scene.toggle_collapsed(parent.uid)
        event.accept()


def _paint_toggle(painter: QPainter, rect: QRectF, colours: CanvasColours, *, expanded: bool) -> None:
    """A small box with ▾ (expanded: a click collapses) or ▸ (collapsed: a click expands)."""
    painter.setPen(QPen(colours.block_subtle, 1))
    painter.setBrush(colours.block)
    painter.drawRoundedRect(rect, 4, 4)
    c = rect.center()
    if expanded:
        points = [c + QPointF(-4.5, -2.5), c + QPointF(4.5, -2.5), c + QPointF(0, 3.5)]
    else:
        points = [c + QPointF(-2.5, -4.5), c + QPointF(-2.5, 4.5), c + QPointF(3.5, 0)]
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colours.block_text)
    painter.drawPolygon(QPolygonF(points))


def _rect_path(rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    path.addRect(rect)
    return path


def _is_dark(colours: CanvasColours) -> bool:
    return colours.background.lightness() < 128
