"""What each dimension of a shape means: N (batch), C (channels or features of a step), D, H, W,
L (length or time) and F (features), as MATLAB's Analyze labels them.

A shape alone does not say it: 16×100 is 16 channels of length 100 before a Conv1d and 16 steps
of 100 features before an LSTM. So the names follow the network: a layer that makes a shape names
it (a Conv2d makes C, H, W), layers that only change values keep their input's names, and a shape
that a reshape made fresh takes the names of the first layer that reads it. What each layer reads
and makes is the table in :mod:`gui_app.core.layers.layouts`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gui_app.core.analysis.compiler import CompiledNetwork, Shape
from gui_app.core.layers.layouts import Names, first_deciding, keeps_layout, makes, reads
from gui_app.core.project.spec import LayerSpec, NetworkSpec

BATCH = "N"
#: Names of a shape nothing says more about, by rank.
_DEFAULT: dict[int, Names] = {0: (), 1: ("F",), 2: ("L", "C"), 3: ("C", "H", "W")}


@dataclass(frozen=True)
class NetworkDims:
    """Dimension names with the batch first: of the input, and of each layer's output (None: no shape)."""

    input: Names
    layers: list[Names | None]


def network_dims(spec: NetworkSpec, compiled: CompiledNetwork) -> NetworkDims:
    """The dimension names of the input and of every layer's output."""
    current = _fresh(len(compiled.input_shape), spec.layers, 0)
    names: list[Names | None] = []
    for index, (layer, result) in enumerate(zip(spec.layers, compiled.layers, strict=True)):
        if result.output_shape is None:
            names.append(None)
            continue
        current = _output_names(layer, result.output_shape, current, spec.layers, index + 1)
        names.append((BATCH, *current))
    return NetworkDims((BATCH, *_fresh(len(compiled.input_shape), spec.layers, 0)), names)


def shape_with_names(shape: Shape, names: Names) -> str:
    """``N×32×14×14 (N, C, H, W)``: a shape with its batch and what each dimension is."""
    return "×".join((BATCH, *map(str, shape))) + f" ({', '.join(names)})"


def _output_names(layer: LayerSpec, out: Shape, before: Names, layers: list[LayerSpec], after: int) -> Names:
    rank = len(out)
    if keeps_layout(layer.type) and len(before) == rank:
        return before
    if layer.type == "Linear" and rank > 1 and len(before) == rank:
        return before  # a Linear maps the last dimension and keeps its meaning
    made = makes(layer.type, rank)
    if made is not None:
        return made
    if rank == 1:
        return ("F",)
    return _fresh(rank, layers, after)


def _fresh(rank: int, layers: list[LayerSpec], start: int) -> Names:
    """Names of a shape of ``rank`` dims entering ``layers[start]``: the layout its reader expects."""
    reader = first_deciding(layer.type for layer in layers[start:])
    return (reads(reader, rank) if reader is not None else None) or _default(rank)


def _default(rank: int) -> Names:
    return _DEFAULT.get(rank) or tuple(f"D{i}" for i in range(1, rank + 1))
