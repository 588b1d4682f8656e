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
from gui_app.core.analysis.compiler import CompiledNetwork, compile_network
from gui_app.core.analysis.costs import LayerCost, network_costs
from gui_app.core.analysis.dims import network_dims, shape_with_names
from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.lint import LintWarning, lint_network
from gui_app.core.analysis.messages import block_name, error_message, layer_number
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, load_spec_file
from gui_app.core.text.numbers import format_bytes, format_macs
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
    error and warning has its one-click ``fix`` label (what ``netbuilder fix`` does), or null.
    """
    costs = network_costs(compiled)
    dims = network_dims(spec, compiled)
    return {
        "layers": [
            {
                "type": r.type,
                "output_shape": list(r.output_shape) if r.output_shape is not None else None,
                "params": r.params,
                "error": r.error,
                "macs": cost.macs,
                "activation_bytes": cost.activation_bytes,
                "dims": list(names) if names is not None else None,
            }
            for r, cost, names in zip(compiled.layers, costs.layers, dims.layers, strict=True)
        ],
        "total_params": compiled.total_params,
        "size_bytes": compiled.size_bytes,
        "total_macs": costs.total_macs,
        "warnings": [{"layer": w.index, "message": str(w), "fix": _label(w.remedy)} for w in warnings],
        "errors": [{"layer": r.index, "message": r.error, "fix": _label(r.remedy)} for r in compiled.errors],
    }


def summary_table(spec: NetworkSpec, compiled: CompiledNetwork, warnings: list[LintWarning]) -> str:
    """A plain-text table like ``torchinfo``'s, for a terminal."""
    costs = network_costs(compiled)
    dims = network_dims(spec, compiled)
    rows = [
        ("#", "Layer", "Output shape", "Params", "MACs"),
        ("", "Input", shape_with_names(tuple(spec.input_shape), dims.input), "", ""),
    ]
    for r, cost, names in zip(compiled.layers, costs.layers, dims.layers, strict=True):
        label = f"{r.type} {r.summary}".strip()
        shape = shape_with_names(r.output_shape, names) if r.output_shape is not None and names else "?"
        rows.append((str(layer_number(r.index)), label, shape, f"{r.params:,}", _macs_cell(cost)))
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
