"""Live training plots: loss (per batch, smoothed, validation), accuracy (per epoch), each
class's validation accuracy at the last epoch's end (bars, for a classifier), and the validation
curves of past runs laid over them (:meth:`TrainingPlots.show_run`).

Points go into numpy buffers that grow by doubling; a 50 ms timer pushes the filled part to
the curves with ``setData`` only when something changed, so a burst of signals costs appends,
not repaints. Curves are created once, clip to the view and downsample by peaks.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from gui_app.ui.training.per_class import PerClassAccuracyPlot

REFRESH_MS = 50
#: Weight of the past in the smoothed loss, per batch: an exponential moving average over the
#: last ~20 batches, whatever the machine's speed (events come every 50 ms with 1 or 1,000 batches).
SMOOTHING = 0.95


class GrowingSeries:
    """An (x, y) series in preallocated buffers that double when full."""

    def __init__(self, capacity: int = 256) -> None:
        self.x = np.empty(capacity)
        self.y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n] = x
        self.y[self.n] = y
        self.n += 1

    def clear(self) -> None:
        self.n = 0

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        return self.x[: self.n], self.y[: self.n]


class MetricPlot(pg.PlotWidget):
    """One plot with named series, a legend and a crosshair readout of the nearest point."""

    def __init__(
        self,
        title: str,
        y_label: str,
        grid: bool = True,
        parent: QWidget | None = None,
        legend_offset: tuple[int, int] = (-8, 8),
    ) -> None:
        super().__init__(parent=parent, background="w")
        self.setMinimumSize(200, 130)
        item = self.getPlotItem()
        item.setTitle(title, size="9pt")
        item.setLabel("bottom", "epoch")
        item.setLabel("left", y_label)
        # Grid lines belong to the axes, so with a grid every curve update repaints both axes
        # (tick labels included): 2.5x the cost of a frame. The per-batch loss plot goes without.
        item.showGrid(x=grid, y=grid, alpha=0.25)
        for axis in ("left", "bottom"):
            item.getAxis(axis).enableAutoSIPrefix(False)
        item.setMenuEnabled(False)
        self.legend = item.addLegend(offset=legend_offset, labelTextSize="8pt")
        self.series: dict[str, GrowingSeries] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        #: series that a new run's :meth:`clear_data` keeps (past runs laid over the live one)
        self.kept: set[str] = set()
        self._dirty: set[str] = set()
        self._ylow, self._yhigh = math.inf, -math.inf
        self._log_y = False
        self._vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), style=Qt.DashLine))
        self._readout = pg.TextItem(color=(30, 30, 30), anchor=(0, 1), fill=pg.mkBrush(255, 255, 255, 210))
        for extra in (self._vline, self._readout):
            extra.setVisible(False)
            item.addItem(extra, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def add_series(
        self, name: str, color: tuple[int, int, int], width: int = 1, symbol: str | None = None, alpha: int = 255
    ) -> None:
        pen = pg.mkPen((*color, alpha), width=width)
        curve = self.plot(
            [],
            [],
            name=name,
            pen=pen,
            symbol=symbol,
            symbolSize=6,
            symbolBrush=color if symbol else None,
            symbolPen=None if symbol else pen,
        )
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        self.curves[name] = curve
        self.series[name] = GrowingSeries()

    def remove_series(self, name: str) -> None:
        """Take a series off the plot and its legend."""
        curve = self.curves.pop(name)
        self.series.pop(name)
        self.kept.discard(name)
        self._dirty.discard(name)
        self.legend.removeItem(curve)
        self.getPlotItem().removeItem(curve)

    def append(self, name: str, x: float, y: float) -> None:
        """Queue a point; non-finite values are dropped (they would break autorange)."""
        if math.isfinite(x) and math.isfinite(y):
            self.series[name].append(x, y)
            self._dirty.add(name)
            self._ylow, self._yhigh = min(self._ylow, y), max(self._yhigh, y)

    def refresh(self) -> None:
        if not self._dirty:
            return
        for name in self._dirty:
            x, y = self.series[name].data()
            self.curves[name].setData(x, y)
        self._dirty.clear()
        self._fit_y()

    def _fit_y(self) -> None:
        """Change the y range only when the data leaves it or fills a small part of it.

        Autorange would move the axis on every update, and redrawing an axis's ticks and labels
        costs more than the curves; a steady range keeps the axis cached between updates.
        """
        if self._log_y or not math.isfinite(self._ylow):
            return
        view = self.getPlotItem().vb
        (low, high) = view.viewRange()[1]
        span = max(self._yhigh - self._ylow, 1e-9)
        outside = self._ylow < low or self._yhigh > high
        loose = span < 0.5 * (high - low)
        if outside or loose:
            margin = 0.08 * span
            view.setYRange(self._ylow - margin, self._yhigh + margin, padding=0)

    def set_x_extent(self, epochs: float) -> None:
        """Fix the x axis to the run's length, so it does not rescale (and redraw) as points arrive."""
        self.getPlotItem().setXRange(0, max(epochs, 1e-3), padding=0.02)

    def clear_data(self) -> None:
        """Empty the live series; the kept ones stay, and the y range is fitted to them again."""
        self._ylow, self._yhigh = math.inf, -math.inf
        for name, series in self.series.items():
            if name in self.kept:
                y = series.data()[1]
                if len(y):
                    self._ylow, self._yhigh = min(self._ylow, float(y.min())), max(self._yhigh, float(y.max()))
                continue
            series.clear()
            self.curves[name].setData([], [])
        self._dirty.clear()
        self.getPlotItem().enableAutoRange()

    def set_log_y(self, on: bool) -> None:
        self._log_y = on
        item = self.getPlotItem()
        item.setLogMode(y=on)
        item.enableAutoRange(y=on)
        if not on:
            self._fit_y()

    @Slot(object)
    def _on_mouse_moved(self, pos) -> None:
        item = self.getPlotItem()
        if not item.sceneBoundingRect().contains(pos):
            self._vline.setVisible(False)
            self._readout.setVisible(False)
            return
        point = item.vb.mapSceneToView(pos)
        lines = []
        for name, series in self.series.items():
            x, y = series.data()
            if len(x):
                i = int(np.clip(np.searchsorted(x, point.x()), 0, len(x) - 1))
                if i > 0 and abs(x[i - 1] - point.x()) < abs(x[i] - point.x()):
                    i -= 1
                lines.append(f"{name}: {y[i]:.4g} (epoch {x[i]:.2f})")
        if not lines:
            return
        self._vline.setPos(point.x())
        self._readout.setPos(point.x(), point.y())
        self._readout.setText("\n".join(lines))
        self._vline.setVisible(True)
        self._readout.setVisible(True)

    def rows(self) -> list[tuple[str, float, float]]:
        """Every point as (series, x, y), for CSV export."""
        out = []
        for name, series in self.series.items():
            x, y = series.data()
            out += [(name, float(a), float(b)) for a, b in zip(x, y, strict=True)]
        return out


