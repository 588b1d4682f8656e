"""A NetBuilder Python export, read as text: nothing in the file runs.

The export (:mod:`gui_app.core.export.python_source`) is a ``build_model()`` that returns one
``nn.Sequential(...)`` call of layer calls with literal arguments (a container as
``Residual(body=..., shortcut=...)`` or ``Parallel(lanes=[...], merge=...)`` of such lanes), and the
literals ``NAME``, ``INPUT_SHAPE``, ``MEAN`` and ``STD``. This module parses the file with :mod:`ast`, reads only
literals (:func:`ast.literal_eval`), checks every argument against the layer's
:class:`~gui_app.core.layers.definitions.ParamDef` before anything is built, and builds NetBuilder's
own class of the same name on the meta device to read it back. The weights come from
``NAME.weights.pt`` beside it, through the bounded, weights-only model loader.

Any other Python file is code: it is refused unless the user trusts it (then see
:mod:`gui_app.core.importing.trusted_code`).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, read_bounded
from gui_app.core.importing.assemble import assemble, checked_input_shape, project_name
from gui_app.core.importing.blocks import Item, Join, MappedLayer, Skipped
from gui_app.core.importing.branches import place
from gui_app.core.importing.modules import map_module
from gui_app.core.importing.report import ImportFileError, ImportReport, ImportResult, InputShapeNeededError
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.containers import MERGES
from gui_app.core.text.printable import first_line, short_repr
from gui_app.core.training.trained_model import ModelFileError, load_payload

#: Where the Python export keeps its weights (``NAME.py`` -> ``NAME.weights.pt``), as the exporter writes it.
WEIGHTS_SUFFIX = ".weights.pt"


class CodeNotTrustedError(ImportFileError):
    """A Python file that is not a NetBuilder export: importing it means running it, which the user must allow."""


@dataclass
class _Export:
    """What the export's text says: its literals and the layer calls of ``build_model``."""

    literals: dict[str, Any] = field(default_factory=dict)
    calls: list[ast.expr] = field(default_factory=list)


def import_python(path: Path, options: Any) -> ImportResult:
    """A ``.py`` file: a NetBuilder export read as text, anything else run only when trusted."""
    export = _read_export(path)
    if export is None:
        if not options.trust_code:
            raise CodeNotTrustedError(
                f"{path.name}: not a NetBuilder Python export, so importing it means running its code; "
                "pass --trust-code if you trust this file"
            )
        from gui_app.core.importing.trusted_code import import_trusted

        return import_trusted(path, options)
    report = ImportReport()
    leaves: list[tuple[str, MappedLayer]] = []
    items = _layers(export.calls, "", leaves)
    weights = _attach_weights(path, leaves, report)
    layers = place(items, report, options.containers)
    shape = options.input_shape or export.literals.get("INPUT_SHAPE")
    if shape is None:
        raise InputShapeNeededError(f"{path.name}: it has no INPUT_SHAPE; give the shape with --input-shape C,H,W")
    normalisation = _normalisation(export.literals) if weights else None
    name = project_name(export.literals.get("NAME"), path.stem)
    input_shape = checked_input_shape(shape, path.name)
    return assemble(layers, input_shape, name, report, normalisation=normalisation, source=path.name)


def _read_export(path: Path) -> _Export | None:
    try:
        raw = read_bounded(path, PROJECT_LIMIT)
    except FileReadError as exc:
        raise ImportFileError(str(exc)) from None
    try:
        tree = ast.parse(raw.decode("utf-8-sig"), filename=path.name)
    except UnicodeDecodeError:
        raise ImportFileError(f"{path.name}: not a text file (it is not UTF-8)") from None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:  # what the parser raises for bad source
        raise ImportFileError(f"{path.name}: not valid Python ({first_line(exc)})") from None
    export = _Export()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name) and target.id in ("NAME", "INPUT_SHAPE", "MEAN", "STD"):
                export.literals[target.id] = _literal(statement.value)
        elif isinstance(statement, ast.FunctionDef) and statement.name == "build_model":
            export.calls = _sequential_arguments(statement) or []
    return export if export.calls else None


def _sequential_arguments(function: ast.FunctionDef) -> list[ast.expr] | None:
    """The arguments of the ``nn.Sequential(...)`` that ``build_model`` returns."""
    for statement in function.body:
        if isinstance(statement, ast.Return) and _is_sequential(statement.value):
            assert isinstance(statement.value, ast.Call)
            return list(statement.value.args)
    return None


