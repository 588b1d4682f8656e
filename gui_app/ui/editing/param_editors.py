"""Editors generated from the catalogue's :class:`ParamDef`: one small widget per parameter kind.

Each editor emits ``edited(value)`` with a value in the spec's form (ints, floats, lists) and
shows a value with :meth:`ParamEditor.set_value` without emitting. Bounds come from the ParamDef,
so the spin boxes refuse out-of-range values; anything else the catalogue refuses comes back as
a message from the document, and the editor is reset to the spec's value. Sizes the compiler
infers are editable too (a file may set them, rightly or not): their editors show the inferred
value, and emptying one (the spin box's lowest step, "auto") emits ``None``, to infer it again.
:class:`ParamRow` adds Reset beside every editor.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from gui_app.core.layers.catalogue import ParamDef

INT_LIMIT = 2**31 - 1
#: What an inferred size's editor shows when no value is set and none can be inferred yet.
AUTO_TEXT = "auto"


def _spin(param: ParamDef) -> QSpinBox:
    box = QSpinBox()
    low = -INT_LIMIT if param.minimum is None else max(-INT_LIMIT, int(param.minimum))
    high = INT_LIMIT if param.maximum is None else min(INT_LIMIT, int(param.maximum))
    box.setRange(low, high)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return box


class ParamEditor(QWidget):
    """Base: a row widget that edits one parameter."""

    edited = Signal(object)

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(parent)
        self.param = param
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        if param.doc:
            self.setToolTip(param.doc)

    # Each editor defines ``set_value(value)``: show a value without emitting ``edited``.

    def _emit(self, value: Any) -> None:
        self.edited.emit(value)


class IntEditor(ParamEditor):
    """A spin box; an inferred size gets one step below its minimum that reads "auto" (= infer)."""

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.box = _spin(param)
        if param.inferred:
            self.box.setMinimum(self.box.minimum() - 1)
            self.box.setSpecialValueText(AUTO_TEXT)
        self.row.addWidget(self.box)
        self.box.valueChanged.connect(self._changed)

    def _changed(self, value: int) -> None:
        auto = self.param.inferred and value == self.box.minimum()
        self._emit(None if auto else value)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            if value is None and self.param.inferred:
                self.box.setValue(self.box.minimum())
            else:
                self.box.setValue(int(value if value is not None else self.param.default or 0))


class FloatEditor(ParamEditor):
    """A spin box; tiny ranges (such as eps) get a text field that accepts 1e-5."""

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        tiny = param.minimum is not None and 0 < param.minimum < 1e-3
        if tiny:
            self.box = QLineEdit()
            self.box.editingFinished.connect(self._text_done)
        else:
            self.box = QDoubleSpinBox()
            self.box.setDecimals(4)
            self.box.setRange(
                -1e9 if param.minimum is None else param.minimum, 1e9 if param.maximum is None else param.maximum
            )
            span = (param.maximum or 10) - (param.minimum or 0)
            self.box.setSingleStep(0.05 if span <= 1 else 0.1)
            self.box.setKeyboardTracking(False)
            self.box.valueChanged.connect(self._emit)
        self.row.addWidget(self.box)

    def _text_done(self) -> None:
        text = self.box.text().strip()
        try:
            self._emit(float(text))
        except ValueError:
            self._emit(text)  # the document refuses it with the catalogue's message

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            if isinstance(self.box, QLineEdit):
                self.box.setText(f"{value:g}" if isinstance(value, float | int) else "")
            else:
                self.box.setValue(float(value or 0.0))


class BoolEditor(ParamEditor):
    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.box = QComboBox()
        self.box.addItems(list(param.choices))
        self.row.addWidget(self.box)
        self.box.currentTextChanged.connect(self._emit)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setCurrentText(str(value))


class TextEditor(ParamEditor):
    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.box = QLineEdit()
        self.row.addWidget(self.box)
        self.box.editingFinished.connect(lambda: self._emit(self.box.text()))

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setText("" if value is None else str(value))


class TupleEditor(ParamEditor):
    """``int_or_tuple``: one spin box per dimension (e.g. kernel height and width).

    Equal values are stored as one int (``5``), different ones as a list (``[5, 3]``).
    """

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.boxes = []
        for i in range(max(1, param.tuple_len)):
            if i:
                self.row.addWidget(QLabel("×"))
            box = _spin(param)
            box.valueChanged.connect(self._changed)
            self.boxes.append(box)
            self.row.addWidget(box, 1)

    def value(self) -> Any:
        values = [box.value() for box in self.boxes]
        return values[0] if len(set(values)) == 1 else values

    def _changed(self, _v: int) -> None:
        self._emit(self.value())

    def set_value(self, value: Any) -> None:
        if value is None:
            value = self.param.default if self.param.default is not None else 1
        values = list(value) if isinstance(value, list | tuple) else [value] * len(self.boxes)
        for box, v in zip(self.boxes, values, strict=False):
            with QSignalBlocker(box):
                box.setValue(int(v))


class PaddingEditor(ParamEditor):
    """Padding: a number per dimension, or 'same' / 'valid'."""

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.mode = QComboBox()
        self.mode.addItems(["size", "same", "valid"])
        self.sizes = TupleEditor(param)
        self.row.addWidget(self.mode)
        self.row.addWidget(self.sizes, 1)
        self.mode.currentTextChanged.connect(self._mode_changed)
        self.sizes.edited.connect(self._emit)

    def _mode_changed(self, mode: str) -> None:
        self.sizes.setEnabled(mode == "size")
        self._emit(self.sizes.value() if mode == "size" else mode)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.mode):
            self.mode.setCurrentText(value if isinstance(value, str) else "size")
        self.sizes.setEnabled(not isinstance(value, str))
        if not isinstance(value, str):
            self.sizes.set_value(value)


class IntListEditor(ParamEditor):
    """A shape such as ``1, 28, 28``, typed as text."""

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(param, parent)
        self.box = QLineEdit()
        self.box.setPlaceholderText("e.g. 1, 28, 28")
        self.row.addWidget(self.box)
        self.box.editingFinished.connect(self._done)

    def _done(self) -> None:
        text = self.box.text().replace("×", ",").replace("x", ",")
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if not parts and self.param.inferred:
            self._emit(None)  # emptied: infer it again
            return
        try:
            self._emit([int(p) for p in parts])
        except ValueError:
            self._emit(self.box.text())  # refused by the document with the catalogue's message

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.box):
            self.box.setText(", ".join(str(v) for v in value) if isinstance(value, list | tuple) else "")


class NullableEditor(ParamEditor):
    """An editor plus an "auto" box for parameters whose None means a sensible default."""

    def __init__(self, param: ParamDef, inner: ParamEditor, parent=None) -> None:
        super().__init__(param, parent)
        self.inner = inner
        self.auto = QCheckBox("auto")
        self.auto.setToolTip("Leave unset: the layer picks the value (e.g. stride = kernel size)")
        self.row.addWidget(inner, 1)
        self.row.addWidget(self.auto)
        self.auto.toggled.connect(self._auto_toggled)
        inner.edited.connect(self._emit)

    def _auto_toggled(self, on: bool) -> None:
        self.inner.setEnabled(not on)
        if on:
            self._emit(None)
        else:
            value = getattr(self.inner, "value", None)
            self._emit(value() if callable(value) else self.param.default)

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.auto):
            self.auto.setChecked(value is None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)


_KINDS = {
    "int": IntEditor,
    "float": FloatEditor,
    "bool": BoolEditor,
    "choice": ChoiceEditor,
    "str": TextEditor,
    "int_or_tuple": TupleEditor,
    "padding": PaddingEditor,
    "int_list": IntListEditor,
}


class ParamRow(QWidget):
    """One parameter's editor, a note on where the value comes from, and Reset.

    Reset takes the parameter out of the block, so an inferred size is inferred again and any
    other parameter is back at its default; it is enabled only when that changes something.
    """

    reset_requested = Signal()

    def __init__(self, param: ParamDef, parent=None) -> None:
        super().__init__(parent)
        self.param = param
        self.editor = editor_for(param)
        self.note = QLabel()
        self.note.setEnabled(False)  # greyed: a remark, not a value
        self.note.setVisible(param.inferred)
        self.reset = QToolButton()
        self.reset.setText("Reset")
        self.reset.setAccessibleName(f"Reset {param.name}")
        self.reset.clicked.connect(self.reset_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.editor, 1)
        row.addWidget(self.note)
        row.addWidget(self.reset)

    def show_state(self, value: Any, explicit: bool, restore_to: Any) -> None:
        """Show ``value``; ``explicit``: the block sets it; ``restore_to``: what Reset gives (None: unknown)."""
        self.editor.set_value(value)
        target = _text(restore_to) if restore_to is not None else None
        if self.param.inferred:
            self.note.setText("set" if explicit else "inferred")
            self.reset.setEnabled(explicit)
            what = f"infer it from the block before ({target})" if target else "infer it from the block before"
        else:
            self.reset.setEnabled(explicit and value != self.param.default)
            what = f"back to the default ({target if target is not None else AUTO_TEXT})"
        self.reset.setToolTip(f"Reset {self.param.name.replace('_', ' ')}: {what}")


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "×".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def editor_for(param: ParamDef) -> ParamEditor:
    """The editor for ``param`` (nullable ones get an "auto" box)."""
    editor = _KINDS[param.kind](param)
    if param.nullable and not param.inferred:
        return NullableEditor(param, editor)
    return editor