class TrainingPlots(QWidget):
    """The loss and accuracy plots side by side, with log scale and export buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss = MetricPlot("Loss", "loss", grid=False)
        self.loss.add_series("train (batch)", (120, 160, 220), alpha=110)
        self.loss.add_series("train (smoothed)", (31, 100, 200), width=2)
        self.loss.add_series("validation", (220, 90, 30), width=2, symbol="o")
        # Accuracy rises to the top: its legend sits at the bottom, out of the curves' way.
        self.accuracy = MetricPlot("Accuracy", "accuracy", legend_offset=(-8, -8))
        self.accuracy.add_series("train", (31, 100, 200), width=2, symbol="o")
        self.accuracy.add_series("validation", (220, 90, 30), width=2, symbol="o")
        self.per_class = PerClassAccuracyPlot("Per-class accuracy (validation)")
        self.per_class.setObjectName("livePerClassAccuracy")
        self._ema = 0.0
        self._ema_steps = 0
        self._epochs: float = 0
        #: past runs laid over the live curves: key -> (series name, its epochs)
        self.runs_shown: dict[str, tuple[str, int]] = {}

        self.log_scale = QCheckBox("Log-scale loss")
        self.log_scale.setObjectName("logScaleCheck")
        self.log_scale.toggled.connect(self.loss.set_log_y)
        self.export_png_button = QPushButton("Export PNG…")
        self.export_png_button.clicked.connect(self._ask_png)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_csv_button.clicked.connect(self._ask_csv)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.log_scale)
        tools.addStretch(1)
        tools.addWidget(self.export_png_button)
        tools.addWidget(self.export_csv_button)
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.addWidget(self.loss, 3)
        plots.addWidget(self.accuracy, 2)
        plots.addWidget(self.per_class, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addLayout(plots, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    def clear(self, epochs: float | None = None) -> None:
        """Empty the plots for a run of ``epochs`` (fixes the x axis to it, and to the past runs shown)."""
        self.loss.clear_data()
        self.accuracy.clear_data()
        self.per_class.clear_bars()
        self.per_class.set_title("Per-class accuracy (validation)")
        self._epochs = epochs or 0
        self._fit_x()
        self._ema = 0.0
        self._ema_steps = 0

    def add_batch(self, epoch_position: float, loss: float, batch_losses: Sequence[float]) -> None:
        """An event's mean loss at ``epoch_position`` (fractional epochs since the start) and the
        losses of the batches it covers, in order: the smoothed curve steps once per batch."""
        for value in batch_losses:
            if math.isfinite(value):
                # An exponential moving average, debiased so its first points are not pulled towards 0.
                self._ema = SMOOTHING * self._ema + (1 - SMOOTHING) * value
                self._ema_steps += 1
        if math.isfinite(loss):
            self.loss.append("train (batch)", epoch_position, loss)
        if self._ema_steps:
            self.loss.append("train (smoothed)", epoch_position, self._ema / (1 - SMOOTHING**self._ema_steps))

    def add_epoch(self, epoch: int, val_loss: float, train_accuracy: float | None, val_accuracy: float | None) -> None:
        self.loss.append("validation", epoch, val_loss)
        if train_accuracy is not None:
            self.accuracy.append("train", epoch, train_accuracy)
        if val_accuracy is not None:
            self.accuracy.append("validation", epoch, val_accuracy)

    def show_run(
        self,
        key: str,
        label: str,
        color: tuple[int, int, int],
        epochs: Sequence[int],
        val_loss: Sequence[float],
        val_accuracy: Sequence[float | None],
    ) -> None:
        """Lay a past run's validation curves over the live ones, in ``color``, named ``label`` in the legends."""
        self.hide_run(key)
        name = f"{label} (validation)"
        for plot, values in ((self.loss, val_loss), (self.accuracy, val_accuracy)):
            plot.add_series(name, color, width=2, symbol="t")
            plot.kept.add(name)
            for epoch, value in zip(epochs, values, strict=True):
                if value is not None:
                    plot.append(name, epoch, value)
        self.runs_shown[key] = (name, max(epochs, default=0))
        self._fit_x()
        self.refresh()

    def hide_run(self, key: str) -> None:
        shown = self.runs_shown.pop(key, None)
        if shown is not None:
            self.loss.remove_series(shown[0])
            self.accuracy.remove_series(shown[0])

    def _fit_x(self) -> None:
        """The x axis spans the live run and every past run shown."""
        extent = max([self._epochs, *(epochs for _, epochs in self.runs_shown.values())])
        if extent:
            self.loss.set_x_extent(extent)
            self.accuracy.set_x_extent(extent)

    def set_per_class(self, epoch: int, accuracy: Sequence[float], names: Sequence[str]) -> None:
        """Each class's validation accuracy after ``epoch`` (once an epoch: drawn at once)."""
        self.per_class.set_accuracy(accuracy, names)
        self.per_class.set_title(f"Per-class accuracy (validation, epoch {epoch})")

    @Slot()
    def refresh(self) -> None:
        self.loss.refresh()
        self.accuracy.refresh()

    def export_png(self, path: str | Path) -> bool:
        self.refresh()
        return self.grab().save(str(path))

    def export_csv(self, path: str | Path) -> None:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["plot", "series", "epoch", "value"])
            for plot_name, plot in (("loss", self.loss), ("accuracy", self.accuracy)):
                for series, x, y in plot.rows():
                    writer.writerow([plot_name, series, f"{x:.6g}", f"{y:.6g}"])

    @Slot()
    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export plots", "training.png", "PNG image (*.png)")
        if path:
            self.export_png(path)

    @Slot()
    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "training.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)
