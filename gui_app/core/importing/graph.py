"""A model's data flow as the readers of traced, exported and ONNX graphs see it, made into a chain.

Each reader turns its graph into :class:`GraphNode` s: what each node maps to (zero, one or more
blocks, a merge of branches, or a reason it maps to nothing) and which nodes feed it. Two steps
are shared by every kind of file:

- :func:`take_normalisation` recognises the input scaling a NetBuilder export starts with
  (``reshape -> sub mean -> div std -> reshape``) and hands it back as the run's normalisation
  rather than as blocks;
- :func:`chain_of` walks the graph from its output back to its input into a list of items, where
  a merge (an add or a concatenation) becomes a :class:`Join` of the branches from the tensor they
  fork from: an add of a branch and its own input is a residual block, a concatenation of
  branches a parallel one. :mod:`gui_app.core.importing.branches` then places each join.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from gui_app.core.importing.blocks import Item, Join, MappedLayer, Skipped


@dataclass
class GraphNode:
    """One operation of the graph.

    ``layers`` is what it becomes (an empty list and no ``problem``: it passes its input through,
    as an inference graph's Dropout or an Identity does); ``join`` marks a merge of its inputs;
    ``op`` and ``constant`` let :func:`take_normalisation` see a subtraction or division by a
    constant; ``shape`` is its output's shape without the batch, where the file says it.
    """

    name: str
    inputs: list[str]
    origin: str
    layers: list[MappedLayer] = field(default_factory=list)
    join: str | None = None
    join_dim: int | None = None
    problem: str | None = None
    op: str = ""
    constant: torch.Tensor | None = None
    shape: tuple[int, ...] | None = None

    def become(self, mapped: MappedLayer | Skipped | list[MappedLayer]) -> None:
        """Take what a reader mapped the operation to: its block(s), or why it maps to none."""
        if isinstance(mapped, Skipped):
            self.problem = mapped.reason
        else:
            self.layers = mapped if isinstance(mapped, list) else [mapped]


class GraphShapeError(ValueError):
    """The graph is not one input flowing to one output through nested branches."""


@dataclass
class Graph:
    """Nodes in topological order, the name of the data input and of the output node."""

    nodes: dict[str, GraphNode]
    input: str
    output: str
    input_shape: tuple[int, ...] | None = None

    def consumers(self, name: str) -> list[GraphNode]:
        return [node for node in self.nodes.values() if name in node.inputs]


# ---------------------------------------------------------------------- the input scaling


def take_normalisation(graph: Graph) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """Remove a leading ``(x - mean) / std`` per channel from ``graph``; return (mean, std) or None.

    It is NetBuilder's ``Normalize`` step (a reshape to channels, the two constants, a reshape
    back) or the same without the reshapes, with one constant value per channel or one for all.
    """
    path = _leading_path(graph, 4)
    ops = [node.op for node in path]
    if ops[:3] == ["reshape", "sub", "div"]:
        # the reshape back to the input's shape goes too; the exporter may have merged it with a Flatten
        back = ops[3:] == ["reshape"] and path[3].shape == graph.input_shape
        taken = path[:4] if back else path[:3]
    elif ops[:2] == ["sub", "div"]:
        taken = path[:2]
    else:
        return None
    sub, div = (node for node in taken if node.op in ("sub", "div"))
    if sub.constant is None or div.constant is None:
        return None
    mean, std = decimal_values(sub.constant), decimal_values(div.constant)
    if len(mean) != len(std):
        return None
    last = taken[-1]
    for node in graph.consumers(last.name):
        node.inputs = [graph.input if name == last.name else name for name in node.inputs]
    if graph.output == last.name:
        graph.output = graph.input
    for node in taken:
        del graph.nodes[node.name]
    return mean, std


def decimal_values(tensor: torch.Tensor) -> tuple[float, ...]:
    """A tensor's values as the decimals they were written as: float32's 0.2 is 0.2, not 0.20000000298."""
    values = tensor.detach().flatten()
    if values.dtype == torch.float32:
        return tuple(float(str(np.float32(v))) for v in values.tolist())
    return tuple(float(v) for v in values.tolist())


def _leading_path(graph: Graph, length: int) -> list[GraphNode]:
    """The first nodes after the input while each has one data input and one consumer."""
    path, current = [], graph.input
    while len(path) < length:
        consumers = graph.consumers(current)
        if len(consumers) != 1 or len(consumers[0].inputs) != 1:
            break
        path.append(consumers[0])
        current = consumers[0].name
    return path


# ---------------------------------------------------------------------- the chain


def chain_of(graph: Graph) -> list[Item]:
    """The graph from input to output as items; :class:`GraphShapeError` if it is not nested branches."""
    order = {name: i for i, name in enumerate(graph.nodes)}
    order[graph.input] = -1
    ancestors = _ancestors(graph)
    seen: set[str] = set()
    items = _lane(graph, graph.input, graph.output, order, ancestors, seen)
    left = [name for name in graph.nodes if name not in seen and _reaches_output(graph, name, ancestors)]
    if left:
        raise GraphShapeError(f"{graph.nodes[left[0]].origin} feeds more than one branch in a way blocks cannot nest")
    return items


def _lane(
    graph: Graph, start: str, end: str, order: dict[str, int], ancestors: dict[str, set[str]], seen: set[str]
) -> list[Item]:
    """Items from just after ``start`` up to ``end`` (walking back from ``end``)."""
    items: list[Item] = []
    current = end
    while current != start:
        node = graph.nodes.get(current)
        if node is None:
            raise GraphShapeError(f"a branch does not lead back to where it forks ({current})")
        if current in seen:
            raise GraphShapeError(f"{node.origin} is used by more than one branch")
        seen.add(current)
        if len(node.inputs) >= 2:
            fork = _fork_of(node, order, ancestors)
            lanes = [_lane(graph, fork, name, order, ancestors, seen) for name in node.inputs]
            problem = None if node.join is not None else node.problem or f"{node.origin} is not a NetBuilder layer"
            items.append(Join(node.join or "other", lanes, node.origin, node.join_dim, problem))
            current = fork
            continue
        if len(node.inputs) != 1:
            raise GraphShapeError(f"{node.origin} takes {len(node.inputs)} inputs; a block takes one")
        items.extend(reversed(_items_of(node)))
        current = node.inputs[0]
    items.reverse()
    return items


def _items_of(node: GraphNode) -> list[Item]:
    if node.problem is not None:
        return [Skipped(node.origin, node.problem)]
    return list(node.layers)


def _fork_of(node: GraphNode, order: dict[str, int], ancestors: dict[str, set[str]]) -> str:
    """The latest tensor every input of the merge comes from (itself included)."""
    common = set.intersection(*({name} | ancestors[name] for name in node.inputs))
    if not common:
        raise GraphShapeError(f"{node.origin} merges tensors that do not come from one input")
    return max(common, key=lambda name: order[name])


def _ancestors(graph: Graph) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {graph.input: set()}
    for name, node in graph.nodes.items():
        into: set[str] = set()
        for source in node.inputs:
            if source not in found:
                raise GraphShapeError(f"{node.origin} reads {source}, which is neither the input nor an earlier node")
            into |= {source} | found[source]
        found[name] = into
    return found


def _reaches_output(graph: Graph, name: str, ancestors: dict[str, set[str]]) -> bool:
    return name == graph.output or name in ancestors.get(graph.output, set())
