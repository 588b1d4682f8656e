"""The hooks a Trainer calls (:class:`Callback`) and the two callbacks every run can use:
early stopping and a checkpoint after every epoch.

A callback sees the trainer through :class:`RunningTrainer`, the part of it a callback may use,
so this module needs no Trainer (and the Trainer may build its own callbacks from here).
"""

from __future__ import annotations

import math
import os
from typing import Protocol

from gui_app.core.data.downloads import DownloadProgress
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.training.checkpoints import Checkpoint, save_checkpoint
from gui_app.core.training.events import BatchEvent, EpochEvent, ErrorEvent, HealthEvent
from gui_app.core.training.results import FitResult


class RunningTrainer(Protocol):
    """What a callback may read of and ask from the Trainer that calls it."""

    config: TrainingConfig
    history: list[EpochEvent]
    step: int

    def stop(self) -> None:
        """End the run before the next batch."""

    def stop_early(self) -> None:
        """End the run after this epoch, as early stopping does (status ``early_stopped``)."""

    def checkpoint(self) -> Checkpoint:
        """The run after its last completed epoch."""


class Callback:
    """Hooks a Trainer calls, from the thread that runs ``fit``; each default does nothing.

    In one run the order is: ``on_download`` (while the data downloads, if it does),
    ``on_fit_start``, then per epoch ``on_step_end`` after every optimiser step, ``on_batch_end``
    (throttled) and ``on_epoch_end``, then ``on_error`` if the run failed, and ``on_fit_end``
    always, last. Callbacks are called in the order the Trainer holds them: its own early
    stopping first, then the caller's. A :class:`~gui_app.core.training.health.HealthProbe`
    among them sends ``on_health`` to every callback, right after the step it probed.

    A hook may end the run by calling ``trainer.stop()`` (or setting ``trainer.should_stop``);
    the loop honours it before the next batch.
    """

    def on_download(self, trainer: RunningTrainer, progress: DownloadProgress) -> None:
        """While the dataset downloads (before ``on_fit_start``); Stop cancels the download."""

    def on_fit_start(self, trainer: RunningTrainer) -> None:
        """Data loaded and checked, model on its device; training begins."""

    def on_step_end(self, trainer: RunningTrainer) -> None:
        """After every optimiser step (``trainer.step`` counts it); the gradients are still there.

        Called for every batch, so a callback that acts here must be cheap or throttle itself.
        """

    def on_health(self, trainer: RunningTrainer, event: HealthEvent) -> None:
        """A health probe's figures for every block (only with a ``HealthProbe`` in the run)."""

    def on_batch_end(self, trainer: RunningTrainer, event: BatchEvent) -> None:
        """Throttled: at most every ``trainer.event_interval`` seconds, and at each epoch's end."""

    def on_epoch_end(self, trainer: RunningTrainer, event: EpochEvent) -> None:
        """After validation; ``trainer.history`` ends with ``event``."""

    def on_error(self, trainer: RunningTrainer, error: ErrorEvent) -> None:
        """The run failed; ``on_fit_end`` follows with status "error"."""

    def on_fit_end(self, trainer: RunningTrainer, result: FitResult) -> None:
        """Always called last, whatever the outcome; the trainer's device memory is released."""


class EarlyStopping(Callback):
    """Ends a run once ``patience`` epochs in a row did not lower the best validation loss.

    It counts even when ``patience`` is 0 (off), because a checkpoint carries the count and a
    resumed run continues it.
    """

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.reset()

    def reset(self) -> None:
        self.best_val_loss = math.inf
        self.bad_epochs = 0

    def update(self, val_loss: float) -> bool:
        """Count one epoch's validation loss; True when the patience has run out."""
        if val_loss < self.best_val_loss:
            self.best_val_loss, self.bad_epochs = val_loss, 0
        else:
            self.bad_epochs += 1
        return bool(self.patience) and self.bad_epochs >= self.patience

    def on_epoch_end(self, trainer: RunningTrainer, event: EpochEvent) -> None:
        if self.update(event.val_loss):
            trainer.stop_early()

    def state_dict(self) -> dict[str, float]:
        """What a checkpoint keeps (the file's ``early_stopping``)."""
        return {"best_val_loss": self.best_val_loss, "bad_epochs": float(self.bad_epochs)}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.best_val_loss = state.get("best_val_loss", math.inf)
        self.bad_epochs = int(state.get("bad_epochs", 0))


class SaveCheckpoints(Callback):
    """Writes the run's checkpoint to ``path`` after every epoch (atomically).

    A checkpoint that cannot be written (a full disk) stops the run there, with the reason in
    ``failure``, rather than training on without the checkpoint the user asked for.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.failure: str | None = None

    def on_epoch_end(self, trainer: RunningTrainer, event: EpochEvent) -> None:
        try:
            save_checkpoint(trainer.checkpoint(), self.path)
        except OSError as exc:
            self.failure = f"{self.path}: cannot write the checkpoint ({exc.strerror or exc})"
            trainer.stop()
