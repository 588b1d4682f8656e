"""Training checkpoints: a model file plus what it takes to continue the run.

A checkpoint is :meth:`TrainedModel.to_payload` with the keys ``optimizer``, ``scheduler``,
``epoch``, ``config``, ``history`` and ``early_stopping`` added, so ``load_trained_model`` reads
it as a plain model too. Everything in it is a tensor or plain Python, so it loads with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gui_app.core.analysis.compiler import compile_network, first_difference
from gui_app.core.analysis.messages import block_name
from gui_app.core.layers.catalogue import ParamError
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.numbers import format_shape
from gui_app.core.text.printable import first_line, short_repr, type_phrase
from gui_app.core.training.events import CHECKPOINT_FIELDS
from gui_app.core.training.optimisation import make_optimizer, make_scheduler
from gui_app.core.training.trained_model import ModelFileError, TrainedModel, load_payload, save_trained_model

CHECKPOINT_KEYS = ("optimizer", "scheduler", "epoch", "config", "history", "early_stopping")
#: Schedules whose saved state holds the run's length: a resumed run keeps the length they planned.
FIXED_LENGTH_SCHEDULERS = ("OneCycleLR", "CosineAnnealingLR")


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


@dataclass(frozen=True)
class ResumedLength:
    """How many epochs in all a resumed run trains for, and why when it is not what was asked."""

    epochs: int
    note: str | None = None


def resumed_length(checkpoint: Checkpoint, requested: int) -> ResumedLength:
    """The one rule for a resumed run's epochs (the panel's and ``train --resume``'s).

    At least one epoch more than the checkpoint holds, so resuming always trains; but a schedule
    whose length is part of its saved state keeps that length, or it would run past its end.
    """
    schedule = checkpoint.config.scheduler
    if schedule in FIXED_LENGTH_SCHEDULERS:
        planned = checkpoint.config.epochs
        note = f"this checkpoint's {schedule} schedule was planned for {planned} epochs"
        return ResumedLength(planned, None if requested == planned else note)
    epochs = max(requested, checkpoint.epoch + 1)
    note = None if epochs == requested else f"the checkpoint holds {checkpoint.epoch} epoch(s) already"
    return ResumedLength(epochs, note)


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
    """Read and validate a checkpoint; :class:`ModelFileError` naming the file for a plain model
    file or a damaged one, so a run never starts from state that would crash or mislead it."""
    path = Path(path)
    payload = load_payload(path)
    missing = [k for k in ("optimizer", "epoch", "config") if k not in payload]
    if missing:
        raise ModelFileError(f"{path.name}: a model file without training state, so a run cannot resume from it")
    model = TrainedModel.from_payload(payload, source=path.name)
    try:
        return _validated_checkpoint(payload, model)
    except (ModelFileError, ParamError) as exc:
        raise ModelFileError(f"{path.name}: {exc}") from None


def _validated_checkpoint(payload: dict[str, Any], model: TrainedModel) -> Checkpoint:
    """The one check of a checkpoint's training state (the model part is checked already)."""
    config = TrainingConfig.from_dict(payload["config"], "config")
    epoch = payload["epoch"]
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ModelFileError(f"epoch: must be a whole number of completed epochs (0 or more), not {short_repr(epoch)}")
    history = validated_history(payload.get("history", []), epoch)
    early_stopping = _early_stopping(payload.get("early_stopping", {}))
    scheduler_state = payload.get("scheduler")
    if scheduler_state is not None and not isinstance(scheduler_state, dict):
        raise ModelFileError(f"scheduler: must be a scheduler's state dict, not {type_phrase(scheduler_state)}")
    check_training_state(model, config, payload["optimizer"], scheduler_state)
    return Checkpoint(model, config, epoch, payload["optimizer"], scheduler_state, history, early_stopping)


_HISTORY_FIELDS = CHECKPOINT_FIELDS
_WHOLE_FIELDS = {"epoch", "epochs"}
_OPTIONAL_FIELDS = {"train_accuracy", "val_accuracy"}  # None for a regression run


