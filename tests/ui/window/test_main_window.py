"""The main window as a user meets it: names, menus, keyboard editing, files, autosave, closing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from gui_app.core.project.spec import load_spec_file
from gui_app.ui.window.autosave import Autosaver
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import DEFAULT_PRESET, mlp_spec

Button = QMessageBox.StandardButton


def _forget_changes(window: MainWindow) -> None:
    """Before qtbot closes a window: nothing left to ask about."""
    window.document.unlock()
    window.document.undo_stack.setClean()


def make_window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window, before_close_func=_forget_changes)
    window.files.new_from_spec(mlp_spec())
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    return make_window(qtbot, tmp_path)


def types(window: MainWindow) -> list[str]:
    return [layer.type for layer in window.document.spec.layers]


def test_main_parts_have_stable_names(window: MainWindow) -> None:
    for name in ("layerPalette", "paletteFilter", "networkCanvas", "layerInspector"):
        widget = window.findChild(QWidget, name)
        assert widget is not None, name
        assert widget.accessibleName() == name
    for name in ("trainingPanel", "drawPad"):  # pyqtgraph is required: these docks are always there
        assert window.findChild(QWidget, name) is not None, name


_WITHOUT_PYQTGRAPH = """
import sys
sys.modules["pyqtgraph"] = None  # as if it were not installed
from PySide6.QtWidgets import QApplication
app = QApplication([])
try:
    from gui_app.ui.window.main_window import MainWindow
    window = MainWindow()
except ImportError as exc:
    print("refused:", exc.name)
else:
    print("opened without:", [d for d in ("training_dock", "draw_dock") if getattr(window, d) is None])
