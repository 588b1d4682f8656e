"""What each layer costs per sample: multiply-accumulates, activation memory, parameter memory.

MACs are counted as fvcore and torchinfo count them: one multiply-accumulate per weight use in
Linear, convolution and recurrent layers, biases and element-wise layers (activations, pooling,
normalisation, dropout, reshapes) not counted. torch's own FLOP counter
(``torch.utils.flop_counter``) counts two FLOPs per MAC for the same operations, and a test holds
these closed forms to it. Layers with no closed form here (ResNet-18) are measured with that
counter on the meta device once per shape, so nothing is allocated and the GUI stays quick.

A container (Residual, Parallel) is costed per inner layer, in ``lanes``, and as a whole: its MACs
are its lanes' (the sum or concatenation that joins them multiplies no weights), its activations
its lanes' plus its own output. So a network's totals count every layer once, nested or not.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from gui_app.core.analysis.compiler import CompiledNetwork, LayerResult, Shape
from gui_app.core.layers.catalogue import CATALOGUE

FLOAT_BYTES = 4
#: Categories whose layers multiply no weights: their MACs are 0 (as in fvcore's and torchinfo's
#: counts). Read from the catalogue, so a new activation or pooling block is counted without a list here.
NO_MAC_CATEGORIES = frozenset({"Pooling", "Normalisation", "Regularisation", "Activation", "Shape"})
_GATES = {"LSTM": 4, "GRU": 3}


@dataclass(frozen=True)
class LayerCost:
    """One layer's cost per sample; None where the layer has no shape (it or one before failed).

    A container's ``lanes`` hold the costs of its lanes' blocks; its own fields are their totals.
    """

    macs: int | None
    activation_bytes: int | None
    param_bytes: int
    lanes: tuple[tuple[LayerCost, ...], ...] = ()


@dataclass(frozen=True)
class NetworkCosts:
    """Per-layer costs in the spec's order and their totals over the layers that compiled."""

    layers: list[LayerCost]

    @property
    def total_macs(self) -> int:
        return sum(c.macs for c in self.layers if c.macs is not None)

    @property
    def total_activation_bytes(self) -> int:
        return sum(c.activation_bytes for c in self.layers if c.activation_bytes is not None)

    @property
    def total_param_bytes(self) -> int:
        return sum(c.param_bytes for c in self.layers)


def network_costs(compiled: CompiledNetwork) -> NetworkCosts:
    """The costs of every layer of a compiled network (one sample, float32)."""
    return NetworkCosts([_cost(result) for result in compiled.layers])


def _cost(result: LayerResult) -> LayerCost:
    out, param_bytes = result.output_shape, result.params * FLOAT_BYTES
    if result.lanes:
        lanes = tuple(tuple(_cost(inner) for inner in lane) for lane in result.lanes)
        if out is None:
            return LayerCost(None, None, param_bytes, lanes)
        inner = [cost for lane in lanes for cost in lane]
        macs = sum(cost.macs or 0 for cost in inner)
        activations = sum(cost.activation_bytes or 0 for cost in inner) + math.prod(out) * FLOAT_BYTES
        return LayerCost(macs, activations, param_bytes, lanes)
    if result.input_shape is None or out is None:
        return LayerCost(None, None, param_bytes)
    macs = layer_macs(result.type, result.kwargs, result.input_shape, out)
    return LayerCost(macs, math.prod(out) * FLOAT_BYTES, param_bytes)


def layer_macs(type_name: str, kwargs: dict[str, Any], in_shape: Shape, out_shape: Shape) -> int:
    """Multiply-accumulates of one layer on one sample of shape ``in_shape`` (no batch)."""
    if CATALOGUE[type_name].category in NO_MAC_CATEGORIES:
        return 0
    closed_form = _CLOSED_FORMS.get(type_name)
    if closed_form is not None:
        return closed_form(kwargs, in_shape, out_shape)
    return _measured_macs(type_name, kwargs, in_shape)


def _linear_macs(kw: dict[str, Any], _in: Shape, out: Shape) -> int:
    # Every output element is a dot product over in_features (a Linear on a sequence repeats it).
    return math.prod(out) * kw["in_features"]


def _conv_macs(kw: dict[str, Any], _in: Shape, out: Shape) -> int:
    kernel = kw["kernel_size"]
    kernel_elements = math.prod(kernel) if isinstance(kernel, list | tuple) else kernel ** (len(out) - 1)
    return math.prod(out) * (kw["in_channels"] // kw["groups"]) * kernel_elements


def _recurrent_macs(kind: str) -> Callable[[dict[str, Any], Shape, Shape], int]:
    def macs(kw: dict[str, Any], in_shape: Shape, _out: Shape) -> int:
        steps, hidden = in_shape[0], kw["hidden_size"]
        directions = 2 if kw["bidirectional"] else 1
        total = 0
        for layer in range(kw["num_layers"]):
            # Layers above the first read both directions' outputs.
            inputs = kw["input_size"] if layer == 0 else hidden * directions
            total += _GATES[kind] * (inputs * hidden + hidden * hidden) * directions
        return total * steps

    return macs


_CLOSED_FORMS: dict[str, Callable[[dict[str, Any], Shape, Shape], int]] = {
    "Linear": _linear_macs,
    "Conv1d": _conv_macs,
    "Conv2d": _conv_macs,
    "LSTM": _recurrent_macs("LSTM"),
    "GRU": _recurrent_macs("GRU"),
}
_MEASURED: dict[tuple[str, str, Shape], int] = {}


def _measured_macs(type_name: str, kwargs: dict[str, Any], in_shape: Shape) -> int:
    key = (type_name, json.dumps(kwargs, sort_keys=True), in_shape)
    cached = _MEASURED.get(key)
    if cached is None:
        cached = count_flops_on_meta(CATALOGUE[type_name].build, kwargs, in_shape) // 2
        if len(_MEASURED) > 128:
            _MEASURED.clear()
        _MEASURED[key] = cached
    return cached


def count_flops_on_meta(
    build: Callable[[dict[str, Any]], torch.nn.Module], kwargs: dict[str, Any], in_shape: Shape
) -> int:
    """torch's FLOP count of one sample through the module ``build(kwargs)``, built on meta.

    Eval mode, so batch norm takes a batch of one.
    """
    meta = torch.device("meta")
    with meta:
        module = build(kwargs)
    module.eval()
    with FlopCounterMode(display=False) as counter:
        module(torch.empty((1, *in_shape), device=meta))
    return int(counter.get_total_flops())
