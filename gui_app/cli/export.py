"""``netbuilder export FILE --format FORMAT -o OUT [--weights CHECKPOINT] [--force] [--exclude-preprocessing]``.

FILE is a project (.json) or a NetBuilder model/checkpoint file, which brings its own weights.
An export of trained weights takes raw pixels in [0, 1], as ``netbuilder predict`` does, unless
``--exclude-preprocessing``. The Python export with weights also writes ``OUT`` with the suffix
``.weights.pt``. A file the export would replace is refused without ``--force``; an input file
is never an output. Exit status: 0 on success, 1 when the network has errors or the export
fails, 2 when a file cannot be read, the weights do not fit or an output is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gui_app.cli import HELP
from gui_app.cli.messages import fail
from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.messages import error_message
from gui_app.core.export.formats import FORMAT_NAMES, ExportFormat, export_format, export_outputs, export_to
from gui_app.core.export.output_files import ExportError, WeightsMismatchError, existing_outputs, refuse_inputs
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, load_spec_file
from gui_app.core.text.printable import printable
from gui_app.core.training.checkpoints import network_difference
from gui_app.core.training.trained_model import ModelFileError, TrainedModel, load_trained_model

#: Suffixes that mark FILE as a model or checkpoint rather than a project.
MODEL_SUFFIXES = (".pt", ".pth", ".ckpt")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help=HELP["export"],
        description="Export a network. Without --weights the model has the initial weights of the "
        "project's training seed. With trained weights the export takes raw pixels in [0, 1] and "
        "applies the training normalisation itself.",
    )
    parser.add_argument("file", help="a NetBuilder project (.json) or model file (.pt)")
    parser.add_argument("--format", "-f", required=True, choices=FORMAT_NAMES)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    parser.add_argument("--weights", metavar="CHECKPOINT", help="trained weights (a NetBuilder model file)")
    parser.add_argument("--force", action="store_true", help="replace output files that already exist")
    parser.add_argument(
        "--exclude-preprocessing",
        action="store_true",
        help="export the bare network, which takes normalised input; its docstring or metadata "
        "state the mean and std to apply",
    )


def run(args: argparse.Namespace) -> int:
    try:
        spec, trained = _load(Path(args.file), args.weights)
    except (ProjectFileError, ModelFileError) as exc:
        return fail("export", str(exc), 2)
    compiled = compile_network(spec)
    if not compiled.ok:
        first = compiled.errors[0]
        return fail("export", f"{Path(args.file).name}: {error_message(first)}", 1)
    out = Path(args.output)
    if not out.parent.is_dir():
        return fail("export", f"{out.parent}: no such folder", 2)
    fmt = export_format(args.format)
    _notes(fmt, trained, args)
    weights = trained if fmt.takes_weights else None
    outputs = export_outputs(fmt.name, out, weights is not None)
    try:
        refuse_inputs(outputs, [args.file, args.weights])
    except ExportError as exc:
        return fail("export", str(exc), 2)
    existing = existing_outputs(outputs)
    if existing and not args.force:
        names = ", ".join(str(p) for p in existing)
        return fail(
            "export", f"would replace {names}; pass --force to replace {'it' if len(existing) == 1 else 'them'}", 2
        )
    try:
        written = export_to(fmt.name, spec, out, weights, include_preprocessing=not args.exclude_preprocessing)
    except WeightsMismatchError as exc:
        return fail("export", str(exc), 2)
    except ExportError as exc:
        return fail("export", str(exc), 1)
    print(printable(f"wrote {' and '.join(str(p) for p in written)}"))
    return 0


def _notes(fmt: ExportFormat, trained: TrainedModel | None, args: argparse.Namespace) -> None:
    """Say when an option the user gave has no effect on this export."""
    if trained is not None and not fmt.takes_weights:
        _note("the training script starts from the project's seed, not from the trained weights")
    elif args.exclude_preprocessing and (trained is None or not fmt.takes_weights):
        _note("--exclude-preprocessing has no effect without trained weights (there is no preprocessing)")


def _load(path: Path, weights: str | None) -> tuple[NetworkSpec, TrainedModel | None]:
    if path.suffix.lower() in MODEL_SUFFIXES:
        model = load_trained_model(path)
        spec, trained = model.spec, model
    else:
        spec, trained = load_spec_file(path), None
    if weights is not None:
        trained = load_trained_model(weights)
        difference = network_difference(trained.spec, spec)
        if difference is not None:  # the weights would fit by shape, but answer as another network
            raise ModelFileError(
                f"{Path(weights).name}: these weights are of another network than {path.name} ({difference}); "
                f"export {Path(weights).name} on its own to export the network it was trained as"
            )
    return spec, trained


def _note(message: str) -> None:
    print(f"netbuilder export: note: {printable(message)}", file=sys.stderr)
