"""The import report: what File ▸ Import… brought onto the canvas and what it could not.

Like MATLAB's import report, one row per part of the file that did not map, with the reason,
then the notes (the input scaling taken as the run's normalisation, blocks that start from fresh
weights) and the compiler's errors, so the user knows what to fix before training.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.messages import error_message
from gui_app.core.importing.report import ImportResult
from gui_app.core.text.printable import printable


class ImportReportDialog(QDialog):
    """The report of one import; ``unmapped_table`` lists (layer, reason) rows."""

    def __init__(self, result: ImportResult, file_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("importReport")
        self.setWindowTitle("Import report")
        self.resize(720, 380)
        layout = QVBoxLayout(self)
        self.summary = QLabel(_summary(result, file_name))
        self.summary.setObjectName("importSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.unmapped_table = QTableWidget(len(result.report.unmapped), 2)
        self.unmapped_table.setObjectName("unmappedTable")
        self.unmapped_table.setHorizontalHeaderLabels(["Layer in the file", "Why it did not map"])
        self.unmapped_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.unmapped_table.verticalHeader().setVisible(False)
        header = self.unmapped_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for row, entry in enumerate(result.report.unmapped):
            for column, text in enumerate((entry.layer, entry.reason)):
                item = QTableWidgetItem(printable(text))
                item.setToolTip(printable(text))
                self.unmapped_table.setItem(row, column, item)
        self.unmapped_table.setVisible(bool(result.report.unmapped))
        layout.addWidget(self.unmapped_table, 2)
        self.notes = QListWidget()
        self.notes.setObjectName("importNotes")
        self.notes.setWordWrap(True)
        errors = [f"Error: {error_message(layer)}" for layer in compile_network(result.spec).errors]
        for text in [*errors, *result.report.notes]:
            self.notes.addItem(printable(text))
        self.notes.setVisible(self.notes.count() > 0)
        self.notes.setMaximumHeight(24 * min(max(self.notes.count(), 1), 5) + 8)
        layout.addWidget(self.notes, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)


def _summary(result: ImportResult, file_name: str) -> str:
    count = len(result.spec.layers)
    blocks = f"{count} block{'s' if count != 1 else ''}"
    weights = "with its weights" if result.state_dict is not None else "without weights (the file has none)"
    missing = len(result.report.unmapped)
    if not missing:
        tail = "Every layer of the file mapped onto a block."
    else:
        parts, verb = ("parts", "are") if missing != 1 else ("part", "is")
        tail = f"{missing} {parts} of the file did not map and {verb} left out:"
    return printable(f"Imported {blocks} from {file_name}, {weights}. {tail}")
