"""The Trainer's hooks in their order, early stopping and checkpoints as callbacks, the resume
rule shared by the panel and the command line, and what a finished run leaves behind."""

from __future__ import annotations

import gc
import json
import weakref

import pytest
import torch

from gui_app.cli import main
from gui_app.core.project.spec import save_spec
from gui_app.core.training.callbacks import Callback, EarlyStopping, SaveCheckpoints
from gui_app.core.training.checkpoints import load_checkpoint, resumed_length, save_checkpoint
from gui_app.core.training.events import ErrorKind, FitStatus
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import DATA, config, mlp_spec, mnist_slice

HOOKS = (
    "on_download",
    "on_fit_start",
    "on_step_end",
    "on_health",
    "on_batch_end",
    "on_epoch_end",
    "on_error",
    "on_fit_end",
)


class Recording(Callback):
    """Every hook, by name, with the epoch of the checkpoint file on disk when it was called."""

    def __init__(self, checkpoint: str | None = None) -> None:
        self.calls: list[str] = []
        self.checkpoint = checkpoint
        self.checkpoint_epochs: list[int] = []

    def on_download(self, trainer, progress):
        self.calls.append("on_download")

    def on_fit_start(self, trainer):
        self.calls.append("on_fit_start")

    def on_step_end(self, trainer):
        self.calls.append("on_step_end")

    def on_health(self, trainer, event):
        self.calls.append("on_health")

    def on_batch_end(self, trainer, event):
        self.calls.append("on_batch_end")

    def on_epoch_end(self, trainer, event):
        self.calls.append("on_epoch_end")
        if self.checkpoint:
            self.checkpoint_epochs.append(load_checkpoint(self.checkpoint).epoch)

    def on_error(self, trainer, error):
        self.calls.append("on_error")

    def on_fit_end(self, trainer, result):
        self.calls.append("on_fit_end")


def test_the_recorder_overrides_every_hook():
    hooks = {name for name in vars(Callback) if name.startswith("on_")}
    assert hooks == set(HOOKS) and all(name in vars(Recording) for name in HOOKS)


def test_the_hooks_come_in_their_exact_order(tmp_path):
    path = tmp_path / "run.pt"
    recording = Recording(str(path))
    trainer = Trainer(
        mlp_spec(), config(epochs=2), [SaveCheckpoints(path), recording], dataset=mnist_slice(128, 50), event_interval=0
    )
    assert trainer.fit().status == FitStatus.COMPLETED
    epoch = ["on_step_end", "on_batch_end"] * 4 + ["on_epoch_end"]  # 128 samples in batches of 32
    assert recording.calls == ["on_fit_start", *epoch, *epoch, "on_fit_end"]
    # a checkpoint callback listed first has written the epoch before the next callback hears of it
    assert recording.checkpoint_epochs == [1, 2]


def test_a_failed_run_ends_with_on_error_then_on_fit_end():
    recording = Recording()
    result = Trainer(mlp_spec(outputs=3), config(), [recording], dataset=mnist_slice(128, 50)).fit()
    assert result.error.kind == ErrorKind.SHAPE == "shape"
    assert recording.calls == ["on_error", "on_fit_end"]


def _expected_stop(losses: list[float], patience: int) -> int:
    """The epoch at which ``patience`` epochs in a row have not beaten the best validation loss."""
    best, bad = float("inf"), 0
    for epoch, loss in enumerate(losses, start=1):
        best, bad = (loss, 0) if loss < best else (best, bad + 1)
        if bad >= patience:
            return epoch
    return len(losses)


@pytest.mark.parametrize("patience", [1, 2])
def test_early_stopping_ends_the_run_at_the_epoch_its_patience_runs_out(patience):
    # a learning rate far too high: the validation loss soon stops improving
    cfg = config(early_stopping_patience=patience, epochs=20, lr=0.5, momentum=0.9)
    recording = Recording()
    result = Trainer(mlp_spec(), cfg, [recording], dataset=mnist_slice(128, 50)).fit()
    losses = [e.val_loss for e in result.history]
    assert result.status == FitStatus.EARLY_STOPPED and len(losses) < 20
    assert len(losses) == _expected_stop(losses, patience)
    assert recording.calls.count("on_epoch_end") == len(losses) and recording.calls[-1] == "on_fit_end"
    stopper = next(c for c in Trainer(mlp_spec(), cfg).callbacks if isinstance(c, EarlyStopping))
    assert stopper.patience == patience


def test_early_stopping_counts_on_after_a_resume():
    cfg = config(early_stopping_patience=2, epochs=20, lr=0.5, momentum=0.9)
    straight = Trainer(mlp_spec(), cfg, dataset=mnist_slice(128, 50)).fit()
    first = Trainer(mlp_spec(), cfg.replace(epochs=straight.epochs_completed - 1), dataset=mnist_slice(128, 50)).fit()
    resumed = Trainer(mlp_spec(), cfg, dataset=mnist_slice(128, 50), resume=first.checkpoint).fit()
    assert resumed.status == FitStatus.EARLY_STOPPED
    assert resumed.epochs_completed == straight.epochs_completed  # the count carried over in the checkpoint


