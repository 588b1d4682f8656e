"""Autosave: while a project has unsaved changes, a copy is written every minute.

The copy lives in the app's data folder, not beside the project, and is removed when the work
is saved or deliberately discarded; so a copy found at start-up means the app did not close
normally, and the window offers it back.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from gui_app.core.network import NetworkSpec, ProjectFileError, spec_from_dict, write_atomic
from gui_app.ui.document import Document

INTERVAL_MS = 60_000
SUFFIX = ".autosave.json"


def default_autosave_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".netbuilder") / "autosave"


@dataclass
class AutosaveEntry:
    """One recoverable copy: where it is, which file it belonged to, when, and its content."""

    file: Path
    original: Path | None
    saved_at: float
    spec: NetworkSpec


def find_autosaves(directory: Path) -> list[AutosaveEntry]:
    """Readable autosave copies in ``directory``, newest first; unreadable ones are skipped."""
    entries = []
    if not directory.is_dir():
        return entries
    for file in directory.glob(f"*{SUFFIX}"):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            spec = spec_from_dict(data["project"])
            original = Path(data["original"]) if data.get("original") else None
            entries.append(AutosaveEntry(file, original, float(data.get("saved_at", 0)), spec))
        except (OSError, ValueError, KeyError, TypeError, ProjectFileError):
            continue
    return sorted(entries, key=lambda e: e.saved_at, reverse=True)


class Autosaver(QObject):
    """Writes the document's autosave copy on a timer while it is dirty."""

    def __init__(self, document: Document, directory: Path, interval_ms: int = INTERVAL_MS, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.directory = Path(directory)
        self._session = uuid.uuid4().hex  # two windows never share an untitled copy
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_if_dirty)
        self.timer.start()
        document.dirty_changed.connect(self._dirty_changed)
        document.path_changed.connect(self._path_changed)
        self._file = self._file_for(document.path)

    @property
    def file(self) -> Path:
        return self._file

    def _file_for(self, path: Path | None) -> Path:
        key = str(path.resolve()) if path else f"untitled-{self._session}"
        return self.directory / (hashlib.sha1(key.encode()).hexdigest()[:16] + SUFFIX)

    def save_if_dirty(self) -> bool:
        """Write the copy now if there is unsaved work; False when there was nothing to save."""
        if not self.document.dirty:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {
            "autosave": 1,
            "original": str(self.document.path) if self.document.path else None,
            "saved_at": time.time(),
            "project": self.document.spec.to_dict(),
        }
        try:
            write_atomic(self._file, json.dumps(payload))
        except OSError:
            return False  # a full disk must not interrupt editing; the next tick retries
        return True

    def discard(self) -> None:
        """Remove the copy (the work was saved or the user chose to throw it away)."""
        self._file.unlink(missing_ok=True)

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.discard()

    def _path_changed(self, path: Path | None) -> None:
        self.discard()
        self._file = self._file_for(path)
