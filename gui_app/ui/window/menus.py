"""The main window's actions and menus: File, Edit, View, Training, Data, Help.

Kept apart from :mod:`gui_app.ui.window.main_window` so the window module holds behaviour and this one
holds the (long, declarative) list of commands, their shortcuts and where they appear. It knows the
window only as a QMainWindow and an :class:`EditCommands`, so it never imports the window module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMenuBar, QMessageBox, QWidget

from gui_app import __version__
from gui_app.core.export.formats import FORMATS
from gui_app.ui.window.picture_export import export_picture
from gui_app.ui.window.project_files import ProjectFileActions, presets

if TYPE_CHECKING:
    from gui_app.ui.canvas import NetworkCanvas
    from gui_app.ui.document.document import Document
    from gui_app.ui.window.data_menu import DataActions


class EditCommands(Protocol):
    """What the Edit and View menus ask of the window: commands on the canvas's selection."""

    def cut(self) -> None: ...
    def copy(self) -> bool: ...
    def paste(self) -> None: ...
    def duplicate(self) -> None: ...
    def delete_selected(self) -> None: ...
    def focus_layer_filter(self) -> None: ...


class TrainingCommands(Protocol):
    """What the Training menu asks of the window: the checks before a run."""

    def find_learning_rate(self) -> None: ...
    def check_can_learn(self) -> None: ...


def _action(parent: QWidget, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, parent)
    if shortcut is not None:
        if isinstance(shortcut, list):
            action.setShortcuts(shortcut)
        else:
            action.setShortcut(shortcut)
    if tip:
        action.setStatusTip(tip)
    action.triggered.connect(slot)
    return action


