"""``netbuilder data``: where datasets are looked for, the chosen data folder, and downloads.

``where`` shows the search order the window and ``netbuilder train`` share and which copy of each
dataset a run would use; ``folder`` shows or sets the chosen data folder (Data ▸ Data folder… in
the window); ``download`` fetches a full dataset into the per-user cache with a progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gui_app.cli import HELP

#: accepted spellings -> dataset name
NAMES = {
    "mnist": "mnist",
    "fashion_mnist": "fashion_mnist",
    "fashion-mnist": "fashion_mnist",
    "cifar10": "cifar10",
    "cifar-10": "cifar10",
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "data", help=HELP["data"], description="Where datasets are looked for, the chosen data folder, and downloads."
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    where = actions.add_parser("where", help="show where datasets are looked for and which copy a run uses")
    where.add_argument("--data-dir", metavar="DIR", help="include this folder first, as `train --data-dir` would")
    where.add_argument("--json", action="store_true", help="machine-readable output")
    folder = actions.add_parser("folder", help="show, set or clear the chosen data folder")
    folder.add_argument("path", nargs="?", help="the folder to use from now on")
    folder.add_argument("--clear", action="store_true", help="forget the chosen folder")
    download = actions.add_parser("download", help="download a full dataset into the per-user cache")
    download.add_argument("name", choices=sorted(NAMES), metavar="NAME", help="mnist, fashion_mnist or cifar10")
    download.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    return {"where": where, "folder": folder, "download": download}[args.action](args)


def where(args: argparse.Namespace) -> int:
    from gui_app.core.data.datasets import dataset_locations, locations_report
    from gui_app.core.data.locations import cache_dir, chosen_data_folder, sample_dir, search_roots

    if not args.json:
        print(locations_report(args.data_dir, lambda name: f" (netbuilder data download {name})"))
        return 0
    chosen = chosen_data_folder()
    report = {
        "search_order": [str(r) for r in search_roots(args.data_dir)],
        "chosen_folder": str(chosen) if chosen else None,
        "download_cache": str(cache_dir()),
        "sample": str(sample_dir()),
        "datasets": {
            name: {"folder": str(place.folder) if place.folder else None, "sample": place.sample}
            for name, place in dataset_locations(args.data_dir).items()
        },
    }
    print(json.dumps(report, indent=2))
    return 0


def folder(args: argparse.Namespace) -> int:
    from gui_app.core.data.locations import choose_data_folder, chosen_data_folder

    path = Path(args.path).expanduser() if args.path else None
    if path is not None and not path.is_dir():
        print(f"netbuilder data folder: {path} is not a folder", file=sys.stderr)
        return 2
    try:
        if args.clear or path is not None:
            choose_data_folder(None if args.clear else path)
    except OSError as exc:
        print(f"netbuilder data folder: cannot save the choice: {exc}", file=sys.stderr)
        return 1
    if args.clear:
        print("No data folder chosen: datasets are looked for in the download cache.")
        return 0
    chosen = chosen_data_folder()
    print(chosen if chosen else "No data folder chosen (set one: netbuilder data folder PATH).")
    return 0


def download(args: argparse.Namespace) -> int:
    from gui_app.core.data.datasets import display_name
    from gui_app.core.data.downloads import DownloadError, download_dataset
    from gui_app.core.data.locations import cache_dir

    name = NAMES[args.name]
    bar = ProgressBar(sys.stderr, quiet=args.quiet)
    try:
        folder = download_dataset(name, cache_dir(), progress=bar.update)
    except KeyboardInterrupt:
        bar.finish()
        print("netbuilder data download: cancelled; nothing half-written was kept", file=sys.stderr)
        return 130
    except DownloadError as exc:
        bar.finish()
        print(f"netbuilder data download: {exc}", file=sys.stderr)
        return 1
    bar.finish()
    print(f"{display_name(name)}: {folder}")
    return 0


class ProgressBar:
    """A one-line download progress bar on a terminal; nothing otherwise (logs stay clean)."""

    def __init__(self, stream: Any, quiet: bool = False) -> None:
        self.stream = stream
        self.active = not quiet and stream.isatty()
        self.shown = False

    def update(self, progress: Any) -> None:
        if not self.active:
            return
        filled = int(progress.fraction * 30)
        self.stream.write(f"\r[{'#' * filled:<30}] {progress.fraction:4.0%} {progress.describe()}  ")
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.shown = False
