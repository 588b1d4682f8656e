"""The open project: its spec, file path, undo stack, and the compiler's latest report.

Views never edit the spec: they call the edit methods here, which push one undo command each.
After every change of the spec the network is recompiled once and :attr:`Document.changed` is
emitted, so views read a consistent ``(spec, compiled, warnings)`` triple.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from gui_app.core.analysis.compiler import LayerResult, compile_network, walk_results
from gui_app.core.analysis.costs import network_costs
from gui_app.core.analysis.dims import network_dims
from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.lint import lint_network
from gui_app.core.analysis.messages import block_name, error_message
from gui_app.core.analysis.repair import Problem, problems
from gui_app.core.layers.catalogue import ParamError
from gui_app.core.layers.containers import is_container
from gui_app.core.project.blocks import TOP, Lane, MissingBlockError, MissingLaneError, blocks_in, walk
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import (
    UNSET,
    Change,
    LayerSpec,
    NetworkSpec,
    ProjectFileError,
    save_spec,
    spec_from_dict,
)
from gui_app.core.project.validation import validate_layer, validate_name
from gui_app.ui.document.commands import (
    AddLaneCommand,
    ApplyFixCommand,
    InsertLayersCommand,
    MoveBlocksCommand,
    RemoveLaneCommand,
    RemoveLayersCommand,
    ReplaceNetworkCommand,
    SetInputShapeCommand,
    SetNameCommand,
    SetParamsCommand,
    SetTrainingCommand,
)

CLIPBOARD_FORMAT = "netbuilder-layers"


class Document(QObject):
    """One open project. ``changed(Change)`` fires after each recompile."""

    changed = Signal(object)
    path_changed = Signal(object)
    dirty_changed = Signal(bool)
    lock_changed = Signal(str)
    #: A user edit that was refused, with the one-line reason (for the status bar).
    edit_refused = Signal(str)

    def __init__(self, spec: NetworkSpec | None = None, path: Path | None = None, parent=None) -> None:
        super().__init__(parent)
        self.spec = spec if spec is not None else NetworkSpec()
        self.path: Path | None = Path(path) if path else None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.lock_reason = ""
        self._analyse()
        self.spec.changed.connect(self._on_spec_changed)

    # ------------------------------------------------------------------ state
    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        """The project's name, with its file's name when that says something else."""
        name = self.spec.name
        if self.path is None:
            return name
        return self.path.name if self.path.stem == name else f"{name} ({self.path.name})"

    def layer(self, uid: int) -> LayerSpec:
        """The block ``uid``, at any depth; :class:`KeyError` if absent."""
        return self.spec.block(uid)

    def result(self, uid: int) -> LayerResult:
        """The compiler's :class:`LayerResult` for the block with ``uid``, at any depth."""
        return self.results_by_uid[uid]

    def warnings_for(self, index: int) -> list[Any]:
        return [w for w in self.warnings if w.index == index]

    def first_problem(self) -> str | None:
        """The first compile error or warning as one line, or None when ready to train."""
        for result in self.compiled.layers:
            if result.error:
                return error_message(result, sentence=True)
        if not self.spec.layers:
            return "Add layers from the palette to build a network"
        for warning in self.warnings:
            where = f"{block_name(warning.index).capitalize()}: " if warning.index is not None else ""
            return f"{where}{warning.message}"
        return None

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    def _on_spec_changed(self, change: Change) -> None:
        self._analyse()
        self.changed.emit(change)

    def _analyse(self) -> None:
        """Compile, lint, cost and name the dimensions of the network as it is now."""
        self.compiled = compile_network(self.spec)
        self.results_by_uid = {result.uid: result for result in walk_results(self.compiled.layers)}
        self.warnings = lint_network(self.spec, self.compiled)
        self.costs = network_costs(self.compiled)
        self.dims = network_dims(self.spec, self.compiled)

    def fixes_at(self, index: int | None) -> list[Problem]:
        """The problems of the block at ``index`` (None: the network as a whole) that have a fix."""
        return [p for p in problems(self.compiled, self.warnings) if p.index == index and p.remedy is not None]

    def fixes_for(self, uid: int) -> list[Problem]:
        """The problems with a fix of block ``uid`` (at any depth) and of the blocks in its lanes:
        a container's own suggested shortcut, and the fix of an inner block at fault."""
        try:
            inside = {place.block.uid for place in walk([self.spec.block(uid)])}
        except KeyError:
            return []
        return [p for p in problems(self.compiled, self.warnings) if p.uid in inside and p.remedy is not None]

    # ------------------------------------------------------------------ lock
    def lock(self, reason: str) -> None:
        """Refuse edits (e.g. while a run trains this network) and say why."""
        self.lock_reason = reason
        self.lock_changed.emit(reason)

    def unlock(self) -> None:
        self.lock_reason = ""
        self.lock_changed.emit("")

    def _push(self, command: QUndoCommand) -> bool:
        if self.lock_reason:
            self.edit_refused.emit(self.lock_reason)
            return False
        self.undo_stack.push(command)
        return True

    def undo(self) -> None:
        if self.lock_reason:
            self.edit_refused.emit(self.lock_reason)
        else:
            self.undo_stack.undo()

    def redo(self) -> None:
        if self.lock_reason:
            self.edit_refused.emit(self.lock_reason)
        else:
            self.undo_stack.redo()

    # ------------------------------------------------------------------ edits
    def add_layer(
        self, type_name: str, index: int | None = None, params: dict | None = None, lane: Lane = TOP
    ) -> int | None:
        """Insert a new block of ``type_name`` (a container with its empty lanes) at ``index`` of
        ``lane`` (the end when None); returns its uid (None if refused)."""
        layer = LayerSpec(type_name, dict(params or {}))
        uids = self.insert_blocks(lane, index, [layer], f"Add {type_name}")
        return uids[0] if uids else None

    def insert_layers(self, index: int, layers: list[LayerSpec], text: str) -> list[int]:
        """Insert copies-to-be (paste, duplicate) at the top level; returns the new uids."""
        return self.insert_blocks(TOP, index, layers, text)

    def insert_blocks(self, lane: Lane, index: int | None, blocks: list[LayerSpec], text: str) -> list[int]:
        """Insert ``blocks`` before ``index`` of ``lane`` (its end when None), as one undo step; the
        new uids, or [] when refused (the reason is :attr:`edit_refused`)."""
        if not blocks:
            return []
        chain = self._looked_up(lambda: blocks_in(self.spec.layers, lane))
        if chain is None:
            return []
        index = len(chain) if index is None else max(0, min(index, len(chain)))

        def insert(trial: NetworkSpec) -> None:
            for offset, block in enumerate(blocks):
                trial.insert_block(lane, index + offset, block.copy())

        if self._tried(insert) is None:
            return []
        ok = self._push(InsertLayersCommand(self.spec, index, blocks, text, lane))
        return [block.uid for block in blocks] if ok else []

    def remove_layers(self, uids: list[int]) -> bool:
        """Delete blocks at any depth (a container with what its lanes hold) as one undo step."""
        uids = self._outermost(uids)
        if not uids:
            return False
        text = f"Delete {self.layer(uids[0]).type}" if len(uids) == 1 else f"Delete {len(uids)} blocks"
        return self._push(RemoveLayersCommand(self.spec, uids, text))

    def duplicate_layers(self, uids: list[int]) -> list[int]:
        """Copies of the blocks, inserted after the last of them, in its lane."""
        uids = self._outermost(uids)
        if not uids:
            return []
        copies = [self.layer(uid).copy() for uid in uids]
        text = f"Duplicate {copies[0].type}" if len(copies) == 1 else f"Duplicate {len(copies)} blocks"
        last = self.spec.place(uids[-1])
        return self.insert_blocks(last.lane, last.index + 1, copies, text)

    def move_blocks(self, uids: list[int], lane: Lane, index: int) -> bool:
        """Move blocks, in the tree's order, into ``lane`` to stand before its block at ``index``
        (as the lane is now): into, out of and between lanes; one undo step. False if refused or a no-op."""
        group = self._outermost(uids)
        chain = self._looked_up(lambda: blocks_in(self.spec.layers, lane))
        if chain is None or not group:
            return False
        # The block the group lands before: the first at or after ``index`` that does not move.
        return self._move_before(group, lane, next((b.uid for b in chain[max(0, index) :] if b.uid not in group), None))

    def _move_before(self, group: list[int], lane: Lane, before: int | None) -> bool:
        """Every move: ``group`` into ``lane`` before block ``before`` (None: at its end), tried on
        a copy first; one undo step. False if refused or a no-op."""
        trial = self._tried(lambda trial: MoveBlocksCommand(trial, group, lane, before, "").redo())
        if trial is None or trial.to_dict() == self.spec.to_dict():
            return False
        return self._push(MoveBlocksCommand(self.spec, group, lane, before, _move_text(self.spec, group)))

    def add_lane(self, container: int, at: int | None = None) -> bool:
        """Give a Parallel another (empty) lane, at ``at`` (after its last when None); one undo step."""
        block = self._looked_up(lambda: self.spec.block(container))
        if block is None:
            return False
        at = len(block.lanes or []) if at is None else at
        if self._tried(lambda trial: trial.add_lane(container, at)) is None:
            return False
        return self._push(AddLaneCommand(self.spec, container, at))

    def remove_lane(self, container: int, lane: int) -> bool:
        """Take lane ``lane`` (and its blocks) out of a Parallel; one undo step."""
        if self._tried(lambda trial: trial.remove_lane(container, lane)) is None:
            return False
        return self._push(RemoveLaneCommand(self.spec, container, lane))

    def _tried(self, edit: Callable[[NetworkSpec], object]) -> NetworkSpec | None:
        """``edit`` made on a copy of the network (same uids): the copy, or None when the spec's
        validating methods refused it (the reason goes to :attr:`edit_refused`), so a refused
        edit never reaches the undo stack."""
        trial = self.spec.copy(keep_uids=True)

        def edited() -> NetworkSpec:
            edit(trial)
            return trial

        return self._looked_up(edited)

    def _looked_up(self, read: Callable[[], _T]) -> _T | None:
        """``read()``, or None when the spec refused it (a block or lane that is gone, a value the
        validator rejects); the reason goes to :attr:`edit_refused`. Anything else is a bug: raised."""
        try:
            return read()
        except _REFUSALS as exc:
            self.edit_refused.emit(_reason(exc))
            return None

    def _outermost(self, uids: list[int]) -> list[int]:
        """The blocks of ``uids`` that are in the network and not inside another of them, in tree order."""
        wanted = set(uids)
        found: list[int] = []
        inside: set[int] = set()
        for place in walk(self.spec.layers):
            uid = place.block.uid
            if uid in inside:
                continue  # it moves (or goes) with the container holding it
            if uid in wanted:
                found.append(uid)
                inside.update(inner.block.uid for inner in walk([place.block]))
        return found

    def set_param(self, uid: int, key: str, value: Any) -> bool:
        """Set one parameter (``None`` for an inferred size: inferred again); an unacceptable
        value is refused with a message, not raised."""
        return self.set_params(uid, {key: value})

    def set_params(self, uid: int, values: dict[str, Any], text: str | None = None) -> bool:
        """Set several parameters of one block as one undo step (see ``NetworkSpec.set_params``)."""
        if not self._has(uid):
            return False
        layer = self.layer(uid)
        return self._push_params(uid, values, text or f"Set {layer.type} {', '.join(values)}", merge=True)

    def reset_param(self, uid: int, key: str) -> bool:
        """Take ``key`` out of the block: an inferred size is inferred again, anything else is back
        at its default. One undo step; False when the block does not set ``key``."""
        if not self._has(uid) or key not in self.layer(uid).params:
            return False
        return self._push_params(uid, {key: UNSET}, f"Reset {self.layer(uid).type} {key}", merge=False)

    def _push_params(self, uid: int, values: dict[str, Any], text: str, merge: bool) -> bool:
        """Validate the edit once in the spec; push it unless refused or a no-op."""
        try:
            new_params = self.spec.edited_block_params(uid, values)
        except ParamError as exc:
            self.edit_refused.emit(str(exc))
            return False
        if new_params == self.layer(uid).params:
            return False
        return self._push(SetParamsCommand(self.spec, uid, tuple(values), new_params, text, merge))

    def apply_fix(self, fix: Fix) -> bool:
        """Apply a one-click fix of the network as it is now, as one undo step ("Fix: ...")."""
        if self._tried(fix.apply_in_place) is None:  # the fix no longer fits this network
            return False
        return self._push(ApplyFixCommand(self.spec, fix, f"Fix: {fix.label}"))

    def set_input_shape(self, shape: tuple[int, ...]) -> bool:
        try:
            shape = self.spec.checked_input_shape(shape)
        except ParamError as exc:
            self.edit_refused.emit(str(exc))
            return False
        if shape == self.spec.input_shape:
            return False
        return self._push(SetInputShapeCommand(self.spec, shape))

    def set_name(self, name: str) -> bool:
        """Rename the project (one undo step); a name a project file could not hold is refused."""
        try:
            name = validate_name(name)
        except ParamError as exc:
            self.edit_refused.emit(str(exc))
            return False
        if name == self.spec.name:
            return False
        return self._push(SetNameCommand(self.spec, name))

    def set_training(self, training: TrainingConfig) -> bool:
        """Change the training settings; each setting changed is its own undo step."""
        if training == self.spec.training:
            return False
        return self._push(SetTrainingCommand(self.spec, training))

    def replace_network(self, other: NetworkSpec, text: str) -> bool:
        """Take ``other``'s input, layers and training settings (the name stays), as one undo step."""
        return self._push(ReplaceNetworkCommand(self.spec, other, text))

    def _has(self, uid: int) -> bool:
        try:
            self.spec.place(uid)
        except KeyError:
            return False
        return True

    # ------------------------------------------------------------------ files
    def load(self, spec: NetworkSpec, path: Path | None, dirty: bool = False) -> None:
        """Show ``spec`` as the project (open, new, recover); history starts afresh."""
        self.undo_stack.clear()
        self.spec.replace_all(spec)
        self.path = Path(path) if path else None
        self.path_changed.emit(self.path)
        self.undo_stack.setClean()
        if dirty:
            # A recovered autosave is unsaved work: an unreachable clean index marks it modified.
            self.undo_stack.resetClean()
        self.dirty_changed.emit(self.dirty)

    def save(self, path: Path | None = None) -> None:
        """Save atomically to ``path`` (or the current path); raises OSError on failure."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("no file name")
        save_spec(self.spec, target)
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)
        self.undo_stack.setClean()
        self.dirty_changed.emit(False)


_T = TypeVar("_T")

#: What the spec's edits raise when an edit cannot be made: a value the validator refuses, a block
#: or lane that is gone. Any other error is a bug and is not dressed up as a refused edit.
_REFUSALS = (ParamError, MissingBlockError, MissingLaneError)


def _reason(exc: Exception) -> str:
    """One line for a refused edit (a KeyError's str() is the repr of its key)."""
    if isinstance(exc, MissingBlockError):
        return "that block or lane is no longer in the network"
    return str(exc)


def _move_text(spec: NetworkSpec, group: list[int]) -> str:
    return f"Move {spec.block(group[0]).type}" if len(group) == 1 else f"Move {len(group)} blocks"


# ---------------------------------------------------------------------- clipboard


def layers_to_text(layers: list[LayerSpec]) -> str:
    """Blocks as JSON a user can read, edit in a text editor and paste back."""
    data = {"format": CLIPBOARD_FORMAT, "layers": [layer.to_dict() for layer in layers]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def layers_from_text(text: str) -> list[LayerSpec]:
    """Blocks from clipboard text: our format, a whole project, a list of layers or one layer.

    Raises :class:`ProjectFileError` with a one-line reason.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ProjectFileError("the clipboard does not hold NetBuilder layers (not JSON)") from None
    if isinstance(data, dict) and isinstance(data.get("layers"), list):
        raw = data["layers"]
    elif isinstance(data, list):
        raw = data
    elif isinstance(data, dict) and "type" in data:
        raw = [data]
    else:
        raise ProjectFileError("the clipboard does not hold NetBuilder layers")
    layers = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or "type" not in item:
            raise ProjectFileError(f"clipboard layer {i + 1}: must be an object with a 'type'")
        if "lanes" in item or is_container(str(item["type"])):
            layers.append(_container_from_clipboard(item, i))
            continue
        params = {k: v for k, v in item.items() if k != "type"}
        try:
            layers.append(LayerSpec(item["type"], validate_layer(item["type"], params, f"layer {i + 1}")))
        except ParamError as exc:
            raise ProjectFileError(f"clipboard {exc}") from None
    return layers


def _container_from_clipboard(item: dict[str, Any], i: int) -> LayerSpec:
    """A container with its lanes, read by the project reader (the one validator of nested blocks)."""
    try:
        return spec_from_dict({"input_shape": [1], "layers": [item]}).layers[0]
    except ProjectFileError as exc:
        raise ProjectFileError(f"clipboard layer {i + 1}: {str(exc).removeprefix('layers[0]').lstrip('.: ')}") from None
