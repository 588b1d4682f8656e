"""The checks before a run in the window: the LR finder dialog, the one-batch check, the panel's sanity line."""

from __future__ import annotations

import math
import threading

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog

from gui_app.ui.training import lr_finder_dialog
from gui_app.ui.training.lr_finder_dialog import LearnCheckDialog, LRFinderDialog
from gui_app.ui.training.panel import TrainingPanel
from gui_app.ui.training.settings_form import TrainingSettingsForm
from gui_app.ui.window import main_window
from gui_app.ui.window.main_window import MainWindow
from tests.core.training_fixtures import DATA, config, mlp_spec

FINISHED = 120_000


@pytest.fixture
def dialogs():
    made = []
    yield made
    for dialog in made:
        assert dialog.stop_and_wait()
        assert not dialog.is_running()


def test_use_this_rate_puts_the_suggestion_into_the_training_settings(qtbot, dialogs):
    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    form.set_config(config(data_dir=str(DATA), lr=0.01))
    dialog = LRFinderDialog(mlp_spec(), form.config())
    qtbot.addWidget(dialog)
    dialogs.append(dialog)
    dialog.rate_chosen.connect(form.set_learning_rate)
    dialog.show()
    assert not dialog.use_button.isEnabled()
    with qtbot.waitSignal(dialog.ended, timeout=FINISHED):
        dialog.start()
    suggested = dialog.suggested_lr
    assert suggested is not None and dialog.use_button.isEnabled()
    assert dialog.status.text().startswith(f"Suggested learning rate: {suggested:g}, a tenth of ")
    assert dialog.suggested_line.value() == pytest.approx(math.log10(suggested))  # marked on the log axis
    rates, losses = dialog.smooth_curve.getData()
    assert len(rates) >= 10 and all(math.isfinite(v) for v in losses)
    with qtbot.waitSignal(form.config_changed) as changed:
        dialog.use_button.click()  # one click
    assert changed.args[0].lr == suggested and form.config().lr == suggested
    assert form.lr.value() == pytest.approx(suggested, abs=1e-6)
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_cancel_stops_the_sweep_and_joins_its_thread(qtbot, dialogs):
    dialog = LRFinderDialog(mlp_spec(), config(data_dir=str(DATA)))
    qtbot.addWidget(dialog)
    dialogs.append(dialog)
    dialog.show()
    dialog.start()
    dialog.close_button.click()  # Cancel
    assert not dialog.is_running() and dialog.result() == QDialog.DialogCode.Rejected


def test_the_one_batch_check_says_whether_the_network_can_learn(qtbot, dialogs):
    results = {}
    for lr in (0.05, 1e-8):
        dialog = LearnCheckDialog(mlp_spec(), config(data_dir=str(DATA), lr=lr))
        qtbot.addWidget(dialog)
        dialogs.append(dialog)
        with qtbot.waitSignal(dialog.ended, timeout=FINISHED):
            dialog.start()
        results[lr] = dialog.status.text()
        assert dialog.close_button.text() == "Close"
    assert results[0.05].startswith("Yes: on one batch of 32 samples")
    assert results[1e-8].startswith("No: on one batch of 32 samples")


def test_the_panel_shows_what_the_first_batches_say_and_nothing_for_a_healthy_run(qtbot):
    spec = mlp_spec()
    panel = TrainingPanel(spec.copy)
    qtbot.addWidget(panel)
    notes = {}
    try:
        for lr in (1e-7, 0.05):
            panel.set_config(config(data_dir=str(DATA), lr=lr))
            with qtbot.waitSignal(panel.run_finished, timeout=FINISHED):
                assert panel.start()
            qtbot.wait(50)  # a queued sanity message behind the last event
            notes[lr] = (panel.sanity_note.isVisibleTo(panel), panel.sanity_note.text())
    finally:
        assert panel.stop_and_wait(10_000)
    assert notes[1e-7][0] and notes[1e-7][1].startswith("Check: After 640 samples the loss has not fallen")
    assert notes[0.05] == (False, "")


