"""File ▸ Import… and File ▸ Export ▸ Picture… in the window."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from gui_app.ui.window.main_window import MainWindow
from tests.ui.window.test_main_window import make_window, types

Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return make_window(qtbot, tmp_path)


def onnx_with_an_odd_node(path: Path, dims=(None, 6)) -> Path:
    """Linear -> Sin -> ReLU: the Sin does not map."""
    rng = np.random.default_rng(0)
    weights = [
        numpy_helper.from_array(rng.standard_normal((3, 6)).astype(np.float32), "fc.weight"),
        numpy_helper.from_array(rng.standard_normal(3).astype(np.float32), "fc.bias"),
    ]
    nodes = [
        helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], transB=1, name="fc"),
        helper.make_node("Sin", ["h"], ["s"], name="wave"),
        helper.make_node("Relu", ["s"], ["y"], name="act"),
    ]
    graph = helper.make_graph(
        nodes,
        "odd",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *dims[1:]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
        weights,
    )
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return path


def _open_with(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_import_replaces_the_project_and_shows_the_report(window, monkeypatch, qtbot, tmp_path):
    _open_with(monkeypatch, onnx_with_an_odd_node(tmp_path / "odd.onnx"))
    window.window_actions.import_model.trigger()
    assert types(window) == ["Linear", "ReLU"]
    assert window.document.path is None and window.document.dirty  # unsaved work, as a new project
    assert window.trained_model is not None and window.trained_state_dict() is not None
    dialog = window.files.report_dialog
    assert dialog is not None and dialog.isVisible()
    table = dialog.unmapped_table
    assert [table.item(0, c).text() for c in range(2)] == ["wave (Sin)", "Sin is not a NetBuilder layer"]
    assert "Imported 2 blocks from odd.onnx, with its weights. 1 part of the file did not map" in dialog.summary.text()
    dialog.close()


def test_a_file_that_does_not_say_its_input_shape_asks_for_it(window, monkeypatch, tmp_path):
    _open_with(monkeypatch, onnx_with_an_odd_node(tmp_path / "free.onnx", dims=(None, "F")))
    answers = iter([("6x", True), ("6", True)])  # a typo first: the question comes again
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: next(answers))
    window.window_actions.import_model.trigger()
    assert tuple(window.document.spec.input_shape) == (6,)
    window.files.report_dialog.close()


def test_unsaved_changes_are_asked_about_first_and_cancel_keeps_the_project(window, monkeypatch, tmp_path):
    window.document.add_layer("ReLU")
    before = types(window)
    _open_with(monkeypatch, onnx_with_an_odd_node(tmp_path / "odd.onnx"))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[1]) or Button.Cancel)
    assert not window.files.import_model_file()
    assert asked == ["Unsaved changes"] and types(window) == before


def _code_file(tmp_path: Path, marker: Path) -> Path:
    path = tmp_path / "their_model.py"
    path.write_text(
        f"import pathlib\nfrom torch import nn\npathlib.Path({str(marker)!r}).write_text('ran')\n"
        "INPUT_SHAPE = (4,)\nmodel = nn.Sequential(nn.Linear(4, 2), nn.Tanh())\n",
        encoding="utf-8",
    )
    return path


def test_python_code_runs_only_after_the_question_naming_the_file(window, monkeypatch, tmp_path):
    marker = tmp_path / "marker.txt"
    _open_with(monkeypatch, _code_file(tmp_path, marker))
    window.document.undo_stack.setClean()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append((a[1], a[2])) or Button.No)
    assert not window.files.import_model_file()
    assert not marker.exists() and types(window) == ["Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    title, text = asked[0]
    assert title == "Run this Python file?" and "“their_model.py” is Python code" in text and "your rights" in text
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: Button.Yes)
    assert window.files.import_model_file()
    assert marker.exists() and types(window) == ["Linear", "Tanh"]
    window.files.report_dialog.close()


def test_an_unreadable_file_is_one_message_and_the_project_stays(window, monkeypatch, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage")
    _open_with(monkeypatch, bad)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    assert not window.files.import_model_file()
    assert warned and "bad.onnx: not a" in warned[0]
    assert types(window) == ["Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_export_picture_writes_the_canvas(window, monkeypatch, tmp_path, suffix):
    target = tmp_path / f"net{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.window_actions.export_picture_action.trigger()
    if suffix == ".png":
        image = QImage(str(target))
        assert not image.isNull() and image.height() > image.width() > 200  # the chain, top to bottom
    else:
        root = ET.parse(target).getroot()
        blocks = root.findall(".//{http://www.w3.org/2000/svg}g[@class='block']")
        assert [b.get("data-type") for b in blocks] == types(window)
