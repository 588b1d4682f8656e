"""The fix button beside a block: a small wrench badge that applies the block's one-click fix.

It is a child of its block, drawn in the margin right of it, and visible only while the block has
a fix; its tooltip is the fix's label. A click asks the scene to apply it (the scene finds the fix
in the document, which pushes it as one undo step): the badge itself never edits anything.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsObject, QGraphicsSceneMouseEvent

BADGE_WIDTH = 58.0
BADGE_HEIGHT = 26.0
#: Gap between the block's right edge and the badge.
BADGE_GAP = 8.0
_FILL = QColor("#1F64C8")
_FILL_HOVER = QColor("#2F7BE8")


class FixBadge(QGraphicsObject):
    """A clickable "Fix" pill with a wrench; ``label`` is what the click will do."""

    def __init__(self, parent: QGraphicsObject, block_width: float, block_height: float) -> None:
        super().__init__(parent)
        self.label = ""
        self._hover = False
        self.setPos(block_width + BADGE_GAP, (block_height - BADGE_HEIGHT) / 2)
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setZValue(1)
        self.setVisible(False)

    def show_fix(self, label: str | None) -> None:
        """Show the badge for ``label``, or hide it when there is no fix."""
        self.label = label or ""
        self.setToolTip(f"<b>Fix:</b> {label}<br>One click applies it; Ctrl+Z undoes it." if label else "")
        self.setVisible(bool(label))

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, BADGE_WIDTH + 2, BADGE_HEIGHT + 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, BADGE_WIDTH, BADGE_HEIGHT), BADGE_HEIGHT / 2, BADGE_HEIGHT / 2)
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(_FILL_HOVER if self._hover else _FILL)
        painter.drawPath(self.shape())
        _paint_wrench(painter, QPointF(14, BADGE_HEIGHT / 2))
        font = QFont()
        font.setPointSizeF(9.0)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        baseline = (BADGE_HEIGHT + QFontMetrics(font).capHeight()) / 2
        painter.drawText(QPointF(25, baseline), "Fix")

    def hoverEnterEvent(self, event) -> None:
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        event.accept()  # the click is the badge's: it neither selects nor drags the block

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        scene = self.scene()
        if self.shape().contains(event.pos()) and scene is not None and hasattr(scene, "fix_clicked"):
            scene.fix_clicked(self.parentItem())
        event.accept()


def beside_fix(fix: FixBadge, height: float) -> QPointF:
    """Where another badge ``height`` tall goes on the Fix badge's row: in its place, or right of it
    while it shows (a block is as wide as ``BLOCK_WIDTH``, a container's frame as wide as its lanes)."""
    x = fix.x() + (BADGE_WIDTH + BADGE_GAP if fix.isVisible() else 0.0)
    return QPointF(x, fix.y() + (BADGE_HEIGHT - height) / 2)


def _paint_wrench(painter: QPainter, centre: QPointF) -> None:
    """A wrench, drawn (a font may have no wrench glyph): an open ring on a diagonal handle."""
    painter.save()
    painter.translate(centre)
    painter.rotate(45)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(QRectF(-1.6, -1, 3.2, 8.5), 1.4, 1.4)
    ring = QPainterPath()
    ring.addEllipse(QPointF(0, -3.5), 4.2, 4.2)
    jaw = QPainterPath()
    jaw.addRect(QRectF(-1.7, -9, 3.4, 5.6))
    painter.drawPath(ring.subtracted(jaw))
    painter.restore()
