"""The worker thread: events arrive in the UI thread, stop joins the thread, runs can repeat."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QThread, Slot
from PySide6.QtWidgets import QApplication

from gui_app.core.training.trainer import BatchEvent, Callback, EpochEvent, RunInfo, Trainer
from gui_app.ui.training.worker import TrainingRunner
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


class Receiver(QObject):
    """Records, for each signal, whether its slot ran in the UI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: list[bool] = []
        self.started: list[RunInfo] = []
        self.batches: list[BatchEvent] = []
        self.epochs: list[EpochEvent] = []
        self.errors: list[str] = []
        self.results: list = []

    def _here(self) -> None:
        self.threads.append(QThread.currentThread() is QApplication.instance().thread())

    @Slot(object)
    def on_started(self, info: RunInfo) -> None:
        self._here()
        self.started.append(info)

    @Slot(object)
    def on_batch(self, event: BatchEvent) -> None:
        self._here()
        self.batches.append(event)

    @Slot(object)
    def on_epoch(self, event: EpochEvent) -> None:
        self._here()
        self.epochs.append(event)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self._here()
        self.errors.append(message)

    @Slot(object, object)
    def on_finished(self, result, evaluation) -> None:
        self._here()
        self.results.append((result, evaluation))


@pytest.fixture
def runner(qtbot):
    runner = TrainingRunner()
    receiver = Receiver()
    runner.worker.run_started.connect(receiver.on_started)
    runner.worker.batch_done.connect(receiver.on_batch)
    runner.worker.epoch_done.connect(receiver.on_epoch)
    runner.worker.failed.connect(receiver.on_failed)
    runner.worker.finished.connect(receiver.on_finished)
    runner.receiver = receiver
    yield runner
    assert runner.stop_and_wait(10_000)
    assert not runner.thread.isRunning()


def test_events_are_delivered_in_the_ui_thread(qtbot, runner):
    trainer = Trainer(mlp_spec(), config(epochs=2), dataset=mnist_slice(), event_interval=0.0)
    with qtbot.waitSignal(runner.worker.finished, timeout=30_000):
        runner.start(trainer)
    qtbot.waitUntil(lambda: len(runner.receiver.results) == 1)
    received = runner.receiver
    assert received.threads and all(received.threads)
    assert len(received.epochs) == 2 and len(received.batches) == 2 * 16
    assert received.batches[-1].step == 32 and isinstance(received.batches[-1].loss, float)
    result, evaluation = received.results[0]
    assert result.status == "completed"
    assert evaluation is not None and evaluation.confusion.sum() == 200
    qtbot.waitUntil(lambda: not runner.thread.isRunning())
    assert not runner.is_running()


def test_the_same_worker_runs_again_after_a_failure(qtbot, runner):
    bad = Trainer(mlp_spec(outputs=3), config(), dataset=mnist_slice())
    with qtbot.waitSignal(runner.worker.finished, timeout=30_000):
        runner.start(bad)
    qtbot.waitUntil(lambda: len(runner.receiver.results) == 1)
    assert "10 classes" in runner.receiver.errors[0]
    good = Trainer(mlp_spec(), config(), dataset=mnist_slice(128))
    with qtbot.waitSignal(runner.worker.finished, timeout=30_000):
        runner.start(good)
    qtbot.waitUntil(lambda: len(runner.receiver.results) == 2)
    assert runner.receiver.results[1][0].status == "completed"


def test_stop_and_wait_ends_a_long_run_quickly(qtbot, runner):
    trainer = Trainer(mlp_spec(), config(epochs=1000), dataset=mnist_slice(), event_interval=0.0)
    with qtbot.waitSignal(runner.worker.batch_done, timeout=30_000):
        runner.start(trainer)
    assert runner.stop_and_wait(10_000)
    assert not runner.thread.isRunning()
    assert trainer.should_stop and trainer.step < 1000 * 16


def test_the_signals_carry_the_trainers_own_event_objects(qtbot, runner):
    class Sent(Callback):
        """Records what the Trainer handed its hooks, to compare with what the signals carried."""

        def __init__(self) -> None:
            self.batches: list[BatchEvent] = []
            self.epochs: list[EpochEvent] = []

        def on_batch_end(self, trainer, event):
            self.batches.append(event)

        def on_epoch_end(self, trainer, event):
            self.epochs.append(event)

    sent = Sent()
    trainer = Trainer(mlp_spec(), config(epochs=1), [sent], dataset=mnist_slice(), event_interval=0.0)
    with qtbot.waitSignal(runner.worker.finished, timeout=30_000):
        runner.start(trainer)
    qtbot.waitUntil(lambda: len(runner.receiver.results) == 1)
    received = runner.receiver
    (info,) = received.started
    assert isinstance(info, RunInfo) and (info.samples, info.batches, info.epochs) == (512, 16, 1)
    assert info.device == "cpu" and info.classification and info.start_epoch == 0
    assert all(type(e) is BatchEvent for e in received.batches) and received.batches == sent.batches
    assert [type(e) for e in received.epochs] == [EpochEvent] and received.epochs[0] is sent.epochs[0]
    assert received.batches[-1].gpu_memory is None  # on the CPU
