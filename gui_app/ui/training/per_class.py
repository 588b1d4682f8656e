"""Per-class accuracy as bars: live in the plots tab (each epoch's validation), and after a run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from gui_app.core.text.class_names import class_name

_ABOVE_MEAN, _BELOW_MEAN, _NO_SAMPLE = "#2a8a3a", "#c08020", "#b0b0b0"


def class_labels(names: Sequence[str], count: int) -> list[str]:
    """Axis labels for ``count`` classes: their names when short (digits), else their numbers."""
    named = [class_name(names, i) for i in range(count)]
    return named if all(len(name) <= 3 for name in named) else [str(i) for i in range(count)]


class PerClassAccuracyPlot(pg.PlotWidget):
    """A bar per class: the share of its samples predicted right, on a 0 to 1 axis.

    The axis always starts at 0: a range fitted to the bars (0.88 to 1) made a 2% gap look like
    half the chart. Bars below the mean are amber; a class with no sample (NaN) is a grey stub.
    The tooltip lists every class's figure.
    """

    def __init__(self, title: str = "Per-class accuracy", parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w")
        self.setObjectName("perClassAccuracy")
        self.setMinimumSize(150, 110)
        item = self.getPlotItem()
        item.setTitle(title, size="8pt")
        item.setMenuEnabled(False)
        item.setMouseEnabled(False, False)
        item.showGrid(y=True, alpha=0.25)
        item.getAxis("left").setTicks([[(v, f"{v:g}") for v in (0.0, 0.25, 0.5, 0.75, 1.0)]])
        self.bars: pg.BarGraphItem | None = None
        self.accuracy = np.zeros(0)

    def set_title(self, title: str) -> None:
        self.getPlotItem().setTitle(title, size="8pt")

    def set_accuracy(self, accuracy: Sequence[float] | np.ndarray, names: Sequence[str]) -> None:
        item = self.getPlotItem()
        if self.bars is not None:
            item.removeItem(self.bars)
        self.accuracy = np.asarray(accuracy, dtype=float)
        seen = np.isfinite(self.accuracy)
        values = np.where(seen, self.accuracy, 0.02)
        mean = float(self.accuracy[seen].mean()) if seen.any() else 0.0
        brushes = [
            pg.mkBrush(_NO_SAMPLE if not s else _ABOVE_MEAN if v >= mean else _BELOW_MEAN)
            for v, s in zip(values, seen, strict=True)
        ]
        self.bars = pg.BarGraphItem(x=np.arange(len(values)), height=values, width=0.7, brushes=brushes)
        item.addItem(self.bars)
        labels = class_labels(names, len(values))
        item.getAxis("bottom").setTicks([list(enumerate(labels))])
        # A little room beyond 0 and 1, so the axis can label both ends.
        item.setRange(xRange=(-0.6, len(values) - 0.4), yRange=(0.0, 1.0), padding=0.06)
        lines = []
        for i, share in enumerate(self.accuracy):
            name = class_name(names, i)
            lines.append(f"{name}: {share:.1%}" if np.isfinite(share) else f"{name}: no sample")
        self.setToolTip("\n".join(lines))

    def clear_bars(self) -> None:
        if self.bars is not None:
            self.getPlotItem().removeItem(self.bars)
            self.bars = None
        self.accuracy = np.zeros(0)
        self.setToolTip("")
