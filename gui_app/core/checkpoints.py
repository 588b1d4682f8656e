"""Training checkpoints: a model file plus what it takes to continue the run.

A checkpoint is :meth:`TrainedModel.to_payload` with the keys ``optimizer``, ``scheduler``,
``epoch``, ``config``, ``history`` and ``early_stopping`` added, so ``load_trained_model`` reads
it as a plain model too. Everything in it is a tensor or plain Python, so it loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui_app.core.layers import ParamError
from gui_app.core.run_config import TrainingConfig
from gui_app.core.trained_model import ModelFileError, TrainedModel, load_payload, save_trained_model

CHECKPOINT_KEYS = ("optimizer", "scheduler", "epoch", "config", "history", "early_stopping")


@dataclass
class Checkpoint:
    """A run after ``epoch`` completed epochs."""

    model: TrainedModel
    config: TrainingConfig
    epoch: int
    optimizer_state: dict[str, Any]
    scheduler_state: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    early_stopping: dict[str, float] = field(default_factory=dict)


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str]) -> None:
    """Write ``checkpoint`` atomically (a crash mid-save leaves the previous file intact)."""
    save_trained_model(
        checkpoint.model,
        path,
        optimizer=checkpoint.optimizer_state,
        scheduler=checkpoint.scheduler_state,
        epoch=int(checkpoint.epoch),
        config=checkpoint.config.to_dict(),
        history=[{k: _plain(v) for k, v in row.items()} for row in checkpoint.history],
        early_stopping={k: float(v) for k, v in checkpoint.early_stopping.items()},
    )


def _plain(value: Any) -> Any:
    """Floats and ints as Python numbers (numpy scalars would fail a weights-only load)."""
    if value is None or isinstance(value, str | bool | int):
        return value
    return float(value)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint; :class:`ModelFileError` for a plain model file or a damaged one."""
    path = Path(path)
    payload = load_payload(path)
    missing = [k for k in ("optimizer", "epoch", "config") if k not in payload]
    if missing:
        raise ModelFileError(f"{path.name}: a model file without training state, so a run cannot resume from it")
    try:
        model = TrainedModel.from_payload(payload, source=path.name)
        config = TrainingConfig.from_dict(payload["config"])
    except (ModelFileError, ParamError) as exc:
        raise ModelFileError(f"{path.name}: {exc}") from None
    return Checkpoint(
        model,
        config,
        int(payload["epoch"]),
        payload["optimizer"],
        payload.get("scheduler"),
        list(payload.get("history") or []),
        dict(payload.get("early_stopping") or {}),
    )
