"""Training ▸ Find Learning Rate and Training ▸ Can This Network Learn?: the core's probes in a dialog.

Each dialog runs one probe (:class:`LRFinder` or :class:`LearnCheck`) on a QThread it owns, shows
its progress and curve live, and can be cancelled; closing it stops the probe and joins the thread
first. The finder's dialog marks the suggested rate on a log-rate axis and *Use This Rate* hands
it to the training settings in one click (``rate_chosen``).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.lr_finder import LRFinder, LRFinderResult, LRFinderSettings, LRStep
from gui_app.core.training.probing import Probe, ProbeError, ProbeStoppedError
from gui_app.core.training.sanity import LEARN_STEPS, LearnCheck, LearnCheckResult, LearnStep

#: The fewest seconds between two progress signals (the result carries every point anyway).
PROGRESS_INTERVAL = 0.05
#: How long closing waits for the probe to stop (ms); a step may outlast it (a stalled download).
STOP_WAIT_MS = 10_000
RAW_COLOUR, SMOOTH_COLOUR, SUGGESTED_COLOUR, CURRENT_COLOUR = (120, 160, 220), (31, 100, 200), (46, 158, 91), (140,) * 3


class ProbeWorker(QObject):
    """Runs one probe in its thread and reports by signals carrying the core's frozen objects."""

    #: a tuple of the progress objects (LRStep or LearnStep) since the last, at most every PROGRESS_INTERVAL
    progressed = Signal(object)
    #: the probe's result; None when it was stopped before it could step
    finished = Signal(object)
    #: one line saying why the probe could not run
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._sent_at = 0.0
        self._unsent: list[Any] = []

    @Slot(object)
    def run(self, probe: Probe) -> None:
        try:
            result = probe.run(self._progress)
        except ProbeStoppedError:
            result = None
        except ProbeError as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(result)

    def _progress(self, step: Any) -> None:
        self._unsent.append(step)
        now = time.perf_counter()
        if now - self._sent_at >= PROGRESS_INTERVAL or step.step == step.steps:
            self._sent_at = now
            self.progressed.emit(tuple(self._unsent))
            self._unsent = []


class _ProbeDialog(QDialog):
    """The frame both dialogs share: an explanation, a plot, a progress bar, a status and buttons."""

    _run_requested = Signal(object)
    #: the probe ended (a result, a stop or a failure) and the dialog shows how
    ended = Signal()

    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)  # no training starts while it runs
        self.resize(640, 460)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumHeight(240)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.25)
        self.progress = QProgressBar()
        self.status = QLabel("Loading the data…")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.close_button = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.plot, self.progress, self.status, self.buttons):
            layout.addWidget(widget, 1 if widget is self.plot else 0)
        self.probe: Probe | None = None
        self.worker = ProbeWorker()
        #: not ``thread``, which would hide QObject.thread() (the thread this dialog lives in)
        self.probe_thread = QThread(self)
        self.probe_thread.setObjectName("NetBuilder probe")
        self.worker.moveToThread(self.probe_thread)
        self._run_requested.connect(self.worker.run)
        self.worker.progressed.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)

    def start(self, probe: Probe) -> None:
        """Run ``probe`` on this dialog's thread."""
        self.probe = probe
        self.probe_thread.start()
        self._run_requested.emit(probe)

    def is_running(self) -> bool:
        return self.probe_thread.isRunning()

    def stop_and_wait(self, timeout_ms: int | None = None) -> bool:
        """Stop the probe within a step and join the thread; False if it did not end in time.

        Then the thread still runs: this dialog must stay alive until its ``probe_thread``
        finishes (a QThread destroyed while running takes the process down)."""
        if self.probe is not None:
            self.probe.stop()
        self.probe_thread.quit()
        return bool(self.probe_thread.wait(STOP_WAIT_MS if timeout_ms is None else timeout_ms))

    def _ended(self, text: str, colour: str = "") -> None:
        self.probe_thread.quit()
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")
        self.close_button.setText("Close")
        self.ended.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._ended(message, "#c02020")

    # The slots live here only: a subclass overriding a slot the base connected would have it
    # called directly in the worker's thread (PySide6 6.11, measured), so they hand over instead.
    # Each dialog defines ``_show_progress`` and ``_show_result``, plain methods these slots call.
    @Slot(object)
    def _on_progress(self, steps: tuple[Any, ...]) -> None:
        self._show_progress(steps)

    @Slot(object)
    def _on_finished(self, result: Any) -> None:
        self._show_result(result)

    def done(self, code: int) -> None:
        """Closing (Cancel, Close, Escape, the title bar) stops the probe and joins its thread first;
        a thread that outlasts the wait keeps the (hidden) dialog alive, and the window holds it."""
        if not self.stop_and_wait():
            self.status.setText("Stopping…")
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_and_wait()
        super().closeEvent(event)