def _is_sequential(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Call) and _dotted(node.func) in ("nn.Sequential", "torch.nn.Sequential")


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return "?"


_NOT_LITERAL = object()


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):  # what literal_eval raises
        return _NOT_LITERAL


# ---------------------------------------------------------------------- the layer calls


def _layers(calls: list[ast.expr], prefix: str, leaves: list[tuple[str, MappedLayer]]) -> list[Item]:
    """The block of each call, nested ``nn.Sequential`` calls flattened; ``leaves`` gets each layer
    with its state-dict prefix in the file (``4.body.0``), where its weights are."""
    found: list[Item] = []
    for i, call in enumerate(calls):
        key = f"{prefix}{i}"
        if _is_sequential(call):
            assert isinstance(call, ast.Call)
            found += _layers(list(call.args), f"{key}.", leaves)
        else:
            found.append(_item(call, key, leaves))
    return found


def _item(node: ast.expr, key: str, leaves: list[tuple[str, MappedLayer]]) -> Item:
    if isinstance(node, ast.Call) and _dotted(node.func) in _CONTAINER_CALLS:
        return _container(node, key, leaves)
    layer = _layer(node)
    if isinstance(layer, MappedLayer):
        leaves.append((key, layer))
    return layer


#: The container classes a Python export defines and calls, and the lanes each call names.
_CONTAINER_CALLS = {"Residual": ("body", "shortcut"), "Parallel": ("lanes", "merge")}


def _container(node: ast.Call, key: str, leaves: list[tuple[str, MappedLayer]]) -> Item:
    """``Residual(body=..., shortcut=...)`` or ``Parallel(lanes=[...], merge=...)`` as a join of its lanes.

    The lanes are kept as written (the body first); each is an ``nn.Sequential(...)`` of blocks,
    ``nn.Identity()`` (none) or one block; a lane's weights are at ``KEY.body.`` / ``KEY.lanes.N.``.
    """
    kind = _dotted(node.func)
    origin = f"line {node.lineno}: {kind}"
    names = _CONTAINER_CALLS[kind]
    arguments = dict(zip(names, node.args, strict=False)) | {k.arg: k.value for k in node.keywords if k.arg}
    unknown = [name for name in arguments if name not in names]
    if len(node.args) > len(names) or len(arguments) != len(node.args) + len(node.keywords) or unknown:
        return Skipped(origin, f"its arguments do not fit {kind}({', '.join(names)})")
    if kind == "Residual":
        body, shortcut = arguments.get("body"), arguments.get("shortcut")
        if body is None:
            return Skipped(origin, "a Residual without its body")
        lanes = [_lane(body, f"{key}.body", leaves), _lane(shortcut, f"{key}.shortcut", leaves)]
        return Join("add", lanes, origin, container=kind)
    merge = _literal(arguments["merge"]) if "merge" in arguments else "concat"
    written = arguments.get("lanes")
    if merge not in MERGES or not isinstance(written, ast.List | ast.Tuple):
        return Skipped(origin, f"a Parallel needs lanes=[...] and merge one of {', '.join(MERGES)}")
    lanes = [_lane(lane, f"{key}.lanes.{n}", leaves) for n, lane in enumerate(written.elts)]
    return Join("concat" if merge == "concat" else "add", lanes, origin, dim=1, container=kind)


def _lane(node: ast.expr | None, key: str, leaves: list[tuple[str, MappedLayer]]) -> list[Item]:
    """A container's lane: the blocks of an ``nn.Sequential(...)``, or one block (nothing: the identity)."""
    if node is None:
        return []
    if _is_sequential(node):
        assert isinstance(node, ast.Call)
        return _layers(list(node.args), f"{key}.", leaves)
    return [_item(node, key, leaves)]


def _layer(node: ast.expr) -> MappedLayer | Skipped:
    where = f"line {getattr(node, 'lineno', '?')}"
    if not isinstance(node, ast.Call):
        return Skipped(where, "not a layer call")
    callee = _dotted(node.func)
    origin = f"{where}: {callee}"
    make = _CALLEES.get(callee)
    if make is None:
        return Skipped(origin, f"{callee} is not a NetBuilder layer")
    args = [_literal(a) for a in node.args]
    kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg is not None}
    if len(kwargs) != len(node.keywords) or any(v is _NOT_LITERAL for v in [*args, *kwargs.values()]):
        return Skipped(origin, "its arguments are not all literals (only literals are read, nothing is run)")
    try:
        module = make(args, kwargs)
    except ParamError as exc:
        return Skipped(origin, str(exc))
    return map_module(module, origin)


