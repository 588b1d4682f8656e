"""``netbuilder import FILE -o PROJECT.json [--input-shape C,H,W] [--trust-code] [--force]``.

FILE is an ONNX model (``.onnx``), a ``torch.export`` program (``.pt2``) or a NetBuilder Python
export (``.py``, read without running it; its ``NAME.weights.pt`` beside it brings the weights).
Another Python file is code that runs when imported: it is refused unless ``--trust-code``.

PROJECT.json is written atomically. When the file has weights they go to PROJECT.pt beside it, a
NetBuilder model file (``netbuilder export PROJECT.pt``, ``predict --model``, ``train --resume``'s
sibling formats open it; the window's File ▸ Import… keeps them as the session's trained model).
The import report is printed: each part that did not map, with the reason, then notes.

Exit status: 0 when everything mapped, 1 when something did not (the project is still written,
with the parts that mapped), 2 when FILE cannot be read or is refused, or an output is refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gui_app.cli import HELP
from gui_app.cli.messages import fail
from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.messages import error_message
from gui_app.core.export.output_files import existing_outputs, same_file
from gui_app.core.files.writing import write_atomic
from gui_app.core.importing.assemble import trained_model
from gui_app.core.importing.importer import ImportOptions, import_model, parse_input_shape
from gui_app.core.importing.report import ImportFileError, ImportResult
from gui_app.core.text.printable import printable
from gui_app.core.training.trained_model import save_trained_model

#: The suffix of the model file that carries imported weights beside the project.
WEIGHTS_SUFFIX = ".pt"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help=HELP["import"],
        description="Bring a model onto the canvas: an ONNX file, a torch.export program (.pt2) or a NetBuilder "
        "Python export. What does not map is listed (the import report); the rest is still written.",
    )
    parser.add_argument("file", help="the model file (.onnx, .pt2 or .py)")
    parser.add_argument("-o", "--output", required=True, metavar="PROJECT.json", help="the project to write")
    parser.add_argument("--input-shape", metavar="C,H,W", help="the input shape, when the file does not give it")
    parser.add_argument(
        "--trust-code",
        action="store_true",
        help="run a Python file that is not a NetBuilder export to find its model (it runs with your rights)",
    )
    parser.add_argument("--force", action="store_true", help="replace PROJECT.json (and PROJECT.pt) if they exist")


def run(args: argparse.Namespace) -> int:
    try:
        shape = parse_input_shape(args.input_shape) if args.input_shape is not None else None
    except ValueError as exc:
        return fail("import", f"--input-shape {exc}", 2)
    source, out = Path(args.file), Path(args.output)
    weights = out.with_suffix(WEIGHTS_SUFFIX)
    refusal = _refused_outputs(source, out, weights, args.force)
    if refusal:
        return fail("import", refusal, 2)
    try:
        result = import_model(source, ImportOptions(input_shape=shape, trust_code=args.trust_code))
    except ImportFileError as exc:
        return fail("import", str(exc), 2)
    try:
        write_atomic(out, result.spec.to_json())
        model = trained_model(result)
        if model is not None:
            save_trained_model(model, weights)
    except OSError as exc:
        return fail("import", f"{out}: cannot be written ({exc.strerror or exc})", 2)
    _print_result(result, out, weights if model is not None else None)
    return 0 if result.report.complete else 1


def _refused_outputs(source: Path, out: Path, weights: Path, force: bool) -> str:
    for path in (out, weights):
        if source.exists() and same_file(path, source):
            return f"{path}: is the file being imported"
    if not out.parent.is_dir():
        return f"{out.parent}: no such folder"
    existing = existing_outputs([out, weights])
    if existing and not force:
        names = ", ".join(str(p) for p in existing)
        return f"would replace {names}; pass --force to replace {'it' if len(existing) == 1 else 'them'}"
    return ""


def _print_result(result: ImportResult, out: Path, weights: Path | None) -> None:
    count = len(result.spec.layers)
    print(printable(f"wrote {out} ({count} block{'s' if count != 1 else ''})"))
    if weights is not None:
        print(printable(f"wrote {weights} (the imported weights, as a NetBuilder model file)"))
    for line in result.report.lines():
        print(f"not mapped: {line}")
    for note in result.report.notes:
        print(printable(f"note: {note}"))
    compiled = compile_network(result.spec)
    for layer in compiled.errors:
        print(printable(f"error: {error_message(layer)}"))
