"""A network as files other programs can use: Python source, TorchScript, ONNX and torch.export.

Every export is in eval mode and carries either the trained weights it is given or the initial
weights the spec's training seed produces, so an export made before training matches what
``build_model(spec, spec.training.seed)`` builds. An export of a trained model takes what
``netbuilder predict`` takes, raw pixels in [0, 1]: its first step is a :class:`Normalize` with
the model's training mean and std, unless the user excludes it (then the export's docstring and
metadata state them). A network with errors, weights that do not fit or an exporter failure is an
:class:`ExportError` with a one-line message, never a traceback.

The Python source lives in :mod:`.python_source`, the input scaling in :mod:`.preprocessing`, and
which files an export writes in :mod:`.output_files`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from gui_app import __version__
from gui_app.core.analysis.compiler import CompileError, build_model
from gui_app.core.export.output_files import ExportError, WeightsMismatchError, weights_path, write_export
from gui_app.core.export.preprocessing import Normalize, export_metadata, preprocessing_of
from gui_app.core.export.python_source import compiled_layers, python_source
from gui_app.core.export.training_script import export_training_script
from gui_app.core.files.writing import place_file
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.printable import first_line
from gui_app.core.training.trained_model import TrainedModel

#: ONNX opset: the exporter's native one (below 18 it converts, and conversion may fail).
ONNX_OPSET = 20
#: Batch size of the example input when tracing; 2, so the batch dimension is not specialised to 1.
TRACE_BATCH = 2
#: The JSON file inside TorchScript and .pt2 archives that says what input the model takes.
METADATA_FILE = "netbuilder.json"


@dataclass(frozen=True)
class ExportFormat:
    """One export format, as the command line (``name``) and the Export menu (``label``) offer it."""

    name: str
    label: str
    suffix: str
    file_filter: str
    #: whether the export carries trained weights (the training script starts from the seed)
    takes_weights: bool = True


#: Every format, in menu order; the CLI's ``--format`` choices and the GUI's actions both come from here.
FORMATS = (
    ExportFormat("python", "Python", ".py", "Python source (*.py)"),
    ExportFormat("torchscript", "TorchScript", ".pt", "TorchScript (*.pt)"),
    ExportFormat("onnx", "ONNX", ".onnx", "ONNX model (*.onnx)"),
    ExportFormat("pt2", "torch.export", ".pt2", "torch.export program (*.pt2)"),
    ExportFormat("training-script", "Training script", "_train.py", "Python source (*.py)", takes_weights=False),
)
FORMAT_NAMES = tuple(f.name for f in FORMATS)


def export_format(name: str) -> ExportFormat:
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ExportError(f"unknown export format {name!r} (known: {', '.join(FORMAT_NAMES)})")


def export_outputs(kind: str, path: str | os.PathLike[str], weighted: bool) -> list[Path]:
    """Every file the export ``kind`` to ``path`` writes (with trained weights when ``weighted``)."""
    fmt = export_format(kind)
    path = Path(path)
    if fmt.name == "python" and weighted:
        return [path, weights_path(path)]
    return [path]


# ---------------------------------------------------------------------- one entry point


def export_to(
    kind: str,
    spec: NetworkSpec,
    path: str | os.PathLike[str],
    trained: TrainedModel | None = None,
    *,
    include_preprocessing: bool = True,
) -> list[Path]:
    """Write the export ``kind`` (a :data:`FORMAT_NAMES` entry); return the files it wrote."""
    fmt = export_format(kind)
    if not fmt.takes_weights:
        export_training_script(spec, path)
        return [Path(path)]
    writers = {"python": export_python, "torchscript": export_torchscript, "onnx": export_onnx, "pt2": export_pt2}
    writers[fmt.name](spec, path, trained, include_preprocessing=include_preprocessing)
    return export_outputs(fmt.name, path, trained is not None)


def export_python(
    spec: NetworkSpec,
    path: str | os.PathLike[str],
    trained: TrainedModel | None = None,
    *,
    include_preprocessing: bool = True,
) -> None:
    """Write :func:`python_source` to ``path``; with ``trained`` also :func:`weights_path` of it."""
    path = Path(path)
    source = python_source(spec, trained, include_preprocessing=include_preprocessing)
    if trained is not None:
        export_model(spec, trained.state_dict)  # refuse weights that do not fit before writing anything
        buffer = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in trained.state_dict.items()}, buffer)
        write_export(weights_path(path), buffer.getvalue())
    write_export(path, source)


# ---------------------------------------------------------------------- compiled formats


def export_model(spec: NetworkSpec, state_dict: Mapping[str, torch.Tensor] | None = None) -> nn.Sequential:
    """The network every binary export starts from: trained or seed-initialised weights, eval mode."""
    compiled_layers(spec)
    try:
        model = build_model(spec, spec.training.seed)
    except CompileError as exc:
        raise ExportError(f"the network has errors: {exc}") from None
    if state_dict is not None:
        _load_weights(model, state_dict)
    return model.eval()


def inference_model(
    spec: NetworkSpec, trained: TrainedModel | None = None, *, include_preprocessing: bool = True
) -> tuple[nn.Module, dict[str, str]]:
    """What a binary export saves, and the metadata that says what input it takes.

    With ``trained`` and its preprocessing included, that is ``Normalize`` followed by the
    network, so the file takes raw pixels in [0, 1] exactly as ``netbuilder predict`` does.
    """
    preprocessing = preprocessing_of(spec, trained, include_preprocessing)
    network = export_model(spec, trained.state_dict if trained is not None else None)
    metadata = export_metadata(spec, preprocessing)
    if preprocessing is None or not preprocessing.included:
        return network, metadata
    return nn.Sequential(Normalize(preprocessing.mean, preprocessing.std), network).eval(), metadata


def export_torchscript(
    spec: NetworkSpec,
    path: str | os.PathLike[str],
    trained: TrainedModel | None = None,
    *,
    include_preprocessing: bool = True,
) -> None:
    """Save a scripted model (``torch.jit.load`` reads it; no NetBuilder or Python source needed).

    The archive holds :data:`METADATA_FILE` (read it with ``torch.jit.load(path, _extra_files=...)``).
    TorchScript is deprecated upstream but still what C++ (libtorch) and older tools load; its
    FutureWarning is silenced here because the user chose the format.
    """
    model, metadata = inference_model(spec, trained, include_preprocessing=include_preprocessing)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            scripted = torch.jit.script(model)
            torch.jit.save(scripted, buffer, _extra_files={METADATA_FILE: json.dumps(metadata, indent=2)})
        except Exception as exc:  # the scripting compiler raises many types; all are one message
            raise ExportError(f"TorchScript export failed: {_first_line(exc)}") from None
    write_export(Path(path), buffer.getvalue())


def export_onnx(
    spec: NetworkSpec,
    path: str | os.PathLike[str],
    trained: TrainedModel | None = None,
    *,
    include_preprocessing: bool = True,
) -> None:
    """Save an ONNX model (opset :data:`ONNX_OPSET`, dynamic batch, weights inside the file).

    The model's ``metadata_props`` and ``doc_string`` say what input it takes.
    """
    model, metadata = inference_model(spec, trained, include_preprocessing=include_preprocessing)
    example = torch.zeros(TRACE_BATCH, *spec.input_shape)
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"{path}: cannot be written (no folder {path.parent})")
    # Export beside the target and move it into place, so a failure never leaves half a file.
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".onnx-export-") as tmp:
            staged = Path(tmp) / "model.onnx"
            _export_onnx_to(model, example, staged, metadata)
            place_file(staged, path)  # keeps a symlink and the old mode, as every save does
    except OSError as exc:
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None


def _export_onnx_to(model: nn.Module, example: torch.Tensor, staged: Path, metadata: dict[str, str]) -> None:
    """Run the exporter into ``staged`` and describe the file; every exporter failure is one ExportError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                model,
                (example,),
                str(staged),
                input_names=["input"],
                output_names=["output"],
                dynamic_shapes=({0: "batch"},),
                opset_version=ONNX_OPSET,
                external_data=False,
                verbose=False,
            )
            _describe_onnx(staged, metadata)
        except Exception as exc:  # the exporter raises many types; all are one message
            raise ExportError(f"ONNX export failed: {_first_line(exc)}") from None


def _describe_onnx(path: Path, metadata: dict[str, str]) -> None:
    """Write ``metadata`` into the ONNX file's metadata_props and doc_string, then check it."""
    import onnx

    model = onnx.load(str(path))
    for key, value in metadata.items():
        model.metadata_props.add(key=key, value=value)
    model.doc_string = f"Exported by NetBuilder {__version__}. Input: {metadata['input']}."
    onnx.save(model, str(path))
    onnx.checker.check_model(str(path))


def export_pt2(
    spec: NetworkSpec,
    path: str | os.PathLike[str],
    trained: TrainedModel | None = None,
    *,
    include_preprocessing: bool = True,
) -> None:
    """Save a ``torch.export`` program (``.pt2``; ``torch.export.load`` reads it), dynamic batch.

    The archive holds :data:`METADATA_FILE` (read it with ``torch.export.load(path, extra_files=...)``).
    """
    model, metadata = inference_model(spec, trained, include_preprocessing=include_preprocessing)
    example = torch.zeros(TRACE_BATCH, *spec.input_shape)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program = torch.export.export(model, (example,), dynamic_shapes=({0: torch.export.Dim("batch", min=1)},))
            torch.export.save(program, buffer, extra_files={METADATA_FILE: json.dumps(metadata, indent=2)})
        except Exception as exc:  # torch.export raises many types; all are one message
            raise ExportError(f"torch.export failed: {_first_line(exc)}") from None
    write_export(path, buffer.getvalue())


# ---------------------------------------------------------------------- helpers


def _load_weights(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    problem = weights_mismatch(model.state_dict(), state_dict)
    if problem:
        raise WeightsMismatchError(f"the weights do not fit the network: {problem}")
    try:
        model.load_state_dict(dict(state_dict))
    except RuntimeError as exc:
        raise WeightsMismatchError(f"the weights do not fit the network: {_first_line(exc)}") from None


def weights_mismatch(expected: Mapping[str, torch.Tensor], given: Mapping[str, torch.Tensor]) -> str:
    """A short description of how ``given`` differs from ``expected`` ("" when they fit)."""
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing ({_names(missing)})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected ({_names(unexpected)})")
    for key, tensor in expected.items():
        if key in given and tuple(given[key].shape) != tuple(tensor.shape):
            have = "×".join(map(str, given[key].shape)) or "scalar"
            want = "×".join(map(str, tensor.shape)) or "scalar"
            problems.append(f"{key} is {have} but the network needs {want}")
            break
    return "; ".join(problems)


def _names(keys: list[str]) -> str:
    return ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")


def _first_line(exc: BaseException) -> str:
    """One line of an exporter's error; for a state_dict refusal, the line that names the weight."""
    text = first_line(exc, 300)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[1][:300] if text.startswith("Error(s) in loading state_dict") and len(lines) > 1 else text
