"""File ▸ Export: every format the CLI has, one question for every file replaced, no input overwritten."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui_app.cli import export as export_cli
from gui_app.core.analysis.compiler import build_model
from gui_app.core.training.trained_model import TrainedModel
from gui_app.ui.window.main_window import MainWindow
from tests.ui.window.test_main_window import make_window

Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return make_window(qtbot, tmp_path)


def _cli_formats() -> list[str]:
    parser = argparse.ArgumentParser()
    export_cli.add_parser(parser.add_subparsers())
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(next(a for a in sub.choices["export"]._actions if a.dest == "format").choices)


def _trained(window: MainWindow) -> TrainedModel:
    """Give the window a model trained for its network, with MNIST's normalisation."""
    spec = window.document.spec.copy()
    model = TrainedModel(spec, build_model(spec, seed=4).state_dict(), (0.1307,), (0.3081,), "trained this session")
    window._set_trained_model(model)
    assert window.trained_state_dict() is not None
    return model


def _choose(monkeypatch, target: Path) -> list:
    """Answer the save dialog with ``target``; returns the options each dialog was opened with."""
    options = []

    def dialog(*args, **kwargs):
        options.append(kwargs.get("options"))
        return str(target), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    return options


def _answer(monkeypatch, button) -> list[str]:
    """Answer every question with ``button``; returns the questions' texts."""
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: asked.append(args[2]) or button)
    return asked


def test_every_cli_format_has_an_export_action(window: MainWindow) -> None:
    assert "pt2" in _cli_formats()
    assert list(window.window_actions.exports) == _cli_formats()
    assert window.window_actions.exports["pt2"].text() == "torch.export…"


def test_one_question_lists_every_file_a_python_export_would_replace(window: MainWindow, monkeypatch, tmp_path):
    trained = _trained(window)
    folder = tmp_path / "exports"
    folder.mkdir()
    target, weights = folder / "net.py", folder / "net.weights.pt"
    target.write_text("mine")
    weights.write_text("mine too")
    options = _choose(monkeypatch, target)
    asked = _answer(monkeypatch, Button.Cancel)
    assert window.files.export("python") is False
    assert options == [QFileDialog.Option.DontConfirmOverwrite]  # the dialog's own prompt sees one file only
    assert len(asked) == 1 and str(target) in asked[0] and str(weights) in asked[0]
    assert target.read_text() == "mine" and weights.read_text() == "mine too"
    asked = _answer(monkeypatch, Button.Yes)
    assert window.files.export("python") is True
    assert len(asked) == 1
    saved = torch.load(weights, weights_only=True)
    assert all(torch.equal(saved[k], v) for k, v in trained.state_dict.items())
    assert sorted(p.name for p in folder.iterdir()) == ["net.py", "net.weights.pt"]


def test_an_export_never_overwrites_the_open_project(window: MainWindow, monkeypatch, tmp_path) -> None:
    project = tmp_path / "p.json"
    assert window.files._save_to(project)
    before = project.read_bytes()
    _choose(monkeypatch, project)
    asked = _answer(monkeypatch, Button.Yes)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]) or Button.Ok)
    assert window.files.export("torchscript") is False
    assert asked == [] and "is an input of this export" in warnings[0]
    assert project.read_bytes() == before


def test_include_input_normalisation_decides_what_a_trained_export_takes(window: MainWindow, monkeypatch, tmp_path):
    trained = _trained(window)
    network = trained.build()
    pixels = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        want = network((pixels - 0.1307) / 0.3081)
    assert window.window_actions.export_preprocessing.isChecked()
    for checked, feed in ((True, pixels), (False, (pixels - 0.1307) / 0.3081)):
        window.window_actions.export_preprocessing.setChecked(checked)
        target = tmp_path / f"net_{checked}.py"
        _choose(monkeypatch, target)
        assert window.files.export("python") is True
        namespace = {"__name__": "exported", "__file__": str(target)}
        exec(compile(target.read_text(), str(target), "exec"), namespace)
        with torch.no_grad():
            torch.testing.assert_close(namespace["load_trained_model"]()(feed), want)
    assert window.settings.value("export/includePreprocessing") == "false"
