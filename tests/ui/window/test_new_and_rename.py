"""File ▸ New gives a blank project beside New from Preset; a project can be renamed, undoably,
and the name shows in the title bar and goes into the saved file and the exports."""

from __future__ import annotations

import ast

import pytest
from PySide6.QtWidgets import QFileDialog, QInputDialog

from gui_app.core.project.spec import load_spec_file
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import DEFAULT_PRESET
from tests.ui.window.test_main_window import make_window


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return make_window(qtbot, tmp_path)


def _answer(monkeypatch, text: str, ok: bool = True) -> None:
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (text, ok))


def test_file_new_is_a_blank_project_and_presets_are_a_menu_beside_it(window) -> None:
    window.window_actions.new.trigger()
    doc = window.document
    assert doc.spec.layers == [] and doc.spec.name == "Untitled" and doc.path is None
    assert window.windowTitle() == "Untitled[*] — NetBuilder" and not window.isWindowModified()
    preset = next(a for a in window.window_actions.preset_menu.actions() if a.text() == DEFAULT_PRESET)
    preset.trigger()
    assert [layer.type for layer in doc.spec.layers][:2] == ["Flatten", "Linear"]


def test_rename_shows_in_the_title_and_undoes(window, monkeypatch) -> None:
    _answer(monkeypatch, "  Digit   reader ")
    window.window_actions.rename.trigger()
    assert window.document.spec.name == "Digit reader"
    assert window.windowTitle() == "Digit reader[*] — NetBuilder" and window.isWindowModified()
    assert window.inspector.title.text() == "Digit reader"
    assert window.window_actions.undo.text() == "&Undo Rename project"
    window.document.undo()
    assert window.document.spec.name == DEFAULT_PRESET and window.windowTitle() == f"{DEFAULT_PRESET}[*] — NetBuilder"
    window.document.redo()
    assert window.windowTitle() == "Digit reader[*] — NetBuilder"


@pytest.mark.parametrize(
    "answer",
    [("   ", True), ("x" * 501, True), ("Ignored", False), ("clear\x1b[2J", True), ("nul\x00", True), ("\ud800", True)],
    ids=["blank", "long", "cancelled", "escape", "nul", "surrogate"],
)
def test_a_rename_a_project_file_could_not_hold_changes_nothing(window, monkeypatch, answer) -> None:
    _answer(monkeypatch, *answer)
    assert window.files.rename() is False
    assert window.document.spec.name == DEFAULT_PRESET and not window.document.dirty


def test_the_name_is_saved_and_used_by_the_exports(window, monkeypatch, tmp_path) -> None:
    name = 'My "net"; __import__("os")'
    _answer(monkeypatch, name)
    window.window_actions.rename.trigger()
    saved = tmp_path / "saved.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    assert window.files.save_as()
    assert load_spec_file(saved).name == name
    assert window.windowTitle() == f"{name} (saved.json)[*] — NetBuilder"
    script = tmp_path / "train.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(script), ""))
    assert window.files.export("training-script")
    tree = ast.parse(script.read_text())
    assigned = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "NAME")
    assert ast.literal_eval(assigned.value) == name
