"""A trained network as the app passes it around: the spec, its weights and its input scaling.

The same file format serves the bundled digit model, the weights a training run leaves behind
and (with extra keys) full training checkpoints. It holds only tensors and plain Python, so it
loads with ``torch.load(weights_only=True)``; the spec is stored as a JSON string.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app.core.analysis.compiler import CompileError, build_model
from gui_app.core.files.reading import MODEL_LIMIT, FileReadError, read_bounded
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, load_spec, write_atomic
from gui_app.core.text.numbers import format_shape
from gui_app.core.text.printable import first_line, short_repr, type_phrase

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
            # A NaN metric means "not measured" (no validation samples); the loader wants finite ones.
            "metrics": {k: float(v) for k, v in self.metrics.items() if math.isfinite(v)},
        }

    @classmethod
    def from_payload(cls, payload: Any, source: str = "") -> TrainedModel:
        """Rebuild from :meth:`to_payload`'s dict; :class:`ModelFileError` naming ``source`` if it does not fit."""
        try:
            return _validated_model(payload, source)
        except ModelFileError as exc:
            raise ModelFileError(f"{source}: {exc}" if source else str(exc)) from None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.spec.input_shape)


def save_trained_model(model: TrainedModel, path: str | os.PathLike[str], **extra: Any) -> None:
    """Write ``model`` (plus ``extra`` plain keys) atomically."""
    buffer = io.BytesIO()
    torch.save({**model.to_payload(), **extra}, buffer)
    write_atomic(path, buffer.getvalue())


def load_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The dict in a model or checkpoint file, read in bounded memory and without running code.

    The bytes pass the size gate first (``/dev/zero`` or a 20 GB file is refused unread), then
    ``torch.load(weights_only=True)``, which builds only tensors and plain Python.
    """
    path = Path(path)
    try:
        raw = read_bounded(path, MODEL_LIMIT)
    except FileReadError as exc:
        raise ModelFileError(str(exc)) from None
    if not raw:
        raise ModelFileError(f"{path.name}: the file is empty (0 bytes), not a model file")
    try:
        payload = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a bad file; all mean the same to a user
        raise ModelFileError(f"{path.name}: not a readable model file ({first_line(exc)})") from None
    if not isinstance(payload, dict):
        raise ModelFileError(f"{path.name}: not a NetBuilder model file (it holds {type_phrase(payload)})")
    return payload


def load_trained_model(path: str | os.PathLike[str]) -> TrainedModel:
    """Load and validate a model or checkpoint file saved by NetBuilder."""
    path = Path(path)
    return TrainedModel.from_payload(load_payload(path), source=path.name)


# ---------------------------------------------------------------------- validation
# A file that weights-only loading accepts can still hold a list where a dict belongs, std=[0]
# or a NaN metric; each check below names the key so the user knows which part is damaged.


def _validated_model(payload: Any, source: str) -> TrainedModel:
    """The one check of a model file's structure; :class:`ModelFileError` saying what is wrong."""
    if not isinstance(payload, dict) or "spec_json" not in payload or "model" not in payload:
        raise ModelFileError("not a NetBuilder model or checkpoint (no network spec or weights in it)")
    format_name = payload.get("format", MODEL_FORMAT)
    if not isinstance(format_name, str) or format_name != MODEL_FORMAT:
        raise ModelFileError(f"format: {short_repr(payload['format'])} is not {MODEL_FORMAT!r}; not a NetBuilder model")
    if not isinstance(payload["spec_json"], str):
        raise ModelFileError(
            f"spec_json: must be the network spec as JSON text, not {type_phrase(payload['spec_json'])}"
        )
    try:
        spec = load_spec(payload["spec_json"])
    except ProjectFileError as exc:
        raise ModelFileError(f"its network spec is invalid: {exc}") from None
    state = _state_dict(payload["model"])
    mean, std = _normalization(payload.get("normalization"), spec.input_shape[0])
    model = TrainedModel(spec, state, mean, std, source, _metrics(payload.get("metrics", {})))
    _check_weights_fit(spec, state)
    try:
        model.build()
    except (RuntimeError, ValueError) as exc:  # load_state_dict: a dtype that cannot be copied in
        raise ModelFileError(f"its weights do not fit its network: {first_line(exc)}") from None
    return model


