"""In the window: runs are recorded for a saved project, best weights reach the draw pad and the
evaluation, and a past run reopens into the project as one undo step."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QObject, QSettings, Qt, Slot

from gui_app.core.project.spec import save_spec
from gui_app.core.training.runs import RunRecorder, list_runs
from gui_app.core.training.trainer import Trainer
from gui_app.ui.training import runs_view
from gui_app.ui.training.plots import TrainingPlots
from gui_app.ui.training.runs_view import UNSAVED_NOTE
from gui_app.ui.window.main_window import MainWindow
from tests.core.training_fixtures import DATA, config, mlp_spec, mnist_slice


def _forget_changes(window: MainWindow) -> None:
    window.document.unlock()
    window.document.undo_stack.setClean()


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window, before_close_func=_forget_changes)
    yield window
    assert window.training_panel.stop_and_wait(10_000)


def _open_saved(window, tmp_path, spec):
    path = tmp_path / "net.json"
    save_spec(spec, path)
    window.files.open(str(path))
    return path


def _layers(spec):
    return spec.to_dict()["layers"]


def test_an_unsaved_project_says_where_runs_go(window):
    window.files.new_from_spec(mlp_spec())
    assert window.run_history.view.note.text() == UNSAVED_NOTE
    assert window.training_panel.callbacks_provider() == []


def test_a_run_in_the_window_is_recorded_and_its_best_weights_reach_the_draw_pad(window, qtbot, tmp_path):
    spec = mlp_spec(hidden=32)
    # lr 0.1 on the 2,000-image slice: the validation loss is lowest at epoch 3 of 4
    spec.set_training(config(data_dir=str(DATA), epochs=4, lr=0.1))
    _open_saved(window, tmp_path, spec)
    panel = window.training_panel
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    (run,) = list_runs(tmp_path / "net.runs").runs
    assert window.run_history.view.table.rowCount() == 1 and run.best_epoch == 3 and len(run.history) == 4
    button = panel.best_button
    assert button.isEnabled() and button.text() == "Use best weights (epoch 3)"
    assert window.trained_model.metrics["epochs"] == 4
    button.click()
    assert window.trained_model.metrics["epochs"] == 3
    assert window.draw_panel._trained is window.trained_model  # the draw pad reads with them
    assert window._fitting_trained_model() is window.trained_model  # and exports take them
    assert panel.evaluation.result.accuracy == run.history[2].val_accuracy
    button.click()  # unticked: the last epoch's weights again
    assert window.trained_model.metrics["epochs"] == 4
    assert panel.evaluation.result.accuracy == run.history[3].val_accuracy


def test_reopening_a_run_is_one_undo_step(window, tmp_path):
    path = _open_saved(window, tmp_path, mlp_spec(hidden=64))
    other = mlp_spec(hidden=16)
    Trainer(
        other, config(epochs=1, lr=0.2), [RunRecorder(path.with_suffix(".runs"))], dataset=mnist_slice(256, 100)
    ).fit()
    view = window.run_history.view
    view.refresh()
    (run,) = view.listing.runs
    before_layers, before_training = _layers(window.document.spec), window.document.spec.training
    view.select_run(run.name)
    view.reopen_button.click()
    doc = window.document
    assert _layers(doc.spec) == _layers(other) and doc.spec.training == config(epochs=1, lr=0.2)
    assert doc.spec.name == "test MLP" and window.training_panel.config().lr == 0.2
    assert window.trained_model is not None and window.trained_model.metrics["epochs"] == 1
    assert window._fitting_trained_model() is window.trained_model
    doc.undo()
    assert _layers(doc.spec) == before_layers and doc.spec.training == before_training
    assert window.training_panel.config() == before_training
    doc.redo()
    assert _layers(doc.spec) == _layers(other)


@pytest.mark.parametrize("then", ["new", "open", "reopen"])
def test_nothing_of_the_last_run_is_offered_after_another_project_comes_in(window, qtbot, tmp_path, then):
    spec = mlp_spec(hidden=32)
    spec.set_training(config(data_dir=str(DATA), epochs=4, lr=0.1))  # best at epoch 3 of 4, as above
    _open_saved(window, tmp_path, spec)
    panel = window.training_panel
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    assert panel.best_button.isEnabled() and panel.evaluation.result is not None
    assert panel.save_checkpoint_button.isEnabled() and panel.plots.per_class.bars is not None
    if then == "new":
        window.files.new_from_spec(mlp_spec(hidden=8))
    elif then == "open":
        other = tmp_path / "other.json"
        save_spec(mlp_spec(hidden=8), other)
        window.files.open(str(other))
    else:
        view = window.run_history.view
        view.select_run(view.listing.runs[0].name)
        view.reopen_button.click()
    button = panel.best_button
    assert not button.isEnabled() and button.text() == "Use best weights"
    reopened = window.trained_model
    button.click()
    assert window.trained_model is reopened  # no model of the last run comes back
    if then == "reopen":  # the reopened run's own best weights, from its folder
        assert reopened is not None and reopened.metrics["epochs"] == 3
    else:
        assert reopened is None
    assert panel.evaluation.result is None and panel.evaluation.note.isVisibleTo(panel.evaluation)
    assert not panel.save_checkpoint_button.isEnabled()  # its checkpoint is not this project's
    assert panel.plots.per_class.bars is None and panel.status.text() == "Ready."


def test_each_epoch_rereads_only_the_running_runs_folder_and_the_table_keeps_its_place(
    window, qtbot, tmp_path, monkeypatch
):
    spec = mlp_spec(hidden=16)
    spec.set_training(config(data_dir=str(DATA), epochs=4))
    path = tmp_path / "net.json"
    save_spec(spec, path)
    runs = path.with_suffix(".runs")
    Trainer(mlp_spec(hidden=8), config(epochs=1), [RunRecorder(runs)], dataset=mnist_slice(256, 100)).fit()
    (recorded,) = runs.iterdir()
    for i in range(40):  # enough past runs for the table to scroll
        shutil.copytree(recorded, runs / f"{recorded.name}-{i:02d}")
    window.files.open(str(path))
    window.resize(1280, 800)
    window.show()
    panel, view = window.training_panel, window.run_history.view
    panel.tabs.setCurrentWidget(view)
    qtbot.waitExposed(window)
    oldest = view.listing.runs[0].name
    view.select_run(oldest)  # the user's choice: at the bottom, scrolled to
    bar = view.table.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(0)  # then the user scrolled back to the top
    reads = []
    monkeypatch.setattr(runs_view, "list_runs", lambda folder: reads.append(folder) or list_runs(folder))
    checker = _AfterEpoch(view, runs)
    qtbot.addWidget(checker.plots)
    # after the window's slot, and blocking: the worker waits until the check is done, so its next
    # epoch cannot write the folder between the window's read and the checker's (a race under load)
    panel.runner.worker.epoch_done.connect(checker.check, Qt.ConnectionType.BlockingQueuedConnection)
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    assert checker.seen == [(0, oldest, True)] * 4  # each epoch shown, the user's place kept
    # Besides the checker's one full read an epoch, the window read the whole folder only when the
    # run's first epoch added its row and when the run ended.
    assert len(reads) - len(checker.seen) == 2
    assert bar.value() == 0 and view.selected_name() == oldest


class _AfterEpoch(QObject):
    """In the UI thread after each epoch: the table's scroll, selection, and rows against a full read."""

    def __init__(self, view, runs) -> None:
        super().__init__()
        self.view, self.runs = view, runs
        self.plots = TrainingPlots()
        self.seen: list[tuple[int, str | None, bool]] = []

    @Slot(object)
    def check(self, _event) -> None:
        fresh = runs_view.RunsView(self.plots)  # one full read of the folder
        fresh.set_folder(self.runs)
        view = self.view
        same = _rows_of(view) == _rows_of(fresh)
        self.seen.append((view.table.verticalScrollBar().value(), view.selected_name(), same))
        fresh.deleteLater()


def _rows_of(view):
    table = view.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_reopen_is_off_during_a_run_and_reopening_the_projects_own_network_adds_no_undo_step(window, qtbot, tmp_path):
    spec = mlp_spec(hidden=16)
    spec.set_training(config(data_dir=str(DATA), epochs=2))
    _open_saved(window, tmp_path, spec)
    panel, view = window.training_panel, window.run_history.view
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    (run,) = view.listing.runs
    view.select_run(run.name)
    assert view.reopen_button.isEnabled()
    with qtbot.waitSignal(panel.run_started, timeout=5000):
        assert panel.start()
    try:
        view.select_run(run.name)
        assert not view.reopen_button.isEnabled() and "training" in view.reopen_button.toolTip()
    finally:
        with qtbot.waitSignal(panel.run_finished, timeout=120_000):
            panel.stop()
    view.select_run(run.name)
    assert view.reopen_button.isEnabled()
    stack = window.document.undo_stack
    steps = stack.count()
    view.reopen_button.click()  # the run has the project's network and settings
    assert stack.count() == steps and not window.document.dirty
    assert "has its network and settings already" in window.statusBar().currentMessage()
    assert window.trained_model is not None  # its weights are in use all the same
