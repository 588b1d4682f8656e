"""A torch module -> the catalogue block it is: the one place that reads a module's settings back.

A module of a catalogue class (``CATALOGUE`` entries name their ``module_class``) maps when every
constructor argument can be read back from it (``Conv2d.kernel_size``, ``Linear.bias is not
None``) and each passes the entry's :class:`~gui_app.core.layers.definitions.ParamDef`. To be sure
nothing was lost, the block is rebuilt from what was read, on the meta device (no memory), and
must have the module's own description and weights' names and shapes; a setting NetBuilder does
not offer (``MaxPool2d(return_indices=True)``, ``Upsample(align_corners=True)``) fails that and is
reported. ``nn.Sequential`` maps exactly, nested ones flattened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from gui_app.core.importing.blocks import MappedLayer, Skipped
from gui_app.core.layers.catalogue import CATALOGUE, LayerType, ParamError
from gui_app.core.project.validation import validate_layer
from gui_app.core.text.printable import first_line, short_repr

_META = torch.device("meta")

#: Classes that are not a catalogue entry's own class but build the same block (same weights' names).
_ALIASES: dict[type[nn.Module], str] = {nn.Embedding: "Embedding"}

#: Settings of torch modules that NetBuilder's blocks do not offer: the module maps only with these values.
_UNOFFERED: dict[str, tuple[Any, ...]] = {
    "return_indices": (False,),
    "divisor_override": (None,),
    "align_corners": (None, False),
    "recompute_scale_factor": (None,),
    "size": (None,),
    "max_norm": (None,),
    "scale_grad_by_freq": (False,),
    "sparse": (False,),
    "value": (0.0, 0),
}


_TUPLE_OUTPUT = "returns (output, state), which the next layer cannot take; NetBuilder's {} block keeps the output"
_NOT_A_LAYER = {name: _TUPLE_OUTPUT.format(name) for name in ("LSTM", "GRU", "RNN")}


def leaf_modules(module: nn.Module, origin: str = "") -> Iterator[tuple[str, nn.Module]]:
    """The modules of a Sequential in order, nested Sequentials flattened; others as they are."""
    if type(module) is not nn.Sequential:
        yield origin or type(module).__name__, module
        return
    for name, child in module.named_children():
        yield from leaf_modules(child, f"{origin}.{name}" if origin else name)


def is_resnet(module: nn.Module) -> bool:
    """torchvision's ResNet class, recognised without importing torchvision."""
    cls = type(module)
    return cls.__name__ == "ResNet" and cls.__module__ == "torchvision.models.resnet"


def can_map(module: nn.Module) -> bool:
    """Whether :func:`map_module` knows the module's class (so a tracer keeps it whole)."""
    return bool(_entries_for(module)) or is_resnet(module)


def map_module(module: nn.Module, origin: str) -> MappedLayer | Skipped:
    """The block ``module`` is, with its weights; :class:`Skipped` saying why when it is none."""
    if is_resnet(module):
        return _map_resnet(module, origin)
    entries = _entries_for(module)
    if not entries:
        name = type(module).__name__
        return Skipped(origin, _NOT_A_LAYER.get(name, f"{name} is not a NetBuilder layer"))
    problem = ""
    for entry in entries:
        try:
            params = validate_layer(entry.name, _read_params(entry, module), entry.name)
            _check_rebuilt(entry, params, module)
        except ParamError as exc:
            problem = str(exc)
            continue
        return MappedLayer(entry.name, params, origin, _weights_of(module))
    return Skipped(origin, problem)


def _entries_for(module: nn.Module) -> list[LayerType]:
    alias = _ALIASES.get(type(module))
    if alias is not None:
        return [CATALOGUE[alias]]
    found = []
    for entry in CATALOGUE.values():
        if entry.module_class is not type(module):
            continue
        if all(getattr(module, key, None) == value for key, value in entry.fixed.items() if key != "batch_first"):
            found.append(entry)
    return found


