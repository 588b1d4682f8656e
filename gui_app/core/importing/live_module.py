"""A torch module in memory -> a project: what a trusted Python file's model becomes.

An ``nn.Sequential`` maps module by module, nested ones flattened, so it maps exactly; a single
block (a torchvision ResNet-18) is that block; any other module is traced with ``torch.fx``. A
leading ``Normalize`` module with ``mean`` and ``std`` buffers (the step NetBuilder's exports put
in front) is the run's input scaling, not a block.
"""

from __future__ import annotations

from torch import nn

from gui_app.core.importing.assemble import assemble, checked_input_shape, project_name
from gui_app.core.importing.blocks import Item, MappedLayer
from gui_app.core.importing.branches import ContainerBuilder, place
from gui_app.core.importing.containers import CORE_CONTAINERS
from gui_app.core.importing.graph import GraphShapeError, chain_of, decimal_values, take_normalisation
from gui_app.core.importing.modules import can_map, leaf_modules, map_module
from gui_app.core.importing.report import ImportFileError, ImportReport, ImportResult
from gui_app.core.importing.torch_graphs import TraceError, traced_graph


def import_module(
    model: nn.Module,
    input_shape: tuple[int, ...],
    name: str,
    source: str = "",
    containers: ContainerBuilder | None = CORE_CONTAINERS,
) -> ImportResult:
    """The project ``model`` maps onto (its weights included); :class:`ImportFileError` if it cannot be read."""
    shape = checked_input_shape(input_shape, source or name)
    model = model.eval()
    normalisation = None
    if type(model) is nn.Sequential:
        leaves = list(leaf_modules(model))
        normalisation = _scaling(leaves[0][1]) if leaves else None
        if normalisation is not None:
            leaves = leaves[1:]
        items: list[Item] = [map_module(module, origin) for origin, module in leaves]
    elif can_map(model) and isinstance(mapped := map_module(model, type(model).__name__), MappedLayer):
        items = [mapped]
    else:
        try:
            graph = traced_graph(model, shape)
            graph.input_shape = shape
            normalisation = take_normalisation(graph)
            items = chain_of(graph)
        except (TraceError, GraphShapeError) as exc:
            raise ImportFileError(f"{source or name}: {exc}") from None
    report = ImportReport()
    layers = place(items, report, containers)
    return assemble(
        layers, shape, project_name(name, "Imported model"), report, normalisation=normalisation, source=source
    )


def _scaling(module: nn.Module) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """The (mean, std) of a NetBuilder ``Normalize`` step, or None for any other module."""
    if type(module).__name__ != "Normalize":
        return None
    buffers = dict(module.named_buffers())
    mean, std = buffers.get("mean"), buffers.get("std")
    if mean is None or std is None or mean.numel() != std.numel():
        return None
    return decimal_values(mean), decimal_values(std)