class LRFinderDialog(_ProbeDialog):
    """Training ▸ Find Learning Rate: the loss against a log rate axis, the suggestion marked."""

    #: the suggested rate, when the user clicks *Use This Rate*
    rate_chosen = Signal(float)

    def __init__(self, spec: NetworkSpec, config: TrainingConfig, parent: QWidget | None = None) -> None:
        settings = LRFinderSettings()
        super().__init__(
            "Find Learning Rate",
            f"Trains the network for up to {settings.steps} batches while the learning rate grows from "
            f"{settings.start_lr:g} to {settings.end_lr:g}, then puts the weights back: nothing of this run is kept. "
            "The suggested rate is a tenth of the one where the smoothed loss was lowest.",
            parent,
        )
        self.finder = LRFinder(spec, config, settings=settings)
        self.config = config
        self.suggested_lr: float | None = None
        self.progress.setRange(0, settings.steps)
        self.progress.setFormat("step %v of %m")
        item = self.plot.getPlotItem()
        item.setLogMode(x=True)
        item.setLabel("bottom", "learning rate")
        item.setLabel("left", "loss")
        item.addLegend(offset=(8, 8), labelTextSize="8pt")  # top left: the flat start leaves it room
        self.raw_curve = self.plot.plot([], [], name="loss (batch)", pen=pg.mkPen((*RAW_COLOUR, 140)))
        self.smooth_curve = self.plot.plot([], [], name="loss (smoothed)", pen=pg.mkPen(SMOOTH_COLOUR, width=2))
        # The current rate's label sits left of its line, the suggestion's right of its own: the two
        # rates are often close, and the labels must not overlap.
        self.current_line = self._rate_line(config.lr, CURRENT_COLOUR, f"current {config.lr:g}", 0.12, left=True)
        self.suggested_line: pg.InfiniteLine | None = None
        #: the suggested rate's point on the smoothed curve
        self.suggested_mark = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(SUGGESTED_COLOUR), pen=pg.mkPen("w"))
        self.plot.addItem(self.suggested_mark, ignoreBounds=True)
        self.use_button = QPushButton("Use This Rate")
        self.use_button.setEnabled(False)
        self.use_button.setToolTip("Put the suggested rate into the training settings")
        self.use_button.clicked.connect(self._use_rate)
        self.buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self._points: list[Any] = []

    def start(self, probe: Probe | None = None) -> None:
        super().start(probe or self.finder)

    def _rate_line(
        self, lr: float, colour: tuple[int, ...], label: str, position: float, left: bool = False
    ) -> pg.InfiniteLine:
        line = pg.InfiniteLine(
            math.log10(lr),  # the x axis is in log10 units in log mode
            angle=90,
            movable=False,
            pen=pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine),
            label=label,
            labelOpts={
                "position": position,
                "color": colour,
                "fill": (255, 255, 255, 220),
                "anchors": [(1, 0), (1, 0)] if left else [(0, 0), (0, 0)],
            },
        )
        self.plot.addItem(line, ignoreBounds=True)
        return line

    def _show_progress(self, steps: tuple[LRStep, ...]) -> None:
        self._points += [step.point for step in steps]
        last = steps[-1]
        self.progress.setValue(last.step)
        self.status.setText(f"Rate {last.point.lr:.2g}: loss {last.point.loss:.4g}. Cancel stops the sweep.")
        self._draw(self._points)

    def _draw(self, points: list[Any] | tuple[Any, ...]) -> None:
        rates = [p.lr for p in points]
        self.raw_curve.setData(rates, [p.loss for p in points])
        self.smooth_curve.setData(rates, [p.smoothed for p in points])
        smoothed = [p.smoothed for p in points]
        if smoothed:  # the diverging tail would squash the curve: show from its lowest to its start
            raw = [p.loss for p in points]
            low, high = min(*smoothed, *raw), max(smoothed[0], min(max(raw), 2 * smoothed[0]))
            self.plot.getPlotItem().setYRange(low - 0.1 * (high - low), high + 0.05 * (high - low), padding=0)

    def _show_result(self, result: LRFinderResult | None) -> None:
        if result is None:
            self._ended("Stopped before the sweep began.")
            return
        self._points = list(result.points)
        self._draw(result.points)
        self.progress.setValue(len(result.points))
        self.suggested_lr = result.suggested_lr
        ended = {"diverged": " The sweep stopped when the loss diverged.", "stopped": " Stopped."}
        tail = ended.get(str(result.ended), "")
        if result.suggested_lr is None:
            self._ended(f"No suggestion: {result.note}.{tail}", "#a05a00")
            return
        self.suggested_line = self._rate_line(
            result.suggested_lr, SUGGESTED_COLOUR, f"suggested {result.suggested_lr:g}", 0.88
        )
        self.suggested_mark.setData([math.log10(result.suggested_lr)], [_loss_at(result.points, result.suggested_lr)])
        self._ended(f"Suggested learning rate: {result.suggested_lr:g}, {result.note}.{tail}")
        self.use_button.setEnabled(True)
        self.use_button.setDefault(True)

    @Slot()
    def _use_rate(self) -> None:
        if self.suggested_lr is not None:
            self.rate_chosen.emit(self.suggested_lr)
            self.accept()


