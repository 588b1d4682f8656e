"""The ``netbuilder`` command: no subcommand opens the GUI; subcommands work headless.

Each subcommand lives in its own module of this package, which defines ``add_parser(subparsers)``
and ``run(args) -> int``. They are imported only when used, so ``netbuilder summary`` never loads
Qt and the GUI never loads the exporters. Ctrl+C (or SIGTERM) before a command has work to stop
ends it with exit 130 and one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Sequence

from gui_app import __version__

#: Subcommand name -> module in this package.
SUBCOMMANDS = {
    "summary": "summary",
    "fix": "fix",
    "export": "export",
    "train": "train",
    "lr-find": "lr_find",
    "predict": "predict",
    "data": "data",
    "runs": "runs",
    "import": "import_model",
    "draw": "draw",
}


#: One-line help for ``netbuilder --help``, so listing the commands imports none of them.
HELP = {
    "summary": "print a project's layers, output shapes, parameter counts, warnings and errors",
    "fix": "apply every one-click fix to a project and save the mended copy",
    "export": "export a project to Python, TorchScript, ONNX, torch.export or a training script",
    "train": "train a project's network without the window",
    "lr-find": "find a learning rate for a project: a short sweep of growing rates, and a suggestion",
    "predict": "read handwritten digits from image files",
    "data": "show where datasets are found, choose a data folder, download full datasets",
    "runs": "list the runs recorded beside a project: settings changed, best and last accuracy, costs",
    "import": "bring an ONNX, torch.export (.pt2) or NetBuilder Python model onto the canvas as a project",
    "draw": "draw a project's network as an SVG picture, without the window",
}


def _parser(command: str | None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to describe its options."""
    parser = argparse.ArgumentParser(
        prog="netbuilder",
        description="Design, train and try PyTorch networks. With no subcommand, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"NetBuilder {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in SUBCOMMANDS.items():
        if name == command:
            importlib.import_module(f"gui_app.cli.{module}").add_parser(sub)
        else:
            sub.add_parser(name, help=HELP.get(name, ""))
    return parser


#: The exit status of a command stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).
INTERRUPTED = 130


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``netbuilder`` console script."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:  # Ctrl+C while torch or a dataset loads, before a run can stop itself
        print("netbuilder: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: list[str]) -> int:
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return gui_main(argv)
    if threading.current_thread() is not threading.main_thread():
        return _run_command(argv)  # signal handlers belong to the main thread
    # SIGTERM would otherwise kill a command silently, mid-write; now it unwinds as Ctrl+C does
    # (and ``train`` turns both into a stop at the next batch once it trains).
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return _run_command(argv)
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _run_command(argv: list[str]) -> int:
    args = _parser(argv[0] if argv[0] in SUBCOMMANDS else None).parse_args(argv)
    if args.command is None:
        _parser(None).print_help()
        return 0
    module = importlib.import_module(f"gui_app.cli.{SUBCOMMANDS[args.command]}")
    return int(module.run(args) or 0)


def gui_main(argv: Sequence[str] | None = None) -> int:
    """Open the window: ``netbuilder [PROJECT] [--screenshot OUT.png]``."""
    parser = argparse.ArgumentParser(prog="netbuilder", description="Open the NetBuilder app.")
    parser.add_argument("project", nargs="?", help="a project file (.json) to open")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window to a PNG and exit")
    parser.add_argument(
        "--size", default="1280x800", metavar="WxH", help="window size for --screenshot (default 1280x800)"
    )
    parser.add_argument("--version", action="version", version=f"NetBuilder {__version__}")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        parser.error(f"--size must look like 1280x800, not {args.size!r}")
    from gui_app.ui.app import run_gui

    return run_gui(project=args.project, screenshot=args.screenshot, size=(width, height))