"""


def test_a_missing_required_dependency_is_an_error_not_a_window_without_its_docks(tmp_path) -> None:
    env = {"QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": os.getcwd()}
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PYQTGRAPH], env=env, capture_output=True, text=True, timeout=240
    )
    assert result.stdout.strip() == "refused: pyqtgraph", result.stdout + result.stderr


def test_menus_offer_what_users_expect(window: MainWindow) -> None:
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "View", "Training", "Data", "Help"]

    def texts(menu) -> list[str]:
        return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]

    assert texts(menus["File"]) == [
        "New",
        "New from Preset",
        "Open…",
        "Import…",
        "Open Recent",
        "Save",
        "Save As…",
        "Rename Project…",
        "Export",
        "Quit",
    ]
    assert [t.split(" ")[0] for t in texts(menus["Edit"])] == [
        "Undo",
        "Redo",
        "Cut",
        "Copy",
        "Paste",
        "Duplicate",
        "Delete",
        "Select",
    ]
    export = window.window_actions.exports
    assert list(export) == ["python", "torchscript", "onnx", "pt2", "training-script"]
    assert "Fit Network" in texts(menus["View"]) and "Layers" in texts(menus["View"])
    assert texts(menus["Training"]) == ["Find Learning Rate…", "Can This Network Learn?…"]
    assert window.window_actions.preset_menu.actions(), "presets are listed"
    assert texts(menus["Data"]) == [
        "Data folder: not set (download cache only)",
        "Data Folder…",
        "Forget Data Folder",
        "Download full MNIST",
        "Download Fashion-MNIST",
        "Download CIFAR-10",
        "Data Locations…",
        "Open Download Folder",
    ]


def test_title_shows_the_name_and_a_modified_mark(window: MainWindow) -> None:
    assert window.windowTitle() == f"{DEFAULT_PRESET}[*] — NetBuilder"
    assert not window.isWindowModified()
    window.document.add_layer("ReLU")
    assert window.isWindowModified()
    window.document.undo()
    assert not window.isWindowModified()


def test_status_bar_shows_parameters_size_and_readiness(window: MainWindow) -> None:
    assert window.status_params.text() == "118.3k parameters"
    assert window.status_size.text() == "462.0 KB"
    assert "Ready to train" in window.status_state.text()
    window.document.add_layer("Conv2d", 2)
    assert window.status_state.text().startswith("Block 3 (Conv2d)")


def test_palette_filter_and_enter_add_after_the_selection(window: MainWindow, qtbot) -> None:
    palette = window.palette_panel
    window.window_actions.find_layer.trigger()
    assert palette.filter.hasFocus() or QGuiApplication.focusObject() is palette.filter
    palette.filter.setText("conv")
    shown = palette.visible_layer_names()
    assert shown[:5] == ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Conv3d"]
    assert "Linear" not in shown and "ReLU" not in shown
    window.canvas.network_scene.select_uids([window.document.spec.layers[2].uid])
    palette.filter.setText("dropout")
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert types(window)[3] == "Dropout"
    assert window.canvas.network_scene.selected_uids() == [window.document.spec.layers[3].uid]
    palette.tree.setFocus()
    qtbot.keyClick(palette.tree, Qt.Key.Key_Return)  # Enter in the list adds the current entry again
    assert types(window)[4] == "Dropout"


def test_keyboard_delete_duplicate_copy_paste_then_undo_redo_round_trip(window: MainWindow, qtbot) -> None:
    doc = window.document
    start = doc.spec.to_dict()
    canvas = window.canvas
    canvas.setFocus()
    uids = [layer.uid for layer in doc.spec.layers]
    canvas.network_scene.select_uids(uids[1:3])
    qtbot.keyClick(canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert types(window) == ["Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    qtbot.keyClick(canvas, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = json.loads(QGuiApplication.clipboard().text())
    assert [layer["type"] for layer in copied["layers"]] == ["Linear", "ReLU"]
    qtbot.keyClick(canvas, Qt.Key.Key_Delete)
    assert len(doc.spec.layers) == 6
    canvas.network_scene.select_uids([doc.spec.layers[0].uid])
    qtbot.keyClick(canvas, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert types(window)[:3] == ["Flatten", "Linear", "ReLU"] and len(doc.spec.layers) == 8
    end = doc.spec.to_dict()
    for _ in range(3):
        qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.spec.to_dict() == start
    for _ in range(3):
        window.window_actions.redo.trigger()
    assert doc.spec.to_dict() == end


def test_paste_works_across_projects(window: MainWindow, qtbot, tmp_path) -> None:
    doc = window.document
    canvas = window.canvas
    canvas.network_scene.select_uids([doc.spec.layers[1].uid])
    assert window.copy()
    window.files.new_from_spec(load_spec_file(_first_preset()))
    count = len(doc.spec.layers)
    window.paste()
    assert len(doc.spec.layers) == count + 1
    assert doc.spec.layers[-1].params == {"out_features": 128}


def _first_preset():
    from gui_app.ui.window.project_files import presets

    return presets()[0][1]


def test_a_corrupt_file_is_refused_and_the_open_project_is_untouched(window: MainWindow, monkeypatch, tmp_path) -> None:
    window.document.add_layer("Tanh")
    before = window.document.spec.to_dict()
    messages = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: messages.append(args[2]) or Button.Ok)
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "netbuilder", "input_shape": [1, 28, 28], "layers": [{"type": "Linear", "out')
    assert not window.files.open(bad)
    assert window.document.spec.to_dict() == before
    assert window.document.dirty
    assert "broken.json: not valid JSON" in messages[0]
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"input_shape": [1, 28, 28], "layers": [{"type": "Conv2d", "kernel_size": 0}]}))
    assert not window.files.open(wrong)
    assert "layers[0].kernel_size" in messages[1]
    assert window.document.spec.to_dict() == before


def test_save_as_then_open_recent(window: MainWindow, monkeypatch, tmp_path) -> None:
    target = tmp_path / "mine.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.document.add_layer("Dropout", 2)
    assert window.files.save_as()
    assert load_spec_file(target).to_dict() == window.document.spec.to_dict()
    assert window.windowTitle() == f"{DEFAULT_PRESET} (mine.json)[*] — NetBuilder" and not window.isWindowModified()
    assert window.files.recent_files()[0] == str(target)
    window.files.new_from_spec(mlp_spec())
    window.window_actions.recent_menu.actions()[0].trigger()
    assert window.document.path == target and types(window)[2] == "Dropout"


def test_autosave_writes_a_copy_every_interval_while_dirty(window: MainWindow, qtbot, tmp_path) -> None:
    saver = Autosaver(window.document, tmp_path / "fast", interval_ms=30)
    assert not saver.file.exists()
    window.document.add_layer("Sigmoid")
    qtbot.waitUntil(saver.file.exists, timeout=3000)
    saver.timer.stop()
    window.document.undo_stack.setClean()
    assert not saver.file.exists()  # saved work needs no copy


def test_closing_with_unsaved_changes_asks(window: MainWindow, monkeypatch) -> None:
    answers = [Button.Cancel, Button.Discard]
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or answers.pop(0))
    window.document.add_layer("ReLU")
    window.autosaver.save_if_dirty()
    assert not window.close()
    assert window.isVisible() and "Save the changes" in asked[0]
    assert window.close()
    assert not window.autosaver.file.exists()


def test_layout_is_kept_in_settings(qtbot, tmp_path) -> None:
    first = make_window(qtbot, tmp_path)
    first.inspector_dock.hide()
    assert first.close()
    second = make_window(qtbot, tmp_path)
    assert not second.inspector_dock.isVisible()
    assert second.palette_dock.isVisible()


def test_training_run_locks_the_document(window: MainWindow) -> None:
    panel = window.training_panel
    panel.run_started.emit()
    assert window.document.lock_reason
    assert window.canvas.banner.isVisible()
    assert not window.window_actions.delete.isEnabled() and not window.window_actions.undo.isEnabled()
    assert window.document.add_layer("ReLU") is None
    panel.run_finished.emit(None)
    assert not window.document.lock_reason
    assert window.document.add_layer("ReLU") is not None


def test_no_other_project_can_replace_the_network_while_it_trains(window: MainWindow, tmp_path) -> None:
    before = window.document.spec.to_dict()
    other = tmp_path / "other.json"
    other.write_text(load_preset_text())
    window.training_panel.run_started.emit()
    assert window.files.open(other) is False
    assert window.files.new_from_spec(mlp_spec()) is False
    assert window.document.spec.to_dict() == before
    window.training_panel.run_finished.emit(None)
    assert window.files.open(other) is True


def load_preset_text() -> str:
    from gui_app.core.project.presets import presets_dir

    return (presets_dir() / "linear_regression.json").read_text()


def test_undoing_a_training_setting_updates_the_training_form(window: MainWindow) -> None:
    panel = window.training_panel
    start = window.document.spec.training
    window.document.set_training(start.replace(epochs=start.epochs + 3))
    assert panel.config().epochs == start.epochs + 3
    window.document.undo()
    assert window.document.spec.training == start
    assert panel.config().epochs == start.epochs  # the next run uses what the project says


def test_quitting_while_a_batch_outlasts_the_stop_wait_closes_once_the_training_thread_ends(
    window: MainWindow, qtbot, monkeypatch
) -> None:
    panel = window.training_panel
    window.document.set_training(window.document.spec.training.replace(epochs=500))
    window.document.undo_stack.setClean()
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)
    # a zero wait: the running batch outlasts it, as a big batch outlasts the window's 10 s
    monkeypatch.setattr(panel, "stop_and_wait", lambda _timeout_ms: panel.runner.stop_and_wait(0))
    assert panel.start()
    assert not window.close()  # stopping, not yet stopped: closing now would destroy a running thread
    assert window.isVisible() and window.statusBar().currentMessage() == "Waiting for the training to stop…"
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    assert not panel.runner.thread.isRunning()  # closed only once the thread had ended


def test_ctrl_z_on_the_draw_pad_undoes_the_stroke_not_the_network(window: MainWindow, qtbot) -> None:
    from tests.data.handwriting.replay import replay_stroke

    window.document.add_layer("ReLU")
    layers = types(window)
    window.draw_dock.raise_()
    pad = window.draw_panel.pad
    pad.setFocus()
    qtbot.waitUntil(pad.hasFocus)
    replay_stroke(pad, [(0.2, 0.2), (0.8, 0.8)])
    assert len(pad.strokes()) == 1
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.is_empty()
    assert types(window) == layers


def _run_app(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {"QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "gui_app", *args], env=env, capture_output=True, text=True, timeout=240
    )


@pytest.mark.slow
def test_screenshot_option_renders_the_window_and_exits_0(tmp_path) -> None:
    out = tmp_path / "shot.png"
    project = tmp_path / "p.json"
    project.write_text(mlp_spec().to_json())
    result = _run_app(tmp_path, "--screenshot", str(out), str(project))
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    result = _run_app(tmp_path, "--screenshot", str(tmp_path / "no.png"), str(bad))
    assert result.returncode == 2
    assert "bad.json: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_python_writes_the_network_and_a_broken_network_is_refused(window: MainWindow, monkeypatch, tmp_path):
    target = tmp_path / "net.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.window_actions.exports["python"].trigger()
    source = target.read_text()
    assert "nn.Linear(784, 128" in source.replace("in_features=", "").replace("out_features=", "")
    messages = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: messages.append(args[2]) or Button.Ok)
    window.document.add_layer("Conv2d", 3)
    target.unlink()
    window.window_actions.exports["onnx"].trigger()
    assert not target.exists()
    assert "Fix the network first" in messages[0] and "Block 4 (Conv2d)" in messages[0]


def test_a_drag_started_in_the_palette_drops_onto_the_canvas(window: MainWindow, monkeypatch) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from gui_app.ui.canvas.items import BLOCK_WIDTH
    from gui_app.ui.editing import palette as palette_module

    started = []

    class RecordingDrag(palette_module.QDrag):
        def exec(self, actions):  # the platform's drag loop; here the test plays the user
            started.append((self.mimeData(), actions))
            return actions

    monkeypatch.setattr(palette_module, "QDrag", RecordingDrag)
    palette = window.palette_panel
    palette.apply_filter("batchnorm1d")
    palette.tree.startDrag(Qt.DropAction.CopyAction)
    mime, action = started[0]
    canvas = window.canvas
    scene = canvas.network_scene
    pos = canvas.mapFromScene(QPointF(BLOCK_WIDTH / 2, scene.marker_y(3)))
    QApplication.sendEvent(
        canvas.viewport(), QDragEnterEvent(pos, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    )
    QApplication.sendEvent(
        canvas.viewport(), QDragMoveEvent(pos, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    )
    assert scene.marker.index == 3
    QApplication.sendEvent(
        canvas.viewport(),
        QDropEvent(QPointF(pos), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
    )
    assert types(window)[3] == "BatchNorm1d"
    assert window.inspector.title.text() == "BatchNorm1d"  # the new block is selected and inspected
    assert window.document.undo_stack.undoText() == "Add BatchNorm1d"
