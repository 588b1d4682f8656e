"""Autosave and recovery as a user meets them: copies written seconds after an edit, only a dead
process's copy offered, one question when a project is opened after a crash, and recovered work
that is never one click from loss."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from gui_app.core.project.spec import save_spec
from gui_app.ui.app import start
from gui_app.ui.document.document import Document
from gui_app.ui.window import recovery
from gui_app.ui.window.autosave import SUFFIX, Autosaver, find_autosaves
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import mlp_spec
from tests.ui.window.test_main_window import make_window, types


class Questions:
    """Scripted answers to the recovery questions, recording what the user was shown."""

    def __init__(self, monkeypatch, *answers) -> None:
        self.answers = list(answers)
        self.asked: list[tuple[str, str, list[str]]] = []
        monkeypatch.setattr(recovery, "ask", self._ask)

    def _ask(self, _parent, title, text, choices, _default):
        self.asked.append((title, text, [label for _button, label in choices]))
        return self.answers.pop(0)


@pytest.fixture
def no_plain_questions(monkeypatch) -> list[str]:
    """Every "Save the changes first?" asked; recovered work must never meet that one."""
    asked: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.Discard
    )
    return asked


def crashed_copy(directory: Path, original: Path | None = None, extra: str = "Dropout") -> dict:
    """Leave a copy as a crashed window would: written, and no longer held by a live owner."""
    document = Document(mlp_spec(), original)
    document.add_layer(extra)
    saver = Autosaver(document, directory)
    saver.save_now()
    saver.keep_for_later()  # lets go of the lock, which is what a dead process's lock amounts to
    saver.stop()
    return document.spec.to_dict()


def test_a_copy_is_written_shortly_after_each_edit_not_during_it(qtbot, tmp_path) -> None:
    window = make_window(qtbot, tmp_path)
    saver = Autosaver(window.document, tmp_path / "fast", interval_ms=3_600_000, debounce_ms=20)
    window.document.add_layer("Sigmoid")
    assert not saver.file.exists()  # the edit itself writes nothing
    qtbot.waitUntil(saver.file.exists, timeout=5000)
    assert json.loads(saver.file.read_text())["project"] == window.document.spec.to_dict()
    window.document.add_layer("Tanh")
    qtbot.waitUntil(lambda: "Tanh" in saver.file.read_text(), timeout=5000)
    window.document.undo_stack.setClean()
    assert not saver.file.exists()  # saved work needs no copy
    saver.stop()


_LIVE_WINDOW = """
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication([])
from gui_app.ui.window.autosave import Autosaver
from gui_app.ui.document.document import Document
from gui_app.ui.window.project_files import mlp_spec
document = Document(mlp_spec())
document.add_layer("GELU")
saver = Autosaver(document, Path(sys.argv[1]))
saver.save_now()
print("ready", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(os.name != "posix", reason="kills the other process with SIGKILL")
def test_a_second_process_leaves_a_live_copy_alone_and_recovers_it_once_its_owner_is_gone(
    qtbot, tmp_path, monkeypatch
) -> None:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "QT_QPA_PLATFORM": "offscreen"}
    other = subprocess.Popen(
        [sys.executable, "-c", _LIVE_WINDOW, str(tmp_path / "autosave")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert other.stdout.readline().strip() == "ready"
        copies = list((tmp_path / "autosave").glob("*.autosave.json"))
        assert len(copies) == 1
        questions = Questions(monkeypatch, recovery.RECOVER)
        window = make_window(qtbot, tmp_path)
        assert not window.files.offer_recovery()
        assert questions.asked == [] and copies[0].exists()  # the live window's copy: not ours
        other.send_signal(signal.SIGKILL)  # the crash
        other.wait(timeout=60)
        assert window.files.offer_recovery()
        assert "did not close normally" in questions.asked[0][1]
        assert "GELU" in types(window) and window.document.dirty
    finally:
        other.kill()
        other.wait(timeout=60)
        for pipe in (other.stdin, other.stdout):
            pipe.close()


def test_keep_for_later_leaves_the_copy_and_it_is_offered_again(qtbot, tmp_path, monkeypatch) -> None:
    lost = crashed_copy(tmp_path / "autosave")
    questions = Questions(monkeypatch, recovery.KEEP, recovery.RECOVER)
    window = make_window(qtbot, tmp_path)
    assert not window.files.offer_recovery()
    assert questions.asked[0][2] == ["Recover", "Discard…", "Keep for later"]
    assert [entry.spec.to_dict() for entry in find_autosaves(tmp_path / "autosave")] == [lost]
    assert window.files.offer_recovery()
    assert window.document.spec.to_dict() == lost and window.isWindowModified()


def test_discarding_a_copy_asks_twice_and_the_safe_answer_keeps_it(qtbot, tmp_path, monkeypatch) -> None:
    crashed_copy(tmp_path / "autosave")
    questions = Questions(monkeypatch, recovery.DISCARD, recovery.KEEP, recovery.DISCARD, recovery.DISCARD)
    window = make_window(qtbot, tmp_path)
    assert not window.files.offer_recovery()  # Discard…, then "Keep it"
    assert len(find_autosaves(tmp_path / "autosave")) == 1
    assert questions.asked[1][0] == "Discard recovered work" and "cannot be undone" in questions.asked[1][1]
    assert not window.files.offer_recovery()  # Discard…, then "Delete it"
    assert find_autosaves(tmp_path / "autosave") == []
    assert list((tmp_path / "autosave").iterdir()) == []  # neither the copy nor its lock is left


def test_opening_a_project_after_a_crash_asks_one_question(qtbot, tmp_path, monkeypatch, no_plain_questions) -> None:
    project = tmp_path / "mine.json"
    save_spec(mlp_spec(), project)
    lost = crashed_copy(tmp_path / "autosave", project)
    crashed_copy(tmp_path / "autosave", None, "Tanh")  # another project's copy: not this start's business
    questions = Questions(monkeypatch, recovery.RECOVER)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")  # as at start-up: nothing open yet
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    start(window, str(project))  # what `netbuilder mine.json` does
    assert len(questions.asked) == 1 and "mine.json" in questions.asked[0][1]
    assert no_plain_questions == []
    assert window.document.spec.to_dict() == lost and window.document.path == project and window.document.dirty
    # The other copy is still there for a start without a project.
    assert [entry.spec.layers[-1].type for entry in find_autosaves(tmp_path / "autosave")] == ["Tanh"]


def test_recovered_work_is_never_one_click_from_loss(qtbot, tmp_path, monkeypatch, no_plain_questions) -> None:
    lost = crashed_copy(tmp_path / "autosave")
    questions = Questions(monkeypatch, recovery.RECOVER, recovery.DISCARD, recovery.KEEP, recovery.KEEP)
    window = make_window(qtbot, tmp_path)
    assert window.files.offer_recovery()
    # Replacing it: Discard… then "Keep it" cancels, and the work is still on screen.
    assert not window.files.new_from_spec(mlp_spec())
    assert window.document.spec.to_dict() == lost
    assert questions.asked[1][2] == ["Save", "Keep for later", "Discard…", "Cancel"]
    # Keep for later: the window moves on and the copy waits on disk for the next start.
    assert window.files.new_from_spec(mlp_spec())
    assert no_plain_questions == []
    assert [entry.spec.to_dict() for entry in find_autosaves(tmp_path / "autosave")] == [lost]


def test_closing_over_recovered_work_can_keep_it_for_later(qtbot, tmp_path, monkeypatch, no_plain_questions) -> None:
    lost = crashed_copy(tmp_path / "autosave")
    Questions(monkeypatch, recovery.RECOVER, recovery.KEEP)
    window = make_window(qtbot, tmp_path)
    assert window.files.offer_recovery()
    window.document.add_layer("Softmax")  # edits after recovery are recovered work too
    assert window.close()
    entries = find_autosaves(tmp_path / "autosave")
    assert len(entries) == 1 and entries[0].spec.layers[-1].type == "Softmax"
    assert entries[0].spec.to_dict()["layers"][:-1] == lost["layers"]


def test_reopening_a_project_whose_recovered_work_was_just_kept_asks_once(
    qtbot, tmp_path, monkeypatch, no_plain_questions
) -> None:
    project = tmp_path / "mine.json"
    save_spec(mlp_spec(), project)
    lost = crashed_copy(tmp_path / "autosave", project)
    questions = Questions(monkeypatch, recovery.RECOVER, recovery.KEEP)
    window = make_window(qtbot, tmp_path)
    assert window.files.open(project)  # Recover
    assert window.files.open(project)  # Keep for later: the file from disk, with no second question
    assert len(questions.asked) == 2 and questions.asked[1][0] == "Recovered work is not saved"
    assert window.document.spec.to_dict() == mlp_spec().to_dict() and not window.document.dirty
    assert [entry.spec.to_dict() for entry in find_autosaves(tmp_path / "autosave")] == [lost]


def test_damaged_copies_are_left_alone_and_the_good_one_is_still_offered(tmp_path) -> None:
    """A copy damaged on disk must neither break the start-up question nor be offered."""
    good = {"autosave": 1, "original": None, "saved_at": 1.0, "project": mlp_spec().to_dict()}
    damaged = {
        "huge-time": {**good, "saved_at": int("9" * 400)},
        "nul-path": {**good, "original": "/tmp/a\x00b.json"},
        "path-number": {**good, "original": 5},
    }
    tmp_path.joinpath(f"good{SUFFIX}").write_text(json.dumps(good))
    for name, payload in damaged.items():
        tmp_path.joinpath(f"{name}{SUFFIX}").write_text(json.dumps(payload))
    found = find_autosaves(tmp_path)
    assert [entry.file.name for entry in found] == [f"good{SUFFIX}"]
    assert all(tmp_path.joinpath(f"{name}{SUFFIX}").exists() for name in damaged)
