"""The inspector: the selected block's parameters, generated from the catalogue.

It observes the document: an edit anywhere updates values, inferred sizes and problems in place,
and the form is rebuilt only when the selection moves to another block (so the spin box being
typed in keeps its focus). Every parameter has an editor and Reset, inferred sizes included: a
file may set ``in_features: 400`` where 784 arrives, and the user must be able to fix that here.
"""

from __future__ import annotations

from typing import Any, Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.messages import block_number
from gui_app.core.layers.catalogue import CATALOGUE, ParamDef, ParamError
from gui_app.core.layers.containers import is_container
from gui_app.core.project.spec import Change, ChangeKind, LayerSpec
from gui_app.core.text.numbers import format_bytes, format_count, format_shape
from gui_app.ui.document.document import Document
from gui_app.ui.editing.param_editors import IntListEditor, ParamEditor, ParamRow

#: What the inspector shows: one layer (with its uid), the Input or Output block, several blocks
#: (with their count) or nothing.
TargetKind = Literal["layer", "input", "output", "many", "none"]
Target = tuple[TargetKind, int | None]

#: a rename shows on nothing but the no-selection page (training settings change lint warnings)
_NOT_SHOWN_ON_A_BLOCK = frozenset({ChangeKind.NAME})
#: The fix buttons look like the Fix badges on the canvas: a blue call to action, not a form field.
_FIX_BUTTON_STYLE = (
    "QPushButton { background: #1F64C8; color: white; font-weight: bold; border: none; border-radius: 5px;"
    " padding: 6px 10px; text-align: left; }"
    " QPushButton:hover { background: #2F7BE8; }"
    " QPushButton:disabled { background: #9AA6B8; }"
)
_CONTAINER_HINT = (
    "Its blocks are in its lanes on the canvas: drag layers into a lane, and blocks into, out of "
    "and between lanes. ← collapses it to one block, → expands it."
)
_INPUT_SHAPE = ParamDef("input_shape", "int_list", [1, 28, 28], 1, 65536, doc="channels × height × width")