class WindowActions:
    """The window's commands and its menu bar, built once for a window and owned by it.

    It is handed what the commands act on: the File and Data menus' own objects, the canvas, the
    document, and the window's :class:`EditCommands` and :class:`TrainingCommands`; edit shortcuts
    are scoped to the canvas.
    """

    def __init__(
        self,
        window: QMainWindow,
        edit: EditCommands,
        files: ProjectFileActions,
        data: DataActions,
        canvas: NetworkCanvas,
        document: Document,
        training: TrainingCommands,
    ) -> None:
        self.window = window
        self.canvas = canvas
        self.files = files
        self.data = data
        self.document = document
        self._file_actions()
        self._edit_actions(edit, canvas)
        self._view_actions(edit, canvas)
        self._training_actions(training)
        self.about = _action(window, "&About NetBuilder", lambda: show_about(window))
        self.preset_menu: QMenu | None = None
        self.recent_menu: QMenu | None = None
        #: export format name -> its File ▸ Export action
        self.exports: dict[str, QAction] = {}
        self.export_preprocessing: QAction | None = None
        files.recent_changed.connect(self.fill_recent_menu)

    def _file_actions(self) -> None:
        keys, f, window = QKeySequence.StandardKey, self.files, self.window
        self.new = _action(window, "&New", f.new_blank, keys.New, "An empty project")
        self.rename = _action(
            window, "Re&name Project…", f.rename, tip="The project's name, shown in the title bar and used in exports"
        )
        self.open = _action(window, "&Open…", lambda: f.open(), keys.Open)
        self.import_model = _action(
            window, "&Import…", lambda: f.import_model_file(), tip="An ONNX, torch.export or Python model as a project"
        )
        self.save = _action(window, "&Save", f.save, keys.Save)
        self.save_as = _action(window, "Save &As…", f.save_as, keys.SaveAs)
        self.quit = _action(window, "&Quit", window.close, keys.Quit)

    def _edit_actions(self, edit: EditCommands, canvas: NetworkCanvas) -> None:
        keys, window, doc = QKeySequence.StandardKey, self.window, self.document
        self.undo = _action(window, "&Undo", doc.undo, keys.Undo)
        self.redo = _action(window, "&Redo", doc.redo, [QKeySequence(keys.Redo), QKeySequence("Ctrl+Y")])
        self.cut = _action(window, "Cu&t", edit.cut, keys.Cut)
        self.copy = _action(window, "&Copy", edit.copy, keys.Copy)
        self.paste = _action(window, "&Paste", edit.paste, keys.Paste)
        self.duplicate = _action(window, "D&uplicate", edit.duplicate, QKeySequence("Ctrl+D"))
        self.delete = _action(
            window, "&Delete", edit.delete_selected, [QKeySequence(keys.Delete), QKeySequence("Backspace")]
        )
        self.select_all = _action(window, "Select &All", canvas.network_scene.select_all_layers, keys.SelectAll)
        for action in (self.cut, self.copy, self.paste, self.duplicate, self.delete, self.select_all):
            # Edit shortcuts act on the canvas; text fields keep their own Ctrl+C, Delete, ...
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            canvas.addAction(action)

    def _view_actions(self, edit: EditCommands, canvas: NetworkCanvas) -> None:
        keys, window = QKeySequence.StandardKey, self.window
        self.zoom_in = _action(window, "Zoom &In", canvas.zoom_in, [QKeySequence(keys.ZoomIn), QKeySequence("Ctrl+=")])
        self.zoom_out = _action(window, "Zoom &Out", canvas.zoom_out, keys.ZoomOut)
        self.fit = _action(window, "&Fit Network", canvas.fit, QKeySequence("Ctrl+0"))
        self.actual_size = _action(window, "&Actual Size", canvas.reset_zoom, QKeySequence("Ctrl+1"))
        self.find_layer = _action(
            window,
            "Find &Layer",
            edit.focus_layer_filter,
            keys.Find,
            "Type to filter the palette; Enter adds the layer",
        )

    def _training_actions(self, training: TrainingCommands) -> None:
        window = self.window
        self.find_lr = _action(
            window,
            "Find &Learning Rate…",
            training.find_learning_rate,
            tip="Sweep growing learning rates over about 100 batches and suggest one (the weights are put back)",
        )
        self.can_learn = _action(
            window,
            "Can This Network Le&arn?…",
            training.check_can_learn,
            tip="Train on one batch for 100 steps: a network that can learn fits it to 100%",
        )

    def follow_training(self, running: bool) -> None:
        """The checks before a run are for before a run: off while one trains."""
        for action in (self.find_lr, self.can_learn):
            action.setEnabled(not running)

    # ------------------------------------------------------------------ menus
    def build_menus(self, bar: QMenuBar, docks: list[QDockWidget]) -> None:
        """File, Edit, View (with a toggle for each dock), Training, Data and Help."""
        self._build_file_menu(bar.addMenu("&File"))
        edit = bar.addMenu("&Edit")
        edit.addActions([self.undo, self.redo])
        edit.addSeparator()
        edit.addActions([self.cut, self.copy, self.paste, self.duplicate, self.delete])
        edit.addSeparator()
        edit.addAction(self.select_all)
        view = bar.addMenu("&View")
        view.addActions([self.zoom_in, self.zoom_out, self.fit, self.actual_size])
        view.addSeparator()
        view.addAction(self.find_layer)
        view.addActions([dock.toggleViewAction() for dock in docks])
        bar.addMenu("&Training").addActions([self.find_lr, self.can_learn])
        self.data.build_menu(bar.addMenu("&Data"))
        bar.addMenu("&Help").addAction(self.about)

    def _build_file_menu(self, file_menu: QMenu) -> None:
        """New, the presets, open, recent files, save, rename, the export formats and quit."""
        file_menu.addAction(self.new)
        self.preset_menu = file_menu.addMenu("New from &Preset")
        for name, path in presets():
            self.preset_menu.addAction(name, lambda p=path: self.files.new_from_preset(p))
        file_menu.addAction(self.open)
        file_menu.addAction(self.import_model)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.fill_recent_menu()
        file_menu.addSeparator()
        file_menu.addActions([self.save, self.save_as, self.rename])
        self._build_export_menu(file_menu.addMenu("&Export"))
        file_menu.addSeparator()
        file_menu.addAction(self.quit)

    def _build_export_menu(self, export_menu: QMenu) -> None:
        """One action per export format (the CLI's list), then whether exports include normalisation."""
        for fmt in FORMATS:
            if not fmt.takes_weights:
                export_menu.addSeparator()
            self.exports[fmt.name] = export_menu.addAction(f"{fmt.label}…", lambda k=fmt.name: self.files.export(k))
        export_menu.addSeparator()
        self.export_picture_action = export_menu.addAction("&Picture…", self._export_picture)
        self.export_picture_action.setStatusTip("The design as a PNG (as the canvas shows it) or an SVG")
        export_menu.addSeparator()
        action = export_menu.addAction("Include Input Normalisation")
        action.setCheckable(True)
        action.setChecked(self.files.include_preprocessing)
        action.setStatusTip(
            "On: an export of trained weights takes raw pixels in [0, 1], as the draw pad does. "
            "Off: the bare network, with the mean and std stated in the export"
        )
        action.toggled.connect(self.files.set_include_preprocessing)
        self.export_preprocessing = action

    def _export_picture(self) -> None:
        doc = self.document
        stem = (doc.path.stem if doc.path else doc.spec.name.replace(" ", "_")) or "network"
        written = export_picture(self.window, self.canvas.network_scene, doc.spec, self.files.last_directory(), stem)
        if written is not None:
            self.window.statusBar().showMessage(f"Exported {written.name}", 5000)

    def fill_recent_menu(self) -> None:
        """Open Recent lists the remembered files, newest first (disabled when there are none)."""
        if self.recent_menu is None:
            return  # the menus are not built yet
        self.recent_menu.clear()
        files = self.files.recent_files()
        for file in files:
            self.recent_menu.addAction(Path(file).name, lambda f=file: self.files.open(f)).setStatusTip(file)
        self.recent_menu.setEnabled(bool(files))

    # ------------------------------------------------------------------ state
    def follow_edit_state(self, has_selection: bool) -> None:
        """Undo/redo say what they undo; edits need a selection and an unlocked network."""
        locked = bool(self.document.lock_reason)
        stack = self.document.undo_stack
        self.undo.setEnabled(stack.canUndo() and not locked)
        self.redo.setEnabled(stack.canRedo() and not locked)
        self.undo.setText(f"&Undo {stack.undoText()}".strip())
        self.redo.setText(f"&Redo {stack.redoText()}".strip())
        for action in (self.cut, self.delete, self.duplicate):
            action.setEnabled(has_selection and not locked)
        self.copy.setEnabled(has_selection)
        self.paste.setEnabled(not locked)
        for action in (self.new, self.open, self.import_model):
            action.setEnabled(not locked)


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
