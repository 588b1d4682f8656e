"""``netbuilder draw PROJECT.json -o net.svg [--force]``: the network's picture, without the window.

The SVG is the one File ▸ Export ▸ Picture… writes (:func:`gui_app.core.export.picture.network_svg`),
made from the project and the compiler's shapes, so no display or Qt is needed. A network with
errors is drawn too, the faulty block in red. Exit status: 0 when written, 2 when the project
cannot be read or OUT is refused or cannot be written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gui_app.cli import HELP
from gui_app.cli.messages import fail
from gui_app.core.export.output_files import existing_outputs
from gui_app.core.export.picture import network_svg
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.spec import ProjectFileError, load_spec_file
from gui_app.core.text.printable import printable


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "draw", help=HELP["draw"], description="Draw a project's network as an SVG picture (no window needed)."
    )
    parser.add_argument("file", help="a NetBuilder project (.json)")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.svg", help="the picture to write")
    parser.add_argument("--force", action="store_true", help="replace OUT if it exists")


def run(args: argparse.Namespace) -> int:
    try:
        spec = load_spec_file(args.file)
    except ProjectFileError as exc:
        return fail("draw", str(exc), 2)
    out = Path(args.output)
    if existing_outputs([out]) and not args.force:
        return fail("draw", f"{out}: exists; pass --force to replace it", 2)
    try:
        write_atomic(out, network_svg(spec))
    except OSError as exc:
        return fail("draw", f"{out}: cannot be written ({exc.strerror or exc})", 2)
    print(printable(f"wrote {out}"))
    return 0
