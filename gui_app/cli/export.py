"""``netbuilder export FILE --format FORMAT -o OUT [--weights CHECKPOINT]``.

FILE is a project (.json) or a NetBuilder model/checkpoint file, which brings its own weights.
Exit status: 0 on success, 1 when the network has errors or the export fails, 2 when a file
cannot be read or the weights do not fit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from gui_app.cli import HELP
from gui_app.core.compiler import compile_network
from gui_app.core.network import NetworkSpec, ProjectFileError, load_spec_file
from gui_app.core.trained_model import ModelFileError, load_trained_model

FORMATS = ("python", "torchscript", "onnx", "pt2", "training-script")
#: Suffixes that mark FILE as a model or checkpoint rather than a project.
MODEL_SUFFIXES = (".pt", ".pth", ".ckpt")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export",
        help=HELP["export"],
        description="Export a network. Without --weights the model has the initial weights of the "
        "project's training seed.",
    )
    parser.add_argument("file", help="a NetBuilder project (.json) or model file (.pt)")
    parser.add_argument("--format", "-f", required=True, choices=FORMATS)
    parser.add_argument("-o", "--output", required=True, metavar="OUT", help="the file to write")
    parser.add_argument("--weights", metavar="CHECKPOINT", help="trained weights (a NetBuilder model file)")


def run(args: argparse.Namespace) -> int:
    from gui_app.core import export, training_script

    try:
        spec, state_dict = _load(Path(args.file), args.weights)
    except (ProjectFileError, ModelFileError) as exc:
        return _fail(str(exc), 2)
    compiled = compile_network(spec)
    if not compiled.ok:
        first = compiled.errors[0]
        return _fail(f"{Path(args.file).name}: layer {first.index} ({first.type}): {first.error}", 1)
    out = Path(args.output)
    if not out.parent.is_dir():
        return _fail(f"{out.parent}: no such folder", 2)
    try:
        if args.format == "python":
            export.export_python(spec, out, state_dict)
        elif args.format == "torchscript":
            export.export_torchscript(spec, out, state_dict)
        elif args.format == "onnx":
            export.export_onnx(spec, out, state_dict)
        elif args.format == "pt2":
            export.export_pt2(spec, out, state_dict)
        else:
            if state_dict is not None:
                print("netbuilder export: note: the training script starts from the project's seed, "
                      "not from --weights", file=sys.stderr)
            training_script.export_training_script(spec, out)
    except export.WeightsMismatchError as exc:
        return _fail(str(exc), 2)
    except export.ExportError as exc:
        return _fail(str(exc), 1)
    print(f"wrote {out}")
    return 0


def _load(path: Path, weights: str | None) -> tuple[NetworkSpec, dict[str, torch.Tensor] | None]:
    if path.suffix.lower() in MODEL_SUFFIXES:
        model = load_trained_model(path)
        spec, state_dict = model.spec, model.state_dict
    else:
        spec, state_dict = load_spec_file(path), None
    if weights is not None:
        state_dict = load_trained_model(weights).state_dict
    return spec, state_dict


def _fail(message: str, status: int) -> int:
    print(f"netbuilder export: {message}", file=sys.stderr)
    return status
