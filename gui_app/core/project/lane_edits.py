"""Edits of a network's tree of blocks as pure functions: each returns a new tree and leaves its
argument as it was.

The tree is the top-level list of :class:`~gui_app.core.project.blocks.LayerSpec`. A new tree shares
every block the edit did not touch; the containers on the way to the edited lane are new objects
with the same uid (a block keeps its identity for views and undo), holding new lane lists. So an
undo command can keep the tree before an edit and put it back, or make the inverse edit: every
function returns what that takes (a removed block's :class:`~gui_app.core.project.blocks.Place`).
:class:`~gui_app.core.project.spec.NetworkSpec` validates an edit, applies its result and emits
the change; these functions check only that the edit is possible in the tree's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gui_app.core.layers.catalogue import ParamError
from gui_app.core.layers.containers import CONTAINERS, ContainerRule
from gui_app.core.project.blocks import Lane, LayerSpec, MissingBlockError, MissingLaneError, Place, locate, walk

Lanes = list[list[LayerSpec]]


def inserted(layers: Sequence[LayerSpec], lane: Lane, index: int, blocks: Sequence[LayerSpec]) -> list[LayerSpec]:
    """The tree with ``blocks`` put in ``lane`` before position ``index`` (clamped to the lane)."""

    def put(chain: list[LayerSpec]) -> list[LayerSpec]:
        at = max(0, min(index, len(chain)))
        return [*chain[:at], *blocks, *chain[at:]]

    return _edited_lane(layers, lane, put)


def removed(layers: Sequence[LayerSpec], uid: int) -> tuple[list[LayerSpec], Place]:
    """The tree without the block ``uid`` (and what its lanes hold), and where that block was."""
    place = locate(layers, uid)
    tree = _edited_lane(layers, place.lane, lambda chain: [b for b in chain if b.uid != uid])
    return tree, place


def moved(layers: Sequence[LayerSpec], uid: int, lane: Lane, index: int) -> tuple[list[LayerSpec], Place]:
    """The tree with block ``uid`` moved to position ``index`` of ``lane`` (counted without it there),
    and where it was. A container cannot go into one of its own lanes (:class:`ParamError`)."""
    place = locate(layers, uid)
    if lane.container is not None and any(p.block.uid == lane.container for p in walk([place.block])):
        raise ParamError(f"a {place.block.type} cannot go into one of its own lanes")
    tree, _ = removed(layers, uid)
    return inserted(tree, lane, index, [place.block]), place


def lane_replaced(
    layers: Sequence[LayerSpec], lane: Lane, blocks: Sequence[LayerSpec]
) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """The tree with ``lane`` holding exactly ``blocks`` (a suggested fix), and the blocks it held."""
    old: list[LayerSpec] = []

    def swap(chain: list[LayerSpec]) -> list[LayerSpec]:
        old.extend(chain)
        return list(blocks)

    return _edited_lane(layers, lane, swap), old


def lane_added(
    layers: Sequence[LayerSpec], container: int, at: int, blocks: Sequence[LayerSpec] = ()
) -> list[LayerSpec]:
    """The tree with a new lane (holding ``blocks``) at position ``at`` of a container with numbered lanes."""

    def add(lanes: Lanes, rule: ContainerRule) -> Lanes:
        _check_numbered(rule)
        if len(lanes) >= rule.max_lanes:
            raise ParamError(f"a container holds at most {rule.max_lanes} lanes")
        where = max(0, min(at, len(lanes)))
        return [*lanes[:where], list(blocks), *lanes[where:]]

    return _edited_container(layers, container, add)


def lane_removed(layers: Sequence[LayerSpec], container: int, lane: int) -> tuple[list[LayerSpec], list[LayerSpec]]:
    """The tree without lane ``lane`` of a container with numbered lanes, and the blocks it held."""
    old: list[LayerSpec] = []

    def drop(lanes: Lanes, rule: ContainerRule) -> Lanes:
        _check_numbered(rule)
        if len(lanes) <= rule.min_lanes:
            raise ParamError(f"a container holds at least {rule.min_lanes} lanes")
        if not 0 <= lane < len(lanes):
            raise MissingLaneError(f"no lane {lane}")
        old.extend(lanes[lane])
        return [*lanes[:lane], *lanes[lane + 1 :]]

    return _edited_container(layers, container, drop), old


def _check_numbered(rule: ContainerRule) -> None:
    if rule.fixed_names:
        raise ParamError(f"this container always has its {len(rule.fixed_names)} lanes ({', '.join(rule.fixed_names)})")


# ---------------------------------------------------------------------- the one way a tree changes


def _edited_lane(
    layers: Sequence[LayerSpec], lane: Lane, edit: Callable[[list[LayerSpec]], list[LayerSpec]]
) -> list[LayerSpec]:
    if lane.container is None:
        return edit(list(layers))

    def edit_one(lanes: Lanes, _rule: ContainerRule) -> Lanes:
        if not 0 <= lane.lane < len(lanes):
            raise MissingLaneError(f"no lane {lane.lane}")
        return [*lanes[: lane.lane], edit(list(lanes[lane.lane])), *lanes[lane.lane + 1 :]]

    return _edited_container(layers, lane.container, edit_one)


def _edited_container(
    layers: Sequence[LayerSpec], uid: int, edit: Callable[[Lanes, ContainerRule], Lanes]
) -> list[LayerSpec]:
    """The tree with the lanes of container ``uid`` replaced by ``edit(lanes, its rule)``, copied
    along the path to it. :class:`MissingBlockError` if there is no such container."""
    tree = _edited_in(layers, uid, edit)
    if tree is None:
        raise MissingBlockError(uid)
    return tree


def _edited_in(
    blocks: Sequence[LayerSpec], uid: int, edit: Callable[[Lanes, ContainerRule], Lanes]
) -> list[LayerSpec] | None:
    for i, block in enumerate(blocks):
        if block.lanes is None:
            continue
        if block.uid == uid:
            lanes = edit([list(lane) for lane in block.lanes], CONTAINERS[block.type])
        else:
            lanes = _edited_lanes_below(block.lanes, uid, edit)
            if lanes is None:
                continue
        return [*blocks[:i], LayerSpec(block.type, dict(block.params), block.uid, lanes), *blocks[i + 1 :]]
    return None


def _edited_lanes_below(lanes: Lanes, uid: int, edit: Callable[[Lanes, ContainerRule], Lanes]) -> Lanes | None:
    for number, lane in enumerate(lanes):
        edited = _edited_in(lane, uid, edit)
        if edited is not None:
            return [*lanes[:number], edited, *lanes[number + 1 :]]
    return None
