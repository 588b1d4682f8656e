"""The training panel: button states, a real run on the MNIST subset, pause/resume/stop, errors."""

from __future__ import annotations

import csv

import pytest

from gui_app.core.network import LayerSpec, NetworkSpec
from gui_app.core.trained_model import TrainedModel
from gui_app.ui.training_panel import LOCK_NOTE, TrainingPanel
from tests.core.training_fixtures import DATA, config, mlp_spec


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


def test_a_network_with_errors_does_not_start(make_panel):
    panel = make_panel(spec=NetworkSpec([LayerSpec("Conv2d", {"kernel_size": 99})], (1, 28, 28)))
    assert panel.start() is False
    assert "layer 0 (Conv2d)" in panel.status.text() and not panel.is_running()


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
