"""The File and Data commands report through signals the window connects, so they work without it:
a project opened is announced with its path and the title follows, messages reach the status bar,
and closing during a cancelled download ends its thread at once."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from gui_app.core.data.locations import cache_dir
from gui_app.core.project.spec import save_spec
from gui_app.ui.document.document import Document
from gui_app.ui.window.autosave import Autosaver
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import DEFAULT_PRESET, ProjectFileActions, blank_spec, mlp_spec
from tests.ui.window.test_main_window import make_window


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return make_window(qtbot, tmp_path)


def test_opening_a_project_announces_its_path_and_the_title_follows(window: MainWindow, qtbot, tmp_path) -> None:
    project = tmp_path / "digits.json"
    save_spec(mlp_spec(), project)
    window.files.new_from_spec(blank_spec())
    with qtbot.waitSignal(window.files.project_loaded, timeout=1000) as loaded:
        assert window.files.open(project)
    assert loaded.args == [project]
    assert window.windowTitle() == f"{DEFAULT_PRESET} (digits.json)[*] — NetBuilder"
    assert window.training_panel.config() == window.document.spec.training


def test_saving_says_so_in_the_status_bar_through_a_signal(window: MainWindow, qtbot, monkeypatch, tmp_path):
    target = tmp_path / "mine.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.files.status_message, timeout=1000) as said:
        assert window.files.save_as()
    assert said.args == ["Saved mine.json", 4000]
    assert window.statusBar().currentMessage() == "Saved mine.json"


def test_the_file_commands_need_no_window(qtbot, tmp_path) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    document = Document(parent=parent)
    saver = Autosaver(document, tmp_path / "autosave", parent=parent)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    files = ProjectFileActions(parent, document, saver, settings, lambda: None)
    project = tmp_path / "p.json"
    save_spec(mlp_spec(), project)
    loaded: list[object] = []
    files.project_loaded.connect(loaded.append)
    assert files.open(project)
    assert loaded == [project] and document.path == project
    assert files.recent_files() == [str(project)]
    saver.stop()


def test_closing_right_after_cancelling_a_download_ends_its_thread_and_closes(window: MainWindow, qtbot, mirror):
    mirror.server.hold = threading.Event()  # the first file stalls after its first 64 KiB
    data = window.data_actions
    assert data.download("mnist")
    qtbot.waitUntil(lambda: data.dialog.value() > 0, timeout=30_000)
    data.cancel()
    mirror.server.hold.set()  # the next chunk arrives and the worker sees the cancel
    assert window.close()  # the thread ended while the window waited for it
    assert not data.thread.isRunning()
    qtbot.waitUntil(lambda: data.thread is None, timeout=30_000)
    assert mirror.requests == ["train-images-idx3-ubyte.gz"]
    assert not [p for p in cache_dir().rglob("*") if p.is_file()]  # nothing half-written was kept