def _check_weights_fit(spec: NetworkSpec, state: dict[str, torch.Tensor]) -> None:
    """Compare names and shapes with the network built on the meta device, which allocates nothing.

    A few-KB file can name a network of two billion parameters; building it for real just to
    find that its weights are missing would take 8 GB.
    """
    try:
        with torch.device("meta"):
            skeleton = build_model(spec)
    except CompileError as exc:
        raise ModelFileError(f"its network has an error: {exc}") from None
    expected = {key: tuple(tensor.shape) for key, tensor in skeleton.state_dict().items()}
    missing = sorted(expected.keys() - state.keys())
    unexpected = sorted(state.keys() - expected.keys())
    wrong = [key for key in expected.keys() & state.keys() if tuple(state[key].shape) != expected[key]]
    if missing or unexpected:
        what = (
            f"no weights for {missing[0]!r}" if missing else f"weights for {short_repr(unexpected[0])}, which it lacks"
        )
        raise ModelFileError(f"its weights do not fit its network: the file has {what}")
    if wrong:
        key = sorted(wrong)[0]
        raise ModelFileError(
            f"its weights do not fit its network: {key!r} is {_shape_text(state[key].shape)} in the file, "
            f"{_shape_text(expected[key])} in the network"
        )


def _state_dict(value: Any) -> dict[str, torch.Tensor]:
    if not isinstance(value, dict):
        raise ModelFileError(f"model: must be a dict of weight tensors, not {type_phrase(value)}")
    for key, tensor in value.items():
        if not isinstance(key, str) or not isinstance(tensor, torch.Tensor):
            raise ModelFileError(f"model: {short_repr(key)} must be a name mapped to a tensor")
        if tensor.layout != torch.strided or tensor.device.type != "cpu":
            raise ModelFileError(f"model: {short_repr(key)} must be a plain (dense) tensor")
        if tensor.dtype not in _WEIGHT_DTYPES:
            raise ModelFileError(f"model: {short_repr(key)} is of type {tensor.dtype}, which NetBuilder does not use")
        if not bool(torch.isfinite(tensor).all()):
            raise ModelFileError(f"model: {short_repr(key)} holds NaN or infinite weights")
        if key.endswith("running_var") and bool((tensor < 0).any()):
            raise ModelFileError(f"model: {short_repr(key)} holds a negative variance")
    return dict(value)


#: The tensor types a NetBuilder network's weights and buffers have (float8 or quantized ones it never makes).
_WEIGHT_DTYPES = frozenset(
    {torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.int64, torch.int32, torch.bool, torch.uint8}
)


def _shape_text(shape: tuple[int, ...] | torch.Size) -> str:
    return format_shape(tuple(shape)) or "a single number"


def _normalization(value: Any, channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel (mean, std): equal lengths of 1 or ``channels``, finite, std > 0."""
    if value is None:
        return (0.0,), (1.0,)
    if not isinstance(value, dict) or set(value) != {"mean", "std"}:
        raise ModelFileError("normalization: must be a dict with the lists 'mean' and 'std'")
    mean, std = value["mean"], value["std"]
    if not isinstance(mean, list | tuple) or not isinstance(std, list | tuple) or len(mean) != len(std):
        raise ModelFileError("normalization: 'mean' and 'std' must be lists of the same length")
    if len(mean) not in (1, channels):
        allowed = "1 value" if channels == 1 else f"1 or {channels} values"
        raise ModelFileError(
            f"normalization: {len(mean)} values per list; the network takes {channels} channel(s), so {allowed}"
        )
    if not all(_finite(v) for v in (*mean, *std)):
        raise ModelFileError("normalization: 'mean' and 'std' must hold finite numbers")
    # The inputs are normalised in float32: check the values as they will be used there.
    as_used = torch.tensor([float(v) for v in (*mean, *std)], dtype=torch.float64).float()
    if not bool(torch.isfinite(as_used).all()):
        raise ModelFileError("normalization: 'mean' and 'std' must be within float32's range")
    if min(std) <= 0 or bool((as_used[len(mean) :] == 0).any()):
        raise ModelFileError(f"normalization: std {min(std):g} would divide by zero or flip inputs; it must be > 0")
    return tuple(float(m) for m in mean), tuple(float(s) for s in std)


def _metrics(value: Any) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ModelFileError(f"metrics: must be a dict of names to numbers, not {type_phrase(value)}")
    for key, number in value.items():
        if not isinstance(key, str) or not _finite(number):
            raise ModelFileError(f"metrics: {short_repr(key)} must be a name mapped to a finite number")
    return {key: float(number) for key, number in value.items()}


def _finite(value: Any) -> bool:
    """A real number that is not NaN or infinite (``True`` is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int beyond float's range
        return False