def _loss_at(points: tuple[Any, ...], lr: float) -> float:
    """The smoothed loss at ``lr``, interpolated in log rate between the two points around it."""
    rates = [math.log10(p.lr) for p in points]
    losses = [p.smoothed for p in points]
    return float(np.interp(math.log10(lr), rates, losses))


class LearnCheckDialog(_ProbeDialog):
    """Training ▸ Can This Network Learn?: one batch, 100 steps, the loss falling (or not)."""

    def __init__(self, spec: NetworkSpec, config: TrainingConfig, parent: QWidget | None = None) -> None:
        super().__init__(
            "Can This Network Learn?",
            f"Trains the network on one batch of {config.batch_size} samples for {LEARN_STEPS} steps with the "
            f"current settings (learning rate {config.lr:g}), then puts the weights back. A network that can "
            "learn the data fits one batch to 100% accuracy.",
            parent,
        )
        self.check = LearnCheck(spec, config)
        self.progress.setRange(0, LEARN_STEPS)
        self.progress.setFormat("step %v of %m")
        item = self.plot.getPlotItem()
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss on the batch")
        self.curve = self.plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOUR, width=2))
        self._steps: list[float] = []
        self._losses: list[float] = []

    def start(self, probe: Probe | None = None) -> None:
        super().start(probe or self.check)

    def _show_progress(self, steps: tuple[LearnStep, ...]) -> None:
        finite = [step for step in steps if math.isfinite(step.loss)]
        self._steps += [step.step for step in finite]
        self._losses += [step.loss for step in finite]
        self.curve.setData(self._steps, self._losses)
        last = steps[-1]
        self.progress.setValue(last.step)
        self.status.setText(f"Step {last.step}: loss {last.loss:.4g}. Cancel stops the check.")

    def _show_result(self, result: LearnCheckResult | None) -> None:
        if result is None:
            self._ended("Stopped before the first step.")
            return
        finite = [(i + 1, v) for i, v in enumerate(result.losses) if math.isfinite(v)]
        self.curve.setData([s for s, _ in finite], [v for _, v in finite])
        self.progress.setValue(result.steps)
        colour = "#2e7d32" if result.learned else "#a05a00"
        self._ended(result.describe(), colour)
