"""NetworkSpec -> nn.Sequential, with every layer's output shape, parameter count and error.

Shape inference allocates no weights: common layers use closed forms (:mod:`gui_app.core.layers.shapes`),
the others are built and run once on PyTorch's ``meta`` device and cached, so compiling on every
edit in the GUI stays cheap even for ResNet-18 or a 100-layer network. A user's mistake becomes a
message on the layer at fault, never an exception; the layers before it keep their shapes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gui_app.core.analysis.fixes import Fix, error_remedy
from gui_app.core.analysis.messages import error_message
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.shapes import SIZE_FUNCTIONS, LayerSize
from gui_app.core.project.spec import NetworkSpec

Shape = tuple[int, ...]
#: Refuse to materialise a model bigger than this many parameters (about 8 GB in float32).
MAX_PARAMS = 2_000_000_000
_META = torch.device("meta")


class CompileError(ValueError):
    """The network has errors; raised only when a real model is requested."""


@dataclass
class LayerResult:
    """What the compiler found out about one layer of the spec."""

    index: int
    uid: int
    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    output_shape: Shape | None = None
    params: int = 0
    error: str | None = None
    summary: str = ""
    #: the one-click fix of ``error``, where it has a mechanical one
    remedy: Fix | None = None


@dataclass
class CompiledNetwork:
    """The compiler's report: per-layer shapes, sizes and errors, and the totals."""

    input_shape: Shape
    layers: list[LayerResult]
    total_params: int
    size_bytes: int

    @property
    def ok(self) -> bool:
        """True when every layer compiled."""
        return all(layer.error is None for layer in self.layers)

    @property
    def errors(self) -> list[LayerResult]:
        return [layer for layer in self.layers if layer.error is not None]

    @property
    def output_shape(self) -> Shape | None:
        """The network's output shape (the input's for an empty network); None on error."""
        if not self.ok:
            return None
        return self.layers[-1].output_shape if self.layers else self.input_shape


def compile_network(spec: NetworkSpec) -> CompiledNetwork:
    """Infer every layer's shape and size without allocating any weights.

    Stops at the first error; later layers are reported without a shape.
    """
    results: list[LayerResult] = []
    shape: Shape = tuple(spec.input_shape)
    total = size = 0
    failed = False
    for index, layer in enumerate(spec.layers):
        result = LayerResult(index, layer.uid, layer.type)
        results.append(result)
        if failed:
            continue
        layer_type = CATALOGUE[layer.type]
        try:
            result.kwargs = layer_type.resolve(layer.params, shape)
            result.summary = layer_type.summary(result.kwargs)
            measured = _layer_size(layer.type, result.kwargs, shape)
        except (ParamError, RuntimeError, ValueError, TypeError, IndexError) as exc:
            result.error = friendly_error(exc)
            if isinstance(exc, ParamError):
                result.remedy = error_remedy(index, layer.type, exc, shape)
            result.summary = result.summary or layer_type.summary({**layer_type.defaults(), **layer.params})
            failed = True
            continue
        shape = measured.output_shape
        result.output_shape = shape
        result.params = measured.params
        total += measured.params
        size += measured.size_bytes
    if not failed and total > MAX_PARAMS:
        results[-1].error = f"the network has {total:,} parameters, more than {MAX_PARAMS:,}"
    return CompiledNetwork(tuple(spec.input_shape), results, total, size)


def _layer_size(type_name: str, kwargs: dict[str, Any], shape: Shape) -> LayerSize:
    closed_form = SIZE_FUNCTIONS.get(type_name)
    if closed_form is not None:
        return closed_form(kwargs, shape)
    key = (type_name, json.dumps(kwargs, sort_keys=True), shape)
    cached = _META_CACHE.get(key)
    if cached is None:
        cached = measure_on_meta(type_name, kwargs, shape)
        if len(_META_CACHE) > 512:
            _META_CACHE.clear()
        _META_CACHE[key] = cached
    return cached


_META_CACHE: dict[tuple[str, str, Shape], LayerSize] = {}


def measure_on_meta(type_name: str, kwargs: dict[str, Any], shape: Shape) -> LayerSize:
    """Build the layer on the meta device and run a batch of two through it.

    The reference the closed forms in :mod:`gui_app.core.layers.shapes` are tested against, and the
    fallback for layers that have none.
    """
    with _META:
        module = CATALOGUE[type_name].build(kwargs)
    module.eval()
    y = module(torch.empty((2, *shape), device=_META))
    if not isinstance(y, torch.Tensor) or y.dim() < 1:
        raise ParamError("does not produce a batch of tensors")
    params = sum(p.numel() for p in module.parameters())
    buffer_bytes = sum(b.numel() * b.element_size() for b in module.buffers())
    param_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
    return LayerSize(tuple(y.shape[1:]), params, buffer_bytes + param_bytes - params * 4)


def build_model(spec: NetworkSpec, seed: int | None = None) -> nn.Sequential:
    """A real, initialised ``nn.Sequential`` on the CPU.

    With ``seed`` the initial weights are reproducible, and the global RNG is left untouched.
    Raises :class:`CompileError` naming the first faulty layer when the network has errors.
    """
    compiled = compile_network(spec)
    if not compiled.ok:
        first = compiled.errors[0]
        raise CompileError(error_message(first))
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        modules = [CATALOGUE[r.type].build(r.kwargs) for r in compiled.layers]
    return nn.Sequential(*modules)


_KERNEL_TOO_BIG = re.compile(r"Calculated padded input size per channel: \(([\d x]+)\)\. Kernel size: \(([\d x]+)\)")
_OUTPUT_TOO_SMALL = re.compile(r"Given input size: \(([\dx]+)\)\. Calculated output size: \(([\dx]+)\)")
_SHAPE_WORD = re.compile(r"\s*x\s*")


def friendly_error(exc: BaseException) -> str:
    """One line for a user: our own messages as they are, torch's translated where we can."""
    if isinstance(exc, ParamError):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    match = _KERNEL_TOO_BIG.search(text)
    if match:
        size, kernel = (_SHAPE_WORD.sub("×", g.strip()) for g in match.groups())
        return f"the kernel ({kernel}) is larger than its padded input ({size}); use a smaller kernel or more padding"
    match = _OUTPUT_TOO_SMALL.search(text)
    if match:
        given, out = (g.replace("x", "×") for g in match.groups())
        return f"the input ({given}) is too small: the output would be {out}; use a smaller kernel or stride"
    if "mat1 and mat2 shapes cannot be multiplied" in text:
        return f"the input size does not match the layer's weights ({text})"
    return text[:300]
