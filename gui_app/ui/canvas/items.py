"""The blocks of the canvas: one item per layer, plus the Input and Output ends of the chain.

An item only shows state and reports intent (a finished drag); it never edits the document.
:meth:`BlockItem.set_state` repaints only when what it shows actually changed, so one edit on a
100-block network repaints the few blocks whose text changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from gui_app.core.analysis.messages import Where, block_number
from gui_app.core.layers.colours import CATEGORY_COLOURS, FALLBACK_COLOUR
from gui_app.ui.canvas.fix_badge import FixBadge
from gui_app.ui.theme import CanvasColours

BLOCK_WIDTH = 300.0
BLOCK_HEIGHT = 50.0
GAP = 22.0
STEP = BLOCK_HEIGHT + GAP

#: A layer of the network, or one of the two ends of the chain.
BlockKind = Literal["layer", "input", "output"]


@dataclass(frozen=True)
class BlockState:
    """Everything a block shows; compared to skip repaints that would change nothing."""

    title: str
    summary: str
    shape: str
    params: str
    category: str
    error: str | None = None
    warning: str | None = None
    #: where the block is: its top-level index, or its address inside containers ("#3.body.2")
    index: Where | None = None
    #: the label of the block's one-click fix (its badge is shown while there is one)
    fix: str | None = None
    #: the output shape with its dimension names, "N×32×14×14 (N, C, H, W)", for the tooltip
    named_shape: str = ""
    #: tooltip lines with the block's costs per sample
    costs: tuple[str, ...] = ()


class BlockItem(QGraphicsObject):
    """One block of the chain; ``uid`` is None for the Input and Output blocks."""

    def __init__(self, uid: int | None, kind: BlockKind, colours: CanvasColours) -> None:
        super().__init__()
        self.uid = uid
        self.kind = kind
        self.colours = colours
        self.state = BlockState("", "", "", "", "Shape")
        self.layout_pos = QPointF()
        self.show_arrow = kind != "input"
        #: whether a drag may leave the chain's axis (into a container's lanes)
        self.free_drag = False
        flags = QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        if kind == "layer":
            flags |= QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            flags |= QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        self.setFlags(flags)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.fix_badge = FixBadge(self, BLOCK_WIDTH, BLOCK_HEIGHT)

    # ------------------------------------------------------------------ state
    def set_state(self, state: BlockState) -> bool:
        """Show ``state``; returns whether anything changed."""
        if state == self.state:
            return False
        self.state = state
        what = "Shape" if self.kind == "input" else "Output"
        tip = f"<b>{state.title}</b> {state.summary}<br>{what}: {state.named_shape or state.shape or '—'}"
        if state.costs:
            tip += "".join(f"<br>{line}" for line in state.costs)
        elif state.params:
            tip += f"<br>{state.params}"
        if state.error:
            tip += f"<br><span style='color:#d7263d'><b>Error:</b> {state.error}</span>"
        if state.warning:
            tip += f"<br><span style='color:#c77700'><b>Warning:</b> {state.warning}</span>"
        if state.fix:
            tip += f"<br><b>Fix:</b> {state.fix} (the Fix button beside the block)"
        self.fix_badge.show_fix(state.fix)
        self.setToolTip(tip)
        self.update()
        return True

    def set_colours(self, colours: CanvasColours) -> None:
        self.colours = colours
        self.update()

    def place(self, pos: QPointF) -> None:
        """Move to the layout position (without reporting a user drag)."""
        self.layout_pos = pos
        if self.pos() != pos:
            self.setPos(pos)

    # ------------------------------------------------------------------ geometry
    def boundingRect(self) -> QRectF:
        # The arrow from the block above is drawn in the gap above this block.
        return QRectF(-3, -GAP - 1, BLOCK_WIDTH + 6, BLOCK_HEIGHT + GAP + 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, BLOCK_WIDTH, BLOCK_HEIGHT), 7, 7)
        return path

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value):
        if (
            change == QGraphicsItem.GraphicsItemChange.ItemPositionChange
            and self.kind == "layer"
            and not self.free_drag
        ):
            # Blocks move along the chain only.
            return QPointF(self.layout_pos.x(), value.y())
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
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.show_arrow and self.pos() == self.layout_pos:
            paint_arrow(painter, self.colours, BLOCK_WIDTH / 2, 0.0)
        self._paint_frame(painter)
        self._paint_strip(painter)
        left, right = 16.0, BLOCK_WIDTH - 10
        self._paint_title_line(painter, left, right)
        self._paint_shape_line(painter, left, right)

    def _paint_frame(self, painter: QPainter) -> None:
        """The rounded block; its outline says error, warning or selected (a dashed ring for both)."""
        c, s = self.colours, self.state
        rect = QRectF(0, 0, BLOCK_WIDTH, BLOCK_HEIGHT)
        outline, width = c.border, 1.0
        if s.error:
            outline, width = c.error, 2.0
        elif s.warning:
            outline, width = c.warning, 2.0
        if self.isSelected():
            outline, width = (c.selected, 2.5) if not (s.error or s.warning) else (outline, 3.0)
        painter.setPen(QPen(outline, width))
        painter.setBrush(c.block)
        painter.drawRoundedRect(rect, 7, 7)
        if self.isSelected() and (s.error or s.warning):
            painter.setPen(QPen(c.selected, 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), 9, 9)

    def _paint_strip(self, painter: QPainter) -> None:
        """The category's colour on the left edge."""
        strip = QPainterPath()
        strip.addRoundedRect(QRectF(0.5, 0.5, 12, BLOCK_HEIGHT - 1), 6, 6)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, 7, BLOCK_HEIGHT))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(CATEGORY_COLOURS.get(self.state.category, FALLBACK_COLOUR)))
        painter.drawPath(strip.intersected(clip))

    def _paint_title_line(self, painter: QPainter, left: float, right: float) -> None:
        """Line 1: type and key parameters; the block's number on the right."""
        c, s = self.colours, self.state
        title_font = block_fonts().title
        painter.setFont(title_font)
        painter.setPen(c.block_text)
        painter.drawText(QPointF(left, 20), s.title)
        x = left + QFontMetrics(title_font).horizontalAdvance(s.title) + 8
        right_limit = right
        if s.index is not None:
            small = block_fonts().small
            painter.setFont(small)
            label = f"#{block_number(s.index)}"
            label_width = QFontMetrics(small).horizontalAdvance(label)
            painter.setPen(c.block_subtle)
            painter.drawText(QPointF(right - label_width, 19), label)
            right_limit = right - label_width - 8
        if s.summary:
            painter.setFont(block_fonts().body)
            painter.setPen(c.block_subtle)
            text = QFontMetrics(block_fonts().body).elidedText(
                s.summary, Qt.TextElideMode.ElideRight, int(right_limit - x)
            )
            painter.drawText(QPointF(x, 20), text)

    def _paint_shape_line(self, painter: QPainter, left: float, right: float) -> None:
        """Line 2: output shape (or the error) and parameter count."""
        c, s = self.colours, self.state
        painter.setFont(block_fonts().body)
        bfm = QFontMetrics(block_fonts().body)
        count_w = bfm.horizontalAdvance(s.params) if s.params else 0
        if s.params:
            painter.setPen(c.block_subtle)
            painter.drawText(QPointF(right - count_w, 39), s.params)
        avail = int(right - left - count_w - 10)
        if s.error:
            painter.setPen(c.error)
            line = "⚠ " + s.error
        elif s.warning:
            painter.setPen(c.warning)
            line = f"→ {s.shape}   ⚠ {s.warning}" if s.shape else "⚠ " + s.warning
        else:
            painter.setPen(c.block_text)
            line = f"→ {s.shape}" if self.kind == "layer" else s.shape
        painter.drawText(QPointF(left, 39), bfm.elidedText(line, Qt.TextElideMode.ElideRight, avail))


