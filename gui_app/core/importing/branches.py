"""Where a merge of branches goes: the one place that turns a :class:`Join` into blocks.

An add of a branch and its input (or of a branch and a shortcut branch) is a **Residual**; a
concatenation of branches, or a sum of more than two, is a **Parallel**. The blocks are made by a
:class:`ContainerBuilder` (every import uses the core's,
:data:`~gui_app.core.importing.containers.CORE_CONTAINERS`). Where it cannot make one (a
concatenation along another dim, say), or with no builder at all, the main branch stays in the
chain, the rest is left out and the report says why.
"""

from __future__ import annotations

from typing import Protocol

from gui_app.core.importing.blocks import Item, Join, MappedLayer, Skipped
from gui_app.core.importing.report import ImportReport


class ContainerBuilder(Protocol):
    """Makes the container blocks (the lanes hold placed blocks only, already containers themselves)."""

    def residual(self, body: list[MappedLayer], shortcut: list[MappedLayer], origin: str) -> MappedLayer | str:
        """A Residual block (``shortcut`` empty: the identity), or why it cannot be one."""
        ...

    def parallel(self, lanes: list[list[MappedLayer]], merge: str, dim: int | None, origin: str) -> MappedLayer | str:
        """A Parallel block merged by ``merge`` ("concat" along ``dim``, or "add"), or why it cannot be one."""
        ...


#: The reason given when an import is told to make no containers.
NO_CONTAINERS = "this import makes no containers"


def place(items: list[Item], report: ImportReport, containers: ContainerBuilder | None = None) -> list[MappedLayer]:
    """The blocks of a chain: joins become containers (or their main lane), skipped parts go to the report."""
    placed: list[MappedLayer] = []
    for item in items:
        if isinstance(item, Skipped):
            report.add(item.origin, item.reason)
        elif isinstance(item, Join):
            placed += _place_join(item, report, containers)
        else:
            placed.append(item)
    return placed


def is_residual(join: Join) -> bool:
    """An add of two branches from one tensor: a body and a shortcut (which may be the tensor itself)."""
    return join.kind == "add" and len(join.lanes) == 2


def _place_join(join: Join, report: ImportReport, containers: ContainerBuilder | None) -> list[MappedLayer]:
    # an Identity in a lane is the tensor itself: a shortcut of nn.Identity() is the identity shortcut
    lanes = [[layer for layer in place(lane, report, containers) if layer.type != "Identity"] for lane in join.lanes]
    if join.problem is not None:
        main = max(lanes, key=len)
        report.add(join.origin, f"{join.problem}; it merges {len(lanes)} branches, of which the longest is kept")
        return main
    if join.container == "Residual" or (join.container is None and is_residual(join)):
        # a file's own Residual keeps its body and shortcut; a graph's add has its longer branch as the body
        body, shortcut = lanes if join.container else sorted(lanes, key=len, reverse=True)
        made = containers.residual(body, shortcut, join.origin) if containers is not None else NO_CONTAINERS
        if isinstance(made, MappedLayer):
            return [made]
        what = "the identity shortcut" if not shortcut else f"the shortcut ({_types(shortcut)})"
        report.add(join.origin, f"residual add: {what} is left out ({made})")
        return body
    merge = "concat" if join.kind == "concat" else "add"
    made = containers.parallel(lanes, merge, join.dim, join.origin) if containers is not None else NO_CONTAINERS
    if isinstance(made, MappedLayer):
        return [made]
    rest = ", ".join(f"lane {i + 2} ({_types(lane) or 'the input itself'})" for i, lane in enumerate(lanes[1:]))
    report.add(join.origin, f"parallel branches merged by {merge}: {rest} left out ({made})")
    return lanes[0]


def _types(layers: list[MappedLayer]) -> str:
    return ", ".join(layer.type for layer in layers)
