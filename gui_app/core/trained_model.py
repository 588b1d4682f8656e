"""A trained network as the app passes it around: the spec, its weights and its input scaling.

The same file format serves the bundled digit model, the weights a training run leaves behind
and (with extra keys) full training checkpoints. It holds only tensors and plain Python, so it
loads with ``torch.load(weights_only=True)``; the spec is stored as a JSON string.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app.core.compiler import build_model
from gui_app.core.network import NetworkSpec, ProjectFileError, load_spec, write_atomic

MODEL_FORMAT = "netbuilder-model"


class ModelFileError(ValueError):
    """A weights or checkpoint file that cannot be used; ``str()`` says why in one line."""


@dataclass
class TrainedModel:
    """Weights that fit ``spec``, and the normalisation its inputs were trained with.

    ``mean`` and ``std`` apply per channel to inputs scaled to [0, 1]; ``source`` says where the
    model came from, for the user ("bundled", "trained this session", a file name).
    """

    spec: NetworkSpec
    state_dict: dict[str, torch.Tensor]
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)
    source: str = ""
    metrics: dict[str, float] = field(default_factory=dict)

    def build(self) -> nn.Sequential:
        """The network with these weights, in eval mode on the CPU."""
        model = build_model(self.spec)
        model.load_state_dict(self.state_dict)
        return model.eval()

    def to_payload(self) -> dict[str, Any]:
        """The plain dict stored on disk (checkpoints add their own keys to it)."""
        return {
            "format": MODEL_FORMAT,
            "torch_version": str(torch.__version__),
            "spec_json": self.spec.to_json(),
            "model": {k: v.detach().cpu() for k, v in self.state_dict.items()},
            "normalization": {"mean": [float(m) for m in self.mean], "std": [float(s) for s in self.std]},
            "metrics": {k: float(v) for k, v in self.metrics.items()},
        }

    @classmethod
    def from_payload(cls, payload: Any, source: str = "") -> TrainedModel:
        """Rebuild from :meth:`to_payload`'s dict; :class:`ModelFileError` if it does not fit."""
        if not isinstance(payload, dict) or "spec_json" not in payload or "model" not in payload:
            raise ModelFileError("not a NetBuilder model or checkpoint (no network spec or weights in it)")
        try:
            spec = load_spec(payload["spec_json"])
        except ProjectFileError as exc:
            raise ModelFileError(f"its network spec is invalid: {exc}") from None
        norm = payload.get("normalization") or {}
        model = cls(
            spec,
            dict(payload["model"]),
            tuple(norm.get("mean", (0.0,))),
            tuple(norm.get("std", (1.0,))),
            source,
            dict(payload.get("metrics") or {}),
        )
        try:
            model.build()
        except (RuntimeError, ValueError) as exc:
            raise ModelFileError(f"its weights do not fit its network: {str(exc).splitlines()[0]}") from None
        return model

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.spec.input_shape)


def save_trained_model(model: TrainedModel, path: str | os.PathLike[str], **extra: Any) -> None:
    """Write ``model`` (plus ``extra`` plain keys) atomically."""
    buffer = io.BytesIO()
    torch.save({**model.to_payload(), **extra}, buffer)
    write_atomic(path, buffer.getvalue())


def load_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``torch.load(weights_only=True)`` of a model or checkpoint file, with a clear error."""
    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except Exception as exc:  # torch raises many types for a bad file; all mean the same to a user
        raise ModelFileError(f"{path.name}: not a readable model file ({str(exc).splitlines()[0][:200]})") from None
    if not isinstance(payload, dict):
        raise ModelFileError(f"{path.name}: not a NetBuilder model file")
    return payload


def load_trained_model(path: str | os.PathLike[str]) -> TrainedModel:
    """Load a model or checkpoint file saved by NetBuilder."""
    path = Path(path)
    try:
        return TrainedModel.from_payload(load_payload(path), source=path.name)
    except ModelFileError as exc:
        message = str(exc)
        raise ModelFileError(message if message.startswith(path.name) else f"{path.name}: {message}") from None
