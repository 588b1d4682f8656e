"""Autosave: a recovery copy of unsaved work, written a few seconds after each change.

Each window keeps one copy in the app's data folder (``autosave/<id>.autosave.json``), not beside
the project. It is written :data:`DEBOUNCE_MS` after the last edit, and every minute as a safety
net, and removed when the work is saved or deliberately discarded. Beside each copy is a lock file
held by the process that writes it (a :class:`QLockFile`: pid, host and boot id, freed when the
process is gone), so another NetBuilder only ever finds the copies of a process that ended without
closing normally, never a live window's. A copy found that way stays on disk until the user
recovers it or discards it on purpose.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer

from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, read_bounded
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, spec_from_dict
from gui_app.ui.document.document import Document

DEBOUNCE_MS = 3_000
INTERVAL_MS = 60_000
SUFFIX = ".autosave.json"
LOCK_SUFFIX = ".lock"


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

    @property
    def name(self) -> str:
        return self.original.name if self.original else self.spec.name

    def belongs_to(self, path: Path) -> bool:
        return self.original is not None and os.path.realpath(self.original) == os.path.realpath(path)


def claim(file: Path) -> QLockFile | None:
    """Take the lock of the copy ``file``; None while a live process holds it."""
    lock = QLockFile(str(file.with_name(file.name + LOCK_SUFFIX)))
    lock.setStaleLockTime(0)  # only a dead owner frees a copy, never the lock's age
    return lock if lock.tryLock(0) else None


def _read_entry(file: Path) -> AutosaveEntry | None:
    try:
        data = json.loads(read_bounded(file, PROJECT_LIMIT).decode("utf-8"))
        if not isinstance(data, dict):
            return None
        spec = spec_from_dict(data["project"])
        original = data.get("original")
        if original is not None and not (isinstance(original, str) and original and "\0" not in original):
            return None  # a path no file system holds: a damaged copy
        saved_at = float(data.get("saved_at", 0))
        return AutosaveEntry(file, Path(original) if original else None, saved_at, spec)
    except (FileReadError, OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError, ProjectFileError):
        return None  # not a copy this version can read: left alone, never offered


def find_autosaves(directory: Path) -> list[AutosaveEntry]:
    """Readable copies whose process is gone, newest first; live windows' copies are skipped."""
    entries = []
    if not directory.is_dir():
        return entries
    for file in directory.glob(f"*{SUFFIX}"):
        lock = claim(file)
        if lock is None:
            continue  # a running NetBuilder is still writing it
        try:
            entry = _read_entry(file)
        finally:
            lock.unlock()
        if entry is not None:
            entries.append(entry)
    for lock_file in directory.glob(f"*{SUFFIX}{LOCK_SUFFIX}"):
        copy = lock_file.with_name(lock_file.name.removesuffix(LOCK_SUFFIX))
        if not copy.exists() and (lock := claim(copy)) is not None:
            lock.unlock()  # a dead process's lock with no copy left: unlocking removes it
    return sorted(entries, key=lambda e: e.saved_at, reverse=True)


def delete_copy(entry: AutosaveEntry) -> bool:
    """Remove an orphaned copy for good; False if another window recovered it meanwhile."""
    lock = claim(entry.file)
    if lock is None:
        return False
    try:
        entry.file.unlink(missing_ok=True)
    finally:
        lock.unlock()
    return True


class Autosaver(QObject):
    """Writes the document's recovery copy shortly after each change while it is dirty."""

    def __init__(
        self,
        document: Document,
        directory: Path,
        interval_ms: int = INTERVAL_MS,
        debounce_ms: int = DEBOUNCE_MS,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.directory = Path(directory)
        #: True while the copy holds work recovered after a crash that is not saved yet.
        self.holds_recovered = False
        self._file = self._new_file()
        self._lock: QLockFile | None = None
        #: True while the document has changed since the copy was last written (or never was).
        self._stale = True
        self.timer = QTimer(self)  # the safety net, should a change ever slip past the debounce
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_if_dirty)
        self.timer.start()
        # Edits only restart this timer; the copy is serialised and written in its slot.
        self.soon = QTimer(self)
        self.soon.setSingleShot(True)
        self.soon.setInterval(debounce_ms)
        self.soon.timeout.connect(self.save_if_dirty)
        document.changed.connect(self._changed)
        document.dirty_changed.connect(self._dirty_changed)

    @property
    def file(self) -> Path:
        return self._file

    def _new_file(self) -> Path:
        return self.directory / f"{uuid.uuid4().hex}{SUFFIX}"

    def _hold_lock(self) -> None:
        if self._lock is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        lock = claim(self._file)
        if lock is None:
            raise OSError(f"{self._file.name}: its lock is held by another process")
        self._lock = lock

    def save_now(self) -> None:
        """Write the copy of the document as it is now; raises ``OSError`` if it cannot."""
        self._hold_lock()  # locked before the copy exists, so nobody ever sees it unowned
        payload = {
            "autosave": 1,
            "original": str(self.document.path) if self.document.path else None,
            "saved_at": time.time(),
            "project": self.document.spec.to_dict(),
        }
        write_atomic(self._file, json.dumps(payload))
        self._stale = False

    def save_if_dirty(self) -> bool:
        """Write the copy if there is unsaved work it does not hold yet; False when nothing was written."""
        if not (self.document.dirty and self._stale):
            return False
        try:
            self.save_now()
        except OSError:
            return False  # a full disk must not interrupt editing; the next change or tick retries
        return True

    def discard(self) -> None:
        """Remove the copy (the work was saved or the user chose to throw it away)."""
        self.soon.stop()
        self._file.unlink(missing_ok=True)
        self._release()
        self.holds_recovered = False

    def adopt(self, entry: AutosaveEntry, lock: QLockFile) -> None:
        """Make a recovered copy (claimed with ``lock``) this window's own, without rewriting it."""
        self.discard()
        self._file, self._lock = entry.file, lock
        self.holds_recovered = True

    def keep_for_later(self) -> None:
        """Write the copy and let go of it, so it is offered at the next start; raises OSError."""
        self.save_now()
        self._release()
        self._file = self._new_file()
        self.holds_recovered = False

    def stop(self) -> None:
        self.timer.stop()
        self.soon.stop()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _changed(self, _change) -> None:
        self._stale = True
        self.soon.start()

    def _dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.discard()
