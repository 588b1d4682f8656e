"""A network as readable Python source: the ``build_model()`` module the Python export writes and
the training script builds on.

Every string from a project that reaches generated source goes through :func:`python_literal`,
the one quoting function.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from torch import nn

from gui_app import __version__
from gui_app.core.analysis.compiler import LayerResult, compile_network, walk_results
from gui_app.core.analysis.messages import error_message
from gui_app.core.export.output_files import ExportError
from gui_app.core.export.preprocessing import Normalize, Preprocessing, preprocessing_of
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.layers.containers import is_container
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.trained_model import TrainedModel

#: Calls longer than this are written one keyword per line.
_MAX_CALL = 100


def python_source(spec: NetworkSpec, trained: TrainedModel | None = None, *, include_preprocessing: bool = True) -> str:
    """A standalone, readable ``.py`` that defines ``build_model() -> nn.Sequential``.

    It needs torch only (torchvision too for ResNet-18). Every size is written out, so the file
    reads like hand-written code; the classes a container or a recurrent block compiles to are
    copied in full. With ``trained`` it also defines ``load_trained_model()``, which
    loads the weights file the Python export writes beside it (``NAME.weights.pt``) and, unless
    excluded, puts a ``Normalize`` step in front, so it takes raw pixels in [0, 1].
    """
    results = compiled_layers(spec)
    return _render_module(spec, results, preprocessing_of(spec, trained, include_preprocessing))


def model_definition_source(spec: NetworkSpec) -> tuple[list[str], str]:
    """The imports and the definitions (``NAME``, ``INPUT_SHAPE``, helper classes, ``build_model``).

    The training-script exporter builds on this; the import lines are returned apart so the
    caller can merge them with its own.
    """
    results = compiled_layers(spec)
    return _imports(results, weights=False), _definitions(spec, results)


def compiled_layers(spec: NetworkSpec) -> list[LayerResult]:
    """The compiled layers every export is made from; :class:`ExportError` when there are none to export."""
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
    lines.append("from torch import Tensor, nn" if _custom_classes(results) else "from torch import nn")
    if _uses(results, "ResNet18"):
        lines.append("from torchvision.models import resnet18")
    return lines


def _definitions(spec: NetworkSpec, results: list[LayerResult]) -> str:
    parts = [f"NAME = {python_literal(spec.name)}\nINPUT_SHAPE = {python_literal(tuple(spec.input_shape))}"]
    parts += [inspect.getsource(cls).rstrip() for cls in _custom_classes(results)]
    lines = [
        "def build_model() -> nn.Sequential:",
        '    """The network, freshly initialised (call ``.eval()`` before inference)."""',
        "    return nn.Sequential(",
    ]
    for result in results:
        lines += _block_lines(result, " " * 8)
    lines.append("    )")
    parts.append("\n".join(lines))
    return "\n\n\n".join(parts)


def _custom_classes(results: list[LayerResult]) -> list[type[nn.Module]]:
    """The layer classes of this network that are not torch's own, once each, in order."""
    classes = (CATALOGUE[r.type].module_class for r in walk_results(results))
    return list(dict.fromkeys(cls for cls in classes if cls is not None and not _is_torch_class(cls)))


def _is_torch_class(cls: type[nn.Module]) -> bool:
    return getattr(nn, cls.__name__, None) is cls


def _uses(results: list[LayerResult], *types: str) -> bool:
    return any(r.type in types for r in walk_results(results))


def _block_lines(result: LayerResult, indent: str) -> list[str]:
    """One block of an ``nn.Sequential(...)`` call at ``indent``, with its output shape as a comment."""
    shape = ", ".join(map(str, result.output_shape or ()))
    comment = f"  # -> ({shape}{',' if len(result.output_shape or ()) == 1 else ''})"
    if is_container(result.type):
        return _container_lines(result, indent, comment)
    callee, args, kwargs = _call_parts(result)
    items = [python_literal(a) for a in args] + [f"{k}={python_literal(v)}" for k, v in kwargs.items()]
    one_line = f"{indent}{callee}({', '.join(items)}),"
    if len(one_line) + len(comment) <= _MAX_CALL:
        return [one_line + comment]
    return [f"{indent}{callee}(" + comment, *[f"{indent}    {item}," for item in items], f"{indent}),"]


def _container_lines(result: LayerResult, indent: str, comment: str) -> list[str]:
    """``Residual(body=..., shortcut=...)`` or ``Parallel(lanes=[...], merge=...)``, one lane per block."""
    inner = indent + "    "
    lines = [f"{indent}{result.type}({comment}"]
    if result.type == "Residual":
        lines += _lane_lines(result.lanes[0], inner, "body=")
        lines += _lane_lines(result.lanes[1], inner, "shortcut=")
    else:
        lines.append(f"{inner}lanes=[")
        for lane in result.lanes:
            lines += _lane_lines(lane, inner + "    ", "")
        lines += [f"{inner}],", f"{inner}merge={python_literal(result.kwargs['merge'])},"]
    lines.append(f"{indent}),")
    return lines


def _lane_lines(lane: list[LayerResult], indent: str, keyword: str) -> list[str]:
    """One lane: ``nn.Sequential(...)`` of its blocks, or ``nn.Identity()`` when it has none."""
    if not lane:
        return [f"{indent}{keyword}nn.Identity(),"]
    lines = [f"{indent}{keyword}nn.Sequential("]
    for result in lane:
        lines += _block_lines(result, indent + "    ")
    lines.append(f"{indent}),")
    return lines


def _call_parts(result: LayerResult) -> tuple[str, list[Any], dict[str, Any]]:
    """The callee, positional and keyword arguments that rebuild this layer."""
    layer_type = CATALOGUE[result.type]
    kwargs = {k: _tupled(v) for k, v in {**result.kwargs, **layer_type.fixed}.items()}
    if result.type == "ResNet18":
        return "resnet18", [], {"weights": None, **kwargs}
    cls = layer_type.module_class
    assert cls is not None, f"{result.type} has no class to export"
    callee = f"nn.{cls.__name__}" if _is_torch_class(cls) else cls.__name__
    return callee, [], _without_defaults(cls, kwargs)


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