def validated_history(rows: Any, epoch: int) -> list[dict[str, Any]]:
    """One row per completed epoch, with exactly :class:`EpochEvent`'s fields and numbers in them.

    The one check of epoch rows, for checkpoints and for recorded runs (``runs.py``).
    """
    if not isinstance(rows, list):
        raise ModelFileError(f"history: must be a list of epoch rows, not {type_phrase(rows)}")
    if len(rows) != epoch:
        raise ModelFileError(f"history: {len(rows)} epoch row(s) for {epoch} completed epoch(s)")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ModelFileError(f"history[{i}]: must be a dict of an epoch's numbers, not {type_phrase(row)}")
        unknown, missing = set(row) - set(_HISTORY_FIELDS), set(_HISTORY_FIELDS) - set(row)
        if unknown or missing:
            what = (
                f"unknown key {short_repr(sorted(map(str, unknown))[0])}" if unknown else f"no {sorted(missing)[0]!r}"
            )
            raise ModelFileError(f"history[{i}]: {what} (an epoch row has {', '.join(_HISTORY_FIELDS)})")
        for key in _HISTORY_FIELDS:
            value = row[key]
            if key in _WHOLE_FIELDS:
                fits = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            else:  # NaN is allowed: a run with no validation samples reports a NaN loss
                fits = _number(value) or (value is None and key in _OPTIONAL_FIELDS)
            if not fits:
                raise ModelFileError(f"history[{i}].{key}: {short_repr(value)} is not a valid value")
    return [dict(row) for row in rows]


def _early_stopping(state: Any) -> dict[str, float]:
    if not isinstance(state, dict) or not set(state) <= {"best_val_loss", "bad_epochs"}:
        raise ModelFileError("early_stopping: must be a dict with 'best_val_loss' and 'bad_epochs'")
    if not all(_number(v) for v in state.values()):
        raise ModelFileError("early_stopping: 'best_val_loss' and 'bad_epochs' must be numbers")
    bad_epochs = state.get("bad_epochs", 0)
    if not math.isfinite(bad_epochs) or bad_epochs < 0 or bad_epochs != int(bad_epochs):
        raise ModelFileError(
            f"early_stopping.bad_epochs: must be a whole number of epochs, not {short_repr(bad_epochs)}"
        )
    return {k: float(v) for k, v in state.items()}


def _number(value: Any) -> bool:
    """An int or float that converts to a float (NaN and infinity included; ``True`` is not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        float(value)
    except OverflowError:  # an int beyond float's range
        return False
    return True


# ---------------------------------------------------------------------- optimiser and scheduler state


def check_training_state(
    model: TrainedModel, config: TrainingConfig, optimizer_state: Any, scheduler_state: dict[str, Any] | None
) -> None:
    """Load the optimiser and scheduler state into a throwaway copy of the run and take one step.

    A state that weights-only loading accepts can still be garbage torch only trips over in the
    first training step, as a traceback; here it becomes a :class:`ModelFileError` before any
    run starts. Copies are loaded, because ``load_state_dict`` keeps the tensors it is given.
    """
    _check_optimizer_shape(optimizer_state)
    network = model.build()
    try:
        optimizer = make_optimizer(config, network.parameters())
        scheduler, _ = make_scheduler(config, optimizer, steps_per_epoch=1)
    except ValueError as exc:  # ConfigError and torch's own checks of the settings
        raise ModelFileError(f"config: {exc}") from None
    for i, (saved, fresh) in enumerate(zip(optimizer_state["param_groups"], optimizer.param_groups, strict=False)):
        _check_like(saved, {k: v for k, v in fresh.items() if k != "params"}, f"optimizer.param_groups[{i}]")
    if scheduler is not None and scheduler_state is not None:
        _check_like(scheduler_state, scheduler.state_dict(), "scheduler")
    with _torch_refusal("optimizer"):
        optimizer.load_state_dict(copy.deepcopy(optimizer_state))
    _check_state_shapes(optimizer)
    for parameter in network.parameters():
        parameter.grad = torch.zeros_like(parameter)
    with _torch_refusal("optimizer"):
        optimizer.step()
    if not all(bool(torch.isfinite(p).all()) for p in network.parameters()):
        raise ModelFileError("optimizer: its saved state turns the weights into NaN or infinity in one step")
    if scheduler is not None and scheduler_state is not None:
        with _torch_refusal("scheduler"):
            scheduler.load_state_dict(copy.deepcopy(scheduler_state))


@contextlib.contextmanager
def _torch_refusal(part: str) -> Iterator[None]:
    """torch's own complaints about a loaded state, as the one-line :class:`ModelFileError` of ``part``."""
    try:
        yield
    except (ValueError, RuntimeError, KeyError, TypeError, IndexError, AttributeError) as exc:
        # torch checks a loaded state lazily and in many types; to a user each means the state is damaged
        raise ModelFileError(
            f"{part}: its state does not fit this network and its settings ({first_line(exc)})"
        ) from None


