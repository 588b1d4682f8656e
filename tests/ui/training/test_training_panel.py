"""The training panel: button states, a real run on the MNIST subset, pause/resume/stop, errors."""

from __future__ import annotations

import csv
import gc
import threading
import urllib.error
import weakref

import pytest
from PySide6.QtCore import QObject, Slot

from gui_app.core.data import downloads
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.checkpoints import load_checkpoint, save_checkpoint
from gui_app.core.training.trained_model import TrainedModel
from gui_app.core.training.trainer import BatchEvent, Callback, Trainer
from gui_app.ui.training.panel import LOCK_NOTE, TrainingPanel
from tests.core.training_fixtures import DATA, config, mlp_spec, mnist_slice


@pytest.fixture
def make_panel(qtbot):
    panels = []

    def make(spec: NetworkSpec | None = None, **changes) -> TrainingPanel:
        spec = spec or mlp_spec()
        panel = TrainingPanel(spec.copy)
        qtbot.addWidget(panel)
        panel.set_config(config(data_dir=str(DATA), **changes))
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        assert panel.stop_and_wait(10_000)
        assert not panel.runner.thread.isRunning()


def buttons(panel):
    return tuple(
        b.isEnabled() for b in (panel.start_button, panel.pause_button, panel.resume_button, panel.stop_button)
    )


def test_idle_panel(make_panel):
    panel = make_panel()
    assert panel.objectName() == "trainingPanel"
    assert buttons(panel) == (True, False, False, False)
    assert not panel.is_running() and not panel.lock_note.isVisibleTo(panel)
    assert panel.config().data_dir == str(DATA)
    assert panel.settings.device.findData("cpu") >= 0 and panel.settings.device.findData("auto") == 0


def test_editing_the_form_emits_the_whole_config(make_panel, qtbot):
    panel = make_panel()
    with qtbot.waitSignal(panel.config_changed) as blocker:
        panel.settings.epochs.setValue(7)
    assert blocker.args[0].epochs == 7 and blocker.args[0].data_dir == str(DATA)


def test_a_run_trains_plots_and_evaluates(make_panel, qtbot):
    panel = make_panel(epochs=2, lr=0.05)
    with qtbot.waitSignal(panel.run_started, timeout=5000):
        assert panel.start()
    assert panel.is_running()
    assert buttons(panel)[0] is False and buttons(panel)[3] is True
    assert not panel.settings.isEnabled()
    assert panel.lock_note.isVisibleTo(panel) and panel.lock_note.text() == LOCK_NOTE
    with qtbot.waitSignal(panel.run_finished, timeout=60_000) as finished:
        pass
    model = finished.args[0]
    assert isinstance(model, TrainedModel) and model.metrics["val_accuracy"] > 0.6
    assert buttons(panel) == (True, False, False, False) and panel.settings.isEnabled()
    assert not panel.lock_note.isVisibleTo(panel)
    assert panel.plots.loss.series["validation"].n == 2
    assert panel.plots.loss.series["train (batch)"].n >= 2
    assert panel.plots.accuracy.series["validation"].n == 2
    assert panel.evaluation.result is not None and panel.evaluation.result.confusion.sum() == 500
    assert panel.run_bar.value() == 100 and "samples/s" in panel.speed_label.text()
    assert "Finished after 2 epoch(s)" in panel.status.text()


def test_pause_resume_and_stop(make_panel, qtbot):
    panel = make_panel(epochs=500)
    with qtbot.waitSignal(panel.runner.worker.batch_done, timeout=30_000):
        panel.start()
    panel.pause_button.click()
    assert panel.trainer.paused and buttons(panel) == (False, False, True, True)
    panel.resume_button.click()
    assert not panel.trainer.paused and buttons(panel) == (False, True, False, True)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.stop_button.click()
    assert not panel.is_running() and panel.last_result.status == "stopped"


def test_stop_before_the_first_epoch_gives_no_model(make_panel, qtbot):
    panel = make_panel(epochs=500, batch_size=1)
    with qtbot.waitSignal(panel.runner.worker.batch_done, timeout=30_000):
        panel.start()
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as finished:
        panel.stop()
    assert finished.args[0] is None


def test_a_shape_mismatch_is_shown_and_the_panel_stays_usable(make_panel, qtbot):
    panel = make_panel(spec=mlp_spec(outputs=4))
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as finished:
        panel.start()
    assert finished.args[0] is None
    assert "10 classes" in panel.status.text() and "c02020" in panel.status.styleSheet()
    assert buttons(panel) == (True, False, False, False)


