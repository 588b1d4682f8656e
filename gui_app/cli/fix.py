"""``netbuilder fix FILE -o OUT [--force]``: apply every one-click fix and save the mended project.

Fix after fix is applied, recompiling between them, until none is left (a bounded number of
rounds); each change is one line on stdout, in the words of the window's fix button, naming the
block as it was numbered at that moment. OUT is written atomically, also when errors remain (it
is the network with every fix there was). An OUT that exists, FILE itself included, is replaced
only with ``--force``; FILE is read whole before OUT is written, so ``-o FILE --force`` mends in
place and a failed write leaves FILE as it was.

Exit status: 0 when OUT compiles without errors (warnings without a fix may remain, listed on
stderr), 1 when errors without a fix remain, 2 when FILE cannot be read, OUT is refused or cannot
be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gui_app.cli import HELP
from gui_app.cli.messages import fail
from gui_app.core.analysis.messages import block_name
from gui_app.core.analysis.repair import Problem, fix_all
from gui_app.core.export.output_files import existing_outputs, same_file
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.spec import ProjectFileError, load_spec_file
from gui_app.core.text.printable import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fix",
        help=HELP["fix"],
        description="Apply every one-click fix (the window's fix buttons) to a project and save the result.",
    )
    parser.add_argument("file", help="a NetBuilder project (.json)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the mended project to write")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists (OUT may then be FILE)")


def run(args: argparse.Namespace) -> int:
    try:
        spec = load_spec_file(args.file)
    except ProjectFileError as exc:
        return fail("fix", str(exc), 2)
    out = Path(args.output)
    if existing_outputs([out]) and not args.force:
        what = "is the input" if same_file(out, args.file) else "exists"
        return fail("fix", f"{out}: {what}; pass --force to replace it", 2)
    repair = fix_all(spec)
    for change in repair.applied:
        print(printable(str(change)))
    try:
        write_atomic(out, repair.spec.to_json())
    except OSError as exc:
        return fail("fix", f"{out}: cannot be written ({exc.strerror or exc})", 2)
    count = len(repair.applied)
    print(printable(f"wrote {out} ({count} fix{'es' if count != 1 else ''})"))
    for problem in repair.left:
        left = f"{problem.severity} left: {_where(problem)}{problem.message}"
        print(printable(f"netbuilder fix: {left}"), file=sys.stderr)
    return 0 if repair.ok else 1


def _where(problem: Problem) -> str:
    return f"{block_name(problem.index)}: " if problem.index is not None else "network: "
