"""A network as files other programs can use: Python source, TorchScript, ONNX and torch.export.

Every export is in eval mode and carries either the trained weights it is given or the initial
weights the spec's training seed produces, so an export made before training matches what
``build_model(spec, spec.training.seed)`` builds. A network with errors, weights that do not fit
or an exporter failure is an :class:`ExportError` with a one-line message, never a traceback.
"""

from __future__ import annotations

import inspect
import io
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app import __version__
from gui_app.core.compiler import CompileError, LayerResult, build_model, compile_network
from gui_app.core.file_writing import place_file
from gui_app.core.network import NetworkSpec, write_atomic
from gui_app.core.recurrent import RecurrentBlock

#: ONNX opset: the exporter's native one (below 18 it converts, and conversion may fail).
ONNX_OPSET = 20
#: Batch size of the example input when tracing; 2, so the batch dimension is not specialised to 1.
TRACE_BATCH = 2
#: Calls longer than this are written one keyword per line.
_MAX_CALL = 100
_RECURRENT = ("LSTM", "GRU")


class ExportError(ValueError):
    """An export that cannot be made; ``str()`` is a one-line reason for the user."""


class WeightsMismatchError(ExportError):
    """The given weights do not fit the network (a bad input file rather than a bad network)."""


# ---------------------------------------------------------------------- Python source


def python_source(spec: NetworkSpec, state_dict: Mapping[str, torch.Tensor] | None = None) -> str:
    """A standalone, readable ``.py`` that defines ``build_model() -> nn.Sequential``.

    It needs torch only (torchvision too for ResNet-18). Every size is written out, so the file
    reads like hand-written code. With ``state_dict`` the script, when run, loads the weights file
    that :func:`export_python` writes beside it (same name, ``.pt``).
    """
    results = _compiled_layers(spec)
    return _render_module(spec, results, weights=state_dict is not None, main=True)


def export_python(
    spec: NetworkSpec, path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor] | None = None
) -> None:
    """Write :func:`python_source` to ``path``; with ``state_dict`` also ``path`` with suffix ``.pt``."""
    path = Path(path)
    source = python_source(spec, state_dict)
    if state_dict is not None and path.suffix == ".pt":
        raise ExportError(f"{path.name}: name the Python file .py; its weights go in the .pt file beside it")
    if state_dict is not None:
        export_model(spec, state_dict)  # refuse weights that do not fit before writing anything
        buffer = io.BytesIO()
        torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, buffer)
        write_export(path.with_suffix(".pt"), buffer.getvalue())
    write_export(path, source)


def model_definition_source(spec: NetworkSpec) -> tuple[list[str], str]:
    """The imports and the definitions (``INPUT_SHAPE``, helper classes, ``build_model``) of a network.

    The training-script exporter builds on this; the import lines are returned apart so the
    caller can merge them with its own.
    """
    results = _compiled_layers(spec)
    return _imports(results, weights=False), _definitions(spec, results)


def _compiled_layers(spec: NetworkSpec) -> list[LayerResult]:
    compiled = compile_network(spec)
    if not compiled.ok:
        first = compiled.errors[0]
        raise ExportError(f"the network has errors: layer {first.index} ({first.type}): {first.error}")
    if not compiled.layers:
        raise ExportError("the network has no layers")
    return compiled.layers


def _render_module(spec: NetworkSpec, results: list[LayerResult], *, weights: bool, main: bool) -> str:
    needs = "torch and torchvision" if _uses(results, "ResNet18") else "torch"
    doc = [
        f'"""{doc_text(spec.name)}: a PyTorch network exported by NetBuilder {__version__}.',
        "",
        f"It needs only {needs}. ``build_model()`` returns the network, freshly initialised;",
        f"its input is a batch of shape (N, {', '.join(map(str, spec.input_shape))}).",
    ]
    if weights:
        doc.append("Its trained weights are in the .pt file of the same name beside this file.")
    doc += ["Run this file to build the network and print it.", '"""']
    imports = "\n".join(_imports(results, weights=weights))
    # One blank line after the imports: ruff's isort wants exactly that before a statement.
    parts = ["\n".join(doc) + "\n\n" + imports + "\n\n" + _definitions(spec, results)]
    if weights:
        parts.append(_LOAD_WEIGHTS)
    if main:
        parts.append(_MAIN_WITH_WEIGHTS if weights else _MAIN)
    return "\n\n\n".join(parts) + "\n"


