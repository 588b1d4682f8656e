"""NetworkSpec -> nn.Sequential, with every layer's output shape, parameter count and error.

Shape inference allocates no weights: common layers use closed forms (:mod:`gui_app.core.layers.shapes`),
the others are built and run once on PyTorch's ``meta`` device and cached, so compiling on every
edit in the GUI stays cheap even for ResNet-18 or a 100-layer network. A user's mistake becomes a
message on the layer at fault, never an exception; the layers before it keep their shapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from gui_app.core.analysis.fixes import Fix, ReplaceLane, error_remedy
from gui_app.core.analysis.messages import error_message
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.container_shapes import SuggestedFix, parallel_output, residual_output
from gui_app.core.layers.containers import build_container, is_container
from gui_app.core.layers.shapes import FLOAT_BYTES, SIZE_FUNCTIONS, LayerSize
from gui_app.core.project.blocks import Address
from gui_app.core.project.spec import LayerSpec, NetworkSpec

Shape = tuple[int, ...]
#: Refuse to materialise a model bigger than this many parameters (about 8 GB in float32).
MAX_PARAMS = 2_000_000_000
_META = torch.device("meta")


class CompileError(ValueError):
    """The network has errors; raised only when a real model is requested."""


@dataclass
class LayerResult:
    """What the compiler found out about one block of the spec.

    ``index`` is the block's position in its own chain (the top-level one, or a container's lane);
    ``address`` says where that chain is (see :mod:`gui_app.core.analysis.messages`). A container
    has one list of results per lane in ``lanes``; when a block in them fails, the container has
    that error too, with the inner result in ``fault``. ``fix`` is an edit that removes the
    error, where the compiler knows one (a Residual's projection shortcut).
    """

    index: int
    uid: int
    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    output_shape: Shape | None = None
    params: int = 0
    error: str | None = None
    summary: str = ""
    #: the one-click fix of ``error``: ``fix`` as a :class:`Fix`, or a block's own (one inside a
    #: container is addressed by its uid)
    remedy: Fix | None = None
    address: Address = ()
    input_shape: Shape | None = None
    lanes: list[list[LayerResult]] = field(default_factory=list)
    fault: LayerResult | None = None
    fix: SuggestedFix | None = None

    def same_layer(self, other: LayerResult) -> bool:
        """Whether two results are the same block, lanes included (uids and shapes aside)."""
        return (
            self.type == other.type
            and self.kwargs == other.kwargs
            and len(self.lanes) == len(other.lanes)
            and all(
                len(a) == len(b) and all(x.same_layer(y) for x, y in zip(a, b, strict=True))
                for a, b in zip(self.lanes, other.lanes, strict=True)
            )
        )


def first_difference(ours: list[LayerResult], theirs: list[LayerResult]) -> tuple[LayerResult, LayerResult] | None:
    """The innermost pair of blocks at which two chains of results differ (see
    :meth:`LayerResult.same_layer`); None when they are the same. Chains of different lengths
    differ at their containers, which the caller names."""
    for a, b in zip(ours, theirs, strict=False):
        if a.same_layer(b):
            continue
        if a.type != b.type or a.kwargs != b.kwargs or len(a.lanes) != len(b.lanes):
            return a, b
        for lane_a, lane_b in zip(a.lanes, b.lanes, strict=True):
            inner = first_difference(lane_a, lane_b) if len(lane_a) == len(lane_b) else None
            if inner is not None:
                return inner
        return a, b
    return None


def walk_results(results: list[LayerResult]) -> Iterator[LayerResult]:
    """Every result of a tree of results, each container before its lanes' blocks."""
    for result in results:
        yield result
        for lane in result.lanes:
            yield from walk_results(lane)


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

    Stops at the first error; later layers are reported without a shape. Inside a container
    every lane is compiled (they do not depend on each other), so one lane's error leaves the
    others' shapes.
    """
    chain = _compile_chain(spec.layers, tuple(spec.input_shape), ())
    if chain.shape is not None and chain.params > MAX_PARAMS:
        chain.results[-1].error = f"the network has {chain.params:,} parameters, more than {MAX_PARAMS:,}"
    return CompiledNetwork(tuple(spec.input_shape), chain.results, chain.params, chain.size)


@dataclass
class _Chain:
    """One compiled chain: its results, its output (None once a block failed) and what it holds."""

    results: list[LayerResult]
    shape: Shape | None
    params: int = 0
    size: int = 0

    @property
    def fault(self) -> LayerResult | None:
        return next((r for r in self.results if r.error is not None), None)


_USER_ERRORS = (ParamError, RuntimeError, ValueError, TypeError, IndexError)


def _compile_chain(blocks: list[LayerSpec], shape: Shape, prefix: Address) -> _Chain:
    chain = _Chain([], shape)
    for index, layer in enumerate(blocks):
        result = LayerResult(index, layer.uid, layer.type, address=(*prefix, index))
        chain.results.append(result)
        if chain.shape is None:
            _leave_uncompiled(layer, result)
            continue
        result.input_shape = chain.shape
        try:
            measured = _compile_block(layer, chain.shape, result)
        except _USER_ERRORS as exc:
            result.error = result.error or friendly_error(exc)
            result.fix = getattr(exc, "fix", None)
            result.remedy = _remedy(index, layer, exc, chain.shape, result.fix, inner=bool(prefix))
            layer_type = CATALOGUE[layer.type]
            result.summary = result.summary or layer_type.summary({**layer_type.defaults(), **layer.params})
            chain.shape = None
            continue
        chain.shape = result.output_shape = measured.output_shape
        result.params = measured.params
        chain.params += measured.params
        chain.size += measured.size_bytes
    return chain


def _remedy(
    index: int, layer: LayerSpec, exc: Exception, shape: Shape, fix: SuggestedFix | None, *, inner: bool
) -> Fix | None:
    """The one-click fix of a block's error: a container's suggested lane, or a size the input gives."""
    if fix is not None:
        return ReplaceLane(fix.text, layer.uid, fix.lane, fix.blocks)
    if isinstance(exc, ParamError) and layer.lanes is None:
        return error_remedy(index, layer.type, exc, shape, layer.uid if inner else None)
    return None


def _compile_block(layer: LayerSpec, shape: Shape, result: LayerResult) -> LayerSize:
    layer_type = CATALOGUE[layer.type]
    result.kwargs = layer_type.resolve(layer.params, shape)
    result.summary = layer_type.summary(result.kwargs)
    if layer.lanes is None:
        return _layer_size(layer.type, result.kwargs, shape)
    return _compile_container(layer, shape, result)


def _compile_container(layer: LayerSpec, shape: Shape, result: LayerResult) -> LayerSize:
    """Compile every lane on ``shape``, then join their outputs as the container's module does."""
    lanes = [
        _compile_chain(lane, shape, (*result.address, layer.lane_name(n))) for n, lane in enumerate(layer.lanes or ())
    ]
    result.lanes = [lane.results for lane in lanes]
    fault = next((lane.fault for lane in lanes if lane.fault is not None), None)
    if fault is not None:
        result.fault = fault
        result.error = error_message(fault)
        raise ParamError(result.error)
    outputs = [(layer.lane_name(n), lane.shape) for n, lane in enumerate(lanes) if lane.shape is not None]
    if layer.type == "Residual":
        (_, body), (_, shortcut) = outputs
        body_types = [block.type for block in layer.lanes[0]]  # type: ignore[index]
        output = residual_output(shape, body, shortcut, not layer.lanes[1], body_types)  # type: ignore[index]
    else:
        output = parallel_output(outputs, result.kwargs["merge"])
    params = sum(lane.params for lane in lanes)
    size = sum(lane.size for lane in lanes)
    return LayerSize(output, params, size - params * FLOAT_BYTES)


def _leave_uncompiled(layer: LayerSpec, result: LayerResult) -> None:
    """A block after an error: no shape, but a container still lists its lanes' blocks."""
    for n, lane in enumerate(layer.lanes or ()):
        prefix = (*result.address, layer.lane_name(n))
        inner = [LayerResult(i, block.uid, block.type, address=(*prefix, i)) for i, block in enumerate(lane)]
        for block, inner_result in zip(lane, inner, strict=True):
            _leave_uncompiled(block, inner_result)
        result.lanes.append(inner)


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
        modules = [build_module(r) for r in compiled.layers]
    return nn.Sequential(*modules)


def build_module(result: LayerResult) -> nn.Module:
    """The module of one compiled block; a container's with its lanes' modules, in spec order
    (so a seed gives the same weights whatever the nesting)."""
    if not is_container(result.type):
        return CATALOGUE[result.type].build(result.kwargs)
    lanes = [[build_module(inner) for inner in lane] for lane in result.lanes]
    return build_container(result.type, lanes, result.kwargs)


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