def test_the_window_finds_a_rate_sets_it_in_one_undo_step_and_refuses_during_a_run(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window)
    window.files.new_from_spec(mlp_spec())
    window.training_panel.set_config(config(data_dir=str(DATA)))
    window.document.set_training(config(data_dir=str(DATA)))
    try:
        window.find_learning_rate()
        dialog = window.probe_dialog
        assert isinstance(dialog, LRFinderDialog) and dialog.isVisible()
        qtbot.waitSignal(dialog.ended, timeout=FINISHED).wait()
        before = window.document.spec.training.lr
        dialog.use_button.click()
        assert window.document.spec.training.lr == dialog.suggested_lr != before
        window.document.undo()
        assert window.document.spec.training.lr == before and window.training_panel.config().lr == before

        with qtbot.waitSignal(window.training_panel.run_started, timeout=5000):
            window.training_panel.start()
        assert not window.window_actions.find_lr.isEnabled() and not window.window_actions.can_learn.isEnabled()
        window.find_learning_rate()
        assert window.probe_dialog is dialog  # no new dialog during a run
        assert "Stop the training first" in window.statusBar().currentMessage()
        with qtbot.waitSignal(window.training_panel.run_finished, timeout=FINISHED):
            window.training_panel.stop()
        assert window.window_actions.find_lr.isEnabled()
    finally:
        window.training_panel.stop_and_wait(10_000)
        dialog = window.probe_dialog
        if dialog is not None:
            dialog.stop_and_wait()
        window.document.undo_stack.setClean()


class _StuckProbe:
    """A probe whose step outlasts any wait (a stalled download): it ends only when released."""

    def __init__(self) -> None:
        self.running, self.released = threading.Event(), threading.Event()

    def run(self, _progress) -> None:
        self.running.set()
        self.released.wait()

    def stop(self) -> None:
        """Heard, but the step in progress does not look."""


def test_a_check_that_outlasts_the_wait_is_kept_alive_and_the_window_waits_for_it(qtbot, tmp_path, monkeypatch):
    probe = _StuckProbe()

    class StuckCheckDialog(LearnCheckDialog):
        def start(self, _probe=None) -> None:
            super().start(probe)

    monkeypatch.setattr(main_window, "LearnCheckDialog", StuckCheckDialog)
    monkeypatch.setattr(lr_finder_dialog, "STOP_WAIT_MS", 1)  # the wait gives up at once: the probe is stuck
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window)
    window.files.new_from_spec(mlp_spec())
    window.show()
    try:
        window.check_can_learn()
        dialog = window.probe_dialog
        qtbot.waitUntil(probe.running.is_set)
        dialog.close_button.click()  # Cancel: the probe does not stop in time
        assert not dialog.isVisible() and dialog.is_running()
        window.check_can_learn()
        assert window.probe_dialog is dialog and shiboken6.isValid(dialog)  # not deleted while running
        assert "still stopping" in window.statusBar().currentMessage()
        window.document.undo_stack.setClean()
        window.close()
        assert window.isVisible() and window.statusBar().currentMessage() == "Waiting for the check to stop…"
    finally:
        probe.released.set()
    qtbot.waitUntil(lambda: not window.isVisible())  # closed once the check's thread ended
    assert not dialog.is_running()


@pytest.mark.parametrize("change", ["network", "settings", "set settings", "new project"])
def test_what_the_first_batches_said_goes_when_the_network_or_the_settings_change(qtbot, change):
    spec = mlp_spec()
    panel = TrainingPanel(spec.copy)
    qtbot.addWidget(panel)
    panel.set_config(config(data_dir=str(DATA), lr=1e-7))  # the loss does not fall: a check says so
    try:
        with qtbot.waitSignal(panel.run_finished, timeout=FINISHED):
            assert panel.start()
        qtbot.waitUntil(lambda: panel.sanity_note.isVisibleTo(panel))
    finally:
        assert panel.stop_and_wait(10_000)
    if change == "network":
        panel.network_changed()
    elif change == "settings":
        panel.settings.lr.setValue(0.05)  # a user's edit
    elif change == "set settings":
        panel.set_config(config(data_dir=str(DATA), lr=0.05))  # an undo of one
    else:
        panel.forget_run()
    assert not panel.sanity_note.isVisibleTo(panel) and panel.sanity_note.text() == ""