def paint_arrow(painter: QPainter, colours: CanvasColours, cx: float, top: float) -> None:
    """The arrow from the block above into an item's top at ``top``, drawn in the gap above it."""
    painter.setPen(QPen(colours.arrow, 1.6))
    painter.drawLine(QPointF(cx, top - GAP + 2), QPointF(cx, top - 7))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colours.arrow)
    painter.drawPolygon(QPolygonF([QPointF(cx - 5, top - 8), QPointF(cx + 5, top - 8), QPointF(cx, top - 1.5)]))


class BlockFonts:
    """The title, body and small fonts every block and container on the canvas is written in."""

    def __init__(self) -> None:
        self.title = QFont()
        self.title.setPointSizeF(10.5)
        self.title.setBold(True)
        self.body = QFont()
        self.body.setPointSizeF(9.5)
        self.small = QFont()
        self.small.setPointSizeF(8.5)


_FONT_CACHE: list[BlockFonts] = []


def block_fonts() -> BlockFonts:
    """The fonts, created once (after the QApplication exists)."""
    if not _FONT_CACHE:
        _FONT_CACHE.append(BlockFonts())
    return _FONT_CACHE[0]


class InsertionMarker(QGraphicsObject):
    """The bar that shows where a dragged layer will land."""

    def __init__(self, colours: CanvasColours) -> None:
        super().__init__()
        self.colours = colours
        self.setZValue(10)
        self.setVisible(False)
        self.index = -1
        #: the lane the marker is in (a container's uid and lane, or the top level)
        self.lane: object = None
        self.width = BLOCK_WIDTH

    def set_width(self, width: float) -> None:
        if width != self.width:
            self.prepareGeometryChange()
            self.width = width

    def boundingRect(self) -> QRectF:
        return QRectF(-14, -6, self.width + 28, 12)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.colours.marker)
        painter.drawRoundedRect(QRectF(-10, -2, self.width + 20, 4), 2, 2)
        painter.drawEllipse(QPointF(-10, 0), 5, 5)
        painter.drawEllipse(QPointF(self.width + 10, 0), 5, 5)
