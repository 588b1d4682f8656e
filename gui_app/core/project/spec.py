"""NetworkSpec: a project's network as data, and the project file it is saved in.

The project file is JSON (see docs/project-format.md). Loading validates every value and reports
the path to the first bad one; it never evaluates code or unpickles. Edits go through
:class:`NetworkSpec` methods, which emit :attr:`NetworkSpec.changed` so views can follow.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, read_bounded, readable_size
from gui_app.core.files.writing import write_atomic  # callers also import it from here
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.project.events import EventSignal
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.text.printable import escaped, first_unsafe_character, short_repr

FORMAT_NAME = "netbuilder"
FORMAT_VERSION = 1
MAX_FILE_BYTES = PROJECT_LIMIT
MAX_LAYERS = 2000
MAX_NAME = 500
MAX_INPUT_DIM = 65536
MAX_INPUT_ELEMENTS = 50_000_000

_uids = itertools.count(1)


class ProjectFileError(ValueError):
    """A file that cannot be read as a NetBuilder project; ``str()`` is a one-line reason."""


@dataclass
class LayerSpec:
    """One block: its catalogue type and the parameter values the user set explicitly.

    ``uid`` identifies the block for the life of the process (views key items on it); it is not
    saved.
    """

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    uid: int = field(default_factory=lambda: next(_uids), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **self.params}

    def copy(self) -> LayerSpec:
        """A copy with a new uid (for duplicate and paste)."""
        return LayerSpec(self.type, json.loads(json.dumps(self.params)))


@dataclass(frozen=True)
class Change:
    """What changed in a spec: ``kind`` is insert, remove, move, param, input_shape, name,
    training or reset; the other fields say where."""

    kind: str
    index: int | None = None
    uid: int | None = None
    key: str | None = None
    value: Any = None


class NetworkSpec:
    """Input shape, ordered layers and training settings of one project."""

    def __init__(
        self,
        layers: list[LayerSpec] | None = None,
        input_shape: tuple[int, ...] = (1, 28, 28),
        name: str = "Untitled",
        training: TrainingConfig | None = None,
    ) -> None:
        self.layers: list[LayerSpec] = list(layers or [])
        self.input_shape: tuple[int, ...] = tuple(input_shape)
        self.name = name
        self.training = training or TrainingConfig()
        self.changed = EventSignal()
        self._batch_depth = 0
        self._batched: list[Change] = []

    # ------------------------------------------------------------------ edits
    def insert_layer(self, index: int, layer: LayerSpec) -> None:
        """Insert ``layer`` before position ``index`` (``len(layers)`` appends)."""
        validate_layer(layer.type, layer.params, "layer")
        index = max(0, min(index, len(self.layers)))
        self.layers.insert(index, layer)
        self._emit(Change("insert", index, layer.uid))

    def remove_layer(self, index: int) -> LayerSpec:
        """Remove and return the layer at ``index``."""
        layer = self.layers.pop(index)
        self._emit(Change("remove", index, layer.uid))
        return layer

    def move_layer(self, source: int, target: int) -> None:
        """Move the layer at ``source`` so that it ends up at index ``target``."""
        if source == target:
            return
        layer = self.layers.pop(source)
        self.layers.insert(target, layer)
        self._emit(Change("move", target, layer.uid, value=source))

    def set_param(self, index: int, key: str, value: Any) -> None:
        """Set one parameter; ``None`` for an inferred or nullable one clears it to the default."""
        layer = self.layers[index]
        params = dict(layer.params)
        if value is None and key in params and CATALOGUE[layer.type].param_index[key].inferred:
            del params[key]
        else:
            params[key] = value
        params = validate_layer(layer.type, params, "layer")
        if params == layer.params:
            return
        layer.params = params
        self._emit(Change("param", index, layer.uid, key, value))

    def set_input_shape(self, shape: tuple[int, ...]) -> None:
        shape = validate_input_shape(list(shape), "input_shape")
        if shape != self.input_shape:
            self.input_shape = shape
            self._emit(Change("input_shape", value=shape))

    def set_name(self, name: str) -> None:
        if name != self.name:
            self.name = name
            self._emit(Change("name", value=name))

    def set_training(self, training: TrainingConfig) -> None:
        if training != self.training:
            self.training = training
            self._emit(Change("training", value=training))

    def replace_all(self, other: NetworkSpec) -> None:
        """Take over ``other``'s content (layers keep their uids); one ``reset`` event."""
        self.layers = list(other.layers)
        self.input_shape = other.input_shape
        self.name = other.name
        self.training = other.training
        self._emit(Change("reset"))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several edits into one emission of the last change (for compound edits)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._batched:
                batched, self._batched = self._batched, []
                self.changed.emit(batched[0] if len(batched) == 1 else Change("reset"))

    def _emit(self, change: Change) -> None:
        if self._batch_depth:
            self._batched.append(change)
            return
        self.changed.emit(change)

    # ------------------------------------------------------------------ queries
    def index_of(self, uid: int) -> int:
        """Position of the layer with ``uid``; :class:`KeyError` if absent."""
        for i, layer in enumerate(self.layers):
            if layer.uid == uid:
                return i
        raise KeyError(uid)

    def copy(self) -> NetworkSpec:
        """An independent deep copy with fresh uids and no connected callbacks."""
        return spec_from_dict(self.to_dict())

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
            "training": self.training.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


