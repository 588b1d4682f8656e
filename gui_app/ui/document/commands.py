"""Undo commands: one per user edit, each making one call of the spec's edit methods each way
(a one-click fix makes the few calls its fix needs, in one batch).

A command takes the spec (never the document, which owns the stack and pushes), and stores the
old and the new value, worked out and validated before it is pushed. Layers are addressed by uid,
not index, so a command stays correct whatever happened to the order since it was pushed. Every
command has readable text for the Edit menu ("Undo Add Conv2d").
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from PySide6.QtGui import QUndoCommand

from gui_app.core.analysis.fixes import Fix
from gui_app.core.project.blocks import blocks_in, walk
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import TOP, Lane, LayerSpec, NetworkSpec, Place

_SET_PARAMS_ID = 1001
_SET_TRAINING_ID = 1002


class InsertLayersCommand(QUndoCommand):
    """Insert ``layers`` at ``index`` of ``lane`` (add, paste, duplicate, drop; the top level by default)."""

    def __init__(self, spec: NetworkSpec, index: int, layers: list[LayerSpec], text: str, lane: Lane = TOP) -> None:
        super().__init__(text)
        self._spec = spec
        self._index = index
        self._layers = list(layers)
        self._lane = lane

    def redo(self) -> None:
        spec = self._spec
        with spec.batch():
            for offset, layer in enumerate(self._layers):
                spec.insert_block(self._lane, self._index + offset, layer)

    def undo(self) -> None:
        spec = self._spec
        with spec.batch():
            for layer in reversed(self._layers):
                spec.remove_block(layer.uid)


class RemoveLayersCommand(QUndoCommand):
    """Remove the blocks with the given uids, at any depth; undo puts each back where it was.

    They are removed last first (in the tree's order), so each one's recorded place is right
    again when undo puts them back first first.
    """

    def __init__(self, spec: NetworkSpec, uids: list[int], text: str) -> None:
        super().__init__(text)
        self._spec = spec
        order = {place.block.uid: n for n, place in enumerate(walk(spec.layers))}
        self._uids = sorted(uids, key=order.__getitem__)
        self._removed: list[Place] = []

    def redo(self) -> None:
        spec = self._spec
        with spec.batch():
            self._removed = [spec.remove_block(uid) for uid in reversed(self._uids)]

    def undo(self) -> None:
        spec = self._spec
        with spec.batch():
            for place in reversed(self._removed):
                spec.insert_block(place.lane, place.index, place.block)


class MoveBlocksCommand(QUndoCommand):
    """Move blocks, in their order, into ``lane`` before the block ``before`` (None: at its end):
    into, out of and between lanes. Undo moves them back last first, each to where it was."""

    def __init__(self, spec: NetworkSpec, uids: list[int], lane: Lane, before: int | None, text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._uids = list(uids)
        self._lane = lane
        self._before = before
        self._from: list[Place] = []

    def redo(self) -> None:
        spec = self._spec
        with spec.batch():
            self._from = [spec.move_block(uid, self._lane, self._position(uid)) for uid in self._uids]

    def _position(self, uid: int) -> int:
        """Where ``uid`` goes: before ``before`` in the lane as it is without ``uid``."""
        chain = [block.uid for block in blocks_in(self._spec.layers, self._lane) if block.uid != uid]
        return chain.index(self._before) if self._before in chain else len(chain)

    def undo(self) -> None:
        spec = self._spec
        with spec.batch():
            for uid, place in reversed(list(zip(self._uids, self._from, strict=True))):
                spec.move_block(uid, place.lane, place.index)


class AddLaneCommand(QUndoCommand):
    """Give a Parallel a new, empty lane at ``at``."""

    def __init__(self, spec: NetworkSpec, container: int, at: int) -> None:
        super().__init__("Add lane")
        self._spec = spec
        self._container = container
        self._at = at

    def redo(self) -> None:
        self._spec.add_lane(self._container, self._at)

    def undo(self) -> None:
        self._spec.remove_lane(self._container, self._at)


class RemoveLaneCommand(QUndoCommand):
    """Take a lane out of a Parallel; undo puts it back with the blocks it held."""

    def __init__(self, spec: NetworkSpec, container: int, lane: int) -> None:
        super().__init__("Remove lane")
        self._spec = spec
        self._container = container
        self._lane = lane
        self._blocks: list[LayerSpec] = []

    def redo(self) -> None:
        self._blocks = self._spec.remove_lane(self._container, self._lane)

    def undo(self) -> None:
        self._spec.add_lane(self._container, self._lane, self._blocks)


class SetParamsCommand(QUndoCommand):
    """Give one block new parameters (set, or reset some keys); the block stays the same object.

    ``keys`` are the parameters the user edited: with ``merge``, consecutive edits of the same keys
    of the same block merge (typing 1, 12, 128 in one spin box is one undo step); a Reset does not.
    """

    def __init__(
        self, spec: NetworkSpec, uid: int, keys: tuple[str, ...], new_params: dict[str, Any], text: str, merge: bool
    ) -> None:
        super().__init__(text)
        self._spec = spec
        self.uid = uid
        self.keys = keys
        self._merge = merge
        self._old = dict(spec.block(uid).params)
        self._new = dict(new_params)

    def id(self) -> int:
        return _SET_PARAMS_ID if self._merge else -1  # -1: Qt never merges it

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamsCommand) or (other.uid, other.keys) != (self.uid, self.keys):
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._spec.replace_block_params(self.uid, self._new)

    def undo(self) -> None:
        self._spec.replace_block_params(self.uid, self._old)


class SetInputShapeCommand(QUndoCommand):
    def __init__(self, spec: NetworkSpec, shape: tuple[int, ...]) -> None:
        super().__init__("Set input shape")
        self._spec = spec
        self._new = tuple(shape)
        self._old = tuple(spec.input_shape)

    def redo(self) -> None:
        self._spec.set_input_shape(self._new)

    def undo(self) -> None:
        self._spec.set_input_shape(self._old)


class SetNameCommand(QUndoCommand):
    """Rename the project (the name exports and the title bar use)."""

    def __init__(self, spec: NetworkSpec, name: str) -> None:
        super().__init__("Rename project")
        self._spec = spec
        self._new = name
        self._old = spec.name

    def redo(self) -> None:
        self._spec.set_name(self._new)

    def undo(self) -> None:
        self._spec.set_name(self._old)


def changed_settings(old: TrainingConfig, new: TrainingConfig) -> frozenset[str]:
    """The names of the settings that differ between ``old`` and ``new``."""
    return frozenset(f.name for f in fields(TrainingConfig) if getattr(old, f.name) != getattr(new, f.name))


class SetTrainingCommand(QUndoCommand):
    """Change the project's training settings.

    Each setting is an undo step of its own: only a change of the same settings as the step
    before merges into it (a drag of one spin box), so epochs then lr undo as two steps.
    """

    def __init__(self, spec: NetworkSpec, training: TrainingConfig) -> None:
        super().__init__("Change training settings")
        self._spec = spec
        self._new = training
        self._old = spec.training
        self.settings = changed_settings(self._old, training)

    def id(self) -> int:
        return _SET_TRAINING_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetTrainingCommand) or other.settings != self.settings:
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._spec.set_training(self._new)

    def undo(self) -> None:
        self._spec.set_training(self._old)


class _SpecState:
    """The content a spec had: its tree of blocks with each block's params, the input shape and
    the training settings.

    The tree is kept as the block objects themselves and their params as copies: every later
    edit is undone before this state is restored, so the tree holds what it held then, except
    for params (edited in place), which are put back.
    """

    def __init__(self, spec: NetworkSpec) -> None:
        self.layers = list(spec.layers)
        self.shape = _tree_shape(spec)
        self.params = {place.block.uid: _copied(place.block.params) for place in walk(spec.layers)}
        self.input_shape = tuple(spec.input_shape)
        self.training = spec.training

    def restore(self, spec: NetworkSpec) -> None:
        """Make ``spec`` hold this content, through its edit methods, as one batch of changes."""
        with spec.batch():
            if _tree_shape(spec) != self.shape:
                spec.set_layers(list(self.layers))
            for uid, params in self.params.items():
                spec.replace_block_params(uid, _copied(params))
            spec.set_input_shape(self.input_shape)
            spec.set_training(self.training)


def _tree_shape(spec: NetworkSpec) -> list[tuple[int, Lane, int]]:
    return [(place.block.uid, place.lane, place.index) for place in walk(spec.layers)]


def _copied(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params))


class ApplyFixCommand(QUndoCommand):
    """Make a one-click fix's edits on the spec; undo restores it exactly.

    The first redo (the push) makes the edits on the spec itself, so the blocks it keeps stay the
    same objects (the canvas keeps its items, the selection survives) and a block it changes is
    edited in place. What that gave is kept, so a redo brings back the same blocks, uids included.
    """

    def __init__(self, spec: NetworkSpec, fix: Fix, text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._fix = fix
        self._before = _SpecState(spec)
        self._after: _SpecState | None = None

    def redo(self) -> None:
        if self._after is None:
            with self._spec.batch():
                self._fix.apply_in_place(self._spec)
            self._after = _SpecState(self._spec)
        else:
            self._after.restore(self._spec)

    def undo(self) -> None:
        self._before.restore(self._spec)


class ReplaceNetworkCommand(QUndoCommand):
    """Give the project another network and training settings at once (a past run reopened).

    The project keeps its name. The layer objects on each side are kept, so undo and redo bring
    back the same blocks (the canvas keys its items on their uids).
    """

    def __init__(self, spec: NetworkSpec, other: NetworkSpec, text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._old = NetworkSpec(list(spec.layers), spec.input_shape, spec.name, spec.training)
        self._new = NetworkSpec([layer.copy() for layer in other.layers], other.input_shape, spec.name, other.training)

    def redo(self) -> None:
        self._spec.replace_all(self._new)

    def undo(self) -> None:
        self._spec.replace_all(self._old)