def _weights_of(module: nn.Module) -> dict[str, torch.Tensor]:
    """The module's weights as plain CPU tensors; none for a module that lives on the meta device."""
    state = module.state_dict()
    if any(t.device.type == "meta" for t in state.values()):
        return {}
    return {key: tensor.detach().cpu().clone() for key, tensor in state.items()}


# ---------------------------------------------------------------------- reading settings back


def _read_params(entry: LayerType, module: nn.Module) -> dict[str, Any]:
    special = _READERS.get(entry.name)
    raw = special(module) if special is not None else _read_attributes(entry, module)
    for key, allowed in _UNOFFERED.items():
        if key not in entry.param_index and hasattr(module, key) and getattr(module, key) not in allowed:
            raise ParamError(f"{key}={short_repr(getattr(module, key))} is a setting NetBuilder's {entry.name} lacks")
    return {key: _plain(value, entry.param_index[key].kind) for key, value in raw.items()}


def _read_attributes(entry: LayerType, module: nn.Module) -> dict[str, Any]:
    """Each parameter from the attribute of its name; a flag named like a weight is "has that weight"."""
    values: dict[str, Any] = {}
    for param in entry.params:
        if not hasattr(module, param.name):
            raise ParamError(f"cannot read its {param.name}")
        value = getattr(module, param.name)
        if param.kind == "bool" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None
        values[param.name] = value
    if entry.name in _STRIDE_DEFAULTS_TO_KERNEL and values.get("stride") == values.get("kernel_size"):
        values["stride"] = None  # torch stores "the kernel size" for a stride left out
    return values


_STRIDE_DEFAULTS_TO_KERNEL = {"MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d"}


def _plain(value: Any, kind: str) -> Any:
    """A setting as a project file holds it: a tuple of one repeated value as that value (``(3, 3)``
    -> ``3``), other tuples as lists; a shape (``int_list``) always a list."""
    if isinstance(value, torch.Size | tuple | list):
        items = list(value)
        if kind != "int_list" and items and all(v == items[0] for v in items):
            return items[0]
        return items
    return value


def _recurrent(module: nn.Module) -> dict[str, Any]:
    rnn = module.rnn
    return {
        "input_size": rnn.input_size,
        "hidden_size": rnn.hidden_size,
        "num_layers": rnn.num_layers,
        "bias": rnn.bias,
        "dropout": float(rnn.dropout),
        "bidirectional": rnn.bidirectional,
        "return_sequences": module.return_sequences,
    }


def _transformer(module: nn.Module) -> dict[str, Any]:
    if not module.self_attn.batch_first:
        raise ParamError("takes (time, batch, features) input; NetBuilder's takes batch first")
    activation = {1: "relu", 2: "gelu"}.get(module.activation_relu_or_gelu)
    if activation is None:
        raise ParamError(f"its activation {short_repr(module.activation)} is neither relu nor gelu")
    return {
        "d_model": module.self_attn.embed_dim,
        "nhead": module.self_attn.num_heads,
        "dim_feedforward": module.linear1.out_features,
        "dropout": float(module.dropout.p),
        "activation": activation,
        "layer_norm_eps": float(module.norm1.eps),
        "norm_first": module.norm_first,
        "bias": module.linear1.bias is not None,
    }


def _attention(module: nn.Module) -> dict[str, Any]:
    attention = module.attention
    return {
        "embed_dim": attention.embed_dim,
        "num_heads": attention.num_heads,
        "dropout": float(attention.dropout),
        "bias": attention.in_proj_bias is not None,
    }


def _prelu(module: nn.Module) -> dict[str, Any]:
    return {"num_parameters": module.num_parameters, "init": float(module.init)}


_READERS: dict[str, Callable[[nn.Module], dict[str, Any]]] = {
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "RNN": _recurrent,
    "TransformerEncoderLayer": _transformer,
    "SelfAttention": _attention,
    "PReLU": _prelu,
}


