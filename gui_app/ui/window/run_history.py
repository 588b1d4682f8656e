"""The window's side of the run history: record each run beside the project, keep the runs tab on
the project's ``NAME.runs/`` folder, and reopen a past run into the project.

An unsaved project records nothing: its runs would have no place beside a file, and a folder in
the app's data directory would collect runs nobody finds again. The runs tab says so, and the
first save starts the record.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.runs import RunRecord, RunRecorder, runs_folder_for
from gui_app.core.training.trained_model import ModelFileError, TrainedModel, load_trained_model
from gui_app.ui.document.document import Document
from gui_app.ui.training.panel import TrainingPanel
from gui_app.ui.training.runs_view import RunsView


class RunHistory(QObject):
    """Wires the runs tab to the document and the training panel (see the module docstring)."""

    #: (text, milliseconds) for the window's status bar
    status_message = Signal(str, int)
    #: the TrainedModel a reopened run left (its best weights, else its last, else None), for the window
    model_reopened = Signal(object)

    def __init__(self, parent: QWidget, document: Document, panel: TrainingPanel) -> None:
        super().__init__(parent)
        self.document = document
        self.panel = panel
        self.view = RunsView(panel.plots)
        panel.tabs.addTab(self.view, "Runs")
        self.recorder: RunRecorder | None = None
        panel.callbacks_provider = self._callbacks
        panel.runner.worker.epoch_done.connect(self._epoch_done)
        panel.run_started.connect(self._run_started)
        panel.run_finished.connect(self._run_finished)
        document.path_changed.connect(self._path_changed)
        self.view.reopen_requested.connect(self.reopen)
        self._path_changed(document.path)

    def _callbacks(self) -> list[Callback]:
        """A recorder for the run about to start, when the project has a file."""
        path = self.document.path
        self.recorder = RunRecorder(runs_folder_for(path)) if path is not None else None
        return [self.recorder] if self.recorder is not None else []

    @Slot(object)
    def _path_changed(self, path: Path | None) -> None:
        self.view.set_folder(runs_folder_for(path) if path is not None else None)

    @Slot(object)
    def _epoch_done(self, _event: object) -> None:
        # Only this run's folder is read again: the others did not change, and a project with
        # hundreds of runs would be re-read on the UI thread after every epoch.
        folder = self.recorder.folder if self.recorder is not None else None
        if folder is not None:
            self.view.update_run(folder)

    @Slot()
    def _run_started(self) -> None:
        self.view.set_training(True)

    @Slot(object)
    def _run_finished(self, _model: object) -> None:
        self.view.set_training(False)
        self.view.refresh()
        if self.recorder is not None and self.recorder.failure:
            self.status_message.emit(f"⚠ {self.recorder.failure}", 10_000)

    @Slot(object)
    def reopen(self, run: RunRecord) -> bool:
        """Put ``run``'s network and settings into the project (one undo step, none when they are
        the project's already) and use its weights."""
        if self.panel.is_running():
            self.status_message.emit("⚠ A run is training: stop it before reopening another", 6000)
            return False
        # The same network and settings: an undo step that changes nothing would only mislead.
        unchanged = _same_network_and_settings(run.spec, self.document.spec)
        if not unchanged and not self.document.replace_network(run.spec, f"Reopen run {run.label}"):
            return False
        self.panel.set_config(self.document.spec.training)
        # The session's last run is not the reopened one: its best weights, checks and evaluation go.
        self.panel.forget_run()
        model = self._weights_of(run)
        self.model_reopened.emit(model)  # None: the window must not keep the previous network's
        kept = f"; its epoch-{int(model.metrics.get('epochs', 0))} weights are in use" if model else ""
        what = "the project has its network and settings already" if unchanged else "its network and settings"
        undo = "" if unchanged else " (Undo undoes it)"
        self.status_message.emit(f"Reopened the run of {run.label}: {what}{kept}{undo}", 8000)
        return True

    def _weights_of(self, run: RunRecord) -> TrainedModel | None:
        """The run's best checkpoint as a model, else its last; None (with a message) when neither loads."""
        for path in (run.best_path, run.last_path):
            if path is None or not path.exists():
                continue
            try:
                return load_trained_model(path)
            except ModelFileError as exc:
                self.status_message.emit(f"⚠ {exc}", 8000)
        return None


def _same_network_and_settings(a: NetworkSpec, b: NetworkSpec) -> bool:
    """The same blocks (uids aside), input and training settings: reopening changes nothing."""
    return a.same_network(b) and a.training == b.training
