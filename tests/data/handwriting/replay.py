"""Replay stroke digits on a widget as real mouse events (press, held-button moves, release).

``qtbot.mouseMove`` does not carry a held button, so the events are built as ``QMouseEvent`` and
delivered with ``QApplication.sendEvent``, exactly as Qt delivers a mouse, pen or touch drag.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from gui_app.ui.drawing.pad import DrawPad
from tests.data.handwriting.stroke_digits import Stroke, StrokeDigit

LEFT = Qt.MouseButton.LeftButton
NO_BUTTON = Qt.MouseButton.NoButton


def send_mouse(
    widget: DrawPad, kind: QEvent.Type, pos: QPointF, button: Qt.MouseButton, buttons: Qt.MouseButton
) -> None:
    """Deliver one mouse event at widget position ``pos``."""
    event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def widget_point(pad: DrawPad, point: tuple[float, float]) -> QPointF:
    """Pad units (0..1) -> the pad widget's coordinates."""
    rect = pad.pad_rect()
    return QPointF(rect.x() + point[0] * rect.width(), rect.y() + point[1] * rect.height())


def replay_stroke(pad: DrawPad, stroke: Stroke, release: bool = True) -> None:
    """Press at the first point, drag through the rest and (unless told not to) release."""
    positions = [widget_point(pad, p) for p in stroke]
    send_mouse(pad, QEvent.Type.MouseButtonPress, positions[0], LEFT, LEFT)
    for pos in positions[1:]:
        send_mouse(pad, QEvent.Type.MouseMove, pos, NO_BUTTON, LEFT)
    if release:
        send_mouse(pad, QEvent.Type.MouseButtonRelease, positions[-1], LEFT, NO_BUTTON)


def replay_digit(pad: DrawPad, digit: StrokeDigit) -> None:
    """Clear the pad, set the digit's pen width and draw its strokes one by one."""
    pad.clear()
    pad.set_pen_ratio(digit.pen_ratio)
    for stroke in digit.strokes:
        replay_stroke(pad, stroke)
