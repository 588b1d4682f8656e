"""After a run: the confusion matrix as a heat map, per-class accuracy, and sample predictions."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QScrollArea, QStackedLayout, QWidget

from gui_app.core.evaluation import EvaluationResult

_WRONG = "#d03030"
_RIGHT = "#2a8a3a"
THUMB = 40


class ConfusionMatrixPlot(pg.PlotWidget):
    """Rows are true classes, columns predicted ones; counts written in the cells when few."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setMinimumSize(170, 140)
        item = self.getPlotItem()
        item.setTitle("Confusion matrix", size="9pt")
        item.setLabel("bottom", "predicted")
        item.setLabel("left", "true")
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.invertY(True)
        item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(pg.colormap.get("viridis"))
        item.addItem(self.image)
        self._labels: list[pg.TextItem] = []

    def set_matrix(self, matrix: np.ndarray, names: tuple[str, ...]) -> None:
        item = self.getPlotItem()
        for label in self._labels:
            item.removeItem(label)
        self._labels.clear()
        n = len(matrix)
        # Colour by each row's share, so a rare class's mistakes are as visible as a common one's.
        shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        self.image.setImage(shares, levels=(0.0, 1.0))
        ticks = [(i + 0.5, names[i] if i < len(names) else str(i)) for i in range(n)]
        for axis in ("bottom", "left"):
            item.getAxis(axis).setTicks([ticks])
        if n <= 12:
            font = QFont()
            font.setPointSize(7)
            for t in range(n):
                for p in range(n):
                    if matrix[t, p]:
                        color = "k" if shares[t, p] > 0.5 else "w"
                        label = pg.TextItem(str(int(matrix[t, p])), color=color, anchor=(0.5, 0.5))
                        label.setFont(font)
                        label.setPos(p + 0.5, t + 0.5)
                        item.addItem(label)
                        self._labels.append(label)
        item.setRange(xRange=(0, n), yRange=(0, n), padding=0.02)


class PerClassAccuracyPlot(pg.PlotWidget):
    """A bar per class: the share of its test samples predicted right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setMinimumSize(170, 140)
        item = self.getPlotItem()
        item.setTitle("Per-class accuracy", size="9pt")
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.showGrid(y=True, alpha=0.25)
        self.bars: pg.BarGraphItem | None = None

    def set_accuracy(self, accuracy: np.ndarray, names: tuple[str, ...]) -> None:
        item = self.getPlotItem()
        if self.bars is not None:
            item.removeItem(self.bars)
        values = np.nan_to_num(accuracy, nan=0.0)
        brushes = [pg.mkBrush(_RIGHT if v >= np.nanmean(accuracy) else "#c08020") for v in values]
        self.bars = pg.BarGraphItem(x=np.arange(len(values)), height=values, width=0.7, brushes=brushes)
        item.addItem(self.bars)
        item.getAxis("bottom").setTicks([[(i, names[i] if i < len(names) else str(i)) for i in range(len(values))]])
        low = max(0.0, float(values.min()) - 0.05) if len(values) else 0.0
        item.setRange(xRange=(-0.6, len(values) - 0.4), yRange=(low, 1.0), padding=0.02)


class SampleGrid(QWidget):
    """Test images with "predicted (true)" captions; mistakes framed and captioned in red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(3)
        self.cells: list[QLabel] = []

    def set_samples(
        self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray, names: tuple[str, ...], columns: int = 6
    ) -> None:
        for cell in self.cells:
            self.grid.removeWidget(cell)
            cell.deleteLater()
        self.cells.clear()
        for i, image in enumerate(images):
            wrong = int(predicted[i]) != int(true[i])
            name = lambda k: names[k] if k < len(names) else str(k)  # noqa: E731
            cell = QLabel()
            cell.setAlignment(Qt.AlignCenter)
            cell.setPixmap(_pixmap(image).scaled(THUMB, THUMB, Qt.KeepAspectRatio, Qt.FastTransformation))
            color = _WRONG if wrong else _RIGHT
            cell.setStyleSheet(f"border: {2 if wrong else 1}px solid {color}; background: black;")
            cell.setToolTip(f"predicted {name(int(predicted[i]))}, true {name(int(true[i]))}")
            caption = QLabel(f"{name(int(predicted[i]))}" + (f" ({name(int(true[i]))})" if wrong else ""))
            caption.setAlignment(Qt.AlignCenter)
            caption.setStyleSheet(f"color: {color}; font-size: 8pt;" + (" font-weight: bold;" if wrong else ""))
            row, col = divmod(i, columns)
            self.grid.addWidget(cell, 2 * row, col)
            self.grid.addWidget(caption, 2 * row + 1, col)
            self.cells += [cell, caption]
        self.grid.setRowStretch(2 * ((len(images) + columns - 1) // columns), 1)


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
    """The three views side by side, or a note until a classifier has been trained."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel("Train a classifier to see its confusion matrix, per-class accuracy and sample predictions.")
        self.note.setAlignment(Qt.AlignCenter)
        self.note.setWordWrap(True)
        self.confusion = ConfusionMatrixPlot()
        self.per_class = PerClassAccuracyPlot()
        self.samples = SampleGrid()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.samples)
        scroll.setMinimumWidth(4 * (THUMB + 8) + 24)
        content = QWidget()
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.confusion, 3)
        row.addWidget(self.per_class, 3)
        row.addWidget(scroll, 4)
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
