"""What a Trainer reports while it runs: plain, frozen data.

Events hold only floats, ints, strings and string enums, and are never changed once sent, so a
Qt worker passes the objects themselves across threads and the command line writes them as
JSON. :class:`FitStatus` and :class:`ErrorKind` are ``StrEnum``: their values are the words the
files, logs and JSON output always had.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class FitStatus(StrEnum):
    """How a run ended."""

    COMPLETED = "completed"
    STOPPED = "stopped"
    EARLY_STOPPED = "early_stopped"
    ERROR = "error"


class ErrorKind(StrEnum):
    """What made a run fail: the user's fix differs for each."""

    NAN = "nan"
    OOM = "oom"
    DATASET = "dataset"
    SHAPE = "shape"
    DEVICE = "device"
    CONFIG = "config"
    INTERNAL = "internal"


@dataclass(frozen=True)
class RunInfo:
    """What a run trains on, sent once its data is loaded and checked (``on_fit_start``)."""

    dataset: str
    source: str
    origin: str
    note: str
    detail: str
    device: str
    samples: int
    batches: int
    epochs: int
    start_epoch: int
    classification: bool
    #: the classes' names, in label order (empty for a regression run)
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
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
    #: (bytes allocated by this process, the GPU's total) on a CUDA GPU; None elsewhere
    gpu_memory: tuple[int, int] | None = None


@dataclass(frozen=True)
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
    #: each class's validation accuracy (its recall), in label order; NaN for a class with no
    #: validation sample; None for a regression run or an epoch restored from a checkpoint
    per_class_accuracy: tuple[float, ...] | None = None

    def checkpoint_row(self) -> dict[str, Any]:
        """The epoch as a checkpoint's history stores it (:data:`CHECKPOINT_FIELDS`)."""
        row = asdict(self)
        return {name: row[name] for name in CHECKPOINT_FIELDS}


#: The EpochEvent fields a checkpoint keeps: per-class accuracy is left out, so checkpoints keep
#: the rows they always had (older files still load) and a resumed run needs none of it.
CHECKPOINT_FIELDS = tuple(f.name for f in fields(EpochEvent) if f.name != "per_class_accuracy")


@dataclass(frozen=True)
class ErrorEvent:
    """Why a run ended early, and at which step when it was training."""

    message: str
    kind: ErrorKind
    step: int | None = None


class Verdict(StrEnum):
    """What a health probe concludes about one block (see :mod:`gui_app.core.training.health`)."""

    HEALTHY = "healthy"
    SUSPICIOUS = "suspicious"
    BROKEN = "broken"


@dataclass(frozen=True)
class BlockHealth:
    """One block's figures on the probe images; a figure is None where it does not apply."""

    #: the block's 0-based position in the network (the canvas shows ``index + 1``)
    index: int
    type: str
    mean: float | None
    std: float | None
    #: share of units (features, or channels of a feature map) at zero for every probe image
    dead: float | None
    #: share of outputs within a hair of a Sigmoid's or Tanh's bounds
    saturated: float | None
    grad_norm: float | None
    #: norm of the last step's change of the block's weights over their norm
    update_ratio: float | None
    verdict: Verdict
    #: names of the health rules the block breaks, worst first
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class HealthEvent:
    """A health probe's figures for every block, after training step ``step``."""

    epoch: int
    batch: int
    batches: int
    step: int
    blocks: tuple[BlockHealth, ...]