class LayerInspector(QWidget):
    """Shows and edits what is selected on the canvas: a layer, the Input, the Output, or nothing."""

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layerInspector")
        self.setAccessibleName("layerInspector")
        self.document = document
        self.target: Target = ("none", None)
        self._target_type: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        #: the selected layer's rows (editor, note, Reset) by parameter name
        self.rows: dict[str, ParamRow] = {}
        #: the one-click fixes of what is shown, in the order of their buttons
        self.fixes: list[Fix] = []
        self.fix_buttons: list[QPushButton] = []

        self._make_labels()
        self._lay_out()
        document.changed.connect(self._document_changed)
        document.lock_changed.connect(self._lock_changed)
        document.edit_refused.connect(self._refused)
        self.show_selection([])

    def _make_labels(self) -> None:
        self.title = QLabel()
        self.title.setObjectName("inspectorTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setEnabled(False)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem = QLabel()
        self.problem.setObjectName("inspectorProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.fix_host = QWidget()
        self.fix_column = QVBoxLayout(self.fix_host)
        self.fix_column.setContentsMargins(0, 0, 0, 0)
        self.fix_column.setSpacing(4)
        self.fix_host.setVisible(False)
        self.lock_note = QLabel()
        self.lock_note.setObjectName("inspectorLock")
        self.lock_note.setWordWrap(True)
        self.lock_note.setStyleSheet(
            "QLabel { border: 1px solid #C77700; background: rgba(240, 168, 48, 0.16); border-radius: 5px;"
            " padding: 6px; }"
        )
        self.lock_note.setVisible(False)
        self.message = QLabel()
        self.message.setObjectName("inspectorMessage")
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 4, 0, 0)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _lay_out(self) -> None:
        """The labels above a line, the form below it, all in a scroll area."""
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(8)
        for widget in (self.title, self.description, self.lock_note, self.problem, self.fix_host, self.info):
            column.addWidget(widget)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        column.addWidget(line)
        column.addWidget(self.form_host)
        column.addWidget(self.message)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    # ------------------------------------------------------------------ selection
    def show_selection(self, uids: list[int], end: Literal["input", "output"] | None = None) -> None:
        """Inspect the layers ``uids`` (one is edited) or the Input/Output block (``end``)."""
        target: Target
        if end in ("input", "output"):
            target = (end, None)
        elif len(uids) == 1:
            target = ("layer", uids[0])
        elif uids:
            target = ("many", len(uids))
        else:
            target = ("none", None)
        type_name = self.document.layer(uids[0]).type if target[0] == "layer" else None
        if target != self.target or type_name != self._target_type:
            self.target = target
            self._target_type = type_name
            self._build()
        self.refresh()

    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors.clear()
        self.rows.clear()

    def _build(self) -> None:
        self._clear_form()
        self.message.setVisible(False)
        kind, value = self.target
        if kind == "layer":
            layer_type = CATALOGUE[self._target_type]
            self.title.setText(layer_type.name)
            self.description.setText(f"{layer_type.category} · {layer_type.description}")
            if is_container(layer_type.name):
                hint = QLabel(_CONTAINER_HINT)
                hint.setWordWrap(True)
                self.form.addRow(hint)
            elif not layer_type.params:
                self.form.addRow(QLabel("This layer has no parameters."))
            for param in layer_type.params:
                row = ParamRow(param)
                row.editor.setObjectName(f"param_{param.name}")
                row.reset.setObjectName(f"reset_{param.name}")
                row.editor.edited.connect(lambda v, key=param.name: self._edited(key, v))
                row.reset_requested.connect(lambda key=param.name: self._reset(key))
                if param.inferred:
                    row.editor.setToolTip("Follows from the block before: leave it inferred unless you mean it")
                self.rows[param.name] = row
                self.editors[param.name] = row.editor
                self.form.addRow(param.name.replace("_", " "), row)
        elif kind == "input":
            self.title.setText("Input")
            self.description.setText("The shape of one sample the network reads (without the batch).")
            editor = IntListEditor(_INPUT_SHAPE)
            editor.setObjectName("param_input_shape")
            editor.edited.connect(self._input_edited)
            self.editors["input_shape"] = editor
            self.form.addRow("shape", editor)
        elif kind == "output":
            self.title.setText("Output")
            self.description.setText(
                "What the network produces; the loss and training settings are in the Training panel."
            )
        elif kind == "many":
            self.title.setText(f"{value} blocks selected")
            self.description.setText(
                "Select one block to edit its parameters. Ctrl+C copies them, Delete removes them."
            )
        else:
            self.title.setText(self.document.spec.name)
            self.description.setText(
                "Select a block to edit it. Drag layers from the palette, or select one and press Enter."
            )

    # ------------------------------------------------------------------ refresh from the document
    def refresh(self) -> None:
        doc = self.document
        kind, uid = self.target
        problems: list[tuple[str, str]] = []
        fix_index: int | None = -1  # -1: what is shown has no fixes
        fixes: list[Fix] = []
        if kind == "layer":
            try:
                place = doc.spec.place(uid)
            except KeyError:
                self.show_selection([])
                return
            layer = place.block
            result = doc.result(uid)
            fix_index = None
            fixes = [p.remedy for p in doc.fixes_for(uid) if p.remedy]
            self._show_values(layer, result.input_shape)
            shape = format_shape(result.output_shape) if result.output_shape is not None else "—"
            where = f"Block {block_number(place.address)} · " if place.depth else ""
            self.info.setText(f"{where}Output <b>{shape}</b> · {result.params:,} parameters")
            if result.error:
                problems.append(("error", result.error))
            for warning in doc.warnings_for(place.index) if not place.depth else []:
                problems.append(("warning", f"{warning.message}<br><i>Fix:</i> {warning.fix}"))
        elif kind == "input":
            self.editors["input_shape"].set_value(list(doc.spec.input_shape))
            self.info.setText(f"Input <b>{format_shape(doc.spec.input_shape)}</b>")
            fix_index = None
            problems += [("warning", w.message + f"<br><i>Fix:</i> {w.fix}") for w in doc.warnings if w.index is None]
        elif kind == "output":
            out = doc.compiled.output_shape
            self.info.setText(
                f"Output <b>{format_shape(out) if out else '—'}</b> · loss {doc.spec.training.loss}<br>"
                f"{doc.compiled.total_params:,} parameters ({format_bytes(doc.compiled.size_bytes)})"
            )
            first = doc.first_problem()
            if first:
                problems.append(("error" if not doc.compiled.ok else "warning", first))
        else:
            self.title.setText(doc.spec.name)
            self.info.setText(f"{len(doc.spec.layers)} blocks · {format_count(doc.compiled.total_params)} parameters")
        self._show_problems(problems)
        if kind != "layer":
            fixes = [] if fix_index == -1 else [p.remedy for p in doc.fixes_at(fix_index) if p.remedy]
        self._show_fixes(fixes)
        self._lock_changed(doc.lock_reason)

    def _show_values(self, layer: LayerSpec, arriving: tuple[int, ...] | None) -> None:
        """Each row: the block's value (an inferred size's inferred value when unset) and its Reset."""
        defaults = CATALOGUE[layer.type].defaults()
        inferred = self._inferred_values(layer, arriving)
        for key, row in self.rows.items():
            explicit = key in layer.params
            if row.param.inferred:
                value = layer.params[key] if explicit else inferred.get(key)
                row.show_state(value, explicit, inferred.get(key))
            else:
                row.show_state(layer.params.get(key, defaults.get(key)), explicit, defaults.get(key))

    def _inferred_values(self, layer: LayerSpec, arriving: tuple[int, ...] | None) -> dict[str, Any]:
        """What the block's inferred sizes would be, from the shape that reaches it ({} if unknown).

        Worked out here rather than read from the compiler, whose report has no values for a
        block in error, which is exactly when the user needs to see the right one.
        """
        layer_type = CATALOGUE[layer.type]
        if layer_type.infer is None or arriving is None:
            return {}
        inferred_keys = {p.name for p in layer_type.params if p.inferred}
        given = {k: v for k, v in layer.params.items() if k not in inferred_keys}
        try:
            return layer_type.infer(tuple(arriving), given)
        except (ParamError, IndexError):  # the shape cannot feed this block: its error says so
            return {}

    def _show_problems(self, problems: list[tuple[str, str]]) -> None:
        if not problems:
            self.problem.setVisible(False)
            return
        worst = "error" if any(k == "error" for k, _ in problems) else "warning"
        colour = ("#D7263D", "rgba(215, 38, 61, 0.12)") if worst == "error" else ("#B86E00", "rgba(240,168,48,0.16)")
        self.problem.setStyleSheet(
            f"QLabel {{ color: {colour[0]}; background: {colour[1]}; border: 1px solid {colour[0]};"
            " border-radius: 5px; padding: 6px; }"
        )
        parts = [f"<b>{'Error' if k == 'error' else 'Warning'}:</b> {text}" for k, text in problems]
        self.problem.setText("<br>".join(parts))
        self.problem.setVisible(True)

    def _show_fixes(self, fixes: list[Fix]) -> None:
        """One button per fix; the buttons are rebuilt only when their labels change."""
        self.fixes = fixes
        labels = [fix.label for fix in fixes]
        if labels != [button.toolTip() for button in self.fix_buttons]:
            for button in self.fix_buttons:
                self.fix_column.removeWidget(button)
                button.deleteLater()
            self.fix_buttons = []
            for number, label in enumerate(labels):
                button = QPushButton(f"Fix: {label}")
                button.setObjectName("fixButton")
                button.setToolTip(label)
                button.setStyleSheet(_FIX_BUTTON_STYLE)
                button.clicked.connect(lambda _checked=False, n=number: self._apply_fix(n))
                self.fix_column.addWidget(button)
                button.show()  # at once, not when the layout gets round to it
                self.fix_buttons.append(button)
        self.fix_host.setVisible(bool(fixes))

    def _apply_fix(self, number: int) -> None:
        if number < len(self.fixes):
            self.message.setVisible(False)
            self.document.apply_fix(self.fixes[number])

    # ------------------------------------------------------------------ edits
    def _edited(self, key: str, value: Any) -> None:
        kind, uid = self.target
        if kind == "layer" and uid is not None:
            self.message.setVisible(False)
            self.document.set_param(uid, key, value)

    def _reset(self, key: str) -> None:
        kind, uid = self.target
        if kind == "layer" and uid is not None:
            self.message.setVisible(False)
            self.document.reset_param(uid, key)

    def _input_edited(self, value: Any) -> None:
        if isinstance(value, list):
            self.document.set_input_shape(tuple(value))
        else:
            self._refused("input shape: must be numbers separated by commas, e.g. 1, 28, 28")

    def _refused(self, message: str) -> None:
        self.message.setText(f"⚠ {message}")
        self.message.setStyleSheet("QLabel { color: #D7263D; }")
        self.message.setVisible(True)
        self.refresh()  # put the editors back to the values the spec really has

    def _document_changed(self, change: Change) -> None:
        kind, uid = self.target
        if kind in ("layer", "input") and all(part.kind in _NOT_SHOWN_ON_A_BLOCK for part in change.each()):
            return
        if kind == "layer":
            try:
                layer = self.document.layer(uid)
            except KeyError:
                self.show_selection([])
                return
            if layer.type != self._target_type:
                self.show_selection([uid])
                return
        self.refresh()

    def _lock_changed(self, reason: str) -> None:
        self.form_host.setEnabled(not reason)
        self.fix_host.setEnabled(not reason)
        self.lock_note.setText(f"<b>Locked.</b> {reason}")
        self.lock_note.setVisible(bool(reason))
