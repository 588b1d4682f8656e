"""The best epoch of a run, kept beside the last one: :class:`KeepBestWeights`.

"Best" is the lowest validation loss, the figure :class:`EarlyStopping` watches, so the epoch
early stopping waits to beat is the epoch whose weights are kept, and the rule works for
regression runs, which have no accuracy. A tie keeps the earlier epoch (as early stopping does,
a loss must be strictly lower to count), and a NaN loss (no validation samples) is never best.
"""

from __future__ import annotations

import math

from gui_app.core.training.callbacks import Callback, RunningTrainer
from gui_app.core.training.checkpoints import Checkpoint
from gui_app.core.training.events import EpochEvent


class KeepBestWeights(Callback):
    """Holds a CPU copy of the checkpoint of the run's best epoch (see the module docstring).

    The Trainer runs one as its second callback, after early stopping, so the callbacks after it
    (a run recorder) see this epoch's best already. A resumed run starts from the epoch it resumed
    at: that epoch's weights are the checkpoint's, so it is the first candidate.
    """

    def __init__(self) -> None:
        self.checkpoint: Checkpoint | None = None
        self.best_val_loss = math.inf

    @property
    def epoch(self) -> int | None:
        """The best epoch (counted from 1 over the whole run), or None before one."""
        return self.checkpoint.epoch if self.checkpoint is not None else None

    def on_fit_start(self, trainer: RunningTrainer) -> None:
        self.checkpoint, self.best_val_loss = None, math.inf
        if trainer.history:  # resumed: the weights loaded are those of the checkpoint's last epoch
            self._consider(trainer, trainer.history[-1])

    def on_epoch_end(self, trainer: RunningTrainer, event: EpochEvent) -> None:
        self._consider(trainer, event)

    def improved_at(self, event: EpochEvent) -> bool:
        """True when ``event``'s epoch is the best one now (it was kept)."""
        return self.epoch == event.epoch

    def _consider(self, trainer: RunningTrainer, event: EpochEvent) -> None:
        if event.val_loss < self.best_val_loss:  # False for NaN
            self.best_val_loss = event.val_loss
            self.checkpoint = trainer.checkpoint()