# ---------------------------------------------------------------------- validation


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
            raise ParamError(f"{path}.{_short_key(key)}: unknown parameter of {type_name} (known: {known})")
        try:
            clean[key] = param.validate(value)
        except ParamError as exc:
            raise ParamError(f"{path}.{key}: {exc}") from None
    return clean


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


def _short_key(key: str) -> str:
    """A user's key as it can be shown on one line: quoted unless it is a plain name."""
    text = key if key.isidentifier() else repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def spec_from_dict(data: Any) -> NetworkSpec:
    """Build a spec from parsed JSON; raise :class:`ProjectFileError` with the bad value's path."""
    if not isinstance(data, dict):
        raise ProjectFileError("a project file must hold a JSON object")
    try:
        _check_tree(data)
        return _spec_from_dict(data)
    except ParamError as exc:
        raise ProjectFileError(str(exc)) from None


def _check_tree(data: dict[str, Any]) -> None:
    """Refuse duplicate keys and unsafe characters anywhere in the document, naming the path.

    Walked with a stack rather than recursion: ``json.loads`` accepts nesting deeper than a
    recursive walk could follow.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            _check_text(value, path or "(document)")
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            duplicates = getattr(value, "duplicates", None)
            if duplicates:
                raise ParamError(
                    f"{path or '(top level)'}: duplicate key {short_repr(duplicates[0])}; each key may appear once"
                )
            for key, item in value.items():
                key_path = f"{path}.{_short_key(str(key))}" if path else _short_key(str(key))
                _check_text(str(key), f"{key_path} (a key)")
                stack.append((key_path, item))


def validate_name(name: str) -> str:
    """A project name as typed, made a title (one line, single spaces); :class:`ParamError` if unusable.

    The same rules as a project file's text, so a name the window accepts always saves and loads.
    """
    name = " ".join(name.split())
    if not name:
        raise ParamError("project name: must not be empty")
    if len(name) > MAX_NAME:
        raise ParamError(f"project name: at most {MAX_NAME} characters")
    _check_text(name, "project name")
    return name


def _check_text(text: str, path: str) -> None:
    bad = first_unsafe_character(text)
    if bad is not None:
        position, character = bad
        what = "a lone surrogate" if "\ud800" <= character <= "\udfff" else "the control character"
        raise ParamError(
            f"{path}: holds {what} {escaped(character)} at position {position}; "
            "text in a project may not hold control characters"
        )


def _spec_from_dict(data: dict[str, Any]) -> NetworkSpec:
    known = {"format", "version", "name", "input_shape", "layers", "training"}
    for key in data:
        if key not in known:
            raise ParamError(f"{_short_key(str(key))}: unknown key (known: {', '.join(sorted(known))})")
    if data.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise ParamError(f"format: must be {FORMAT_NAME!r}; this is not a NetBuilder project")
    version = data.get("version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ParamError("version: must be a positive integer")
    if version > FORMAT_VERSION:
        raise ParamError(
            f"version: this project was saved by a newer NetBuilder (format version {version}); "
            f"this version reads format version {FORMAT_VERSION} and older. Update NetBuilder to open it"
        )
    name = data.get("name", "Untitled")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise ParamError(f"name: must be a string of at most {MAX_NAME} characters")
    if "input_shape" not in data:
        raise ParamError("input_shape: missing (e.g. [1, 28, 28] for MNIST)")
    input_shape = validate_input_shape(data["input_shape"], "input_shape")
    raw_layers = data.get("layers", [])
    if not isinstance(raw_layers, list):
        raise ParamError("layers: must be a list")
    if len(raw_layers) > MAX_LAYERS:
        raise ParamError(f"layers: {len(raw_layers)} layers is more than {MAX_LAYERS}")
    layers = []
    for i, raw in enumerate(raw_layers):
        path = f"layers[{i}]"
        if not isinstance(raw, dict):
            raise ParamError(f"{path}: must be an object with a 'type'")
        if "type" not in raw:
            raise ParamError(f"{path}.type: missing")
        params = {k: v for k, v in raw.items() if k != "type"}
        layers.append(LayerSpec(raw["type"], validate_layer(raw["type"], params, path)))
    training = TrainingConfig.from_dict(data.get("training", {}))
    return NetworkSpec(layers, input_shape, name, training)


def load_spec(text: str | bytes) -> NetworkSpec:
    """Parse project-file text; raise :class:`ProjectFileError` with a one-line reason.

    Bytes may start with a UTF-8 byte order mark (editors on Windows write one).
    """
    if len(text) > MAX_FILE_BYTES:
        raise ProjectFileError(f"the file is larger than {readable_size(MAX_FILE_BYTES)}")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ProjectFileError("not a text file (it is not UTF-8)") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ProjectFileError("the file is empty")
    try:
        data = json.loads(text, object_pairs_hook=_JsonObject.from_pairs, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise ProjectFileError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ProjectFileError("not a project file: the JSON is nested too deeply") from None
    except _LongIntegerError as exc:
        raise ProjectFileError(str(exc)) from None
    return spec_from_dict(data)


#: Longer integers are refused before they are converted: no size in a project needs more, and
#: ``int()`` of thousands of digits is slow (Python refuses past 4,300 with a bare ValueError).
MAX_INT_DIGITS = 40


class _LongIntegerError(ValueError):
    pass


def _parse_int(digits: str) -> int:
    count = len(digits.lstrip("-"))
    if count > MAX_INT_DIGITS:
        raise _LongIntegerError(
            f"not a project file: it holds an integer of {count:,} digits (at most {MAX_INT_DIGITS} are read)"
        )
    return int(digits)


class _JsonObject(dict):
    """A JSON object that remembers the keys it held twice, for :func:`_check_tree` to report.

    ``json.loads`` keeps the last of duplicate keys silently; refusing them in the hook itself
    could not say where in the document they are.
    """

    __slots__ = ("duplicates",)

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        obj = cls(pairs)
        obj.duplicates = [] if len(obj) == len(pairs) else _repeated([key for key, _ in pairs])
        return obj


def _repeated(keys: list[str]) -> list[str]:
    """Each key that occurs more than once, once, in the order of its second occurrence."""
    seen: set[str] = set()
    repeated: list[str] = []
    for key in keys:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


def load_spec_file(path: str | os.PathLike[str]) -> NetworkSpec:
    """Read a project file; every failure is a :class:`ProjectFileError` naming the file.

    The size is checked before a byte is read, so ``/dev/zero`` or a FIFO is refused at once.
    """
    path = Path(path)
    try:
        raw = read_bounded(path, PROJECT_LIMIT)
    except FileReadError as exc:
        raise ProjectFileError(str(exc)) from None
    try:
        return load_spec(raw)
    except ProjectFileError as exc:
        raise ProjectFileError(f"{path.name}: {exc}") from None


def save_spec(spec: NetworkSpec, path: str | os.PathLike[str]) -> None:
    """Save ``spec`` as a project file, atomically."""
    write_atomic(path, spec.to_json())
