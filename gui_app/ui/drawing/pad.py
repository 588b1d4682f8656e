"""The square pad people draw digits on with a mouse, a pen or a finger.

Strokes are kept as polylines in pad units (0..1 on both axes), so the drawing survives resizes
and is rendered for the model on a fixed-size Grayscale8 image, never from the screen (which
would depend on the display's scale factor). Pens and touch reach it as the mouse events Qt
synthesises for them.
"""

from __future__ import annotations

import itertools

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

#: Pen width as a share of the pad's side: about MNIST's stroke once the digit is scaled to 20 px.
DEFAULT_PEN_RATIO = 1 / 14
#: Side of the image rendered for the model; large enough that antialiasing is exact at 20 px.
RENDER_SIDE = 280
#: Points closer than this (pad units) to the previous one are not stored.
MIN_STEP = 0.004

Stroke = list[tuple[float, float]]


def smooth_path(points: list[QPointF]) -> QPainterPath:
    """A curve through the midpoints of the polyline, bent by its corners (quadratic Béziers).

    Mouse samples arrive a few pixels apart when the hand moves fast; straight segments between
    them show as facets on round digits.
    """
    path = QPainterPath(points[0])
    if len(points) == 2:
        path.lineTo(points[1])
        return path
    for corner, following in itertools.pairwise(points[1:]):
        path.quadTo(corner, (corner + following) / 2)
    path.lineTo(points[-1])
    return path


class DrawPad(QWidget):
    """A square drawing surface: left button draws, right button or Esc clears, Ctrl+Z undoes.

    Signals
    -------
    drawing_changed : emitted while a stroke grows (the panel throttles its predictions)
    stroke_finished : emitted when the pen lifts
    cleared : emitted when the pad becomes empty (clear, or undo of the only stroke)
    """

    drawing_changed = Signal()
    stroke_finished = Signal()
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None, pen_ratio: float = DEFAULT_PEN_RATIO) -> None:
        super().__init__(parent)
        self.setObjectName("drawPad")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(140, 140)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit. Right-click or Esc clears; Ctrl+Z undoes the last stroke.")
        self.setAccessibleName("Digit drawing pad")
        self.pen_ratio = pen_ratio
        self._strokes: list[Stroke] = []
        self._current: Stroke | None = None

    # ------------------------------------------------------------------ state
    def strokes(self) -> list[Stroke]:
        """The finished strokes plus the one being drawn, in pad units."""
        done = [list(s) for s in self._strokes]
        return [*done, list(self._current)] if self._current else done

    def is_empty(self) -> bool:
        return not self._strokes and not self._current

    def clear(self) -> None:
        """Remove every stroke."""
        had_ink = not self.is_empty()
        self._strokes.clear()
        self._current = None
        self.update()
        if had_ink:
            self.cleared.emit()

    def undo(self) -> None:
        """Remove the last finished stroke."""
        if not self._strokes:
            return
        self._strokes.pop()
        self.update()
        if self.is_empty():
            self.cleared.emit()
        else:
            self.stroke_finished.emit()

    def set_pen_ratio(self, ratio: float) -> None:
        """Pen width as a share of the pad's side; applies to every stroke, old and new."""
        self.pen_ratio = max(0.005, min(0.25, ratio))
        self.update()

    # ------------------------------------------------------------------ rendering
    def pad_rect(self) -> QRectF:
        """The square, centred area that is the pad, in widget coordinates."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def render_image(self, side: int = RENDER_SIDE) -> np.ndarray:
        """The drawing as a side×side uint8 array, white ink on black like MNIST."""
        image = QImage(side, side, QImage.Format.Format_Grayscale8)
        image.fill(0)
        painter = QPainter(image)
        self._paint_strokes(painter, QRectF(0, 0, side, side), QColor(255, 255, 255))
        painter.end()
        # rows are padded to 4 bytes: read with bytesPerLine, then copy out of Qt's buffer
        buffer = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
        return buffer.reshape(side, image.bytesPerLine())[:, :side].copy()

    def _paint_strokes(self, painter: QPainter, rect: QRectF, colour: QColor) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(colour, max(1.0, self.pen_ratio * rect.width()))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for stroke in self.strokes():
            points = [QPointF(rect.x() + x * rect.width(), rect.y() + y * rect.height()) for x, y in stroke]
            if len(points) == 1:
                painter.drawPoint(points[0])
                continue
            painter.drawPath(smooth_path(points))

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        rect = self.pad_rect()
        palette = self.palette()
        painter.fillRect(self.rect(), palette.window())
        painter.fillRect(rect, palette.base())
        border = palette.highlight().color() if self.hasFocus() else palette.mid().color()
        painter.setPen(QPen(border, 1))
        painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
        if self.is_empty():
            painter.setPen(palette.placeholderText().color())
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Draw a digit here")
        self._paint_strokes(painter, rect, palette.text().color())
        painter.end()

    # ------------------------------------------------------------------ input
    def _to_pad(self, pos: QPointF) -> tuple[float, float]:
        rect = self.pad_rect()
        side = max(rect.width(), 1.0)
        x = (pos.x() - rect.x()) / side
        y = (pos.y() - rect.y()) / side
        return min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self.clear()
        elif event.button() == Qt.MouseButton.LeftButton:
            self._current = [self._to_pad(event.position())]
            self.update()
            self.drawing_changed.emit()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._current is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        point = self._to_pad(event.position())
        last = self._current[-1]
        if abs(point[0] - last[0]) + abs(point[1] - last[1]) < MIN_STEP:
            return
        self._current.append(point)
        self.update()
        self.drawing_changed.emit()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._current is None:
            return
        point = self._to_pad(event.position())
        if point != self._current[-1]:
            self._current.append(point)
        self._strokes.append(self._current)
        self._current = None
        self.update()
        self.stroke_finished.emit()
        event.accept()

    def event(self, event: QEvent) -> bool:
        # The window's Edit ▸ Undo shortcut would take Ctrl+Z first and undo a network edit;
        # while the pad has focus, Ctrl+Z (and Esc) belong to the pad.
        if event.type() == QEvent.Type.ShortcutOverride and (
            event.matches(QKeySequence.StandardKey.Undo) or event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.clear()
        elif event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------------ geometry
    def sizeHint(self) -> QSize:
        return QSize(320, 320)