def test_after_a_run_that_did_not_fit_the_data_the_status_follows_the_fix(make_panel, qtbot):
    spec = mlp_spec(outputs=4)
    panel = make_panel(spec=spec)
    panel.spec_provider = spec.copy
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.start()
    assert "10 classes" in panel.status.text()
    spec.set_param(3, "out_features", 5)
    panel.network_changed()
    assert panel.status.text().startswith("Check before training: the network gives 5 outputs")
    spec.set_param(3, "out_features", 10)
    panel.network_changed()
    assert panel.status.text() == "Ready to train: the network compiles."


def test_a_network_with_errors_does_not_start(make_panel):
    panel = make_panel(spec=NetworkSpec([LayerSpec("Conv2d", {"kernel_size": 99})], (1, 28, 28)))
    assert panel.start() is False
    assert "Cannot train: block 1 (Conv2d)" in panel.status.text() and not panel.is_running()


def test_stop_and_wait_during_a_run(make_panel, qtbot):
    panel = make_panel(epochs=500)
    with qtbot.waitSignal(panel.runner.worker.batch_done, timeout=30_000):
        panel.start()
    assert panel.stop_and_wait(10_000)
    assert not panel.runner.thread.isRunning()


def test_export_png_and_csv_after_a_run(make_panel, qtbot, tmp_path):
    panel = make_panel(epochs=1)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        panel.start()
    png, table = tmp_path / "plots.png", tmp_path / "plots.csv"
    assert panel.plots.export_png(png) and png.stat().st_size > 1000
    panel.plots.export_csv(table)
    rows = list(csv.reader(table.open()))
    assert rows[0] == ["plot", "series", "epoch", "value"]
    assert {r[1] for r in rows[1:]} >= {"train (batch)", "validation", "train"}


def test_save_a_checkpoint_then_resume_from_it(make_panel, qtbot, tmp_path):
    panel = make_panel(epochs=1)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        panel.start()
    assert panel.save_checkpoint_button.isEnabled()
    path = tmp_path / "panel.pt"
    panel.save_checkpoint(str(path))
    panel.settings.epochs.setValue(2)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000) as finished:
        assert panel.resume_from_file(str(path))
    assert finished.args[0].metrics["epochs"] == 2.0
    assert [e.epoch for e in panel.last_result.history] == [1, 2]


def test_after_stop_the_eta_is_blank(make_panel, qtbot):
    panel = make_panel(epochs=500)
    with qtbot.waitSignal(panel.runner.worker.batch_done, timeout=30_000):
        panel.start()
    qtbot.waitUntil(lambda: panel.eta_label.text() != "–", timeout=30_000)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.stop_button.click()
    assert panel.eta_label.text() == "–"
    assert panel.status.text().startswith("Stopped")


class _PauseAtEpochEnd(QObject):
    """Presses Pause when the last batch of an epoch arrives (its validation and summary follow)."""

    def __init__(self, panel: TrainingPanel) -> None:
        super().__init__(panel)
        self.panel = panel

    @Slot(object)
    def batch_done(self, event: BatchEvent) -> None:
        if event.batch == event.batches:
            self.panel.pause()


def test_pausing_at_an_epoch_end_says_paused_not_the_epoch_summary(make_panel, qtbot):
    panel = make_panel(epochs=3, batch_size=100)
    pauser = _PauseAtEpochEnd(panel)
    panel.runner.worker.batch_done.connect(pauser.batch_done)  # queued: the slot runs in the UI thread
    with qtbot.waitSignal(panel.runner.worker.epoch_done, timeout=60_000):
        panel.start()
    assert panel.trainer.paused
    # the panel hears epoch_done through its own queued connection, which may come after the test's
    qtbot.waitUntil(lambda: "Epoch 1/3: validation loss" in panel.status.text(), timeout=5_000)
    assert panel.status.text().startswith("Paused.")
    panel.resume()
    assert not panel.status.text().startswith("Paused")
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        panel.stop()


def test_pause_waits_until_training_has_begun(make_panel, qtbot):
    panel = make_panel(epochs=500)
    with qtbot.waitSignal(panel.runner.worker.run_started, timeout=30_000):
        panel.start()
        assert not panel.pause_button.isEnabled()  # the data is still loading: nothing to pause yet
    # the panel hears run_started through its own queued connection, which may come after the test's
    qtbot.waitUntil(panel.pause_button.isEnabled, timeout=5_000)
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.stop()


