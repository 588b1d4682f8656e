"""``netbuilder summary FILE [--json]``: the layer table, totals, warnings and errors.

Exit status: 0 when the network compiles (warnings allowed), 1 when it has errors, 2 when the
file cannot be read as a project.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from gui_app.cli import HELP
from gui_app.core.analysis.compiler import CompiledNetwork, LayerResult, compile_network
from gui_app.core.analysis.costs import LayerCost, network_costs
from gui_app.core.analysis.dims import Names, network_dims, shape_with_names
from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.lint import LintWarning, lint_network
from gui_app.core.analysis.messages import block_name, block_number, error_message
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, load_spec_file
from gui_app.core.text.numbers import format_bytes, format_macs, format_shape
from gui_app.core.text.printable import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("summary", help=HELP["summary"])
    parser.add_argument("file", help="a NetBuilder project (.json)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    try:
        spec = load_spec_file(args.file)
    except ProjectFileError as exc:
        print(f"netbuilder: {printable(str(exc))}", file=sys.stderr)
        return 2
    compiled = compile_network(spec)
    warnings = lint_network(spec, compiled)
    if args.json:
        print(json.dumps(summary_dict(spec, compiled, warnings), indent=2))
    else:
        print(summary_table(spec, compiled, warnings))
    return 0 if compiled.ok else 1


def summary_dict(spec: NetworkSpec, compiled: CompiledNetwork, warnings: list[LintWarning]) -> dict[str, Any]:
    """The ``--json`` document (``layer`` is the 0-based index into ``layers``).

    ``macs`` and ``activation_bytes`` are per sample, ``dims`` names each dimension of the output
    with the batch first (``["N", "C", "H", "W"]``); all null for a layer without a shape. Each
    error and warning has its one-click ``fix`` label (what ``netbuilder fix`` does), or null. A
    container also has ``lanes``, a list of lanes of such entries (without ``dims``), each with
    its ``block`` number as the canvas shows it (``3.body.2``); a container's figures include its
    lanes'.
    """
    costs = network_costs(compiled)
    dims = network_dims(spec, compiled)
    return {
        "layers": [
            _layer_entry(r, cost) | {"dims": list(names) if names is not None else None}
            for r, cost, names in zip(compiled.layers, costs.layers, dims.layers, strict=True)
        ],
        "total_params": compiled.total_params,
        "size_bytes": compiled.size_bytes,
        "total_macs": costs.total_macs,
        "warnings": [{"layer": w.index, "message": str(w), "fix": _label(w.remedy)} for w in warnings],
        "errors": [{"layer": r.index, "message": r.error, "fix": _label(r.remedy)} for r in compiled.errors],
    }


def _layer_entry(r: LayerResult, cost: LayerCost, *, nested: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": r.type, "block": block_number(r.address)} if nested else {"type": r.type}
    entry |= {
        "output_shape": list(r.output_shape) if r.output_shape is not None else None,
        "params": r.params,
        "error": r.error,
        "macs": cost.macs,
        "activation_bytes": cost.activation_bytes,
    }
    if r.lanes:
        entry["lanes"] = [
            [_layer_entry(inner, c, nested=True) for inner, c in zip(lane, lane_costs, strict=True)]
            for lane, lane_costs in zip(r.lanes, cost.lanes, strict=True)
        ]
    return entry


def _table_rows(
    results: list[LayerResult],
    costs: tuple[LayerCost, ...] | list[LayerCost],
    depth: int,
    dims: list[Names | None] | None = None,
) -> list[tuple[str, ...]]:
    """One row per block, a container's lanes' blocks under it, indented by how deep they are.

    The top-level chain's shapes are shown with their dimension names (``dims``)."""
    rows: list[tuple[str, ...]] = []
    for n, (r, cost) in enumerate(zip(results, costs, strict=True)):
        label = "  " * depth + f"{r.type} {r.summary}".strip()
        names = dims[n] if dims is not None else None
        if r.output_shape is not None and names:
            shape = shape_with_names(r.output_shape, names)
        else:
            shape = format_shape(r.output_shape) or "?"
        rows.append((block_number(r.address or r.index), label, shape, f"{r.params:,}", _macs_cell(cost)))
        for lane, lane_costs in zip(r.lanes, cost.lanes, strict=True):
            rows += _table_rows(lane, lane_costs, depth + 1)
    return rows


def summary_table(spec: NetworkSpec, compiled: CompiledNetwork, warnings: list[LintWarning]) -> str:
    """A plain-text table like ``torchinfo``'s, for a terminal."""
    costs = network_costs(compiled)
    dims = network_dims(spec, compiled)
    rows = [
        ("#", "Layer", "Output shape", "Params", "MACs"),
        ("", "Input", shape_with_names(tuple(spec.input_shape), dims.input), "", ""),
    ]
    rows += _table_rows(compiled.layers, costs.layers, 0, dims.layers)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    lines = [printable(spec.name)]
    for n, row in enumerate(rows):
        lines.append(
            f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  "
            f"{row[3]:>{widths[3]}}  {row[4]:>{widths[4]}}".rstrip()
        )
        if n == 0:
            lines.append(rule)
    lines.append(rule)
    lines.append(f"Total parameters: {compiled.total_params:,}   Size: {format_bytes(compiled.size_bytes)}")
    lines.append(
        f"MACs per sample: {format_macs(costs.total_macs)}   "
        f"Activations per sample: {format_bytes(costs.total_activation_bytes)}"
    )
    for w in warnings:
        where = block_name(w.index) if w.index is not None else "network"
        lines.append(f"warning: {where}: {w}{_fix_note(w.remedy)}")
    for r in compiled.errors:
        lines.append(f"error: {error_message(r)}{_fix_note(r.remedy)}")
    return "\n".join(lines)


def _label(remedy: Fix | None) -> str | None:
    return remedy.label if remedy is not None else None


def _fix_note(remedy: Fix | None) -> str:
    """What ``netbuilder fix`` would do about a problem, after it in the table."""
    return f" [netbuilder fix: {remedy.label}]" if remedy is not None else ""


def _macs_cell(cost: LayerCost) -> str:
    return format_macs(cost.macs) if cost.macs is not None else "?"
