"""File menu work: new (blank or from a preset), rename, open, import, recent files, save, save as, exports.

A file that fails to open is reported in a message box and the open project stays as it was;
every save is atomic (see :func:`gui_app.core.files.writing.write_atomic`). Opening a project that
a crashed NetBuilder left unsaved work on offers that work instead, with one question.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from gui_app.core.export.formats import export_format, export_outputs, export_to
from gui_app.core.export.output_files import ExportError, existing_outputs, refuse_inputs
from gui_app.core.importing.assemble import trained_model
from gui_app.core.project.spec import LayerSpec, NetworkSpec, ProjectFileError, load_spec_file
from gui_app.core.resources import resources_dir
from gui_app.ui.document.document import Document
from gui_app.ui.window import model_import, recovery
from gui_app.ui.window.autosave import AutosaveEntry, Autosaver, claim, delete_copy, find_autosaves
from gui_app.ui.window.import_report import ImportReportDialog

if TYPE_CHECKING:
    from collections.abc import Callable

    from gui_app.core.training.trained_model import TrainedModel

DEFAULT_PRESET = "MNIST MLP 784-128-128-10"
MAX_RECENT = 8
PROJECT_FILTER = "NetBuilder projects (*.json);;All files (*)"
#: QSettings key of Export ▸ Include Input Normalisation (on unless the user turns it off).
PREPROCESSING_KEY = "export/includePreprocessing"


def presets() -> list[tuple[str, Path]]:
    """The bundled presets as (name, file), in file-name order; unreadable ones are left out."""
    found = []
    for file in sorted((resources_dir() / "presets").glob("*.json")):
        try:
            found.append((load_spec_file(file).name, file))
        except ProjectFileError:
            continue
    return found


def mlp_spec() -> NetworkSpec:
    """The 784-128-128-10 MLP, built in code for when no preset files are installed."""
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 128}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": 128}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), DEFAULT_PRESET)


def blank_spec() -> NetworkSpec:
    """File ▸ New: no layers yet, an MNIST-sized input and the default training settings."""
    return NetworkSpec(name="Untitled")


def default_spec() -> NetworkSpec:
    """What a new user sees first: the MNIST MLP preset (or the first preset)."""
    found = presets()
    for name, file in found:
        if name == DEFAULT_PRESET:
            return load_spec_file(file)
    return load_spec_file(found[0][1]) if found else mlp_spec()


class ProjectFileActions(QObject):
    """The File menu's commands for one document, and the recovery of work a crash left.

    It is given what it works on (the document, its autosaver, the settings, a way to ask for the
    trained model) and reports through signals; ``parent`` only carries its dialogs.
    """

    recent_changed = Signal()
    #: a project was opened, started or recovered (its path, None when untitled): views follow it
    project_loaded = Signal(object)
    #: (text, milliseconds) for the window's status bar
    status_message = Signal(str, int)
    #: File ▸ Import… brought weights (a TrainedModel): the session's trained model follows them
    model_imported = Signal(object)

    def __init__(
        self,
        parent: QWidget,
        document: Document,
        autosaver: Autosaver,
        settings: QSettings,
        trained_model: Callable[[], TrainedModel | None],
    ) -> None:
        super().__init__(parent)
        self.dialog_parent = parent
        self.document = document
        self.autosaver = autosaver
        self.settings = settings
        #: the session's trained model when its weights fit the network as it is now, else None
        self.trained_model = trained_model
        #: the report of the last File ▸ Import… (a window-modal dialog, kept so it stays open)
        self.report_dialog: ImportReportDialog | None = None

    def _load(self, spec: NetworkSpec, path: Path | None) -> None:
        self.document.load(spec, path)
        self.project_loaded.emit(path)

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        files = [str(path)] + [f for f in self.recent_files() if f != str(path)]
        self.settings.setValue("recentFiles", files[:MAX_RECENT])
        self.recent_changed.emit()

    def last_directory(self) -> str:
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    # ------------------------------------------------------------------ new / open
    def maybe_save(self) -> bool:
        """Ask about unsaved changes; False means the user cancelled."""
        if not self.document.dirty:
            return True
        if self.autosaver.holds_recovered:
            return self._keep_recovered_work()
        answer = QMessageBox.question(
            self.dialog_parent,
            "Unsaved changes",
            f"Save the changes to “{self.document.display_name}” first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        if answer == QMessageBox.StandardButton.Discard:
            self.autosaver.discard()
            return True
        return False

    def _keep_recovered_work(self) -> bool:
        """Recovered work about to be replaced: saved, kept for later, or (asked twice) deleted."""
        answer = recovery.ask_before_replacing(self.dialog_parent, self.document.display_name)
        if answer == recovery.SAVE:
            return self.save()
        if answer == recovery.KEEP:
            try:
                self.autosaver.keep_for_later()
            except OSError as exc:
                reason = f"{self.autosaver.file}: {exc.strerror or exc}"
                QMessageBox.warning(self.dialog_parent, "Cannot keep the recovered work", reason)
                return False
            return True
        if answer == recovery.DISCARD:
            self.autosaver.discard()
            return True
        return False

    def _locked(self) -> bool:
        """While training locks the network, no other project may replace it (say why)."""
        if self.document.lock_reason:
            self.document.edit_refused.emit(self.document.lock_reason)
            return True
        return False

    def new_from_spec(self, spec: NetworkSpec) -> bool:
        """Start an untitled project from ``spec`` (a preset)."""
        if self._locked() or not self.maybe_save():
            return False
        device = self.settings.value("training/device")
        if isinstance(device, str) and device:
            spec.training = replace(spec.training, device=device)
        self._load(spec, None)
        return True

    def new_blank(self) -> bool:
        """File ▸ New: an empty, untitled project."""
        return self.new_from_spec(blank_spec())

    def rename(self) -> bool:
        """File ▸ Rename Project…: ask for the name the title bar and the exports use."""
        name, ok = QInputDialog.getText(
            self.dialog_parent, "Rename project", "Project name (used in exports):", text=self.document.spec.name
        )
        return bool(ok) and self.document.set_name(name)

    def new_from_preset(self, file: Path) -> bool:
        try:
            spec = load_spec_file(file)
        except ProjectFileError as exc:
            QMessageBox.warning(self.dialog_parent, "Cannot open preset", str(exc))
            return False
        return self.new_from_spec(spec)

    def open(self, path: str | Path | None = None) -> bool:
        """Open a project; on any failure say why and leave the open project untouched."""
        if self._locked():
            return False
        if path is None:
            name, _ = QFileDialog.getOpenFileName(
                self.dialog_parent, "Open project", self.last_directory(), PROJECT_FILTER
            )
            if not name:
                return False
            path = name
        path = Path(path)
        try:
            spec = load_spec_file(path)
        except ProjectFileError as exc:
            QMessageBox.warning(self.dialog_parent, "Cannot open project", f"The project was not opened.\n\n{exc}")
            return False
        just_kept = self.autosaver.file if self.autosaver.holds_recovered else None
        if not self.maybe_save():
            return False
        # A copy of this project left by a crash is offered here, once, in place of the file (not
        # the one the user has just kept for later: that would ask about the same work twice).
        if not self.offer_recovery(path, skip=just_kept):
            self._load(spec, path)
        self._remember(path)
        return True

    def import_model_file(self, path: str | Path | None = None) -> bool:
        """File ▸ Import…: a model file becomes the project (untitled and unsaved), then its report shows."""
        if self._locked():
            return False
        found = model_import.ask_and_import(self.dialog_parent, self.last_directory(), Path(path) if path else None)
        if found is None or not self.maybe_save():
            return False
        result, source = found
        self.document.load(result.spec.copy(), None, dirty=True)  # the model keeps its own spec
        self.project_loaded.emit(None)
        model = trained_model(result)
        if model is not None:
            self.model_imported.emit(model)
        self.report_dialog = ImportReportDialog(result, source.name, self.dialog_parent)
        self.report_dialog.open()
        self.status_message.emit(f"Imported {source.name}", 5000)
        return True

    # ------------------------------------------------------------------ autosave recovery
    def offer_recovery(self, path: Path | None = None, skip: Path | None = None) -> bool:
        """Offer the newest copy a crashed NetBuilder left (only ``path``'s, when given; not ``skip``).

        True if it was recovered. Copies of windows still open elsewhere are never offered, and
        a copy not recovered stays on disk unless the user discards it on purpose.
        """
        entries = [entry for entry in find_autosaves(self.autosaver.directory) if entry.file != skip]
        if path is not None:
            entries = [entry for entry in entries if entry.belongs_to(path)]
        if not entries:
            return False
        entry = entries[0]
        answer = recovery.offer(self.dialog_parent, entry, len(entries) - 1)
        if answer == recovery.RECOVER:
            return self.recover(entry)
        if answer == recovery.DISCARD and not delete_copy(entry):
            self._say_taken(entry)
        return False

    def _say_taken(self, entry: AutosaveEntry) -> None:
        self.status_message.emit(f"⚠ The copy of “{entry.name}” was recovered by another window", 6000)

    def recover(self, entry: AutosaveEntry) -> bool:
        """Show an autosaved copy as unsaved work on its original file; the copy becomes ours."""
        lock = claim(entry.file)
        if lock is None:
            self._say_taken(entry)
            return False
        self.document.load(entry.spec, entry.original, dirty=True)
        self.autosaver.adopt(entry, lock)  # after the load, which drops the window's old copy
        self.project_loaded.emit(entry.original)
        return True

    # ------------------------------------------------------------------ save
    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path(self.last_directory()) / f"{self.document.spec.name}.json")
        name, _ = QFileDialog.getSaveFileName(self.dialog_parent, "Save project as", start, PROJECT_FILTER)
        if not name:
            return False
        path = Path(name)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.warning(self.dialog_parent, "Cannot save", f"{path}: {exc.strerror or exc}")
            return False
        self._remember(path)
        self.status_message.emit(f"Saved {path.name}", 4000)
        return True

    # ------------------------------------------------------------------ export
    @property
    def include_preprocessing(self) -> bool:
        """Whether exports of trained weights take raw pixels (True) or the bare network's input."""
        return str(self.settings.value(PREPROCESSING_KEY, "true")).lower() != "false"

    def set_include_preprocessing(self, include: bool) -> None:
        self.settings.setValue(PREPROCESSING_KEY, "true" if include else "false")

    def export(self, kind: str) -> bool:
        """Export the network (with the trained weights when they belong to it).

        The file dialog's own overwrite prompt sees only the named file, so it is off: one
        question lists every file the export would replace (the Python export's weights too).
        """
        fmt = export_format(kind)
        title = f"Export {fmt.label}"
        doc = self.document
        if not doc.compiled.ok:
            QMessageBox.warning(self.dialog_parent, title, f"Fix the network first.\n\n{doc.first_problem()}")
            return False
        stem = (doc.path.stem if doc.path else doc.spec.name.replace(" ", "_")) or "network"
        start = str(Path(self.last_directory()) / f"{stem}{fmt.suffix}")
        name, _ = QFileDialog.getSaveFileName(
            self.dialog_parent, title, start, fmt.file_filter, options=QFileDialog.Option.DontConfirmOverwrite
        )
        if not name:
            return False
        trained = self.trained_model() if fmt.takes_weights else None
        if not self._may_write(title, export_outputs(fmt.name, name, trained is not None)):
            return False
        try:
            written = export_to(fmt.name, doc.spec, name, trained, include_preprocessing=self.include_preprocessing)
        except (ValueError, OSError, RuntimeError) as exc:
            QMessageBox.warning(self.dialog_parent, title, f"The export failed.\n\n{exc}")
            return False
        self.status_message.emit(f"Exported {', '.join(p.name for p in written)}", 5000)
        return True

    def _may_write(self, title: str, outputs: list[Path]) -> bool:
        """Refuse to overwrite the open project; ask once about every file that would be replaced."""
        try:
            refuse_inputs(outputs, [self.document.path])
        except ExportError as exc:
            QMessageBox.warning(self.dialog_parent, title, f"The export was not written.\n\n{exc}")
            return False
        existing = existing_outputs(outputs)
        if not existing:
            return True
        listing = "\n".join(f"  {p}" for p in existing)
        answer = QMessageBox.question(
            self.dialog_parent,
            title,
            f"{'This file exists' if len(existing) == 1 else 'These files exist'} and will be replaced:\n\n"
            f"{listing}\n\nReplace {'it' if len(existing) == 1 else 'them'}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes
