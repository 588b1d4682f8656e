"""A network as files other programs can use: Python source, TorchScript, ONNX and torch.export.

Every export is in eval mode and carries either the trained weights it is given or the initial
weights the spec's training seed produces, so an export made before training matches what
``build_model(spec, spec.training.seed)`` builds. An export of a trained model takes what
``netbuilder predict`` takes, raw pixels in [0, 1]: its first step is a :class:`Normalize` with
the model's training mean and std, unless the user excludes it (then the export's docstring and
metadata state them). A network with errors, weights that do not fit or an exporter failure is an
:class:`ExportError` with a one-line message, never a traceback.

Every string from a project that reaches generated source goes through :func:`python_literal`.
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app import __version__
from gui_app.core.analysis.compiler import CompileError, LayerResult, build_model, compile_network
from gui_app.core.analysis.messages import error_message
from gui_app.core.files.writing import place_file
from gui_app.core.layers.recurrent import RecurrentBlock
from gui_app.core.project.spec import NetworkSpec, write_atomic
from gui_app.core.training.trained_model import TrainedModel

#: ONNX opset: the exporter's native one (below 18 it converts, and conversion may fail).
ONNX_OPSET = 20
#: Batch size of the example input when tracing; 2, so the batch dimension is not specialised to 1.
TRACE_BATCH = 2
#: Calls longer than this are written one keyword per line.
_MAX_CALL = 100
_RECURRENT = ("LSTM", "GRU")
#: The Python export's weights file: ``NAME.py`` -> ``NAME.weights.pt`` (never another export's name).
WEIGHTS_SUFFIX = ".weights.pt"
#: The JSON file inside TorchScript and .pt2 archives that says what input the model takes.
METADATA_FILE = "netbuilder.json"


class ExportError(ValueError):
    """An export that cannot be made; ``str()`` is a one-line reason for the user."""


class WeightsMismatchError(ExportError):
    """The given weights do not fit the network (a bad input file rather than a bad network)."""


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


# ---------------------------------------------------------------------- which files an export writes


def weights_path(path: str | os.PathLike[str]) -> Path:
    """Where the Python export ``path`` keeps its weights: ``NAME.py`` -> ``NAME.weights.pt``."""
    return Path(path).with_suffix(WEIGHTS_SUFFIX)


def export_outputs(kind: str, path: str | os.PathLike[str], weighted: bool) -> list[Path]:
    """Every file the export ``kind`` to ``path`` writes (with trained weights when ``weighted``)."""
    fmt = export_format(kind)
    path = Path(path)
    if fmt.name == "python" and weighted:
        return [path, weights_path(path)]
    return [path]


def existing_outputs(outputs: Iterable[Path]) -> list[Path]:
    """The outputs that are already there, so an export would replace them."""
    return [p for p in outputs if p.exists() or p.is_symlink()]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file (through symlinks and hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where each would be
        return Path(a).resolve() == Path(b).resolve()


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """:class:`ExportError` when an output is one of the export's own input files.

    No confirmation or ``--force`` overrides this: the export would destroy what it reads.
    """
    sources = [Path(s) for s in inputs if s is not None]
    for out in outputs:
        for source in sources:
            if same_file(out, source):
                raise ExportError(f"{out}: is an input of this export ({source}); choose another output name")


# ---------------------------------------------------------------------- input preprocessing


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel: the input scaling the network was trained with.

    It takes raw pixels in [0, 1]. Channel ``c`` is the ``c``-th equal part of each sample, as in
    an (N, C, H, W) batch, so a network with a flattened input is scaled as it was in training.
    """

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        # Not persistent: the weights file holds the network's own weights only.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(-1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(-1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.reshape(x.shape[0], self.mean.shape[0], -1)
        return ((channels - self.mean) / self.std).reshape(x.shape)


@dataclass(frozen=True)
class Preprocessing:
    """A trained model's input scaling, and whether the export applies it itself."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    included: bool = True

    def formula(self) -> str:
        return f"(x - mean) / std per channel with mean {self.mean} and std {self.std}"

    def input_text(self) -> str:
        """What the export takes, in one sentence."""
        if self.included:
            return f"raw pixels in [0, 1]; the model applies {self.formula()} itself"
        return f"normalised pixels: apply {self.formula()} to pixels in [0, 1] first"

    def metadata(self) -> dict[str, str]:
        return {
            "input": self.input_text(),
            "preprocessing": "included" if self.included else "excluded",
            "mean": json.dumps(list(self.mean)),
            "std": json.dumps(list(self.std)),
        }


def preprocessing_of(spec: NetworkSpec, trained: TrainedModel | None, include: bool = True) -> Preprocessing | None:
    """The checked input scaling of ``trained`` for an export of ``spec`` (None without weights)."""
    if trained is None:
        return None
    try:
        mean = tuple(float(m) for m in trained.mean)
        std = tuple(float(s) for s in trained.std)
    except (TypeError, ValueError):
        raise ExportError("the model's normalisation (mean and std) is not a list of numbers") from None
    if not mean or len(mean) != len(std):
        raise ExportError(f"the model's normalisation has {len(mean)} means but {len(std)} stds")
    if not all(math.isfinite(v) for v in mean + std) or min(std) <= 0:
        raise ExportError("the model's normalisation needs finite means and positive, finite stds")
    if math.prod(spec.input_shape) % len(mean):
        raise ExportError(
            f"the model's normalisation has {len(mean)} channels, which do not divide the input "
            f"{list(spec.input_shape)}"
        )
    return Preprocessing(mean, std, include)


def export_metadata(spec: NetworkSpec, preprocessing: Preprocessing | None) -> dict[str, str]:
    """What an exported model file says about itself (ONNX metadata, the archives' JSON file)."""
    data = {"exported_by": f"NetBuilder {__version__}", "input_shape": json.dumps(["N", *spec.input_shape])}
    if preprocessing is None:
        data.update(weights=f"initial (training seed {spec.training.seed})", preprocessing="none")
        data["input"] = "the network's own input (no trained weights, so no training normalisation)"
        return data
    return {**data, "weights": "trained", **preprocessing.metadata()}


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


# ---------------------------------------------------------------------- Python source


def python_source(spec: NetworkSpec, trained: TrainedModel | None = None, *, include_preprocessing: bool = True) -> str:
    """A standalone, readable ``.py`` that defines ``build_model() -> nn.Sequential``.

    It needs torch only (torchvision too for ResNet-18). Every size is written out, so the file
    reads like hand-written code. With ``trained`` it also defines ``load_trained_model()``, which
    loads the weights file :func:`export_python` writes beside it (``NAME.weights.pt``) and, unless
    excluded, puts a ``Normalize`` step in front, so it takes raw pixels in [0, 1].
    """
    results = _compiled_layers(spec)
    return _render_module(spec, results, preprocessing_of(spec, trained, include_preprocessing))


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


def model_definition_source(spec: NetworkSpec) -> tuple[list[str], str]:
    """The imports and the definitions (``NAME``, ``INPUT_SHAPE``, helper classes, ``build_model``).

    The training-script exporter builds on this; the import lines are returned apart so the
    caller can merge them with its own.
    """
    results = _compiled_layers(spec)
    return _imports(results, weights=False), _definitions(spec, results)


def _compiled_layers(spec: NetworkSpec) -> list[LayerResult]:
    compiled = compile_network(spec)
    if not compiled.ok:
        first = compiled.errors[0]
        raise ExportError(f"the network has errors: {error_message(first)}")
    if not compiled.layers:
        raise ExportError("the network has no layers")
    return compiled.layers


def _render_module(spec: NetworkSpec, results: list[LayerResult], preprocessing: Preprocessing | None) -> str:
    weights = preprocessing is not None
    imports = "\n".join(_imports(results, weights=weights))
    # One blank line after the imports: ruff's isort wants exactly that before a statement.
    parts = [_module_doc(spec, results, preprocessing) + "\n\n" + imports + "\n\n" + _definitions(spec, results)]
    if preprocessing is not None:
        parts += _trained_parts(preprocessing)
    parts.append(_MAIN_WITH_WEIGHTS if weights else _MAIN)
    return "\n\n\n".join(parts) + "\n"


def _module_doc(spec: NetworkSpec, results: list[LayerResult], preprocessing: Preprocessing | None) -> str:
    """The module docstring; it holds no text from the project (the name is the ``NAME`` literal)."""
    needs = "torch and torchvision" if _uses(results, "ResNet18") else "torch"
    lines = [
        f'"""A PyTorch network exported by NetBuilder {__version__} (its project name is NAME below).',
        "",
        f"It needs only {needs}. ``build_model()`` returns the network, freshly initialised;",
        f"its input is a batch of shape (N, {', '.join(map(str, spec.input_shape))}).",
    ]
    if preprocessing is not None:
        lines.append("``load_trained_model()`` returns it with the trained weights of the .weights.pt file")
        if preprocessing.included:
            lines += [
                "beside this file, after a ``Normalize`` step: it takes raw pixels in [0, 1], as",
                "NetBuilder reads them, and applies (x - MEAN) / STD per channel itself, with",
            ]
        else:
            lines += [
                "beside this file and without its input scaling: apply (x - MEAN) / STD per channel",
                "to pixels in [0, 1] before calling it, with",
            ]
        lines += [f"MEAN = {python_literal(preprocessing.mean)},", f"STD = {python_literal(preprocessing.std)}."]
    lines += ["Run this file to build the network and print it.", '"""']
    return "\n".join(lines)


def _trained_parts(preprocessing: Preprocessing) -> list[str]:
    constants = (
        "#: The input scaling the network was trained with: (x - MEAN) / STD per channel, x in [0, 1].\n"
        f"MEAN = {python_literal(preprocessing.mean)}\n"
        f"STD = {python_literal(preprocessing.std)}"
    )
    if not preprocessing.included:
        return [constants, _LOAD_WEIGHTS.format(doc=_BARE_DOC, model="network")]
    return [
        constants,
        inspect.getsource(Normalize).rstrip(),
        _LOAD_WEIGHTS.format(doc=_NORMALIZED_DOC, model="nn.Sequential(Normalize(MEAN, STD), network)"),
    ]


def _imports(results: list[LayerResult], *, weights: bool) -> list[str]:
    lines = ["from pathlib import Path", ""] if weights else []
    lines.append("import torch")
    lines.append("from torch import Tensor, nn" if _uses(results, *_RECURRENT) else "from torch import nn")
    if _uses(results, "ResNet18"):
        lines.append("from torchvision.models import resnet18")
    return lines


def _definitions(spec: NetworkSpec, results: list[LayerResult]) -> str:
    parts = [f"NAME = {python_literal(spec.name)}\nINPUT_SHAPE = {python_literal(tuple(spec.input_shape))}"]
    if _uses(results, *_RECURRENT):
        parts.append(inspect.getsource(RecurrentBlock).rstrip())
    lines = [
        "def build_model() -> nn.Sequential:",
        '    """The network, freshly initialised (call ``.eval()`` before inference)."""',
        "    return nn.Sequential(",
    ]
    for result in results:
        lines += _layer_lines(result)
    lines.append("    )")
    parts.append("\n".join(lines))
    return "\n\n\n".join(parts)


def _uses(results: list[LayerResult], *types: str) -> bool:
    return any(r.type in types for r in results)


def _layer_lines(result: LayerResult) -> list[str]:
    """One layer of the ``nn.Sequential(...)`` call, with its output shape as a comment."""
    callee, args, kwargs = _call_parts(result)
    items = [python_literal(a) for a in args] + [f"{k}={python_literal(v)}" for k, v in kwargs.items()]
    shape = ", ".join(map(str, result.output_shape or ()))
    comment = f"  # -> ({shape}{',' if len(result.output_shape or ()) == 1 else ''})"
    one_line = f"        {callee}({', '.join(items)}),"
    if len(one_line) + len(comment) <= _MAX_CALL:
        return [one_line + comment]
    return [f"        {callee}(" + comment, *[f"            {item}," for item in items], "        ),"]


def _call_parts(result: LayerResult) -> tuple[str, list[Any], dict[str, Any]]:
    """The callee, positional and keyword arguments that rebuild this layer."""
    kwargs = {k: _tupled(v) for k, v in result.kwargs.items()}
    if result.type in _RECURRENT:
        return "RecurrentBlock", [result.type], _without_defaults(RecurrentBlock, kwargs)
    if result.type == "ResNet18":
        return "resnet18", [], {"weights": None, **kwargs}
    cls = getattr(nn, result.type)
    return f"nn.{result.type}", [], _without_defaults(cls, kwargs)


def _without_defaults(cls: type[nn.Module], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Drop the arguments equal to the constructor's own defaults, so the code stays short."""
    parameters = inspect.signature(cls.__init__).parameters
    order = {name: i for i, name in enumerate(parameters)}
    kept = {}
    for key in sorted(kwargs, key=lambda k: order.get(k, len(order))):
        param, value = parameters.get(key), kwargs[key]
        if param is None or param.default is inspect.Parameter.empty or not _same(param.default, value):
            kept[key] = value
    return kept


def _same(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return type(default) is type(value) and default == value
    if isinstance(value, tuple) and isinstance(default, int):
        return all(v == default for v in value)
    return bool(default == value) and type(default) in (int, float, str, type(None), tuple)


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list | tuple) else value


def python_literal(value: Any) -> str:
    """Python source for a plain value: the one path by which project text reaches generated code.

    A string is its ``repr()`` (in double quotes when that needs no escaping), so quotes,
    backslashes, newlines, NULs and lone surrogates all come out escaped, the result is one
    literal on one line, and it evaluates to the same string. Tuples keep their comma.
    """
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = f'"{text[1:-1]}"'
        return text
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{value} cannot be written as a Python literal")
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise ExportError(f"a {type(value).__name__} cannot be written as a Python literal")


_NORMALIZED_DOC = "The trained network in eval mode; it takes raw pixels in [0, 1] and normalises them."
_BARE_DOC = "The trained network in eval mode; normalise its input with MEAN and STD first."
_LOAD_WEIGHTS = '''def load_trained_model(path: str | Path | None = None) -> nn.Sequential:
    """{doc}"""
    network = build_model()
    weights = Path(path) if path is not None else Path(__file__).with_suffix(".weights.pt")
    network.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return {model}.eval()'''

_MAIN = """if __name__ == "__main__":
    model = build_model().eval()
    print(model)
    with torch.no_grad():
        output = model(torch.zeros(1, *INPUT_SHAPE))
    print(f"input {INPUT_SHAPE} -> output {tuple(output.shape[1:])}")"""

_MAIN_WITH_WEIGHTS = """if __name__ == "__main__":
    model = load_trained_model()
    print(model)
    with torch.no_grad():
        output = model(torch.zeros(1, *INPUT_SHAPE))
    print(f"input {INPUT_SHAPE} -> output {tuple(output.shape[1:])}")"""


# ---------------------------------------------------------------------- compiled formats


def export_model(spec: NetworkSpec, state_dict: Mapping[str, torch.Tensor] | None = None) -> nn.Sequential:
    """The network every binary export starts from: trained or seed-initialised weights, eval mode."""
    _compiled_layers(spec)
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
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".onnx-export-") as tmp:
        staged = Path(tmp) / "model.onnx"
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
        place_file(staged, path)  # keeps a symlink and the old mode, as every save does


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


def export_training_script(spec: NetworkSpec, path: str | os.PathLike[str]) -> None:
    """Write the standalone distributed training script (see :mod:`gui_app.core.export.training_script`)."""
    from gui_app.core.export.training_script import export_training_script as write_script

    write_script(spec, path)


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
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    if text.startswith("Error(s) in loading state_dict") and len(lines) > 1:
        text = lines[1]
    return text[:300]


def write_export(path: str | os.PathLike[str], data: str | bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
