"""NetworkSpec: a project's network as data, and the project file it is saved in.

The project file is JSON (see docs/project-format.md). Loading validates every value and reports
the path to the first bad one; it never evaluates code or unpickles. Edits go through
:class:`NetworkSpec` methods, which validate (with :mod:`gui_app.core.project.validation`, the one
validator), apply, and emit :attr:`NetworkSpec.changed` with a :class:`Change` naming what changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, read_bounded
from gui_app.core.files.strict_json import JsonTextError, load_json_text
from gui_app.core.files.writing import write_atomic  # callers also import it from here
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.containers import is_container
from gui_app.core.project import lane_edits
from gui_app.core.project.blocks import (
    TOP,
    Lane,
    LayerSpec,
    MissingBlockError,
    Place,
    check_block,
    height,
    lane_depth,
    locate,
    walk,
)
from gui_app.core.project.events import EventSignal
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.validation import (
    MAX_DEPTH,
    MAX_NAME,
    check_text,
    short_key,
    validate_input_shape,
    validate_lanes,
    validate_layer,
)
from gui_app.core.text.numbers import format_bytes
from gui_app.core.text.printable import short_repr

# Re-exported: callers import the block types and the writer from here.
__all__ = ["TOP", "Lane", "LayerSpec", "Place", "write_atomic"]

FORMAT_NAME = "netbuilder"
#: The newest format this code reads and writes. Version 2 added container blocks (Residual,
#: Parallel) with nested ``lanes``; a network without containers is still saved as version 1, so
#: older NetBuilders open it (see docs/project-format.md).
FORMAT_VERSION = 2
FIRST_NESTED_VERSION = 2
MAX_FILE_BYTES = PROJECT_LIMIT
#: Blocks in all, containers and the blocks in their lanes included.
MAX_LAYERS = 2000


class ProjectFileError(ValueError):
    """A file that cannot be read as a NetBuilder project; ``str()`` is a one-line reason."""


class Unset(Enum):
    """The value of a parameter a block does not set (so it is inferred or at its default)."""

    UNSET = "unset"


#: Pass as a value to :meth:`NetworkSpec.set_params` to take the key out of the block.
UNSET = Unset.UNSET


class ChangeKind(StrEnum):
    """What kind of edit a :class:`Change` reports (the values are the old strings)."""

    INSERT = "insert"
    REMOVE = "remove"
    MOVE = "move"
    PARAM = "param"
    INPUT_SHAPE = "input_shape"
    NAME = "name"
    TRAINING = "training"
    #: everything may have changed (a project was loaded)
    RESET = "reset"
    #: several edits made as one (:meth:`NetworkSpec.batch`); they are in ``parts``
    BATCH = "batch"
    #: a container's lanes were added, removed or replaced as a whole (``uid`` is the container)
    LANES = "lanes"


#: Changes after which the blocks are not the same tree any more (views lay them out again).
STRUCTURAL = frozenset({ChangeKind.INSERT, ChangeKind.REMOVE, ChangeKind.MOVE, ChangeKind.RESET, ChangeKind.LANES})


@dataclass(frozen=True)
class Change:
    """What changed in a spec: the other fields say where (``index`` and ``uid`` of the block,
    ``key`` and new ``value`` of a parameter; ``value`` is the old index of a move).

    ``lane`` is the lane of ``index`` when that is not the top-level chain (None: the top level,
    as before containers); ``from_lane`` is the lane a block moved out of, when that was another.
    """

    kind: ChangeKind
    index: int | None = None
    uid: int | None = None
    key: str | None = None
    value: Any = None
    parts: tuple[Change, ...] = ()
    lane: Lane | None = None
    from_lane: Lane | None = None

    def each(self) -> tuple[Change, ...]:
        """The single changes this stands for: a batch's parts, else itself."""
        return self.parts if self.kind is ChangeKind.BATCH else (self,)


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

    # ------------------------------------------------------------------ edits of the chain
    def insert_layer(self, index: int, layer: LayerSpec) -> None:
        """Insert ``layer`` before position ``index`` (``len(layers)`` appends)."""
        check_block(layer, "layer", 0)
        index = max(0, min(index, len(self.layers)))
        self.layers.insert(index, layer)
        self._emit(Change(ChangeKind.INSERT, index, layer.uid))

    def _layer(self, index: int) -> LayerSpec:
        """The top-level block at ``index`` (0-based, never from the end); :class:`MissingBlockError`
        when the chain has none there, as when a fix or an edit outlived the block it names."""
        if not 0 <= index < len(self.layers):
            raise MissingBlockError(f"no block at position {index} of a chain of {len(self.layers)}")
        return self.layers[index]

    def remove_layer(self, index: int) -> LayerSpec:
        """Remove and return the layer at ``index``."""
        layer = self._layer(index)
        del self.layers[index]
        self._emit(Change(ChangeKind.REMOVE, index, layer.uid))
        return layer

    def move_layer(self, source: int, target: int) -> None:
        """Move the layer at ``source`` so that it ends up at index ``target``."""
        if source == target:
            return
        layer = self._layer(source)
        del self.layers[source]
        self.layers.insert(target, layer)
        self._emit(Change(ChangeKind.MOVE, target, layer.uid, value=source))

    # ------------------------------------------------------------------ edits of a block
    def edited_params(self, index: int, values: Mapping[str, Any]) -> dict[str, Any]:
        """The block's parameters as ``values`` would leave them, validated; nothing is applied.

        A value of :data:`UNSET`, or ``None`` for an inferred size, takes the key out of the block.
        Raises :class:`ParamError` whose message starts with the block's type and the key.
        """
        return self._edited(self._layer(index), values)

    def edited_block_params(self, uid: int, values: Mapping[str, Any]) -> dict[str, Any]:
        """:meth:`edited_params` of the block ``uid``, wherever it is nested."""
        return self._edited(self.block(uid), values)

    def _edited(self, layer: LayerSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        index_of_param = CATALOGUE[layer.type].param_index
        params = dict(layer.params)
        for key, value in values.items():
            param = index_of_param.get(key)
            if value is UNSET or (value is None and param is not None and param.inferred):
                params.pop(key, None)
            else:
                params[key] = value
        return validate_layer(layer.type, params, layer.type)

    def set_params(self, index: int, values: Mapping[str, Any]) -> bool:
        """Set several parameters of one block at once (see :meth:`edited_params`); True if any changed."""
        return self.replace_params(index, self.edited_params(index, values))

    def set_param(self, index: int, key: str, value: Any) -> bool:
        """Set one parameter (see :meth:`set_params`)."""
        return self.set_params(index, {key: value})

    def replace_params(self, index: int, params: Mapping[str, Any]) -> bool:
        """Give the block exactly ``params`` (key order kept); True if that changed it.

        ``params`` must be valid: what :meth:`edited_params` returned, or the block's own earlier
        params (an undo). Checking them again here would validate every edit twice, once per
        keystroke in the inspector. The block stays the same :class:`LayerSpec` object; one
        ``param`` change per key that differs.
        """
        return self._replace(self._layer(index), index, None, params)

    def replace_block_params(self, uid: int, params: Mapping[str, Any]) -> bool:
        """:meth:`replace_params` of the block ``uid``, wherever it is nested (same rules)."""
        place = self.place(uid)
        return self._replace(place.block, place.index, place.lane if place.depth else None, params)

    def _replace(self, layer: LayerSpec, index: int, lane: Lane | None, params: Mapping[str, Any]) -> bool:
        clean = dict(params)
        old = layer.params
        keys = [k for k in {**old, **clean} if (k in old, old.get(k)) != (k in clean, clean.get(k))]
        if not keys:
            return False
        layer.params = clean
        with self.batch():
            for key in keys:
                self._emit(Change(ChangeKind.PARAM, index, layer.uid, key, clean.get(key), lane=lane))
        return True

    # ------------------------------------------------------------------ edits of lanes
    # Each takes lanes by :class:`Lane` and blocks by uid, applies a pure edit of
    # :mod:`gui_app.core.project.lane_edits` and emits one change; the top-level chain (``TOP``)
    # goes through the chain edits above, so their changes stay what they were.
    def insert_block(self, lane: Lane, index: int, block: LayerSpec) -> None:
        """Put ``block`` (with its lanes) in ``lane`` before ``index``; :class:`ParamError` if refused."""
        if lane.container is None:
            self.insert_layer(index, block)
            return
        check_block(block, "block", lane_depth(self.layers, lane))
        present = {place.block.uid for place in walk(self.layers)}
        if any(place.block.uid in present for place in walk([block])):
            raise ValueError("the block is in the network already; insert a copy")
        self.layers = lane_edits.inserted(self.layers, lane, index, [block])
        self._emit(Change(ChangeKind.INSERT, self.place(block.uid).index, block.uid, lane=lane))

    def remove_block(self, uid: int) -> Place:
        """Take block ``uid`` out of the tree; where it was (its ``block`` is the block itself)."""
        place = self.place(uid)
        if place.depth == 0:
            self.remove_layer(place.index)
            return place
        self.layers, _ = lane_edits.removed(self.layers, uid)
        self._emit(Change(ChangeKind.REMOVE, place.index, uid, lane=place.lane))
        return place

    def move_block(self, uid: int, lane: Lane, index: int) -> Place:
        """Move block ``uid`` to position ``index`` of ``lane`` (into, out of or between lanes);
        returns where it was. :class:`ParamError` when it cannot go there."""
        place = self.place(uid)
        if place.depth == 0 and lane.container is None:
            self.move_layer(place.index, max(0, min(index, len(self.layers) - 1)))
            return place
        target_depth = lane_depth(self.layers, lane)
        if target_depth + height(place.block) > MAX_DEPTH:
            raise ParamError(f"block: containers may nest at most {MAX_DEPTH} deep")
        self.layers, _ = lane_edits.moved(self.layers, uid, lane, index)
        new = self.place(uid)
        self._emit(Change(ChangeKind.MOVE, new.index, uid, value=place.index, lane=lane, from_lane=place.lane))
        return place

    def replace_lane(self, lane: Lane, blocks: list[LayerSpec]) -> list[LayerSpec]:
        """Give ``lane`` of a container exactly ``blocks`` (a suggested fix, or its undo); the old blocks."""
        depth = lane_depth(self.layers, lane)
        for i, block in enumerate(blocks):
            check_block(block, f"blocks[{i}]", depth)
        self.layers, old = lane_edits.lane_replaced(self.layers, lane, blocks)
        self._emit(Change(ChangeKind.LANES, uid=lane.container, value=lane.lane))
        return old

    def add_lane(self, container: int, at: int, blocks: list[LayerSpec] | None = None) -> None:
        """Give a Parallel a new lane at position ``at`` (holding ``blocks``, e.g. an undone removal)."""
        depth = self.place(container).depth + 1
        for i, block in enumerate(blocks or []):
            check_block(block, f"blocks[{i}]", depth)
        self.layers = lane_edits.lane_added(self.layers, container, at, blocks or [])
        self._emit(Change(ChangeKind.LANES, uid=container, value=at))

    def remove_lane(self, container: int, lane: int) -> list[LayerSpec]:
        """Take lane ``lane`` out of a Parallel; the blocks it held."""
        self.layers, old = lane_edits.lane_removed(self.layers, container, lane)
        self._emit(Change(ChangeKind.LANES, uid=container, value=lane))
        return old

    def set_layers(self, layers: list[LayerSpec]) -> None:
        """Take a whole tree of blocks (an earlier one an undo kept); one ``reset`` event."""
        self.layers = list(layers)
        self._emit(Change(ChangeKind.RESET))

    # ------------------------------------------------------------------ edits of the project
    def checked_input_shape(self, shape: tuple[int, ...] | list[int]) -> tuple[int, ...]:
        """``shape`` as the spec would hold it; :class:`ParamError` (path "input shape") if refused."""
        return validate_input_shape(list(shape), "input shape")

    def set_input_shape(self, shape: tuple[int, ...]) -> bool:
        shape = self.checked_input_shape(shape)
        if shape == self.input_shape:
            return False
        self.input_shape = shape
        self._emit(Change(ChangeKind.INPUT_SHAPE, value=shape))
        return True

    def set_name(self, name: str) -> bool:
        """Rename; not validated here, since undo must restore whatever name a file held (the
        window validates a typed name with :func:`~gui_app.core.project.validation.validate_name`)."""
        if name == self.name:
            return False
        self.name = name
        self._emit(Change(ChangeKind.NAME, value=name))
        return True

    def set_training(self, training: TrainingConfig) -> bool:
        if training == self.training:
            return False
        self.training = training
        self._emit(Change(ChangeKind.TRAINING, value=training))
        return True

    def replace_all(self, other: NetworkSpec) -> None:
        """Take over ``other``'s content (layers keep their uids); one ``reset`` event."""
        self.layers = list(other.layers)
        self.input_shape = other.input_shape
        self.name = other.name
        self.training = other.training
        self._emit(Change(ChangeKind.RESET))

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group several edits into one emission: the single change, or a ``batch`` of them all."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._batched:
                batched, self._batched = tuple(self._batched), []
                self.changed.emit(batched[0] if len(batched) == 1 else Change(ChangeKind.BATCH, parts=batched))

    def _emit(self, change: Change) -> None:
        if self._batch_depth:
            self._batched.append(change)
            return
        self.changed.emit(change)

    # ------------------------------------------------------------------ queries
    def place(self, uid: int) -> Place:
        """Where block ``uid`` is in the tree, at any depth; :class:`MissingBlockError` (a KeyError) if absent."""
        return locate(self.layers, uid)

    def block(self, uid: int) -> LayerSpec:
        """The block ``uid``, at any depth; :class:`MissingBlockError` (a KeyError) if absent."""
        return self.place(uid).block

    def index_of(self, uid: int) -> int:
        """Position of the layer with ``uid``; :class:`MissingBlockError` (a KeyError) if absent."""
        for i, layer in enumerate(self.layers):
            if layer.uid == uid:
                return i
        raise MissingBlockError(uid)

    def same_network(self, other: NetworkSpec) -> bool:
        """The same input shape and blocks, lanes and parameters included (uids aside: they are
        the process's names for blocks, not part of the network)."""
        return tuple(self.input_shape) == tuple(other.input_shape) and self.layers == other.layers

    def copy(self, *, keep_uids: bool = False) -> NetworkSpec:
        """An independent deep copy with no connected callbacks: fresh uids, or the same ones
        (``keep_uids``: a view that names the document's blocks by uid in its copy)."""
        layers = [layer.copy(keep_uids=keep_uids) for layer in self.layers]
        return NetworkSpec(layers, self.input_shape, self.name, replace(self.training))

    # ------------------------------------------------------------------ serialisation
    def format_version(self) -> int:
        """The version this network is saved as: the oldest that can hold it, so a network without
        containers still opens in a NetBuilder from before them."""
        nested = any(layer.lanes is not None for layer in self.layers)
        return FIRST_NESTED_VERSION if nested else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": self.format_version(),
            "name": self.name,
            "input_shape": list(self.input_shape),
            "layers": [layer.to_dict() for layer in self.layers],
            "training": self.training.to_dict(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


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
    """Refuse duplicate keys (marked by the JSON reader) and unsafe characters anywhere, naming the path.

    Walked with a stack rather than recursion: ``json.loads`` accepts nesting deeper than a
    recursive walk could follow.
    """
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            check_text(value, path or "(document)")
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, dict):
            duplicates = getattr(value, "duplicates", None)
            if duplicates:
                raise ParamError(
                    f"{path or '(top level)'}: duplicate key {short_repr(duplicates[0])}; each key may appear once"
                )
            for key, item in value.items():
                key_path = f"{path}.{short_key(str(key))}" if path else short_key(str(key))
                check_text(str(key), f"{key_path} (a key)")
                stack.append((key_path, item))


def _spec_from_dict(data: dict[str, Any]) -> NetworkSpec:
    _check_header(data)
    name = data.get("name", "Untitled")
    if not isinstance(name, str) or len(name) > MAX_NAME:
        raise ParamError(f"name: must be a string of at most {MAX_NAME} characters")
    if "input_shape" not in data:
        raise ParamError("input_shape: missing (e.g. [1, 28, 28] for MNIST)")
    input_shape = validate_input_shape(data["input_shape"], "input_shape")
    layers = _layers_from_list(data.get("layers", []))
    training = TrainingConfig.from_dict(data.get("training", {}))
    return NetworkSpec(layers, input_shape, name, training)


def _check_header(data: dict[str, Any]) -> None:
    """Only known top-level keys, and a format and version this NetBuilder reads."""
    known = {"format", "version", "name", "input_shape", "layers", "training"}
    for key in data:
        if key not in known:
            raise ParamError(f"{short_key(str(key))}: unknown key (known: {', '.join(sorted(known))})")
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


def _layers_from_list(raw_layers: Any) -> list[LayerSpec]:
    if isinstance(raw_layers, list) and len(raw_layers) > MAX_LAYERS:
        raise ParamError(f"layers: {len(raw_layers)} layers is more than {MAX_LAYERS}")
    return _blocks_from_list(raw_layers, "layers", 0, [0])


def _blocks_from_list(raw_blocks: Any, path: str, depth: int, counted: list[int]) -> list[LayerSpec]:
    """The blocks of one chain at ``depth``; ``counted`` holds how many blocks were read so far.

    Recursion is bounded: :func:`validate_lanes` refuses lanes deeper than ``MAX_DEPTH``
    before they are read.
    """
    if not isinstance(raw_blocks, list):
        raise ParamError(f"{path}: must be a list")
    counted[0] += len(raw_blocks)
    if counted[0] > MAX_LAYERS:
        raise ParamError(f"{path}: more than {MAX_LAYERS} blocks in all, containers and their lanes included")
    blocks = []
    for i, raw in enumerate(raw_blocks):
        item = f"{path}[{i}]"
        if not isinstance(raw, dict):
            raise ParamError(f"{item}: must be an object with a 'type'")
        if "type" not in raw:
            raise ParamError(f"{item}.type: missing")
        params = validate_layer(raw["type"], {k: v for k, v in raw.items() if k not in ("type", "lanes")}, item)
        lanes = None
        if "lanes" in raw or is_container(raw["type"]):
            raw_lanes = validate_lanes(raw["type"], raw.get("lanes"), f"{item}.lanes", depth)
            lanes = [
                _blocks_from_list(lane, f"{item}.lanes[{n}]", depth + 1, counted) for n, lane in enumerate(raw_lanes)
            ]
        blocks.append(LayerSpec(raw["type"], params, lanes=lanes))
    return blocks


def load_spec(text: str | bytes) -> NetworkSpec:
    """Parse project-file text; raise :class:`ProjectFileError` with a one-line reason.

    Bytes may start with a UTF-8 byte order mark (editors on Windows write one).
    """
    if len(text) > MAX_FILE_BYTES:
        raise ProjectFileError(f"the file is larger than {format_bytes(MAX_FILE_BYTES)}")
    try:
        data = load_json_text(text, "project file", keep_duplicates=True)
    except JsonTextError as exc:
        raise ProjectFileError(str(exc)) from None
    return spec_from_dict(data)


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
