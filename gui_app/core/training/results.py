"""The end of a run, as ``Trainer.fit`` returns it and ``on_fit_end`` receives it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gui_app.core.training.checkpoints import Checkpoint
from gui_app.core.training.events import EpochEvent, ErrorEvent, FitStatus
from gui_app.core.training.trained_model import TrainedModel


@dataclass
class FitResult:
    """How the run ended, its epochs, and what it leaves behind (all on the CPU).

    ``checkpoint`` is the run as it stood after its last epoch, copied to the CPU when the run
    ended there without an error; None after a stop mid-epoch (the weights moved on since) or a
    failure. The trainer's device memory is released by then, so saving it later needs no GPU.
    ``best`` is the checkpoint of the epoch with the lowest validation loss (None before one).
    After early stopping, ``model`` and ``checkpoint`` are the best epoch's (the weights restored).
    """

    status: FitStatus
    epochs_completed: int
    seconds: float
    history: list[EpochEvent] = field(default_factory=list)
    model: TrainedModel | None = None
    error: ErrorEvent | None = None
    #: things a run that ended without an error should still tell the user (a diverged loss)
    warnings: list[str] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    best: Checkpoint | None = None

    @property
    def restored_best(self) -> bool:
        """True when the run left its best epoch's weights rather than its last (early stopping)."""
        return self.best is not None and self.model is self.best.model

    def summary(self) -> dict[str, Any]:
        last = asdict(self.history[-1]) if self.history else {}
        final = {k: v for k, v in last.items() if k not in ("epoch", "epochs", "seconds")}
        return {
            "status": str(self.status),
            "epochs_completed": self.epochs_completed,
            "total_seconds": self.seconds,
            **final,
            "error": self.error.message if self.error else None,
            "warnings": list(self.warnings),
        }
