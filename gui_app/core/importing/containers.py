"""The importer's containers: merged branches become the core's Residual and Parallel blocks.

This is the :class:`~gui_app.core.importing.branches.ContainerBuilder` every import uses unless
told otherwise. A container's weights are keyed as its module's own ``state_dict``: a lane that
holds blocks compiles to an ``nn.Sequential`` (``body.0.weight``, ``lanes.1.2.bias``), an empty
lane to ``nn.Identity`` (no weights), exactly as :func:`~gui_app.core.layers.containers.build_container`
builds it, so the assembler puts them on the block unchanged.
"""

from __future__ import annotations

import torch

from gui_app.core.importing.blocks import MappedLayer
from gui_app.core.layers.containers import CONTAINERS
from gui_app.core.project.validation import MAX_DEPTH

#: The only dimension a Parallel concatenates along (channels or features, after the batch).
CONCAT_DIM = 1


class CoreContainers:
    """Residual for an add of two branches; Parallel for a concatenation along dim 1 or a sum of more."""

    def residual(self, body: list[MappedLayer], shortcut: list[MappedLayer], origin: str) -> MappedLayer | str:
        return _container("Residual", {}, [body, shortcut], origin)

    def parallel(self, lanes: list[list[MappedLayer]], merge: str, dim: int | None, origin: str) -> MappedLayer | str:
        if merge == "concat" and dim != CONCAT_DIM:
            return f"a concatenation along dim {dim}; a Parallel block concatenates along dim {CONCAT_DIM} only"
        return _container("Parallel", {"merge": "concat" if merge == "concat" else "sum"}, lanes, origin)


#: What every import uses for merged branches (ImportOptions, import_module).
CORE_CONTAINERS = CoreContainers()


def _container(kind: str, params: dict[str, str], lanes: list[list[MappedLayer]], origin: str) -> MappedLayer | str:
    """The block, or why it cannot be one (more lanes than it holds, nested too deep)."""
    rule = CONTAINERS[kind]
    if not rule.min_lanes <= len(lanes) <= rule.max_lanes:
        return f"{len(lanes)} branches; a {kind} block holds {rule.min_lanes} to {rule.max_lanes} lanes"
    if 1 + max((_height(layer) for lane in lanes for layer in lane), default=0) > MAX_DEPTH:
        return f"containers nested more than {MAX_DEPTH} deep"
    weights: dict[str, torch.Tensor] = {}
    for number, lane in enumerate(lanes):
        # a Parallel's lanes are an nn.ModuleList ("lanes.N."); a Residual's are named attributes
        lane_key = f"lanes.{number}" if kind == "Parallel" else rule.lane_name(number)
        for index, layer in enumerate(lane):
            weights |= {f"{lane_key}.{index}.{key}": tensor for key, tensor in layer.weights.items()}
    return MappedLayer(kind, params, origin, weights, lanes=[list(lane) for lane in lanes])


def _height(layer: MappedLayer) -> int:
    if not layer.lanes:
        return 0
    return 1 + max((_height(inner) for lane in layer.lanes for inner in lane), default=0)
