"""The one validator of a project's values: layers, input shape, name and text.

The loader, the spec's edit methods and the window's edits all call these, so what an edit accepts
always saves and loads, and every refusal reads alike (it starts with the path to the bad value).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.containers import CONTAINERS
from gui_app.core.text.printable import escaped, first_unsafe_character, short_repr

MAX_NAME = 500
MAX_INPUT_DIM = 65536
MAX_INPUT_ELEMENTS = 50_000_000
#: Containers nest at most this deep (a block in a lane of a top-level container is at depth 1).
MAX_DEPTH = 8


def validate_layer(type_name: Any, params: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Check a layer's type and explicit parameters; return them canonicalised.

    Raises :class:`ParamError` whose message starts with ``path``.
    """
    if not isinstance(type_name, str):
        raise ParamError(f"{path}.type: must be a layer type name")
    layer_type = CATALOGUE.get(type_name)
    if layer_type is None:
        raise ParamError(f"{path}.type: unknown layer type {short_repr(type_name)}")
    clean: dict[str, Any] = {}
    for key, value in params.items():
        param = layer_type.param_index.get(key)
        if param is None:
            known = ", ".join(layer_type.param_index) or "none"
            raise ParamError(f"{path}.{short_key(key)}: unknown parameter of {type_name} (known: {known})")
        try:
            clean[key] = param.validate(value)
        except ParamError as exc:
            raise ParamError(f"{path}.{key}: {exc}") from None
    return clean


def validate_lanes(type_name: str, value: Any, path: str, depth: int) -> list[list[Any]]:
    """Check the ``lanes`` of a block at ``depth`` (0: the top level): the list of lanes, not their blocks.

    A container without lanes gets its minimum number of empty ones. Raises :class:`ParamError`
    whose message starts with ``path``.
    """
    rule = CONTAINERS.get(type_name)
    if rule is None:
        holders = " and ".join(CONTAINERS)
        raise ParamError(f"{path}: a {type_name} holds no lanes (only {holders} do)")
    if depth + 1 > MAX_DEPTH:
        raise ParamError(f"{path}: containers may nest at most {MAX_DEPTH} deep")
    if value is None:
        return [[] for _ in range(rule.min_lanes)]
    if not isinstance(value, list) or not all(isinstance(lane, list) for lane in value):
        raise ParamError(f"{path}: must be a list of lanes, each a list of blocks")
    if not rule.min_lanes <= len(value) <= rule.max_lanes:
        if rule.fixed_names:
            wanted = f"exactly {len(rule.fixed_names)} lanes ({', '.join(rule.fixed_names)})"
        else:
            wanted = f"{rule.min_lanes} to {rule.max_lanes} lanes"
        raise ParamError(f"{path}: a {type_name} holds {wanted}, not {len(value)}")
    return value


def validate_input_shape(value: Any, path: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 4:
        raise ParamError(f"{path}: must be a list of 1 to 4 positive integers, e.g. [1, 28, 28]")
    total = 1
    for i, dim in enumerate(value):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ParamError(f"{path}[{i}]: must be a positive integer")
        if dim > MAX_INPUT_DIM:
            raise ParamError(f"{path}[{i}]: must be at most {MAX_INPUT_DIM}")
        total *= dim
    if total > MAX_INPUT_ELEMENTS:
        raise ParamError(f"{path}: {total:,} elements per sample is more than {MAX_INPUT_ELEMENTS:,}")
    return tuple(value)


def short_key(key: str) -> str:
    """A user's key as it can be shown on one line: quoted unless it is a plain name."""
    text = key if key.isidentifier() else repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_name(name: str) -> str:
    """A project name as typed, made a title (one line, single spaces); :class:`ParamError` if unusable.

    The same rules as a project file's text, so a name the window accepts always saves and loads.
    """
    name = " ".join(name.split())
    if not name:
        raise ParamError("project name: must not be empty")
    if len(name) > MAX_NAME:
        raise ParamError(f"project name: at most {MAX_NAME} characters")
    check_text(name, "project name")
    return name


def check_text(text: str, path: str) -> None:
    bad = first_unsafe_character(text)
    if bad is not None:
        position, character = bad
        what = "a lone surrogate" if "\ud800" <= character <= "\udfff" else "the control character"
        raise ParamError(
            f"{path}: holds {what} {escaped(character)} at position {position}; "
            "text in a project may not hold control characters"
        )
