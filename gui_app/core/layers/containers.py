"""Blocks that hold other blocks: Residual and Parallel, as the small modules they compile to.

A container has lanes, each a chain of blocks that compiles to an ``nn.Sequential`` (an empty lane
is ``nn.Identity``). :data:`CONTAINERS` says which lanes each type has; the project, the compiler
and the exporters all read it. The Python exporter copies :class:`Residual` and :class:`Parallel`
into exported files, so these two classes depend on nothing but torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

#: The ways a Parallel joins its lanes' outputs.
MERGES = ("concat", "sum")


class Residual(nn.Module):
    """``body(x) + shortcut(x)``: a skip connection, as in ResNet (an Identity shortcut by default)."""

    def __init__(self, body: nn.Module, shortcut: nn.Module | None = None) -> None:
        super().__init__()
        self.body = body
        self.shortcut = shortcut if shortcut is not None else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x) + self.shortcut(x)


class Parallel(nn.Module):
    """Every lane on the same input; the outputs concatenated along dim 1 (channels or features) or summed."""

    def __init__(self, lanes: list[nn.Module], merge: str = "concat") -> None:
        super().__init__()
        if merge not in ("concat", "sum"):
            raise ValueError(f"merge must be 'concat' or 'sum', not {merge!r}")
        self.lanes = nn.ModuleList(lanes)
        self.merge = merge

    def forward(self, x: Tensor) -> Tensor:
        outputs: list[Tensor] = []
        for lane in self.lanes:
            outputs.append(lane(x))
        if self.merge == "sum":
            total = outputs[0]
            for output in outputs[1:]:
                total = total + output
            return total
        return torch.cat(outputs, dim=1)

    def extra_repr(self) -> str:
        return f"merge={self.merge!r}"


@dataclass(frozen=True)
class ContainerRule:
    """How many lanes a container type has and what they are called.

    ``fixed_names`` names every lane of a type with a fixed set (Residual: body, shortcut); other
    types number their lanes ``lane1``, ``lane2``, ... Messages and the canvas use these names.
    """

    fixed_names: tuple[str, ...] = ()
    min_lanes: int = 2
    max_lanes: int = 2

    def lane_name(self, lane: int) -> str:
        return self.fixed_names[lane] if self.fixed_names else f"lane{lane + 1}"


#: Lanes per container type; a block whose type is not here holds no lanes.
CONTAINERS: dict[str, ContainerRule] = {
    "Residual": ContainerRule(("body", "shortcut")),
    "Parallel": ContainerRule(min_lanes=2, max_lanes=16),
}
#: The lane of a Residual that a mismatched shape is fixed in.
SHORTCUT = 1


def is_container(type_name: str) -> bool:
    return type_name in CONTAINERS


def lane_module(modules: list[nn.Module]) -> nn.Module:
    """One lane as a module: its blocks in sequence, or the identity when it has none."""
    return nn.Sequential(*modules) if modules else nn.Identity()


def build_container(type_name: str, lanes: list[list[nn.Module]], kwargs: dict[str, object]) -> nn.Module:
    """The module of a container whose lanes' blocks are already built."""
    modules = [lane_module(lane) for lane in lanes]
    if type_name == "Residual":
        return Residual(modules[0], modules[1])
    return Parallel(modules, merge=str(kwargs.get("merge", "concat")))
