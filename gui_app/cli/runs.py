"""``netbuilder runs PROJECT.json [--json]``: the runs recorded beside a project, oldest first.

Each line: when it started, how it ended, its best and last validation figures, parameters, MACs,
seconds and the settings it changed from the run before. Broken run folders are listed after them
with the reason. Exit 0 (also with no runs yet), 2 when the project cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from gui_app.cli import HELP
from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, check_regular_file
from gui_app.core.text.numbers import format_count, format_macs
from gui_app.core.text.printable import printable
from gui_app.core.training.runs import RUNS_SUFFIX, RunListing, RunRow, list_runs, run_rows, runs_folder_for

COLUMNS = ("run", "status", "epochs", "best", "last", "parameters", "MACs", "seconds", "changes")


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "runs",
        help=HELP["runs"],
        description="List the runs recorded beside a project (in NAME.runs/), oldest first.",
    )
    parser.add_argument("file", help="project file (.json), or its NAME.runs folder")
    parser.add_argument("--json", action="store_true", help="print the runs as JSON")


def runs_folder(value: str) -> Path:
    """The runs folder the argument names; :class:`FileReadError` for a project that cannot be read."""
    path = Path(value)
    if path.suffix == RUNS_SUFFIX and path.is_dir():
        return path
    check_regular_file(path, PROJECT_LIMIT)
    return runs_folder_for(path)


def run(args: argparse.Namespace) -> int:
    try:
        folder = runs_folder(args.file)
    except FileReadError as exc:
        print(f"netbuilder runs: {printable(str(exc))}", file=sys.stderr)
        return 2
    listing = list_runs(folder)
    rows = run_rows(listing)
    if args.json:
        print(json.dumps(as_json(listing, rows), indent=2))
    else:
        print_table(listing, rows)
    return 0


def as_json(listing: RunListing, rows: list[RunRow]) -> dict[str, Any]:
    return {
        "folder": str(listing.folder),
        "runs": [asdict(row) for row in rows],
        "broken": [{"run": broken.name, "reason": broken.reason} for broken in listing.broken],
        "left_out": listing.left_out,
    }


def _cells(row: RunRow) -> tuple[str, ...]:
    return (
        row.started,
        row.status,
        str(row.epochs),
        row.best_text,
        row.last_text,
        format_count(row.parameters),
        format_macs(row.macs),
        f"{row.seconds:.1f}",
        row.changes_text,
    )


def print_table(listing: RunListing, rows: list[RunRow]) -> None:
    if not rows and not listing.broken:
        print(f"no runs recorded yet in {listing.folder}")
        return
    table = [COLUMNS, *(tuple(printable(cell) for cell in _cells(row)) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS) - 1)]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=False)) + "  " + line[-1])
    for broken in listing.broken:
        print(f"broken: {printable(broken.reason)}")
    if listing.left_out:
        print(f"({listing.left_out} older run folder(s) not read; at most the newest are listed)")