def _checked(cls: type[nn.Module], args: list[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's arguments by name, each within its block's bounds, before the class is built."""
    try:
        bound = inspect.signature(cls).bind(*args, **kwargs)
    except TypeError as exc:
        raise ParamError(f"its arguments do not fit {cls.__name__} ({exc})") from None
    entries = [
        e for e in CATALOGUE.values() if e.module_class is cls or (cls is nn.Embedding and e.name == "Embedding")
    ]
    for key, value in bound.arguments.items():
        params = [e.param_index[key] for e in entries if key in e.param_index]
        fixed = [e.fixed[key] for e in entries if key in e.fixed]
        if not params and value not in fixed:
            raise ParamError(f"{key}={short_repr(value)} is not a setting of NetBuilder's {cls.__name__}")
        for param in params:
            try:
                param.validate(list(value) if isinstance(value, tuple) else value)
            except ParamError as exc:
                raise ParamError(f"{key}: {exc}") from None
    return dict(bound.arguments)


def _builder(cls: type[nn.Module]) -> Callable[[list[Any], dict[str, Any]], nn.Module]:
    def make(args: list[Any], kwargs: dict[str, Any]) -> nn.Module:
        arguments = _checked(cls, args, kwargs)
        try:
            with torch.device("meta"):
                return cls(**arguments)
        except (TypeError, ValueError, RuntimeError, KeyError) as exc:  # the class's own refusal of a combination
            raise ParamError(f"{cls.__name__} refuses these arguments ({first_line(exc)})") from None

    return make


def _resnet(args: list[Any], kwargs: dict[str, Any]) -> nn.Module:
    if args or set(kwargs) - {"weights", "num_classes"} or kwargs.get("weights") is not None:
        raise ParamError("only resnet18(weights=None, num_classes=N) maps (pretrained weights are not read)")
    classes = CATALOGUE["ResNet18"].param_index["num_classes"].validate(kwargs.get("num_classes", 1000))
    from gui_app.core.layers.resnet import build_resnet18

    with torch.device("meta"):
        return build_resnet18(classes)


def _callees() -> dict[str, Callable[[list[Any], dict[str, Any]], nn.Module]]:
    """Callee names an export writes -> NetBuilder's own class of that name (never the file's)."""
    found: dict[str, Callable[[list[Any], dict[str, Any]], nn.Module]] = {"resnet18": _resnet}
    classes = {entry.module_class for entry in CATALOGUE.values() if entry.module_class is not None} | {nn.Embedding}
    for cls in classes:
        if getattr(nn, cls.__name__, None) is cls:
            for prefix in ("nn.", "torch.nn."):
                found[prefix + cls.__name__] = _builder(cls)
        else:
            found[cls.__name__] = _builder(cls)
    return found


_CALLEES = _callees()


# ---------------------------------------------------------------------- weights and scaling


def _attach_weights(path: Path, items: list[tuple[str, MappedLayer]], report: ImportReport) -> bool:
    """Put ``NAME.weights.pt`` (if it is there) on the blocks; True when the file had weights."""
    file = path.with_suffix(WEIGHTS_SUFFIX)
    if not file.exists():
        return False
    try:
        state = load_payload(file)
    except ModelFileError as exc:
        report.add(file.name, f"the weights are not read: {exc}")
        return False
    used: set[str] = set()
    for key, item in items:
        prefix = f"{key}."
        mine = {k[len(prefix) :]: v for k, v in state.items() if isinstance(k, str) and k.startswith(prefix)}
        item.weights = {k: v for k, v in mine.items() if isinstance(v, torch.Tensor)}
        used |= {prefix + k for k in item.weights}
    unused = [k for k in state if k not in used]
    if unused:
        report.add(file.name, f"{len(unused)} weight(s) belong to no block ({short_repr(unused[0])}, ...)")
    return True


def _normalisation(literals: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    mean, std = literals.get("MEAN"), literals.get("STD")
    numbers = (int, float)
    if not isinstance(mean, tuple | list) or not isinstance(std, tuple | list):
        return None
    if not all(isinstance(v, numbers) and not isinstance(v, bool) for v in (*mean, *std)):
        return None
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)
