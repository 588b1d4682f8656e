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

from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec

_SET_PARAMS_ID = 1001
_SET_TRAINING_ID = 1002


class InsertLayersCommand(QUndoCommand):
    """Insert ``layers`` at ``index`` (add, paste, duplicate, drop)."""

    def __init__(self, spec: NetworkSpec, index: int, layers: list[LayerSpec], text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._index = index
        self._layers = list(layers)

    def redo(self) -> None:
        spec = self._spec
        with spec.batch():
            for offset, layer in enumerate(self._layers):
                spec.insert_layer(self._index + offset, layer)

    def undo(self) -> None:
        spec = self._spec
        with spec.batch():
            for layer in reversed(self._layers):
                spec.remove_layer(spec.index_of(layer.uid))


class RemoveLayersCommand(QUndoCommand):
    """Remove the layers with the given uids; undo puts each back where it was."""

    def __init__(self, spec: NetworkSpec, uids: list[int], text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._uids = list(uids)
        self._removed: list[tuple[int, LayerSpec]] = []

    def redo(self) -> None:
        spec = self._spec
        positions = sorted(spec.index_of(uid) for uid in self._uids)
        with spec.batch():
            self._removed = [(i, spec.layers[i]) for i in positions]
            for index, _layer in reversed(self._removed):
                spec.remove_layer(index)

    def undo(self) -> None:
        spec = self._spec
        with spec.batch():
            for index, layer in self._removed:
                spec.insert_layer(index, layer)


class MoveLayerCommand(QUndoCommand):
    """Move one layer so that it ends up at ``target``."""

    def __init__(self, spec: NetworkSpec, uid: int, target: int) -> None:
        self._source = spec.index_of(uid)
        super().__init__(f"Move {spec.layers[self._source].type}")
        self._spec = spec
        self._uid = uid
        self._target = target

    def redo(self) -> None:
        spec = self._spec
        self._source = spec.index_of(self._uid)
        spec.move_layer(self._source, self._target)

    def undo(self) -> None:
        spec = self._spec
        spec.move_layer(spec.index_of(self._uid), self._source)


class ReorderLayersCommand(QUndoCommand):
    """Put the layers in a new order (moving a multi-selection); undo restores the old one."""

    def __init__(self, spec: NetworkSpec, new_order: list[int], text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._old = [layer.uid for layer in spec.layers]
        self._new = list(new_order)

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)

    def _apply(self, order: list[int]) -> None:
        spec = self._spec
        with spec.batch():
            for position, uid in enumerate(order):
                current = spec.index_of(uid)
                if current != position:
                    spec.move_layer(current, position)


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
        self._old = dict(spec.layers[spec.index_of(uid)].params)
        self._new = dict(new_params)

    def id(self) -> int:
        return _SET_PARAMS_ID if self._merge else -1  # -1: Qt never merges it

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamsCommand) or (other.uid, other.keys) != (self.uid, self.keys):
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._spec.replace_params(self._spec.index_of(self.uid), self._new)

    def undo(self) -> None:
        self._spec.replace_params(self._spec.index_of(self.uid), self._old)


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
    """The content a spec had: its block objects with their params, the input shape and settings."""

    def __init__(self, spec: NetworkSpec, live: NetworkSpec | None = None) -> None:
        # Blocks that are in ``live`` too are kept as its objects, so commands that hold them
        # (and the canvas items keyed on their uids) go on finding the same blocks.
        objects = {layer.uid: layer for layer in live.layers} if live is not None else {}
        self.layers = [(objects.get(layer.uid, layer), _copied(layer.params)) for layer in spec.layers]
        self.input_shape = tuple(spec.input_shape)
        self.training = spec.training

    def restore(self, spec: NetworkSpec) -> None:
        """Make ``spec`` hold this content, through its edit methods, as one batch of changes."""
        wanted = {layer.uid for layer, _params in self.layers}
        with spec.batch():
            for index in reversed(range(len(spec.layers))):
                if spec.layers[index].uid not in wanted:
                    spec.remove_layer(index)
            for position, (layer, params) in enumerate(self.layers):
                try:
                    current = spec.index_of(layer.uid)
                except KeyError:
                    layer.params = _copied(params)
                    spec.insert_layer(position, layer)
                    continue
                if current != position:
                    spec.move_layer(current, position)
                spec.replace_params(position, _copied(params))
            spec.set_input_shape(self.input_shape)
            spec.set_training(self.training)


def _copied(params: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(params))


class ApplyFixCommand(QUndoCommand):
    """Turn the spec into the fixed copy a one-click fix made of it; undo restores it exactly.

    ``fixed`` keeps the uids of the blocks it kept (:func:`~gui_app.core.analysis.fixes.copy_keeping_uids`),
    so only the blocks the fix touched change: one is inserted, removed or gets new parameters.
    """

    def __init__(self, spec: NetworkSpec, fixed: NetworkSpec, text: str) -> None:
        super().__init__(text)
        self._spec = spec
        self._before = _SpecState(spec)
        self._after = _SpecState(fixed, live=spec)

    def redo(self) -> None:
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
