"""Layer health on the canvas: a badge beside each block with its verdict's colour and a strip of
one figure over the run, and a tooltip that lists the figures and the rules the block breaks.

The badge is a child of its block (it moves with a drag) drawn to the block's right, in the
margin the scene keeps, so it changes nothing of how the block itself is drawn. The rules and
their words come from the core (:data:`gui_app.core.training.health.RULES_BY_NAME`).
"""

from __future__ import annotations

import math
from collections import deque
from html import escape

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from gui_app.core.analysis.messages import layer_label
from gui_app.core.training.events import BlockHealth, HealthEvent
from gui_app.core.training.health import RULES_BY_NAME
from gui_app.ui.theme import CanvasColours, health_colour

BADGE_WIDTH = 80.0
BADGE_HEIGHT = 38.0
#: Points a strip keeps: the latest probes of the run (older ones scroll off the left).
HISTORY = 80

#: The figure a block's strip follows, the first that applies: (name, words, log scale, guides).
#: Guides are the rules' limits, drawn dotted, so a line crossing one is a rule broken.
STRIP_FIGURES = (
    ("dead", "dead units", False, (0.5,)),
    ("saturated", "saturated outputs", False, (0.5,)),
    ("update_ratio", "update ratio", True, (1e-5, 1e-1)),
    ("std", "output std", False, ()),
)
#: The log-scale strip's range: 1e-6 (bottom) to 1 (top).
LOG_RANGE = (-6.0, 0.0)

FIGURE_WORDS = (
    ("mean", "output mean"),
    ("std", "output std"),
    ("dead", "dead units"),
    ("saturated", "saturated outputs"),
    ("grad_norm", "gradient norm"),
    ("update_ratio", "update ratio"),
)
_SHARES = {"dead", "saturated"}


def figure_text(name: str, value: float | None) -> str:
    """A figure as a learner reads it: shares in %, small and large numbers in e-notation."""
    if value is None:
        return "—"
    if not math.isfinite(value):
        return str(value)
    if name in _SHARES:
        return f"{value:.0%}"
    if value != 0 and (abs(value) < 1e-2 or abs(value) >= 1e4):
        return f"{value:.1e}"
    return f"{value:.3g}"


def health_tooltip(block: BlockHealth, event: HealthEvent, strip: str | None) -> str:
    """The badge's tooltip: verdict, when, every figure that applies, each broken rule in words."""
    lines = [
        f"<b>Layer health of {escape(layer_label(block.index, block.type))}: {block.verdict}</b>",
        f"epoch {event.epoch}, batch {event.batch} of {event.batches}, on the probe images",
    ]
    figures = [(words, figure_text(name, getattr(block, name))) for name, words in FIGURE_WORDS]
    lines += [f"{words}: {text}" for words, text in figures if text != "—"]
    if block.reasons:
        lines.append("<b>Rules it breaks</b>")
        for name in block.reasons:
            rule = RULES_BY_NAME[name]
            lines.append(
                f"• {escape(name.replace('_', ' '))} ({escape(rule.condition)}): {escape(rule.explanation)}. "
                f"<i>Try: {escape(rule.advice)}</i>"
            )
    else:
        lines.append("It breaks none of the health rules.")
    if strip:
        lines.append(f"The strip shows its {strip} over the run; dotted lines are the rules' limits.")
    return "<br>".join(lines)


class HealthBadge(QGraphicsItem):
    """The verdict's colour and a strip of one figure, beside one block; see the module docstring."""

    def __init__(self, colours: CanvasColours, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.colours = colours
        self.history: deque[float | None] = deque(maxlen=HISTORY)
        self.latest: BlockHealth | None = None
        self.strip: tuple[str, str, bool, tuple[float, ...]] | None = None
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)

    @property
    def verdict(self) -> str | None:
        return str(self.latest.verdict) if self.latest is not None else None

    @property
    def colour(self) -> QColor:
        return health_colour(self.verdict or "", self.colours.background.lightness() < 128)

    def add(self, block: BlockHealth, event: HealthEvent) -> None:
        """One more probe of this block: the strip grows and the colour and tooltip follow."""
        if self.strip is None:
            self.strip = next((f for f in STRIP_FIGURES if getattr(block, f[0]) is not None), None)
        self.latest = block
        self.history.append(getattr(block, self.strip[0]) if self.strip else None)
        self.setToolTip(health_tooltip(block, event, self.strip[1] if self.strip else None))
        self.update()

    def set_colours(self, colours: CanvasColours) -> None:
        self.colours = colours
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, BADGE_WIDTH + 2, BADGE_HEIGHT + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = self.colour
        tint = QColor(colour)
        tint.setAlpha(40)
        painter.setPen(QPen(colour, 1.5))
        painter.setBrush(tint)
        painter.drawRoundedRect(QRectF(0, 0, BADGE_WIDTH, BADGE_HEIGHT), 6, 6)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QPointF(10, BADGE_HEIGHT / 2), 5, 5)
        self._paint_strip(painter, QRectF(20, 5, BADGE_WIDTH - 26, BADGE_HEIGHT - 10), colour)

    def _paint_strip(self, painter: QPainter, area: QRectF, colour: QColor) -> None:
        """The strip's figure over the run, its guides dotted (nothing while it has no figure)."""
        if self.strip is None:
            return
        _name, _words, log_scale, guides = self.strip
        values = [v for v in self.history if v is not None and math.isfinite(v)]
        if not values:
            return
        low, high = LOG_RANGE if log_scale else _linear_range(values, guides)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(self.colours.block_subtle, 0.8, Qt.PenStyle.DotLine))
        for guide in guides:
            y = _y(guide, area, low, high, log_scale)
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        points = list(self.history)
        # the run so far spans the strip; once it holds HISTORY points, older ones scroll off
        step = area.width() / max(len(points) - 1, 1)
        start = area.right() - step * (len(points) - 1)
        path, drawing = QPainterPath(), False
        for i, value in enumerate(points):
            if value is None or not math.isfinite(value):
                drawing = False  # a gap where the figure was NaN
                continue
            point = QPointF(start + i * step, _y(value, area, low, high, log_scale))
            if drawing:
                path.lineTo(point)
            else:
                path.moveTo(point)
            drawing = True
        painter.setPen(QPen(colour, 1.4))
        painter.drawPath(path)
        last = next((v for v in reversed(points) if v is not None and math.isfinite(v)), None)
        if last is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QPointF(area.right(), _y(last, area, low, high, log_scale)), 1.8, 1.8)


def _linear_range(values: list[float], guides: tuple[float, ...]) -> tuple[float, float]:
    """0 to 1 for a share (it has guides); the values' own range otherwise."""
    if guides:
        return 0.0, 1.0
    low, high = min(values), max(values)
    return (low - 0.5, high + 0.5) if high - low < 1e-9 else (low, high)


def _y(value: float, area: QRectF, low: float, high: float, log_scale: bool) -> float:
    """Where ``value`` sits in ``area`` (clamped), on a log or a linear scale."""
    if log_scale:
        value = math.log10(value) if value > 0 else low
    share = (min(max(value, low), high) - low) / (high - low)
    return area.bottom() - share * area.height()
