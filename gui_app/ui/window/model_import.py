"""The questions File ▸ Import… asks: which file, whether its code may run, what input it takes.

A Python file that is not a NetBuilder export is code; it is imported only after the user says
yes to a question that names the file and the risk (it then runs in a separate Python process,
see :mod:`gui_app.core.importing.trusted_code`). A file that does not say its input shape gets a
question for it. Any other refusal is one message, and the open project stays as it was.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QWidget

from gui_app.core.importing.importer import ImportOptions, import_model, parse_input_shape
from gui_app.core.importing.python_export import CodeNotTrustedError
from gui_app.core.importing.report import ImportFileError, ImportResult, InputShapeNeededError

MODEL_FILTER = (
    "Models (*.onnx *.pt2 *.py);;ONNX models (*.onnx);;torch.export programs (*.pt2);;"
    "Python (NetBuilder exports, or code you trust) (*.py);;All files (*)"
)
TRUST_TITLE = "Run this Python file?"


def ask_and_import(parent: QWidget, folder: str, path: Path | None = None) -> tuple[ImportResult, Path] | None:
    """Ask for a model file (unless given) and import it; None when cancelled or refused (said why)."""
    if path is None:
        name, _ = QFileDialog.getOpenFileName(parent, "Import model", folder, MODEL_FILTER)
        if not name:
            return None
        path = Path(name)
    options = ImportOptions()
    for _attempt in range(3):  # at most: the trust question, then the shape question
        try:
            return _imported(path, options), path
        except CodeNotTrustedError:
            if not ask_trust(parent, path):
                return None
            options = replace(options, trust_code=True)
        except InputShapeNeededError:
            shape = ask_shape(parent, path)
            if shape is None:
                return None
            options = replace(options, input_shape=shape)
        except ImportFileError as exc:
            QMessageBox.warning(parent, "Cannot import", f"The model was not imported.\n\n{exc}")
            return None
    return None


def _imported(path: Path, options: ImportOptions) -> ImportResult:
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return import_model(path, options)
    finally:
        QApplication.restoreOverrideCursor()


def ask_trust(parent: QWidget, path: Path) -> bool:
    """The one question before a file's code runs; it names the file, and No is the default."""
    answer = QMessageBox.question(
        parent,
        TRUST_TITLE,
        f"“{path.name}” is Python code, not a NetBuilder export.\n\n"
        "To import the model it defines, NetBuilder must run it (in a separate Python process). "
        "The code runs with your rights: it can read, change or delete your files and use the "
        "network. Run it only if you trust where it came from.\n\n"
        f"{path}",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_shape(parent: QWidget, path: Path) -> tuple[int, ...] | None:
    """The input shape (without the batch) of a file that does not say it; None when cancelled."""
    prompt = f"{path.name} does not say what input its model takes.\nInput shape without the batch (e.g. 1,28,28):"
    while True:
        text, ok = QInputDialog.getText(parent, "Input shape", prompt)
        if not ok:
            return None
        try:
            return parse_input_shape(text)
        except ValueError as exc:
            prompt = f"The input shape {exc}.\nInput shape without the batch (e.g. 1,28,28):"