class Holds(Callback):
    """Weak references to what the run keeps on its device, taken while it trains."""

    def on_fit_start(self, trainer):
        self.refs = [weakref.ref(trainer.model), weakref.ref(trainer.optimizer), weakref.ref(trainer.data)]
        self.refs += [weakref.ref(p) for p in trainer.model.parameters()]


def test_a_finished_run_keeps_nothing_on_its_device_and_its_checkpoint_resumes_bit_identically(tmp_path):
    data = mnist_slice(256, 100)
    cfg = config(epochs=3, lr=0.01, optimizer="Adam", scheduler="StepLR", step_size=1, gamma=0.5)
    straight = Trainer(mlp_spec(), cfg, dataset=data).fit()

    holds = Holds()
    trainer = Trainer(mlp_spec(), cfg.replace(epochs=1), [holds], dataset=data)
    first = trainer.fit()
    gc.collect()
    assert [ref() for ref in holds.refs] == [None] * len(holds.refs)  # network, optimiser, device data: gone
    assert trainer.model is None and trainer.optimizer is None and trainer.data is None
    assert first.checkpoint is not None and trainer.checkpoint() is first.checkpoint
    tensors = [first.checkpoint.model.state_dict, first.checkpoint.optimizer_state["state"]]
    assert all(t.device.type == "cpu" for t in _tensors(tensors))

    path = tmp_path / "after.pt"
    save_checkpoint(trainer.checkpoint(), path)  # saved after the run, as the panel's Checkpoint… does
    checkpoint = load_checkpoint(path)
    resumed = Trainer(checkpoint.model.spec, checkpoint.config.replace(epochs=3), dataset=data, resume=checkpoint).fit()
    a, b = straight.model.state_dict, resumed.model.state_dict
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [e.lr for e in resumed.history] == [e.lr for e in straight.history]


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _tensors(v)


def test_a_run_stopped_mid_epoch_leaves_no_checkpoint():
    class StopInSecondEpoch(Callback):
        def on_batch_end(self, trainer, event):
            if trainer.step == 20:
                trainer.stop()

    trainer = Trainer(mlp_spec(), config(epochs=2), [StopInSecondEpoch()], dataset=mnist_slice(), event_interval=0)
    result = trainer.fit()
    assert result.status == FitStatus.STOPPED and result.model is not None and result.checkpoint is None
    with pytest.raises(RuntimeError, match="did not end after a completed epoch"):
        trainer.checkpoint()


def test_statuses_keep_their_words_in_json():
    result = Trainer(mlp_spec(), config(), dataset=mnist_slice(64, 32)).fit()
    assert json.loads(json.dumps(result.summary()))["status"] == "completed" == result.status
    assert f"{result.status}" == "completed"


# ---------------------------------------------------------------------- the resume rule


def _checkpoint(scheduler: str, epochs: int, done: int):
    trainer = Trainer(mlp_spec(hidden=8), config(epochs=done, scheduler=scheduler), dataset=mnist_slice(64, 32))
    checkpoint = trainer.fit().checkpoint
    checkpoint.config = checkpoint.config.replace(epochs=epochs)
    return checkpoint


@pytest.mark.parametrize(
    ("scheduler", "planned", "done", "requested", "epochs", "noted"),
    [
        ("none", 1, 1, 3, 3, False),  # as asked
        ("none", 1, 1, 1, 2, True),  # at least one more epoch than the checkpoint holds
        ("StepLR", 5, 2, 1, 3, True),
        ("OneCycleLR", 2, 1, 4, 2, True),  # the schedule's length is part of its saved state
        ("CosineAnnealingLR", 3, 1, 3, 3, False),
    ],
)
def test_the_resume_rule(scheduler, planned, done, requested, epochs, noted):
    length = resumed_length(_checkpoint(scheduler, planned, done), requested)
    assert length.epochs == epochs and (length.note is not None) == noted


class StopAfterEpoch(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer, event):
        if event.epoch == self.epoch:
            trainer.stop()


def test_the_command_line_resumes_a_one_cycle_run_for_the_schedules_length(tmp_path, capsys):
    spec = mlp_spec(hidden=16)
    spec.set_training(config(batch_size=100, lr=0.05, scheduler="OneCycleLR", epochs=3))
    project, out, log = tmp_path / "net.json", tmp_path / "run.pt", tmp_path / "log.jsonl"
    save_spec(spec, project)
    stopped = Trainer(spec, callbacks=[StopAfterEpoch(2)]).fit()  # the data the command line reads
    assert stopped.status == FitStatus.STOPPED and stopped.epochs_completed == 2
    save_checkpoint(stopped.checkpoint, out)  # epoch 2 of a schedule planned for 3
    common = ["--data-dir", str(DATA), "--no-download", "--quiet", "--log", str(log)]
    code = main(["train", str(project), "--resume", str(out), "--epochs", "5", *common])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert [row["epoch"] for row in rows if row.get("kind") != "health"] == [3]
    assert "OneCycleLR schedule was planned for 3 epochs; resuming for 3 in all" in captured.err
    assert captured.out.startswith("completed: 3 epoch(s)")
