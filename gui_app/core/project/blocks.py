"""Blocks, the lanes that hold them, and where each block sits in the tree a network is.

A network is a chain of blocks; a container block (Residual, Parallel) holds lanes, each a chain
of blocks again. A block is found by its ``uid`` wherever it is; a lane is named by a
:class:`Lane`, the uid of its container and the lane's position (``Lane()`` is the top-level
chain). :mod:`gui_app.core.project.lane_edits` edits the tree; :class:`~gui_app.core.project.spec.NetworkSpec`
applies those edits and reports them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from gui_app.core.layers.catalogue import ParamError
from gui_app.core.layers.containers import CONTAINERS
from gui_app.core.project.validation import validate_lanes, validate_layer

_uids = itertools.count(1)


class MissingBlockError(KeyError):
    """A block or container the network does not hold (gone since the edit was asked for)."""


class MissingLaneError(IndexError):
    """A lane number its container does not have."""


#: Where a block is, as messages and the canvas number it: the 0-based index in the top-level
#: chain, then for each container on the way a lane name and the 0-based index in that lane,
#: e.g. ``(2, "body", 1)``, shown as "block 3.body.2" (see :mod:`gui_app.core.analysis.messages`).
Address = tuple[int | str, ...]


@dataclass
class LayerSpec:
    """One block: its catalogue type, the parameter values the user set explicitly, and its lanes.

    ``lanes`` is None for a plain layer; a container has a list of lanes, each a list of blocks
    (a new container gets its minimum number of empty lanes). ``uid`` identifies the block for the
    life of the process (views key items on it, wherever the block is nested); it is not saved.
    """

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    uid: int = field(default_factory=lambda: next(_uids), compare=False)
    lanes: list[list[LayerSpec]] | None = None

    def __post_init__(self) -> None:
        rule = CONTAINERS.get(self.type)
        if rule is not None and self.lanes is None:
            self.lanes = [[] for _ in range(rule.min_lanes)]

    def to_dict(self) -> dict[str, Any]:
        data = {"type": self.type, **self.params}
        if self.lanes is not None:
            data["lanes"] = [[block.to_dict() for block in lane] for lane in self.lanes]
        return data

    def copy(self, *, keep_uids: bool = False) -> LayerSpec:
        """A deep copy, its lanes' blocks too: with new uids (for duplicate and paste), or with
        the same ones (``keep_uids``: a spec edited on the side, such as a one-click fix)."""
        lanes = None
        if self.lanes is not None:
            lanes = [[block.copy(keep_uids=keep_uids) for block in lane] for lane in self.lanes]
        params = json.loads(json.dumps(self.params))
        if keep_uids:
            return LayerSpec(self.type, params, self.uid, lanes=lanes)
        return LayerSpec(self.type, params, lanes=lanes)

    def lane_name(self, lane: int) -> str:
        """What lane ``lane`` of this container is called ("body", "shortcut", "lane2")."""
        return CONTAINERS[self.type].lane_name(lane)


@dataclass(frozen=True)
class Lane:
    """A chain of blocks: lane ``lane`` of the container whose uid is ``container``, or, with
    ``container`` None, the network's top-level chain."""

    container: int | None = None
    lane: int = 0


#: The network's top-level chain.
TOP = Lane()


@dataclass(frozen=True)
class Place:
    """Where a block is: its lane, its index there, its :data:`Address`, and how many containers
    hold it (0 at the top level)."""

    lane: Lane
    index: int
    block: LayerSpec
    address: Address
    depth: int


def walk(layers: Sequence[LayerSpec]) -> Iterator[Place]:
    """Every block of the tree, each container before the blocks of its lanes, lanes in order."""
    yield from _walk(layers, TOP, (), 0)


def _walk(blocks: Sequence[LayerSpec], lane: Lane, prefix: Address, depth: int) -> Iterator[Place]:
    for index, block in enumerate(blocks):
        address = (*prefix, index)
        yield Place(lane, index, block, address, depth)
        for number, inner in enumerate(block.lanes or ()):
            inner_prefix = (*address, block.lane_name(number))
            yield from _walk(inner, Lane(block.uid, number), inner_prefix, depth + 1)


def locate(layers: Sequence[LayerSpec], uid: int) -> Place:
    """Where the block with ``uid`` is; :class:`MissingBlockError` (a KeyError) if the tree does not hold it."""
    for place in walk(layers):
        if place.block.uid == uid:
            return place
    raise MissingBlockError(uid)


def blocks_in(layers: Sequence[LayerSpec], lane: Lane) -> list[LayerSpec]:
    """The blocks of ``lane``, as a new list (edit the tree with :mod:`~gui_app.core.project.lane_edits`).

    :class:`MissingBlockError` when there is no such container (or the block is not one: a lane
    that was named before its container was replaced), :class:`MissingLaneError` when it has no
    such lane.
    """
    if lane.container is None:
        return list(layers)
    container = locate(layers, lane.container).block
    if container.lanes is None:
        raise MissingBlockError(lane.container)
    if not 0 <= lane.lane < len(container.lanes):
        raise MissingLaneError(f"a {container.type} has no lane {lane.lane}")
    return list(container.lanes[lane.lane])


def lane_depth(layers: Sequence[LayerSpec], lane: Lane) -> int:
    """How many containers hold a block put in ``lane`` (0 for the top-level chain)."""
    return 0 if lane.container is None else locate(layers, lane.container).depth + 1


def height(block: LayerSpec) -> int:
    """How many levels of containers a block is: 0 for a plain layer, 1 for a container of layers."""
    if not block.lanes:
        return 0
    return 1 + max((height(inner) for lane in block.lanes for inner in lane), default=0)


def count_blocks(layers: Sequence[LayerSpec]) -> int:
    """Every block of the tree, containers included."""
    return sum(1 for _ in walk(layers))


def check_block(block: LayerSpec, path: str, depth: int) -> None:
    """Validate a block about to go into the tree at ``depth``, with everything in its lanes.

    The same rules as a project file's (:mod:`gui_app.core.project.validation`), so what an edit
    puts in the tree always saves and loads. Raises :class:`ParamError` whose message starts with ``path``.
    """
    validate_layer(block.type, block.params, path)
    if block.lanes is None:
        if block.type in CONTAINERS:
            raise ParamError(f"{path}: a {block.type} needs its lanes")
        return
    validate_lanes(block.type, block.lanes, f"{path}.lanes", depth)
    for number, lane in enumerate(block.lanes):
        for index, inner in enumerate(lane):
            if not isinstance(inner, LayerSpec):
                raise ParamError(f"{path}.lanes[{number}][{index}]: must be a block")
            check_block(inner, f"{path}.lanes[{number}][{index}]", depth + 1)