def doc_text(name: str) -> str:
    text = " ".join(name.split()) or "Network"
    return text.replace("\\", "/").replace('"""', "'''")


def _imports(results: list[LayerResult], *, weights: bool) -> list[str]:
    lines = ["from pathlib import Path", ""] if weights else []
    lines.append("import torch")
    lines.append("from torch import Tensor, nn" if _uses(results, *_RECURRENT) else "from torch import nn")
    if _uses(results, "ResNet18"):
        lines.append("from torchvision.models import resnet18")
    return lines


def _definitions(spec: NetworkSpec, results: list[LayerResult]) -> str:
    parts = [f"INPUT_SHAPE = {python_literal(tuple(spec.input_shape))}"]
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
    """Python source for a plain value: double-quoted strings, tuples with their comma."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


_LOAD_WEIGHTS = '''def load_trained_model(path: str | Path | None = None) -> nn.Sequential:
    """The network with its trained weights, in eval mode."""
    model = build_model()
    weights = Path(path) if path is not None else Path(__file__).with_suffix(".pt")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model.eval()'''

_MAIN = '''if __name__ == "__main__":
    model = build_model().eval()
    print(model)
    with torch.no_grad():
        output = model(torch.zeros(1, *INPUT_SHAPE))
    print(f"input {INPUT_SHAPE} -> output {tuple(output.shape[1:])}")'''

_MAIN_WITH_WEIGHTS = '''if __name__ == "__main__":
    model = load_trained_model()
    print(model)
    with torch.no_grad():
        output = model(torch.zeros(1, *INPUT_SHAPE))
    print(f"input {INPUT_SHAPE} -> output {tuple(output.shape[1:])}")'''


# ---------------------------------------------------------------------- compiled formats


def export_model(spec: NetworkSpec, state_dict: Mapping[str, torch.Tensor] | None = None) -> nn.Sequential:
    """The model every binary export starts from: trained or seed-initialised weights, eval mode."""
    _compiled_layers(spec)
    try:
        model = build_model(spec, spec.training.seed)
    except CompileError as exc:
        raise ExportError(f"the network has errors: {exc}") from None
    if state_dict is not None:
        _load_weights(model, state_dict)
    return model.eval()


def export_torchscript(
    spec: NetworkSpec, path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor] | None = None
) -> None:
    """Save a scripted model (``torch.jit.load`` reads it; no NetBuilder or Python source needed).

    TorchScript is deprecated upstream but still what C++ (libtorch) and older tools load; its
    FutureWarning is silenced here because the user chose the format.
    """
    model = export_model(spec, state_dict)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            scripted = torch.jit.script(model)
            torch.jit.save(scripted, buffer)
        except Exception as exc:  # the scripting compiler raises many types; all are one message
            raise ExportError(f"TorchScript export failed: {_first_line(exc)}") from None
    write_export(Path(path), buffer.getvalue())


def export_onnx(
    spec: NetworkSpec, path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor] | None = None
) -> None:
    """Save an ONNX model (opset :data:`ONNX_OPSET`, dynamic batch, weights inside the file)."""
    import onnx

    model = export_model(spec, state_dict)
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
                onnx.checker.check_model(str(staged))
            except Exception as exc:  # the exporter raises many types; all are one message
                raise ExportError(f"ONNX export failed: {_first_line(exc)}") from None
        place_file(staged, path)  # keeps a symlink and the old mode, as every save does


def export_pt2(
    spec: NetworkSpec, path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor] | None = None
) -> None:
    """Save a ``torch.export`` program (``.pt2``; ``torch.export.load`` reads it), dynamic batch."""
    model = export_model(spec, state_dict)
    example = torch.zeros(TRACE_BATCH, *spec.input_shape)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            program = torch.export.export(
                model, (example,), dynamic_shapes=({0: torch.export.Dim("batch", min=1)},)
            )
            torch.export.save(program, buffer)
        except Exception as exc:  # torch.export raises many types; all are one message
            raise ExportError(f"torch.export failed: {_first_line(exc)}") from None
    write_export(path, buffer.getvalue())


def export_training_script(spec: NetworkSpec, path: str | os.PathLike[str]) -> None:
    """Write the standalone distributed training script (see :mod:`gui_app.core.training_script`)."""
    from gui_app.core.training_script import export_training_script as write_script

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
