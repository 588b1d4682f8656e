"""``netbuilder predict IMAGE... [--model CHECKPOINT] [--json]``: read digits from picture files.

The same preprocessing and model as the draw pad. Dark-on-light pictures (paper, most drawing
programs) are detected and inverted. Files are read and classified in batches, so thousands
take seconds. A file that cannot be read is one error line and does not stop the others. Ink
that is not a digit (a dot, a dash, a scribble: gui_app/core/digits/rejection.py) gets no digit
and the reason.
Exit status: 0 all read, 1 some files could not be read (or none found), 2 no usable model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gui_app.cli import HELP

if TYPE_CHECKING:
    from gui_app.core.digits.reader import Prediction

EXIT_STATUS = (
    "Each picture is read on its own: one that cannot be read (not a picture, a decompression bomb, "
    "a FIFO or device) gets one error line naming it, and the others are still read. "
    "Exit status: 0 all files read, 1 some files could not be read (or none were found), "
    "2 no usable model."
)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help=HELP["predict"],
        description="Classify pictures of single digits with the bundled MNIST model or a checkpoint. "
        "Folders are searched for image files.",
        epilog=EXIT_STATUS,
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="picture files (or folders of them)")
    parser.add_argument(
        "--model", metavar="CHECKPOINT", help="a NetBuilder model or checkpoint (.pt); default: the bundled MNIST model"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: {"file", "digit", "probabilities"}, '
        'and "reason" when the ink is not a digit (a dot, a dash, a scribble; "digit" is then null)',
    )
    parser.add_argument("--batch-size", type=int, default=512, help="pictures per model call (default 512)")


def expand(paths: list[str]) -> Iterator[Path]:
    """The files named, with folders replaced by the image files in them (sorted)."""
    from gui_app.core.data.pictures import IMAGE_SUFFIXES  # here: Pillow loads only when pictures are read

    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        else:
            yield path


def run(args: argparse.Namespace) -> int:
    from gui_app.core.data.pictures import PictureError, read_grey
    from gui_app.core.digits.reader import DigitReader
    from gui_app.core.text.printable import printable
    from gui_app.core.training.trained_model import ModelFileError

    try:
        reader = DigitReader.from_file(args.model)
    except ModelFileError as exc:
        print(f"netbuilder predict: {printable(str(exc))}", file=sys.stderr)
        return 2
    files = list(expand(args.images))
    if not files:
        print("netbuilder predict: no image files found", file=sys.stderr)
        return 1
    failed = 0
    batch = max(1, args.batch_size)
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        pictures, readable, errors = [], [], {}
        for path in chunk:
            try:
                pictures.append(read_grey(path))
                readable.append(path)
            except PictureError as exc:
                errors[path] = exc.reason
        predictions = dict(zip(readable, reader.read_many(pictures, batch_size=batch), strict=True))
        for path in chunk:
            if path in errors:
                failed += 1
                _report_error(path, errors[path], args.json)
                continue
            _report(path, predictions[path], args.json)
        sys.stdout.flush()
    return 1 if failed else 0


def _report(path: Path, prediction: Prediction | None, as_json: bool) -> None:
    """One picture's answer: the digit, or why there is none (blank, or not a digit: with a reason)."""
    if as_json:
        record: dict[str, object] = {"file": str(path), "digit": None, "probabilities": None}
        if prediction is not None:
            record["probabilities"] = [round(p, 6) for p in prediction.probabilities]
            if prediction.is_digit:
                record["digit"] = prediction.digit
            else:
                record["reason"] = prediction.reason
        print(json.dumps(record))
    elif prediction is None:
        print(f"{path}: no digit (blank picture)")
    elif not prediction.is_digit:
        print(f"{path}: no digit ({prediction.reason})")
    else:
        print(f"{path}: {prediction.digit} ({prediction.confidence:.1%})")


def _report_error(path: Path, message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"file": str(path), "digit": None, "probabilities": None, "error": message}))
    print(f"netbuilder predict: {path}: {message}", file=sys.stderr)
