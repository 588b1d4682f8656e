"""The widgets that draw a block's output or weights: a grid of small pictures, and bars.

Both keep paint cheap: the grid colours its tiles in numpy and lays them out again only when
the number of columns that fits changes; the bars are a few hundred rectangles at most (a
long vector is drawn as the range of each pixel column's values, as a peak-preserving plot does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui_app.core.training.inspection import grid_columns, mosaic
from gui_app.ui.pictures import PictureView, colourise, colourise_rgb

_BAR, _BAR_TOP, _BAR_NEGATIVE = QColor("#7f8ea3"), QColor("#2e9e8f"), QColor("#c4577a")


class TileGrid(PictureView):
    """Tiles (N×h×w, or N×h×w×3 colour weights in [-1, 1]) in the grid that draws them largest.

    Tiles smaller than :attr:`MIN_SIDE` pixels are enlarged (each pixel repeated) before the grid
    is laid out, so the one-pixel gaps between 3×3 filters stay thin beside them.
    """

    GAP = 1
    MIN_SIDE = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tiles: np.ndarray | None = None
        self._fixed_columns = 0
        self._scale: float | None = None
        self._signed: bool | None = None
        self._columns = 0

    def set_tiles(
        self, tiles: np.ndarray | None, columns: int = 0, scale: float | None = None, signed: bool | None = None
    ) -> None:
        """Show ``tiles``; ``columns`` > 0 fixes the grid's width (rows and columns that mean something)."""
        if tiles is not None and len(tiles) and min(tiles.shape[1:3]) < self.MIN_SIDE:
            factor = -(-self.MIN_SIDE // min(tiles.shape[1:3]))
            tiles = tiles.repeat(factor, axis=1).repeat(factor, axis=2)
        self._tiles = tiles
        self._fixed_columns = columns
        self._scale, self._signed = scale, signed
        self._columns = 0
        self._lay_out()

    def columns(self) -> int:
        """How many tiles a row of the grid holds now."""
        return self._columns

    def _lay_out(self) -> None:
        tiles = self._tiles
        if tiles is None or len(tiles) == 0:
            self.set_image(None)
            return
        area = (max(1, self.width()), max(1, self.height()))
        columns = self._fixed_columns or grid_columns(len(tiles), tiles.shape[1:3], area, self.GAP)
        if columns == self._columns:
            return
        self._columns = columns
        grid = mosaic(tiles, columns, self.GAP)
        gap = self.palette().color(QPalette.ColorRole.Mid).name()
        picture = colourise_rgb(grid, gap) if grid.ndim == 3 else colourise(grid, self._scale, self._signed, gap)
        self.set_picture(picture)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._fixed_columns:
            self._lay_out()


class BarsView(QWidget):
    """One bar per value (probabilities: on a 0–1 scale, the likeliest highlighted and labelled)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(QSize(120, 80))
        self._values = np.zeros(0, dtype=np.float32)
        self._labels: Sequence[str] = ()
        self._probabilities = False

    def set_values(self, values: np.ndarray, labels: Sequence[str] = (), probabilities: bool = False) -> None:
        self._values = np.asarray(values, dtype=np.float32).reshape(-1)
        self._labels = labels
        self._probabilities = probabilities
        self.update()

    def values(self) -> np.ndarray:
        return self._values

    def _plot_rect(self) -> QRectF:
        metrics = self.fontMetrics()
        labelled = self._labels and len(self._labels) == len(self._values)
        bottom = metrics.height() + 4 if labelled else metrics.height() // 2 + 2
        top = metrics.height() + 2 if self._probabilities else metrics.height() // 2 + 2
        left = metrics.horizontalAdvance("-0.00e+00") if not self._probabilities else metrics.horizontalAdvance("100%")
        return QRectF(left + 6, top, max(1.0, self.width() - left - 10), max(1.0, self.height() - top - bottom))

    def _ranges(self, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """Per bar, the lowest and highest value it stands for (one value each when they all fit)."""
        values = np.nan_to_num(self._values, nan=0.0, posinf=0.0, neginf=0.0)
        if len(values) <= columns:
            return values, values
        per_bar = math.ceil(len(values) / columns)
        bars = math.ceil(len(values) / per_bar)  # every bar stands for at least one value
        padded = np.concatenate([values, np.full(per_bar * bars - len(values), np.nan, np.float32)])
        grouped = padded.reshape(bars, per_bar)
        return np.nanmin(grouped, axis=1), np.nanmax(grouped, axis=1)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        if len(self._values) == 0:
            painter.end()
            return
        plot = self._plot_rect()
        lows, highs = self._ranges(max(1, int(plot.width() // 2)))
        if self._probabilities:
            bottom_value, top_value = 0.0, 1.0
        else:
            bottom_value, top_value = min(0.0, float(lows.min())), max(0.0, float(highs.max()))
        span = (top_value - bottom_value) or 1.0

        def y_of(value: float) -> float:
            return plot.bottom() - (value - bottom_value) / span * plot.height()

        width = plot.width() / len(lows)
        best = int(np.argmax(self._values)) if self._probabilities else -1
        painter.setPen(Qt.PenStyle.NoPen)
        for i, (low, high) in enumerate(zip(lows, highs, strict=True)):
            lower, upper = min(0.0, float(low)), max(0.0, float(high))
            colour = _BAR_TOP if i == best else (_BAR_NEGATIVE if upper <= 0 < -lower else _BAR)
            x = plot.left() + i * width
            painter.fillRect(
                QRectF(x + width * 0.1, y_of(upper), max(1.0, width * 0.8), y_of(lower) - y_of(upper)), colour
            )
        self._paint_axes(painter, plot, bottom_value, top_value, y_of(0.0))
        self._paint_labels(painter, plot, width, best)
        painter.end()

    def _paint_axes(self, painter: QPainter, plot: QRectF, bottom: float, top: float, zero_y: float) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.drawLine(int(plot.left()), int(zero_y), int(plot.right()), int(zero_y))
        painter.setPen(self.palette().color(QPalette.ColorRole.Text))
        text = "{:.0%}" if self._probabilities else "{:.3g}"
        flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        height = self.fontMetrics().height()
        for value, y in ((top, plot.top()), (bottom, plot.bottom())):
            painter.drawText(QRectF(0, y - height / 2, plot.left() - 4, height), flags, text.format(value))

    def _paint_labels(self, painter: QPainter, plot: QRectF, width: float, best: int) -> None:
        height = self.fontMetrics().height()
        if self._labels and len(self._labels) == len(self._values) and width >= self.fontMetrics().averageCharWidth():
            for i, label in enumerate(self._labels):
                rect = QRectF(plot.left() + i * width, plot.bottom() + 2, width, height)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label if width > 24 else label[:2])
        if best >= 0:
            x = plot.left() + best * width
            rect = QRectF(x - 30 + width / 2, 0, 60, height)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self._values[best]:.1%}")
