"""The main window's actions and menus: File, Edit, View, Data, Help.

Kept apart from :mod:`gui_app.ui.window.main_window` so the window module holds behaviour and this one
holds the (long, declarative) list of commands, their shortcuts and where they appear.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from gui_app import __version__
from gui_app.core.export.formats import FORMATS
from gui_app.ui.window.project_files import presets

if TYPE_CHECKING:
    from gui_app.ui.window.main_window import MainWindow


def _action(window: MainWindow, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        else:
            action.setShortcut(shortcut)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


def build_actions(window: MainWindow) -> None:
    """The window's actions, as ``window.act_*``; edit shortcuts are scoped to the canvas."""
    keys = QKeySequence.StandardKey
    f = window.files
    window.act_new = _action(window, "&New", f.new_blank, keys.New, "An empty project")
    window.act_rename = _action(
        window, "Re&name Project…", f.rename, tip="The project's name, shown in the title bar and used in exports"
    )
    window.act_open = _action(window, "&Open…", lambda: f.open(), keys.Open)
    window.act_save = _action(window, "&Save", f.save, keys.Save)
    window.act_save_as = _action(window, "Save &As…", f.save_as, keys.SaveAs)
    window.act_quit = _action(window, "&Quit", window.close, keys.Quit)
    window.act_undo = _action(window, "&Undo", window.document.undo, keys.Undo)
    window.act_redo = _action(window, "&Redo", window.document.redo, [QKeySequence(keys.Redo), QKeySequence("Ctrl+Y")])
    window.act_cut = _action(window, "Cu&t", window.cut, keys.Cut)
    window.act_copy = _action(window, "&Copy", window.copy, keys.Copy)
    window.act_paste = _action(window, "&Paste", window.paste, keys.Paste)
    window.act_duplicate = _action(window, "D&uplicate", window.duplicate, QKeySequence("Ctrl+D"))
    window.act_delete = _action(
        window, "&Delete", window.delete_selected, [QKeySequence(keys.Delete), QKeySequence("Backspace")]
    )
    window.act_select_all = _action(
        window, "Select &All", window.canvas.network_scene.select_all_layers, keys.SelectAll
    )
    window.act_zoom_in = _action(
        window, "Zoom &In", window.canvas.zoom_in, [QKeySequence(keys.ZoomIn), QKeySequence("Ctrl+=")]
    )
    window.act_zoom_out = _action(window, "Zoom &Out", window.canvas.zoom_out, keys.ZoomOut)
    window.act_fit = _action(window, "&Fit Network", window.canvas.fit, QKeySequence("Ctrl+0"))
    window.act_actual = _action(window, "&Actual Size", window.canvas.reset_zoom, QKeySequence("Ctrl+1"))
    window.act_about = _action(window, "&About NetBuilder", window.about)
    window.act_find_layer = _action(
        window, "Find &Layer", window.focus_layer_filter, keys.Find, "Type to filter the palette; Enter adds the layer"
    )
    for action in (
        window.act_cut,
        window.act_copy,
        window.act_paste,
        window.act_duplicate,
        window.act_delete,
        window.act_select_all,
    ):
        # Edit shortcuts act on the canvas; text fields keep their own Ctrl+C, Delete, ...
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.canvas.addAction(action)


def build_menus(window: MainWindow) -> None:
    """File, Edit, View, Data and Help, with the presets, recent files and export formats."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(window.act_new)
    window.preset_menu = file_menu.addMenu("New from &Preset")
    for name, path in presets():
        window.preset_menu.addAction(name, lambda p=path: window.files.new_from_preset(p))
    file_menu.addAction(window.act_open)
    window.recent_menu = file_menu.addMenu("Open &Recent")
    fill_recent_menu(window)
    file_menu.addSeparator()
    file_menu.addAction(window.act_save)
    file_menu.addAction(window.act_save_as)
    file_menu.addAction(window.act_rename)
    build_export_menu(window, file_menu.addMenu("&Export"))
    file_menu.addSeparator()
    file_menu.addAction(window.act_quit)

    edit = bar.addMenu("&Edit")
    edit.addActions([window.act_undo, window.act_redo])
    edit.addSeparator()
    edit.addActions([window.act_cut, window.act_copy, window.act_paste, window.act_duplicate, window.act_delete])
    edit.addSeparator()
    edit.addAction(window.act_select_all)

    view = bar.addMenu("&View")
    view.addActions([window.act_zoom_in, window.act_zoom_out, window.act_fit, window.act_actual])
    view.addSeparator()
    view.addAction(window.act_find_layer)
    for dock in (window.palette_dock, window.inspector_dock, window.training_dock, window.draw_dock):
        if dock is not None:
            view.addAction(dock.toggleViewAction())

    window.data_actions.build_menu(bar.addMenu("&Data"))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(window.act_about)


def build_export_menu(window: MainWindow, export_menu: QMenu) -> None:
    """One action per export format (the CLI's list), then whether exports include normalisation."""
    window.export_actions = {}
    for fmt in FORMATS:
        if not fmt.takes_weights:
            export_menu.addSeparator()
        window.export_actions[fmt.name] = export_menu.addAction(
            f"{fmt.label}…", lambda k=fmt.name: window.files.export(k)
        )
    export_menu.addSeparator()
    action = export_menu.addAction("Include Input Normalisation")
    action.setCheckable(True)
    action.setChecked(window.files.include_preprocessing)
    action.setStatusTip(
        "On: an export of trained weights takes raw pixels in [0, 1], as the draw pad does. "
        "Off: the bare network, with the mean and std stated in the export"
    )
    action.toggled.connect(window.files.set_include_preprocessing)
    window.act_export_preprocessing = action


def fill_recent_menu(window: MainWindow) -> None:
    window.recent_menu.clear()
    files = window.files.recent_files()
    for file in files:
        window.recent_menu.addAction(Path(file).name, lambda f=file: window.files.open(f)).setStatusTip(file)
    window.recent_menu.setEnabled(bool(files))


def show_about(parent: QWidget) -> None:
    """Help ▸ About: version, licences and the MNIST credit."""
    import torch
    from PySide6 import __version__ as pyside_version

    QMessageBox.about(
        parent,
        "About NetBuilder",
        f"<h3>NetBuilder {__version__}</h3>"
        "<p>Design PyTorch networks by drag and drop, train them live, and draw digits for them to read.</p>"
        "<p>Licensed under the MIT licence.</p>"
        f"<p>Built on PyTorch {torch.__version__} (BSD-3-Clause), Qt for Python {pyside_version} "
        "(LGPLv3), pyqtgraph (MIT), NumPy (BSD-3-Clause) and ONNX (Apache-2.0).</p>"
        "<p>The MNIST database of handwritten digits is by Yann LeCun, Corinna Cortes and "
        "Christopher J. C. Burges (yann.lecun.com/exdb/mnist), available under CC BY-SA 3.0. The MNIST "
        "sample bundled for offline first runs (10,000 training and 2,000 test images) and the data the "
        "bundled digit model learnt from are drawn from it.</p>",
    )