def test_a_diverging_run_ends_with_a_warning(make_panel, qtbot):
    panel = make_panel(epochs=1, lr=1.0, batch_size=64)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        panel.start()
    text = panel.status.text()
    assert text.startswith("Finished after 1 epoch(s)") and "Warning: The loss diverged" in text
    assert "lower learning rate" in text and "a05a00" in panel.status.styleSheet()


def test_cannot_train_is_replaced_once_the_network_is_fixed(make_panel):
    spec = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear", {"in_features": 400, "out_features": 10})])
    panel = make_panel(spec=spec)
    panel.spec_provider = spec.copy
    assert panel.start() is False
    assert "Cannot train: block 2 (Linear)" in panel.status.text() and "c02020" in panel.status.styleSheet()
    spec.set_param(1, "in_features", 784)
    panel.network_changed()
    assert panel.status.text() == "Ready to train: the network compiles." and "c02020" not in panel.status.styleSheet()


def test_stop_right_after_a_resumed_run_started_does_not_wait_for_a_stalled_connection(
    make_panel, qtbot, tmp_path, monkeypatch
):
    # A checkpoint of a run that found no MNIST folder: resuming it looks for the data again,
    # and here the download's first connection hangs (a network that drops packets).
    trainer = Trainer(mlp_spec(), config(data_dir=None), dataset=mnist_slice(256, 64))
    trainer.fit()
    path = tmp_path / "resume.pt"
    save_checkpoint(trainer.checkpoint(), path)
    connecting, released = threading.Event(), threading.Event()

    def stalled(url, timeout):
        connecting.set()
        released.wait(60)
        raise urllib.error.URLError("timed out")

    monkeypatch.delenv("NETBUILDER_OFFLINE")
    monkeypatch.setattr(downloads, "urlopen", stalled)
    panel = make_panel(epochs=3)
    try:
        assert panel.resume_from_file(str(path))
        qtbot.waitUntil(connecting.is_set, timeout=30_000)
        with qtbot.waitSignal(panel.run_finished, timeout=10_000):
            panel.stop_button.click()
        assert not released.is_set()  # the connection still hangs: Stop did not wait for it
        assert panel.status.text().startswith("Stopped before the first epoch ended")
        assert buttons(panel) == (True, False, False, False)
    finally:
        released.set()


def test_a_finished_run_is_let_go_and_its_checkpoint_still_saves(make_panel, qtbot, tmp_path):
    panel = make_panel(epochs=1)
    assert panel.start()
    finished = weakref.ref(panel.trainer)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: not panel.runner.thread.isRunning())
    gc.collect()
    assert panel.trainer is None and finished() is None  # nothing holds the finished Trainer
    assert panel.save_checkpoint_button.isEnabled()
    path = tmp_path / "later.pt"
    panel.save_checkpoint(str(path))
    assert load_checkpoint(path).epoch == 1 and "Checkpoint saved" in panel.status.text()


def test_a_resumed_one_cycle_run_gets_the_schedules_length(make_panel, qtbot, tmp_path):
    class StopAfterTheFirstEpoch(Callback):
        def on_epoch_end(self, trainer, event):
            trainer.stop()

    cfg = config(epochs=2, scheduler="OneCycleLR", data_dir=str(DATA))
    trainer = Trainer(mlp_spec(), cfg, [StopAfterTheFirstEpoch()])  # the data the panel reads
    assert trainer.fit().epochs_completed == 1
    path = tmp_path / "cycle.pt"
    save_checkpoint(trainer.checkpoint(), path)
    panel = make_panel(epochs=5)
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        assert panel.resume_from_file(str(path))
    assert panel.last_result.error is None and panel.last_result.epochs_completed == 2


def test_best_weights_without_an_evaluation_do_not_keep_the_last_epochs(make_panel, qtbot):
    panel = make_panel(mlp_spec(hidden=32), epochs=4, lr=0.1)  # best at epoch 3 of 4
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    last = panel.evaluation.result
    assert last is not None and panel.best_button.isEnabled()
    panel.best_button.set_best_evaluation(None)  # the best weights' evaluation failed
    panel.best_button.click()
    assert panel.evaluation.result is None
    assert panel.evaluation.note.text() == "The weights of epoch 3 were not evaluated on the test split."
    panel.best_button.click()  # back to the last epoch's weights, and their evaluation
    assert panel.evaluation.result is last