def _check_optimizer_shape(state: Any) -> None:
    """``{"state": {int: {str: tensor or number}}, "param_groups": [{"params": [int, ...], ...}]}``."""
    if not isinstance(state, dict) or not isinstance(state.get("state"), dict):
        raise ModelFileError("optimizer: must be an optimiser's state dict (a dict with 'state' and 'param_groups')")
    groups = state.get("param_groups")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ModelFileError("optimizer.param_groups: must be a list of dicts")
    for i, group in enumerate(groups):
        ids = group.get("params")
        if not isinstance(ids, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in ids):
            raise ModelFileError(f"optimizer.param_groups[{i}].params: must be a list of parameter numbers")
    for key, entry in state["state"].items():
        plain = isinstance(entry, dict) and all(
            isinstance(k, str) and (v is None or _number(v) or isinstance(v, torch.Tensor)) for k, v in entry.items()
        )
        if isinstance(key, bool) or not isinstance(key, int) or not plain:
            raise ModelFileError(f"optimizer.state[{short_repr(key)}]: must map a parameter number to its tensors")


def _check_like(saved: Any, fresh: Any, path: str) -> None:
    """``saved`` has the types (and, for text, the values) of a freshly built ``fresh``.

    Keys only one side has are allowed: torch versions add and drop keys, and load fills them in.
    """
    if isinstance(fresh, dict):
        if not isinstance(saved, dict):
            raise ModelFileError(f"{path}: must be a dict, not {type_phrase(saved)}")
        for key in saved.keys() & fresh.keys():
            _check_like(saved[key], fresh[key], f"{path}.{key}")
        return
    if isinstance(fresh, list | tuple):
        fits = isinstance(saved, list | tuple) and len(saved) == len(fresh)
        if fits:
            for i, (a, b) in enumerate(zip(saved, fresh, strict=True)):
                _check_like(a, b, f"{path}[{i}]")
            return
    elif fresh is None or isinstance(fresh, bool):  # foreach and fused: None and a flag mean the same
        fits = saved is None or isinstance(saved, bool)
    elif isinstance(fresh, int | float):
        fits = _number(saved)
    elif isinstance(fresh, str):
        fits = saved == fresh
    else:
        fits = type(saved) is type(fresh)
    if not fits:
        raise ModelFileError(f"{path}: {short_repr(saved)} is not what this optimiser or scheduler keeps there")


def _check_state_shapes(optimizer: torch.optim.Optimizer) -> None:
    """Each tensor kept for a parameter is a single number (a step count) or has its shape."""
    for parameter, entry in optimizer.state.items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor) and value.numel() != 1 and value.shape != parameter.shape:
                raise ModelFileError(
                    f"optimizer: its {key} has the shape {list(value.shape)}, the parameter {list(parameter.shape)}"
                )


# ---------------------------------------------------------------------- which network


def network_difference(saved: NetworkSpec, project: NetworkSpec) -> str | None:
    """The first difference between two networks' input and layers, or None when they are the same.

    Names and training settings do not count; a size left to be inferred in one and written out in
    the other does not either, because the layers are compared as compiled.
    """
    if tuple(saved.input_shape) != tuple(project.input_shape):
        return f"input {format_shape(saved.input_shape)} there, {format_shape(project.input_shape)} here"
    ours, theirs = compile_network(saved).layers, compile_network(project).layers
    if len(ours) != len(theirs):
        return f"{len(ours)} layers there, {len(theirs)} here"
    pair = first_difference(ours, theirs)  # the innermost block that differs, nested or not
    if pair is not None:
        a, b = pair
        return f"{block_name(a.address or a.index)}: {a.type} {a.summary} there, {b.type} {b.summary} here"
    return None


def check_same_network(checkpoint: Checkpoint, project: NetworkSpec, project_name: str) -> None:
    """Refuse to resume ``checkpoint`` for a project whose network is another one."""
    difference = network_difference(checkpoint.model.spec, project)
    if difference is not None:
        name = checkpoint.model.source or "the checkpoint"
        raise ModelFileError(
            f"{name}: this checkpoint is of another network than {project_name} ({difference}); "
            f"resume with the project it was saved from, or train {project_name} without --resume"
        )
