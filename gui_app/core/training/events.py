"""What a Trainer reports: its events (plain data) and the callback hooks that receive them.

Events hold only floats, ints and strings, so a Qt worker can pass them across threads as
dicts and the command line can write them as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gui_app.core.data.downloads import DownloadProgress
from gui_app.core.training.trained_model import TrainedModel

if TYPE_CHECKING:
    from gui_app.core.training.trainer import Trainer


@dataclass
class BatchEvent:
    """Training progress since the previous batch event (means over that window)."""

    epoch: int
    batch: int
    batches: int
    step: int
    total_steps: int
    loss: float
    accuracy: float | None
    samples_per_s: float
    lr: float
    #: each batch's own loss in the window, in order (so a smoothed curve can weigh batches
    #: equally, however many arrive per event)
    batch_losses: list[float] = field(default_factory=list)


@dataclass
class EpochEvent:
    """One finished epoch; the command line writes these as JSON lines."""

    epoch: int
    epochs: int
    train_loss: float
    train_accuracy: float | None
    val_loss: float
    val_accuracy: float | None
    lr: float
    seconds: float
    samples_per_s: float


@dataclass
class ErrorEvent:
    """Why a run ended early; ``kind`` is nan, oom, dataset, shape, device, config or internal."""

    message: str
    kind: str
    step: int | None = None


@dataclass
class FitResult:
    """The end of a run: ``status`` is completed, stopped, early_stopped or error."""

    status: str
    epochs_completed: int
    seconds: float
    history: list[EpochEvent] = field(default_factory=list)
    model: TrainedModel | None = None
    error: ErrorEvent | None = None
    #: things a run that ended without an error should still tell the user (a diverged loss)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        last = asdict(self.history[-1]) if self.history else {}
        final = {k: v for k, v in last.items() if k not in ("epoch", "epochs", "seconds")}
        return {
            "status": self.status,
            "epochs_completed": self.epochs_completed,
            "total_seconds": self.seconds,
            **final,
            "error": self.error.message if self.error else None,
            "warnings": list(self.warnings),
        }


class Callback:
    """Hooks a Trainer calls, from the thread that runs ``fit``; each default does nothing.

    A hook may end the run by setting ``trainer.should_stop = True``; the loop honours it before
    the next batch.
    """

    def on_download(self, trainer: Trainer, progress: DownloadProgress) -> None:
        """While the dataset downloads (before ``on_fit_start``); Stop cancels the download."""

    def on_fit_start(self, trainer: Trainer) -> None:
        """Data loaded and checked, model on its device; training begins."""

    def on_batch_end(self, trainer: Trainer, event: BatchEvent) -> None:
        """Throttled: at most every ``trainer.event_interval`` seconds, and at each epoch's end."""

    def on_epoch_end(self, trainer: Trainer, event: EpochEvent) -> None:
        """After validation."""

    def on_error(self, trainer: Trainer, error: ErrorEvent) -> None:
        """The run failed; ``on_fit_end`` follows with status "error"."""

    def on_fit_end(self, trainer: Trainer, result: FitResult) -> None:
        """Always called last, whatever the outcome."""
