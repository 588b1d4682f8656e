"""The training panel: run controls and progress on the left; settings, live plots and
evaluation in tabs on the right. Runs go to a :class:`TrainingRunner`; this panel only shows.

The status line says what the run is doing now (loading, training, paused, stopping) and only
then what last happened (an epoch's result); a "cannot train" message is checked again whenever
the network changes, so it never outlives the problem it names.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.analysis.compiler import CompiledNetwork, compile_network
from gui_app.core.analysis.lint import lint_network
from gui_app.core.analysis.messages import layer_label
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.class_names import class_name
from gui_app.core.training.checkpoints import Checkpoint, load_checkpoint, resumed_length, save_checkpoint
from gui_app.core.training.sanity import SanityChecks, SanityMessage
from gui_app.core.training.trained_model import ModelFileError
from gui_app.core.training.trainer import (
    BatchEvent,
    Callback,
    EpochEvent,
    ErrorKind,
    FitResult,
    FitStatus,
    RunInfo,
    Trainer,
)
from gui_app.ui.training.best_weights_button import BestWeightsButton
from gui_app.ui.training.data_note import DataNoteBar
from gui_app.ui.training.evaluation_view import EvaluationView
from gui_app.ui.training.plots import TrainingPlots
from gui_app.ui.training.settings_form import TrainingSettingsForm
from gui_app.ui.training.worker import TrainingRunner

#: seconds between updates of the progress bars and figures (the plots update at 20 Hz)
FIGURES_INTERVAL = 0.25
LOCK_NOTE = "The network is locked while it trains: stop the run to edit it."


def _format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _FillingLayout(QHBoxLayout):
    """The panel's layout, which tells the dock's scroll area it has no height-for-width.

    The wrapped status line gives the layout height-for-width, and a resizable QScrollArea then
    makes the panel as tall as its *preferred* height for the width (the plots' 480 pixels): at
    1280×800 the dock showed the top of a 560-pixel panel, so the evaluation's matrix was cut
    after one row. Without it the panel takes the dock's height (down to its minimum) and the
    status still wraps, since the column inside keeps doing height-for-width.
    """

    def hasHeightForWidth(self) -> bool:
        return False


def _network_problem(compiled: CompiledNetwork) -> str | None:
    """Why the compiled network cannot train, in the words the inspector uses, or None."""
    if compiled.ok:
        return None
    first = compiled.errors[0]
    return f"Cannot train: {layer_label(first.index, first.type)} has an error: {first.error}."


def _figure(metrics: dict[str, float]) -> str:
    """A model's validation figure as the status shows it: accuracy, else loss."""
    if "val_accuracy" in metrics:
        return f": validation accuracy {metrics['val_accuracy']:.2%}"
    return f": validation loss {metrics['val_loss']:.4f}" if "val_loss" in metrics else ""


def _outcome(result: FitResult) -> str:
    """How a run that did not fail ended, with its last validation figure."""
    if result.status == FitStatus.STOPPED and not result.history:
        return f"Stopped before the first epoch ended ({_format_seconds(result.seconds)})."
    words = {FitStatus.COMPLETED: "Finished", FitStatus.STOPPED: "Stopped", FitStatus.EARLY_STOPPED: "Stopped early"}
    last = result.history[-1] if result.history else None
    detail = ""
    if last is not None and last.val_accuracy is not None:
        detail = f": validation accuracy {last.val_accuracy:.2%}"
    elif last is not None:
        detail = f": validation loss {last.val_loss:.4f}"
    restored = ""
    if result.restored_best and result.best.epoch < result.epochs_completed:
        restored = f" The best weights are restored: epoch {result.best.epoch}{_figure(result.model.metrics)}."
    return (
        f"{words.get(result.status, result.status)} after {result.epochs_completed} "
        f"epoch(s) in {_format_seconds(result.seconds)}{detail}.{restored}"
    )


def _weakest_class(per_class: tuple[float, ...], names: tuple[str, ...]) -> str:
    """The status line's ", weakest class 8 at 82.0%"; "" when fewer than two classes have a figure."""
    seen = [(share, i) for i, share in enumerate(per_class) if not math.isnan(share)]
    if len(seen) < 2:
        return ""
    share, label = min(seen)
    return f", weakest class {class_name(names, label)} at {share:.1%}"


class TrainingPanel(QWidget):
    """See the module docstring. ``spec_provider`` returns the network to train (a copy)."""

    run_started = Signal()
    #: a core TrainedModel with the trained weights, or None when stopped before any epoch
    run_finished = Signal(object)
    config_changed = Signal(object)
    #: a core TrainedModel chosen with *Use best weights* (the best epoch's or, unticked, the last's)
    weights_chosen = Signal(object)
    #: a core SanityMessage, emitted from the worker thread (queued to :meth:`_on_sanity`)
    _sanity_failed = Signal(object)

    def __init__(self, spec_provider: Callable[[], NetworkSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingPanel")
        self.spec_provider = spec_provider
        #: the callbacks each run gets besides the panel's own (the window's run recorder)
        self.callbacks_provider: Callable[[], list[Callback]] = list
        #: the one owner of the running Trainer (see :attr:`trainer`)
        self.runner = TrainingRunner(self)
        self.best_button = BestWeightsButton()
        self.best_button.chosen.connect(self._weights_chosen)
        self._connect_worker()
        #: the last run's result; its checkpoint (a CPU copy) is what *Checkpoint…* saves
        self.last_result: FitResult | None = None
        self._batches = 1
        self._start_epoch = 0
        self._started_at = 0.0
        self._paused_at: float | None = None
        self._paused_total = 0.0
        self._error: str | None = None
        self._figures_at = 0.0
        #: what the run is doing ("Loading mnist…", "Training on …"); "" when idle
        self._activity = ""
        #: the last epoch's result, shown while training and beside "Paused."
        self._last_epoch = ""
        #: the status names a problem of the network itself (re-checked on every network change)
        self._network_problem = False
        #: training has begun (the data is loaded): Pause acts only from then on
        self._training = False
        #: the running classifier's class names, for the per-class bars
        self._class_names: tuple[str, ...] = ()
        self._make_tabs()
        self._make_controls()
        self._lay_out()
        self._set_running(False)

    def _connect_worker(self) -> None:
        worker = self.runner.worker
        worker.run_started.connect(self._on_run_started)
        worker.download_progress.connect(self._on_download)
        worker.batch_done.connect(self._on_batch)
        worker.epoch_done.connect(self._on_epoch)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        worker.best_evaluated.connect(self.best_button.set_best_evaluation)
        self._sanity_failed.connect(self._on_sanity)

    def _make_tabs(self) -> None:
        self.settings = TrainingSettingsForm()
        self.settings.config_changed.connect(self.config_changed)
        self.settings.config_changed.connect(self._settings_edited)
        self.plots = TrainingPlots()
        self.evaluation = EvaluationView()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        settings_scroll = QScrollArea()
        settings_scroll.setWidgetResizable(True)
        settings_scroll.setFrameShape(QFrame.Shape.NoFrame)
        settings_scroll.setWidget(self.settings)
        self.tabs.addTab(settings_scroll, "Settings")
        self.tabs.addTab(self.plots, "Live plots")
        self.tabs.addTab(self.evaluation, "Evaluation")

    def _make_controls(self) -> None:
        """The buttons, the progress bars and figures, and the status and note lines."""
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.start_button.setObjectName("startTraining")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self._start_clicked)
        self.pause_button.clicked.connect(self.pause)
        self.resume_button.clicked.connect(self.resume)
        self.stop_button.clicked.connect(self.stop)
        self.save_checkpoint_button = QPushButton("Checkpoint…")
        self.save_checkpoint_button.setToolTip("Save the last run as a checkpoint, to resume it later")
        self.save_checkpoint_button.clicked.connect(self._ask_save_checkpoint)
        self.resume_checkpoint_button = QPushButton("Resume from…")
        self.resume_checkpoint_button.setToolTip("Continue a run saved in a checkpoint file")
        self.resume_checkpoint_button.clicked.connect(self._ask_resume_checkpoint)
        self.epoch_bar = QProgressBar()
        self.epoch_bar.setFormat("epoch %p%")
        self.run_bar = QProgressBar()
        self.run_bar.setFormat("run %p%")
        self.epoch_label = QLabel("Epoch –")
        self.eta_label = QLabel("–")
        self.speed_label = QLabel("–")
        self.speed_label.setToolTip("training samples per second")
        self.lr_label = QLabel("–")
        self.memory_caption = QLabel("GPU")
        self.memory_label = QLabel("–")
        self.memory_label.setToolTip("GPU memory in use by this run / the GPU's total")
        self.status = QLabel("Ready.")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        # Which data a run uses, when it is not what was asked for (the MNIST sample, another folder)
        self.data_note = DataNoteBar()
        # What the sanity checks of the run's first batches found (hidden while they found nothing)
        self.sanity_note = QLabel()
        self.sanity_note.setObjectName("sanityNote")
        self.sanity_note.setWordWrap(True)
        self.sanity_note.setStyleSheet("color: #a05a00;")
        self.sanity_note.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.sanity_note.setVisible(False)
        self.lock_note = QLabel(LOCK_NOTE)
        self.lock_note.setWordWrap(True)
        self.lock_note.setStyleSheet("color: #8a5a00;")
        self.lock_note.setVisible(False)

    def _button_grid(self) -> QGridLayout:
        buttons = QGridLayout()
        buttons.setSpacing(3)
        for i, button in enumerate((self.start_button, self.stop_button, self.pause_button, self.resume_button)):
            buttons.addWidget(button, i // 2, i % 2)
        buttons.addWidget(self.save_checkpoint_button, 2, 0)
        buttons.addWidget(self.resume_checkpoint_button, 2, 1)
        buttons.addWidget(self.best_button, 3, 0, 1, 2)
        return buttons

    def _figure_grid(self) -> QGridLayout:
        figures = QGridLayout()
        figures.setVerticalSpacing(1)
        figures.setHorizontalSpacing(4)
        pairs = (
            ("ETA", self.eta_label),
            ("lr", self.lr_label),
            ("Speed", self.speed_label),
            (self.memory_caption, self.memory_label),
        )
        for i, (caption, label) in enumerate(pairs):
            row, column = (0, 2 * i) if i < 2 else (i - 1, 0)
            figures.addWidget(caption if isinstance(caption, QLabel) else QLabel(caption), row, column)
            figures.addWidget(label, row, column + 1, 1, 1 if i < 2 else 3)
        figures.setColumnStretch(1, 1)
        figures.setColumnStretch(3, 1)
        return figures

    def _lay_out(self) -> None:
        """Controls in a fixed-width column on the left; status, note and tabs on the right."""
        left = QVBoxLayout()
        left.setSpacing(3)
        left.addLayout(self._button_grid())
        left.addWidget(self.lock_note)
        left.addWidget(self.epoch_label)
        left.addWidget(self.epoch_bar)
        left.addWidget(self.run_bar)
        left.addLayout(self._figure_grid())
        left.addStretch(1)
        left_widget = QWidget()
        left_widget.setLayout(left)
        # A long error message scrolls instead of being clipped in a short dock.
        left_scroll = QScrollArea()
        left_scroll.setWidgetResizable(True)
        left_scroll.setFrameShape(QFrame.Shape.NoFrame)
        left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_scroll.setWidget(left_widget)
        left_scroll.setFixedWidth(250)
        layout = _FillingLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(left_scroll)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(2)
        # The status spans the panel's width above the tabs: a long message (a layer's error with
        # its fix) reads whole in a line or two instead of being clipped in the narrow left column.
        right.addWidget(self.status)
        right.addWidget(self.sanity_note)
        right.addWidget(self.data_note)
        right.addWidget(self.tabs, 1)
        layout.addLayout(right, 1)

    # ------------------------------------------------------------------ contract
    def set_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in the form (no ``config_changed``)."""
        if config != self.config():
            self._settings_edited()
        self.settings.set_config(config)

    @Slot(object)
    def _settings_edited(self, _config: object = None) -> None:
        # What the last run's first batches said was said of other settings.
        if not self.is_running():
            self._clear_sanity_note()

    def config(self) -> TrainingConfig:
        return self.settings.config()

    @property
    def trainer(self) -> Trainer | None:
        """The running Trainer, or None when idle (the runner owns it)."""
        return self.runner.trainer

    def is_running(self) -> bool:
        return self.trainer is not None

    def stop_and_wait(self, timeout_ms: int = 5000) -> bool:
        """Stop any run and join its thread (for closing the window); True when it ended."""
        return self.runner.stop_and_wait(timeout_ms)

    # ------------------------------------------------------------------ controls
    @Slot()
    def _start_clicked(self) -> None:
        self.start()

    def start(self, resume: Checkpoint | None = None) -> bool:
        """Start a run of the current network; False (with a message) when it cannot start."""
        if self.is_running():
            return False
        spec = resume.model.spec.copy() if resume is not None else self.spec_provider()
        config = self.config()
        if resume is not None:
            epochs = resumed_length(resume, config.epochs).epochs
            config = resume.config.replace(epochs=epochs, device=config.device)
        problem = _network_problem(compile_network(spec))
        if problem:
            self._network_problem = resume is None  # a checkpoint's network is not the one being edited
            self._show_status(problem, True)
            return False
        self._error = None
        self._network_problem = False
        trainer = Trainer(
            spec, config, [SanityChecks(self._sanity_failed.emit), *self.callbacks_provider()], resume=resume
        )
        self._clear_run(config.epochs)
        self._started_at = time.perf_counter()
        self._paused_total = 0.0
        self._paused_at = None
        self._training = False
        self._last_epoch = ""
        self.tabs.setCurrentWidget(self.plots)
        self.runner.start(trainer)  # from here on the runner holds it: ``self.trainer`` reads it there
        self._set_activity(f"Loading {config.dataset}…")
        self._set_running(True)
        self.run_started.emit()
        return True

    def forget_run(self) -> None:
        """Another project (New, Open, Reopen): nothing of the last run may be offered or shown,
        neither its best weights, its checkpoint, its outcome, its checks nor its evaluation."""
        if self.is_running():
            return  # the project cannot change during a run (the document is locked)
        self.last_result = None
        self._error = None
        self._network_problem = False
        self._clear_run(None)
        self.epoch_label.setText("Epoch –")
        for label in (self.speed_label, self.lr_label):
            label.setText("–")
        self._show_status("Ready.")
        self._update_buttons()

    def _clear_run(self, epochs: int | None) -> None:
        """Empty what a run fills: for the next run of ``epochs``, or for none (``forget_run``)."""
        self.best_button.show_run(None)
        self._clear_sanity_note()
        self.plots.clear(epochs)
        self.evaluation.set_result(None)
        self.epoch_bar.setValue(0)
        self.run_bar.setFormat("run %p%")
        self.run_bar.setValue(0)
        self.eta_label.setText("–")
        self.data_note.show_note("")

    def _clear_sanity_note(self) -> None:
        self.sanity_note.clear()
        self.sanity_note.setVisible(False)

    @Slot()
    def pause(self) -> None:
        if self.trainer is not None and self._training and not self.trainer.paused:
            self.trainer.pause()
            self._paused_at = time.perf_counter()
            self._refresh_status()
            self._update_buttons()

    @Slot()
    def resume(self) -> None:
        if self.trainer is not None and self.trainer.paused:
            self.trainer.unpause()
            if self._paused_at is not None:
                self._paused_total += time.perf_counter() - self._paused_at
                self._paused_at = None
            self._refresh_status()
            self._update_buttons()

    @Slot()
    def stop(self) -> None:
        if self.trainer is not None:
            self.trainer.stop()
            self.eta_label.setText("–")  # the run ends now, not when the estimate said
            self._refresh_status()
            self._update_buttons()

    @Slot()
    def network_changed(self, _change: object = None) -> None:
        """The edited network changed: a "cannot train" message is checked again, and what the
        last run's first batches said (of another network) goes (idle only)."""
        if self.trainer is not None:
            return
        self._clear_sanity_note()
        if not self._network_problem:
            return
        spec = self.spec_provider()
        compiled = compile_network(spec)  # once: the lint reuses it
        problem = _network_problem(compiled)
        warnings = [] if problem else lint_network(spec, compiled)
        if problem:
            self._show_status(problem, True)
        elif warnings:  # compiles, but may still not fit the data (as a failed run said)
            self._show_status(f"Check before training: {warnings[0]}.", warning=True)
        else:
            self._network_problem = False
            self._show_status("Ready to train: the network compiles.")

    def _set_running(self, running: bool) -> None:
        self.settings.setEnabled(not running)
        self.lock_note.setVisible(running)
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.trainer is not None
        stopping = running and self.trainer.should_stop
        paused = running and self.trainer.paused and not stopping
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running and self._training and not paused and not stopping)
        self.resume_button.setEnabled(paused)
        self.stop_button.setEnabled(running and not stopping)
        self.resume_checkpoint_button.setEnabled(not running)
        self.save_checkpoint_button.setEnabled(not running and self._can_checkpoint())
        self.memory_caption.setVisible(running and self.memory_label.text() != "–")
        self.memory_label.setVisible(self.memory_caption.isVisible())

    def _can_checkpoint(self) -> bool:
        # Only an exact one: not after a stop mid-epoch (the weights moved on) or an error (NaN).
        result = self.last_result
        return result is not None and self._error is None and result.checkpoint is not None

    def _show_status(self, text: str, error: bool = False, warning: bool = False) -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        self.status.setStyleSheet("color: #c02020;" if error else "color: #a05a00;" if warning else "")

    def _set_activity(self, text: str) -> None:
        self._activity = text
        self._refresh_status()

    def _refresh_status(self) -> None:
        """The status of a run in progress: its state first, so a late event cannot hide it."""
        trainer = self.trainer
        if trainer is None:
            return  # idle: the run's outcome (or a problem) stays until something changes it
        if trainer.should_stop:
            self._show_status("Stopping…")
        elif trainer.paused:
            self._show_status("Paused." + (f" Last: {self._last_epoch}" if self._last_epoch else ""))
        else:
            self._show_status(self._last_epoch or self._activity)

    # ------------------------------------------------------------------ worker signals
    @Slot(object)
    def _on_run_started(self, info: RunInfo) -> None:
        self._batches = max(1, info.batches)
        self._start_epoch = info.start_epoch
        self._started_at = time.perf_counter()  # the ETA counts training, not loading the data
        self.run_bar.setFormat("run %p%")
        self.run_bar.setValue(0)
        source = info.source
        home = str(Path.home())
        if source.startswith(home + os.sep):
            source = "~" + source[len(home) :]
        self._class_names = info.class_names
        self._training = True
        self._set_activity(f"Training on {info.dataset} ({info.samples:,} samples) with {info.device}. Data: {source}")
        self._update_buttons()
        self.data_note.show_note(info.note, info.detail, info.origin)
        self.tabs.setTabEnabled(2, info.classification)

    @Slot(float, str)
    def _on_download(self, fraction: float, text: str) -> None:
        if self.trainer is None or self.trainer.should_stop:
            return  # queued before Stop: "Stopping…" stays
        self.run_bar.setFormat("download %p%")
        self.run_bar.setValue(int(fraction * 100))
        self._set_activity(f"{text}. Stop cancels the download and the run.")

    @Slot(object)
    def _on_batch(self, event: BatchEvent) -> None:
        self.plots.add_batch(event.step / self._batches, event.loss, event.batch_losses)
        now = time.perf_counter()
        last = event.batch == event.batches
        if now - self._figures_at < FIGURES_INTERVAL and not last:
            return  # the plots take every point; the figures need not change 20 times a second
        self._figures_at = now
        self._show_figures(event)

    def _show_figures(self, event: BatchEvent) -> None:
        self.epoch_label.setText(
            f"Epoch {event.epoch}/{event.total_steps // self._batches} · batch {event.batch}/{event.batches}"
        )
        self.epoch_bar.setValue(int(100 * event.batch / max(event.batches, 1)))
        done_steps = event.step - self._start_epoch * self._batches
        todo_steps = event.total_steps - self._start_epoch * self._batches
        fraction = done_steps / max(todo_steps, 1)
        self.run_bar.setValue(int(100 * event.step / max(event.total_steps, 1)))
        paused = self._paused_total + (time.perf_counter() - self._paused_at if self._paused_at else 0.0)
        elapsed = time.perf_counter() - self._started_at - paused
        if fraction > 0:
            self.eta_label.setText(_format_seconds(elapsed / fraction - elapsed))
        self.speed_label.setText(f"{event.samples_per_s:,.0f} samples/s")
        self.lr_label.setText(f"{event.lr:.4g}")
        if event.gpu_memory is not None:
            used, total = event.gpu_memory
            self.memory_label.setText(f"{used / 2**30:.2f} / {total / 2**30:.1f} GiB")
            self.memory_caption.setVisible(True)
            self.memory_label.setVisible(True)

    @Slot(object)
    def _on_epoch(self, event: EpochEvent) -> None:
        self.plots.add_epoch(event.epoch, event.val_loss, event.train_accuracy, event.val_accuracy)
        acc = event.val_accuracy
        accuracy = f", accuracy {acc:.2%}" if acc is not None else ""
        if event.per_class_accuracy is not None:
            self.plots.set_per_class(event.epoch, event.per_class_accuracy, self._class_names)
            accuracy += _weakest_class(event.per_class_accuracy, self._class_names)
        self._last_epoch = (
            f"Epoch {event.epoch}/{event.epochs}: validation loss "
            f"{event.val_loss:.4f}{accuracy} ({event.seconds:.1f} s)."
        )
        self._refresh_status()

    @Slot(object)
    def _on_sanity(self, message: SanityMessage) -> None:
        """A check of the first batches failed: one line each, kept until the network, the settings
        or the project change, or the next run starts."""
        lines = [line for line in self.sanity_note.text().split("\n") if line]
        self.sanity_note.setText("\n".join([*lines, f"Check: {message.text}"]))
        self.sanity_note.setVisible(True)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._error = message
        self._show_status(message, True)

    @Slot(object, object)
    def _on_finished(self, result: FitResult, evaluation: object) -> None:
        self.last_result = result  # the runner has let go of the finished Trainer
        self._training = False
        self.run_bar.setFormat("run %p%")
        self.eta_label.setText("–")
        self.plots.refresh()
        self.evaluation.set_result(evaluation)
        self._set_running(False)
        if result.error is None:
            warnings = "".join(f" Warning: {w[:1].upper()}{w[1:]}." for w in result.warnings)
            self._show_status(_outcome(result) + warnings, warning=bool(warnings))
        else:
            self._network_problem = result.error.kind == ErrorKind.SHAPE  # the network does not fit the data
        if evaluation is not None and result.status == FitStatus.COMPLETED:
            self.tabs.setCurrentWidget(self.evaluation)
        self.best_button.show_run(result, evaluation)
        self.run_finished.emit(result.model)

    @Slot(object, object)
    def _weights_chosen(self, model: object, evaluation: object) -> None:
        """*Use best weights* ticked or unticked: the evaluation and the window follow."""
        epochs = int(model.metrics.get("epochs", 0))
        # No evaluation of these weights (not a classifier, or it failed): the other epoch's must go.
        self.evaluation.set_result(evaluation, f"The weights of epoch {epochs} were not evaluated on the test split.")
        self._show_status(f"Using the weights of epoch {epochs}{_figure(model.metrics)}.")
        self.weights_chosen.emit(model)

    # ------------------------------------------------------------------ checkpoints
    @Slot()
    def _ask_save_checkpoint(self) -> None:
        if not self._can_checkpoint():
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", "checkpoint.pt", "Checkpoint (*.pt)")
        if path:
            self.save_checkpoint(path)

    def save_checkpoint(self, path: str) -> None:
        """Save the last run's checkpoint, the CPU copy taken when it ended."""
        save_checkpoint(self.last_result.checkpoint, path)
        self._show_status(f"Checkpoint saved: {path}")

    @Slot()
    def _ask_resume_checkpoint(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Resume from checkpoint", "", "Checkpoint (*.pt *.pth)")
        if path:
            self.resume_from_file(path)

    def resume_from_file(self, path: str) -> bool:
        """Start a run from a checkpoint file; a file that cannot resume gets a dialog saying why."""
        try:
            checkpoint = load_checkpoint(path)
        except ModelFileError as exc:
            self._show_status(str(exc), True)
            QMessageBox.warning(self, "Cannot resume from this checkpoint", str(exc))
            return False
        return self.start(resume=checkpoint)
