"""After a run: the confusion matrix as a heat map, per-class accuracy, and sample predictions."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QScrollArea, QStackedLayout, QToolTip, QWidget

from gui_app.core.training.evaluation import EvaluationResult

_WRONG = "#d03030"
_RIGHT = "#2a8a3a"
THUMB = 36


class ConfusionMatrixView(QWidget):
    """Rows are true classes, columns predicted ones; each cell coloured by its share of the row.

    Painted directly, not as a plot: the cells stretch to whatever room the dock gives (it is
    short at 1280×800) and the counts take the largest font that fits the largest count, so a
    four-digit count is never cut. The minimum size keeps 7-point counts readable.
    """

    COUNT_POINTS = (9.0, 8.0, 7.0)
    MAX_COUNTED = 12  # more classes: colours only, counts in the tooltips

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setMouseTracking(True)
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.names: tuple[str, ...] = ()
        lut = pg.colormap.get("viridis").getLookupTable(nPts=256, mode=pg.ColorMap.BYTE)
        self._colours = [QColor(int(r), int(g), int(b)) for r, g, b in lut[:, :3]]
        self._label_font = QFont(self.font())
        self._label_font.setPointSizeF(8.0)
        self._title_font = QFont(self._label_font)
        self._title_font.setBold(True)
        self._label_metrics = QFontMetrics(self._label_font)
        self._label_width = self._left_for(self.names)

    # ------------------------------------------------------------------ data
    def set_matrix(self, matrix: np.ndarray, names: tuple[str, ...]) -> None:
        self.matrix = np.asarray(matrix, dtype=np.int64)
        self.names = tuple(names[i] if i < len(names) else str(i) for i in range(len(self.matrix)))
        self._label_width = self._left_for(self.names)  # measured once here, not per cell per paint
        self.updateGeometry()
        self.update()

    def shares(self) -> np.ndarray:
        """Each cell's share of its row (a rare class's mistakes show as clearly as a common one's)."""
        return self.matrix / np.maximum(self.matrix.sum(axis=1, keepdims=True), 1)

    def column_labels(self) -> tuple[str, ...]:
        """Class names over the columns when they are short (digits), else their numbers."""
        short = all(len(name) <= 3 for name in self.names)
        return self.names if short else tuple(str(i) for i in range(len(self.names)))

    # ------------------------------------------------------------------ geometry
    def _left_for(self, names: tuple[str, ...]) -> int:
        """The width of the class-name column for ``names``."""
        metrics = self._label_metrics
        widest = max((metrics.horizontalAdvance(name) for name in names), default=0)
        return max(widest, metrics.horizontalAdvance("true ↓")) + 8

    def _left(self) -> int:
        return self._label_width

    def _top(self) -> int:
        return 2 * self._label_metrics.height() + 2  # title, then the predicted classes

    def _min_cell(self) -> tuple[int, int]:
        font = QFont(self._label_font)
        font.setPointSizeF(self.COUNT_POINTS[-1])
        metrics = QFontMetrics(font)
        widest = metrics.horizontalAdvance(str(int(self.matrix.max()))) if self.matrix.size else 0
        return max(widest + 4, 14), metrics.height() + 1

    def minimumSizeHint(self) -> QSize:
        n = max(len(self.matrix), 1)
        cell_w, cell_h = self._min_cell() if n <= self.MAX_COUNTED else (6, 6)
        return QSize(self._left() + n * cell_w + 2, self._top() + n * cell_h + 2)

    def sizeHint(self) -> QSize:
        hint = self.minimumSizeHint()
        return QSize(int(hint.width() * 1.3), hint.height())

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        n = max(len(self.matrix), 1)
        left, top = self._left(), self._top()
        width = (self.width() - left - 2) / n
        height = (self.height() - top - 2) / n
        return QRectF(left + predicted * width, top + true * height, width, height)

    def count_font(self) -> QFont | None:
        """The largest font in which every count fits its cell, or None (counts not drawn)."""
        if not self.matrix.size or len(self.matrix) > self.MAX_COUNTED:
            return None
        cell = self.cell_rect(0, 0)
        text = str(int(self.matrix.max()))
        for points in self.COUNT_POINTS:
            font = QFont(self._label_font)
            font.setPointSizeF(points)
            metrics = QFontMetrics(font)
            if metrics.horizontalAdvance(text) + 2 <= cell.width() and metrics.height() <= cell.height() + 1:
                return font
        return None

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self.matrix.size:
            self._paint_labels(painter)
            self._paint_cells(painter)
        painter.end()

    def _paint_labels(self, painter: QPainter) -> None:
        metrics = self._label_metrics
        painter.setPen(QColor(40, 40, 40))
        left = self._left()
        painter.setFont(self._title_font)
        title_box = QRectF(left, 0, self.width() - left - 2, metrics.height())
        title = QFontMetrics(self._title_font).elidedText(
            "Confusion matrix · predicted →", Qt.TextElideMode.ElideRight, int(title_box.width())
        )
        painter.drawText(title_box, Qt.AlignmentFlag.AlignCenter, title)
        painter.setFont(self._label_font)
        header = QRectF(0, metrics.height(), left - 4, metrics.height())
        painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "true ↓")
        for i, label in enumerate(self.column_labels()):
            cell = self.cell_rect(0, i)
            painter.drawText(
                QRectF(cell.left(), metrics.height(), cell.width(), metrics.height()),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )
        for t, name in enumerate(self.names):
            cell = self.cell_rect(t, 0)
            painter.drawText(
                QRectF(0, cell.top(), left - 4, cell.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )

    def _paint_cells(self, painter: QPainter) -> None:
        n, top, left = len(self.matrix), self._top(), self._left()
        shares, font = self.shares(), self.count_font()
        for t in range(n):
            for p in range(n):
                cell = self.cell_rect(t, p)
                painter.fillRect(cell, self._colours[int(shares[t, p] * 255 + 0.5)])
                if font is not None and self.matrix[t, p]:
                    painter.setFont(font)
                    painter.setPen(Qt.GlobalColor.black if shares[t, p] > 0.5 else Qt.GlobalColor.white)
                    painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[t, p])))
        painter.setPen(QColor(160, 160, 160))
        painter.drawRect(QRectF(left, top, self.width() - left - 2, self.height() - top - 2))

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            self._show_tooltip(event)
            return True
        return super().event(event)

    def _show_tooltip(self, event) -> None:
        n = len(self.matrix)
        first = self.cell_rect(0, 0)
        if n and first.width() > 0 and first.height() > 0:
            p = int((event.pos().x() - first.left()) // first.width())
            t = int((event.pos().y() - first.top()) // first.height())
            if 0 <= t < n and 0 <= p < n:
                count, name = int(self.matrix[t, p]), self.names[t]
                share = count / max(int(self.matrix[t].sum()), 1)
                text = f"true {name}, predicted {self.names[p]}: {count:,} ({share:.1%} of the {name}s)"
                QToolTip.showText(event.globalPos(), text, self)
                return
        QToolTip.hideText()


class PerClassAccuracyPlot(pg.PlotWidget):
    """A bar per class: the share of its test samples predicted right, on a 0 to 1 axis.

    The axis always starts at 0: a range fitted to the bars (0.88 to 1) made a 2% gap look like
    half the chart.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setObjectName("perClassAccuracy")
        self.setMinimumSize(150, 110)
        item = self.getPlotItem()
        item.setTitle("Per-class accuracy", size="8pt")
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.showGrid(y=True, alpha=0.25)
        item.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]])
        self.bars: pg.BarGraphItem | None = None

    def set_accuracy(self, accuracy: np.ndarray, names: tuple[str, ...]) -> None:
        item = self.getPlotItem()
        if self.bars is not None:
            item.removeItem(self.bars)
        values = np.nan_to_num(accuracy, nan=0.0)
        mean = float(np.nanmean(accuracy)) if np.isfinite(accuracy).any() else 0.0
        brushes = [pg.mkBrush(_RIGHT if v >= mean else "#c08020") for v in values]
        self.bars = pg.BarGraphItem(x=np.arange(len(values)), height=values, width=0.7, brushes=brushes)
        item.addItem(self.bars)
        item.getAxis("bottom").setTicks([[(i, names[i] if i < len(names) else str(i)) for i in range(len(values))]])
        # A little room beyond 0 and 1, so the axis can label both ends.
        item.setRange(xRange=(-0.6, len(values) - 0.4), yRange=(0.0, 1.0), padding=0.06)


class SampleGrid(QWidget):
    """Test images with "predicted (true)" captions; mistakes framed and captioned in red.

    The number of columns follows the width, so the grid fills a wide, short dock before it
    needs to scroll.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(3)
        self.cells: list[tuple[QLabel, QLabel]] = []
        self.columns = 6

    def set_samples(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray, names: tuple[str, ...]) -> None:
        for cell, caption in self.cells:
            for widget in (cell, caption):
                self.grid.removeWidget(widget)
                widget.hide()  # gone now, not at the next turn of the event loop
                widget.deleteLater()
        self.cells.clear()
        name = lambda k: names[k] if k < len(names) else str(k)  # noqa: E731
        for i, image in enumerate(images):
            wrong = int(predicted[i]) != int(true[i])
            cell = QLabel()
            cell.setAlignment(Qt.AlignCenter)
            cell.setPixmap(_pixmap(image).scaled(THUMB, THUMB, Qt.KeepAspectRatio, Qt.FastTransformation))
            color = _WRONG if wrong else _RIGHT
            cell.setStyleSheet(f"border: {2 if wrong else 1}px solid {color}; background: black;")
            cell.setToolTip(f"predicted {name(int(predicted[i]))}, true {name(int(true[i]))}")
            caption = QLabel(f"{name(int(predicted[i]))}" + (f" ({name(int(true[i]))})" if wrong else ""))
            caption.setAlignment(Qt.AlignCenter)
            caption.setStyleSheet(f"color: {color}; font-size: 8pt;" + (" font-weight: bold;" if wrong else ""))
            self.cells.append((cell, caption))
        self._place(self._fitting_columns())

    def _fitting_columns(self) -> int:
        parent = self.parentWidget()
        width = parent.width() if parent is not None else self.width()
        return max(3, (width - 4) // (THUMB + 8))

    def _place(self, columns: int) -> None:
        self.columns = columns
        for i, (cell, caption) in enumerate(self.cells):
            row, col = divmod(i, columns)
            self.grid.addWidget(cell, 2 * row, col)
            self.grid.addWidget(caption, 2 * row + 1, col)

    def rows(self) -> int:
        return -(-len(self.cells) // self.columns)

    def relayout(self) -> None:
        """Re-flow the samples into as many columns as the width holds."""
        columns = self._fitting_columns()
        if columns != self.columns and self.cells:
            for cell, caption in self.cells:
                self.grid.removeWidget(cell)
                self.grid.removeWidget(caption)
            self._place(columns)


class _SampleScroll(QScrollArea):
    """The sample grid's scroll area, re-flowing the grid when its width changes."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        grid = self.widget()
        if isinstance(grid, SampleGrid):
            grid.relayout()


def _pixmap(image: np.ndarray) -> QPixmap:
    """A uint8 (H, W) or (H, W, 3) array -> QPixmap (copied, so the array may go away)."""
    image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    if image.ndim == 2:
        qimage = QImage(image.data, w, h, image.strides[0], QImage.Format_Grayscale8)
    else:
        qimage = QImage(image.data, w, h, image.strides[0], QImage.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


class EvaluationView(QWidget):
    """The three views side by side, or a note until a classifier has been trained.

    Nothing here needs more height than the training dock has at 1280×800 (about 170 pixels for
    the tab): the matrix's cells and the bars stretch, the samples flow into more columns.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel("Train a classifier to see its confusion matrix, per-class accuracy and sample predictions.")
        self.note.setAlignment(Qt.AlignCenter)
        self.note.setWordWrap(True)
        self.confusion = ConfusionMatrixView()
        self.per_class = PerClassAccuracyPlot()
        self.samples = SampleGrid()
        self.sample_scroll = _SampleScroll()
        self.sample_scroll.setWidgetResizable(True)
        self.sample_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sample_scroll.setWidget(self.samples)
        self.sample_scroll.setMinimumWidth(3 * (THUMB + 8) + 24)
        content = QWidget()
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.confusion, 4)
        row.addWidget(self.per_class, 3)
        row.addWidget(self.sample_scroll, 4)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.note)
        self._stack.addWidget(content)
        self.result: EvaluationResult | None = None

    def set_result(self, result: EvaluationResult | None) -> None:
        self.result = result
        if result is None:
            self._stack.setCurrentIndex(0)
            return
        names = result.class_names
        self.confusion.set_matrix(result.confusion, names)
        self.per_class.set_accuracy(result.per_class_accuracy, names)
        self.samples.set_samples(result.images, result.true, result.predicted, names)
        self._stack.setCurrentIndex(1)