# ---------------------------------------------------------------------- the check that nothing was lost


def _check_rebuilt(entry: LayerType, params: dict[str, Any], module: nn.Module) -> None:
    """The block rebuilt from ``params`` must describe itself as ``module`` does and hold the same weights."""
    try:
        with _META:
            rebuilt = entry.build({**entry.defaults(), **params})
    except (TypeError, ValueError, RuntimeError) as exc:  # torch's own refusals of a combination of settings
        raise ParamError(f"its settings do not build a {entry.name} ({first_line(exc)})") from None
    if _description(rebuilt) != _description(module):
        raise ParamError(f"has settings NetBuilder's {entry.name} does not offer ({_first_repr_line(module)})")
    if _shapes(rebuilt) != _shapes(module):
        raise ParamError(f"its weights differ from those of NetBuilder's {entry.name}")


def _first_repr_line(module: nn.Module) -> str:
    return repr(module).splitlines()[0][:160]


def _description(module: nn.Module) -> tuple[str, list[tuple[str, str]]]:
    """What a module says of its settings, with ``2.0`` and ``2`` read alike (``Hardtanh(-2, 2)``), and
    ``(2, 2)`` and ``2`` (``MaxPool2d`` keeps the kernel size as it was given)."""
    children = [(name, _canonical(repr(child))) for name, child in module.named_children()]
    return _canonical(module.extra_repr()), children


def _canonical(text: str) -> str:
    return _REPEATED.sub(r"\1", _WHOLE_FLOAT.sub(r"\1", text))


_WHOLE_FLOAT = re.compile(r"(?<![\w.])(-?\d+)\.0(?![\d.e])")
_REPEATED = re.compile(r"\((-?\d+)(?:, \1)+\)")


def _shapes(module: nn.Module) -> dict[str, tuple[int, ...]]:
    return {key: tuple(tensor.shape) for key, tensor in module.state_dict().items()}


def resnet18_from_state(state: dict[str, torch.Tensor], origin: str, without_fc: str) -> MappedLayer | Skipped:
    """The ResNet18 block with the weights a file keeps under ResNet-18's own names (``fc.weight``, ...).

    A graph reader (torch.export, ONNX) sees a ResNet's operators, not its module: this rebuilds the
    module from the weights and maps it. ``without_fc`` says why when the classifier is missing.
    """
    from gui_app.core.layers.resnet import build_resnet18

    classes = state.get("fc.weight")
    if classes is None:
        return Skipped(origin, without_fc)
    try:
        model = build_resnet18(int(classes.shape[0]))
        reference = model.state_dict()
        for key in [k for k in reference if k.endswith("num_batches_tracked")]:
            state.setdefault(key, reference[key])  # a counter, which inference files need not keep
        model.load_state_dict(state)
    except RuntimeError as exc:
        return Skipped(origin, f"a ResNet other than ResNet-18 ({first_line(exc)})")
    return map_module(model, origin)


def _map_resnet(module: nn.Module, origin: str) -> MappedLayer | Skipped:
    """torchvision's ResNet maps onto the ResNet18 block when it is exactly a ResNet-18."""
    from gui_app.core.layers.resnet import build_resnet18

    classes = getattr(getattr(module, "fc", None), "out_features", None)
    not_18 = Skipped(origin, "a ResNet other than ResNet-18 (only that one maps, onto the ResNet18 block)")
    if not isinstance(classes, int):
        return not_18
    try:
        params = validate_layer("ResNet18", {"num_classes": classes}, "ResNet18")
        with _META:
            reference = build_resnet18(classes)
    except (ParamError, RuntimeError) as exc:
        return Skipped(origin, str(exc))
    if repr(reference) != repr(module) or _shapes(reference) != _shapes(module):
        return not_18
    return MappedLayer("ResNet18", params, origin, _weights_of(module))
