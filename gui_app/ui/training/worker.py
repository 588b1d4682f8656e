"""The training worker: a QObject moved to a QThread that runs a core Trainer.

It turns the Trainer's callback hooks into Qt signals carrying the core's own event objects
(frozen, so the UI thread may read them while the worker goes on), and the worker never touches
a widget. Stop and pause go straight to the Trainer's ``threading.Event`` flags (a queued slot
could not run while the loop is busy).
"""

from __future__ import annotations

import threading
from typing import Any

# The first optimiser step imports torch._dynamo (and ~900 modules with it). Imported from the
# worker thread, that races shiboken's import hook in the UI thread and crashes the process,
# so it is imported here, in the UI thread, before any run starts.
import torch._dynamo  # noqa: F401
from PySide6.QtCore import QObject, QThread, Signal, Slot

from gui_app.core.data.downloads import DownloadProgress
from gui_app.core.training.devices import release_cached_memory
from gui_app.core.training.evaluation import evaluate_model
from gui_app.core.training.events import HealthEvent
from gui_app.core.training.health import HealthProbe
from gui_app.core.training.inspection_sources import weights_snapshot
from gui_app.core.training.trained_model import TrainedModel
from gui_app.core.training.trainer import BatchEvent, Callback, EpochEvent, ErrorEvent, Trainer


class _SignalCallback(Callback):
    """Trainer hooks -> the worker's signals (runs in the worker thread)."""

    def __init__(self, worker: TrainingWorker) -> None:
        self.worker = worker

    def on_download(self, trainer: Trainer, progress: DownloadProgress) -> None:
        self.worker.download_progress.emit(progress.fraction, progress.describe())

    def on_fit_start(self, trainer: Trainer) -> None:
        self.worker.run_started.emit(trainer.run_info)

    def on_batch_end(self, trainer: Trainer, event: BatchEvent) -> None:
        self.worker.batch_done.emit(event)

    def on_epoch_end(self, trainer: Trainer, event: EpochEvent) -> None:
        if self.worker.wants_weights.is_set():  # copied here, between two batches, never half a step
            self.worker.weights_at_epoch.emit(weights_snapshot(trainer, event))
        self.worker.epoch_done.emit(event)

    def on_health(self, trainer: Trainer, event: HealthEvent) -> None:
        self.worker.health_done.emit(event)

    def on_error(self, trainer: Trainer, error: ErrorEvent) -> None:
        self.worker.failed.emit(error.message)


class TrainingWorker(QObject):
    """Runs one Trainer at a time in its thread; create it once and reuse it for every run."""

    #: a core RunInfo once the data is loaded and training begins
    run_started = Signal(object)
    #: (fraction of the download done, what is being downloaded) while the dataset downloads
    download_progress = Signal(float, str)
    #: a core BatchEvent
    batch_done = Signal(object)
    #: a core EpochEvent
    epoch_done = Signal(object)
    #: a core TrainedModel, a CPU copy of the weights at an epoch's end (only while ``wants_weights`` is set)
    weights_at_epoch = Signal(object)
    #: a core HealthEvent: every block's layer health (the probe caps its own cost, so its rate)
    health_done = Signal(object)
    failed = Signal(str)
    #: the EvaluationResult of the run's best weights, just before ``finished``, when they are
    #: not the weights the run left (so "Use best weights" shows theirs at once)
    best_evaluated = Signal(object)
    #: (FitResult, EvaluationResult or None) when a run ends, whatever the outcome
    finished = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        #: set from the UI thread when the app closes: no evaluation after the stop
        self.skip_evaluation = False
        #: set from the UI thread while a view shows the weights as they train (the block view)
        self.wants_weights = threading.Event()

    @Slot(object)
    def run(self, trainer: Trainer) -> None:
        """Train (blocking this worker's thread), then evaluate a classifier on the test split.

        Every run in the window has a layer-health probe (its cost is capped in the core).
        """
        trainer.callbacks += [HealthProbe(), _SignalCallback(self)]
        result = trainer.fit()
        evaluation = self._evaluate(trainer, result.model)
        if result.best is not None and result.best.model is not result.model:
            self.best_evaluated.emit(self._evaluate(trainer, result.best.model))
        self.finished.emit(result, evaluation)

    def _evaluate(self, trainer: Trainer, model: TrainedModel | None) -> Any:
        if model is None or trainer.dataset is None or self.skip_evaluation:
            return None
        try:
            return evaluate_model(model, trainer.dataset, trainer.device or "cpu")
        except (RuntimeError, ValueError) as exc:
            self.failed.emit(f"evaluation failed: {str(exc).splitlines()[0]}")
            return None
        finally:
            release_cached_memory(trainer.device)  # the evaluation's copy of the network


class TrainingRunner(QObject):
    """One QThread and one worker for the owner's whole life; the thread runs only during runs.

    ``start(trainer)`` (re)starts the thread and queues the run; ``stop_and_wait`` stops the
    Trainer and joins the thread. The worker is deleted with this object, never by the thread.
    ``trainer`` is the one reference to the running Trainer (the panel reads it from here) and
    is dropped when the run ends, so nothing keeps a finished run alive.
    """

    _run_requested = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = TrainingWorker()
        self.thread = QThread(self)
        self.thread.setObjectName("NetBuilder training")
        self.worker.moveToThread(self.thread)
        self._run_requested.connect(self.worker.run)
        self.worker.finished.connect(self._on_worker_finished)
        self.trainer: Trainer | None = None

    def start(self, trainer: Trainer) -> None:
        if self.thread.isRunning():
            self.thread.wait(5000)  # the previous run's thread is only winding down
        self.trainer = trainer
        self.worker.skip_evaluation = False
        self.thread.start()
        self._run_requested.emit(trainer)

    @Slot(object, object)
    def _on_worker_finished(self, _result: object, _evaluation: object) -> None:
        self.trainer = None
        self.thread.quit()

    def is_running(self) -> bool:
        return self.trainer is not None

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Stop the run within a batch and join the thread; False if it did not end in time."""
        if self.trainer is not None:
            self.worker.skip_evaluation = True
            self.trainer.stop()
        if not self.thread.isRunning():
            return True
        self.thread.quit()
        ended = bool(self.thread.wait(timeout_ms))
        if ended:
            self.trainer = None
        return ended
