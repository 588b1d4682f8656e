"""The pieces an import is assembled from: a mapped layer, a merge of branches, a part left out.

Every reader (the Python source, a traced module, a ``.pt2`` program, an ONNX graph) turns its
file into these, and :mod:`gui_app.core.importing.assemble` turns them into a project. A layer's
``params`` are already checked against its catalogue entry; ``weights`` are its own
``state_dict`` (keys without the layer's position), empty when the file has none; a container's
are the container module's own (``body.0.weight``, ``lanes.1.0.bias``), its lanes' blocks' included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class MappedLayer:
    """One catalogue block with its parameters and (where the file has them) its weights.

    ``lanes`` holds a container's lanes (Residual: body, shortcut; Parallel: lane1, ...), each
    a chain of blocks again; None for a plain layer.
    """

    type: str
    params: dict[str, Any]
    origin: str
    weights: dict[str, torch.Tensor] = field(default_factory=dict)
    lanes: list[list[MappedLayer]] | None = None


@dataclass
class Join:
    """Branches from one tensor merged again: ``add`` (a sum) or ``concat`` along ``dim``.

    ``lanes`` run from the fork to the merge; an empty lane is the fork's tensor itself (the
    identity shortcut of a residual block).
    """

    kind: str
    lanes: list[list[Item]]
    origin: str
    dim: int | None = None
    #: why a merge that is neither an add nor a concatenation (a product, say) maps to no block
    problem: str | None = None
    #: the container the file itself names (a Python export's ``Residual(...)``/``Parallel(...)``):
    #: its lanes are kept in their order; None: the container is chosen from the merge
    container: str | None = None


@dataclass
class Skipped:
    """A part of the file that maps to no block; the report lists it with ``reason``."""

    origin: str
    reason: str


Item = MappedLayer | Join | Skipped
