"""Undo commands: one per user edit, each calling only the spec's own edit methods.

Layers are addressed by uid, not index, so a command stays correct whatever happened to the
order since it was pushed. Every command has readable text for the Edit menu ("Undo Add Conv2d").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from gui_app.core.project.spec import LayerSpec

if TYPE_CHECKING:
    from gui_app.core.project.run_config import TrainingConfig
    from gui_app.ui.document.document import Document

_SET_PARAM_ID = 1001
_SET_TRAINING_ID = 1002


class InsertLayersCommand(QUndoCommand):
    """Insert ``layers`` at ``index`` (add, paste, duplicate, drop)."""

    def __init__(self, document: Document, index: int, layers: list[LayerSpec], text: str) -> None:
        super().__init__(text)
        self._doc = document
        self._index = index
        self._layers = list(layers)

    def redo(self) -> None:
        spec = self._doc.spec
        with spec.batch():
            for offset, layer in enumerate(self._layers):
                spec.insert_layer(self._index + offset, layer)

    def undo(self) -> None:
        spec = self._doc.spec
        with spec.batch():
            for layer in reversed(self._layers):
                spec.remove_layer(spec.index_of(layer.uid))


class RemoveLayersCommand(QUndoCommand):
    """Remove the layers with the given uids; undo puts each back where it was."""

    def __init__(self, document: Document, uids: list[int], text: str) -> None:
        super().__init__(text)
        self._doc = document
        self._uids = list(uids)
        self._removed: list[tuple[int, LayerSpec]] = []

    def redo(self) -> None:
        spec = self._doc.spec
        positions = sorted(spec.index_of(uid) for uid in self._uids)
        with spec.batch():
            self._removed = [(i, spec.layers[i]) for i in positions]
            for index, _layer in reversed(self._removed):
                spec.remove_layer(index)

    def undo(self) -> None:
        spec = self._doc.spec
        with spec.batch():
            for index, layer in self._removed:
                spec.insert_layer(index, layer)


class MoveLayerCommand(QUndoCommand):
    """Move one layer so that it ends up at ``target``."""

    def __init__(self, document: Document, uid: int, target: int) -> None:
        layer = document.spec.layers[document.spec.index_of(uid)]
        super().__init__(f"Move {layer.type}")
        self._doc = document
        self._uid = uid
        self._target = target
        self._source = document.spec.index_of(uid)

    def redo(self) -> None:
        spec = self._doc.spec
        self._source = spec.index_of(self._uid)
        spec.move_layer(self._source, self._target)

    def undo(self) -> None:
        spec = self._doc.spec
        spec.move_layer(spec.index_of(self._uid), self._source)


class ReorderLayersCommand(QUndoCommand):
    """Put the layers in a new order (moving a multi-selection); undo restores the old one."""

    def __init__(self, document: Document, new_order: list[int], text: str) -> None:
        super().__init__(text)
        self._doc = document
        self._old = [layer.uid for layer in document.spec.layers]
        self._new = list(new_order)

    def redo(self) -> None:
        self._apply(self._new)

    def undo(self) -> None:
        self._apply(self._old)

    def _apply(self, order: list[int]) -> None:
        spec = self._doc.spec
        with spec.batch():
            for position, uid in enumerate(order):
                current = spec.index_of(uid)
                if current != position:
                    spec.move_layer(current, position)


class SetParamCommand(QUndoCommand):
    """Set one parameter of one layer; consecutive edits of the same parameter merge."""

    def __init__(self, document: Document, uid: int, key: str, value: Any) -> None:
        layer = document.spec.layers[document.spec.index_of(uid)]
        super().__init__(f"Set {layer.type} {key}")
        self._doc = document
        self.uid = uid
        self.key = key
        self.value = value
        self._old_params = dict(layer.params)

    def id(self) -> int:
        return _SET_PARAM_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand) or (other.uid, other.key) != (self.uid, self.key):
            return False
        self.value = other.value
        return True

    def redo(self) -> None:
        spec = self._doc.spec
        spec.set_param(spec.index_of(self.uid), self.key, self.value)

    def undo(self) -> None:
        spec = self._doc.spec
        index = spec.index_of(self.uid)
        layer = spec.layers[index]
        if layer.params == self._old_params:
            return
        old = self._old_params.get(self.key)
        if self.key in self._old_params or (old is None and self._clearable(layer.type)):
            spec.set_param(index, self.key, old)
            if layer.params == self._old_params:
                return
        # The parameter was absent (default) before: put back the block with its old params.
        _replace_params(self._doc, self.uid, self._old_params)

    def _clearable(self, type_name: str) -> bool:
        from gui_app.core.layers.catalogue import CATALOGUE

        param = CATALOGUE[type_name].param_index[self.key]
        return param.inferred


def _replace_params(document: Document, uid: int, params: dict[str, Any]) -> None:
    """Give the block ``uid`` exactly ``params``: the spec can set a value but not drop one, so
    the block is put back with them; the uid is kept, so views update the item in place."""
    spec = document.spec
    index = spec.index_of(uid)
    layer = spec.layers[index]
    if layer.params == params:
        return
    with spec.batch():
        spec.remove_layer(index)
        spec.insert_layer(index, LayerSpec(layer.type, dict(params), uid))


class ResetParamCommand(QUndoCommand):
    """Take one parameter out of a block (inferred again, or back at its default)."""

    def __init__(self, document: Document, uid: int, key: str) -> None:
        layer = document.spec.layers[document.spec.index_of(uid)]
        super().__init__(f"Reset {layer.type} {key}")
        self._doc = document
        self._uid = uid
        self._old_params = dict(layer.params)
        self._new_params = {k: v for k, v in layer.params.items() if k != key}

    def redo(self) -> None:
        _replace_params(self._doc, self._uid, self._new_params)

    def undo(self) -> None:
        _replace_params(self._doc, self._uid, self._old_params)


class SetInputShapeCommand(QUndoCommand):
    def __init__(self, document: Document, shape: tuple[int, ...]) -> None:
        super().__init__("Set input shape")
        self._doc = document
        self._new = tuple(shape)
        self._old = tuple(document.spec.input_shape)

    def redo(self) -> None:
        self._doc.spec.set_input_shape(self._new)

    def undo(self) -> None:
        self._doc.spec.set_input_shape(self._old)


class SetNameCommand(QUndoCommand):
    """Rename the project (the name exports and the title bar use)."""

    def __init__(self, document: Document, name: str) -> None:
        super().__init__("Rename project")
        self._doc = document
        self._new = name
        self._old = document.spec.name

    def redo(self) -> None:
        self._doc.spec.set_name(self._new)

    def undo(self) -> None:
        self._doc.spec.set_name(self._old)


class SetTrainingCommand(QUndoCommand):
    """Change the project's training settings; consecutive changes merge into one step."""

    def __init__(self, document: Document, training: TrainingConfig) -> None:
        super().__init__("Change training settings")
        self._doc = document
        self._new = training
        self._old = document.spec.training

    def id(self) -> int:
        return _SET_TRAINING_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetTrainingCommand):
            return False
        self._new = other._new
        return True

    def redo(self) -> None:
        self._doc.spec.set_training(self._new)

    def undo(self) -> None:
        self._doc.spec.set_training(self._old)
