"""The main window: palette | canvas | inspector, training and draw pad docks, menus, status bar.

The window wires views to one :class:`Document`; it keeps its layout, geometry, recent files and
last training device in QSettings, offers autosaved work back after a crash, and asks before
closing over unsaved changes or a running training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, SignalInstance
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QWidget,
)

from gui_app.core.analysis.compiler import CompiledNetwork
from gui_app.core.analysis.messages import layer_label
from gui_app.core.project.spec import ChangeKind, ProjectFileError
from gui_app.core.text.numbers import format_bytes, format_count, format_macs
from gui_app.core.training.answers import SampleAnswer
from gui_app.core.training.trained_model import TrainedModel
from gui_app.ui.canvas import NetworkCanvas
from gui_app.ui.document.document import Document, layers_from_text, layers_to_text
from gui_app.ui.drawing.panel import DrawPanel
from gui_app.ui.editing.inspector import LayerInspector
from gui_app.ui.editing.palette import LayerPalette
from gui_app.ui.inspecting.block_view import BlockView
from gui_app.ui.theme import apply_theme, canvas_colours, is_dark
from gui_app.ui.training.lr_finder_dialog import LearnCheckDialog, LRFinderDialog
from gui_app.ui.training.panel import TrainingPanel
from gui_app.ui.window.autosave import Autosaver, default_autosave_dir
from gui_app.ui.window.block_view_link import BlockViewLink
from gui_app.ui.window.data_menu import DataActions
from gui_app.ui.window.menus import WindowActions
from gui_app.ui.window.project_files import ProjectFileActions
from gui_app.ui.window.run_history import RunHistory

LOCK_REASON = "Training is running: the network is locked until the run finishes or you stop it."


class MainWindow(QMainWindow):
    """One window editing one project."""

    def __init__(self, settings: QSettings | None = None, autosave_dir: Path | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings if settings is not None else QSettings()
        self.document = Document(parent=self)
        self.trained_model: TrainedModel | None = None
        #: the last Find Learning Rate or Can This Network Learn? dialog (kept until the next one)
        self.probe_dialog: LRFinderDialog | LearnCheckDialog | None = None
        self.autosaver = Autosaver(self.document, autosave_dir or default_autosave_dir(), parent=self)
        self.files = ProjectFileActions(self, self.document, self.autosaver, self.settings, self._fitting_trained_model)
        self.data_actions = DataActions(self)
        self._build_views()
        self.run_history = RunHistory(self, self.document, self.training_panel)
        self._build_status_bar()
        self.window_actions = WindowActions(
            self,
            edit=self,
            files=self.files,
            data=self.data_actions,
            canvas=self.canvas,
            document=self.document,
            training=self,
        )
        self.window_actions.build_menus(
            self.menuBar(),
            [self.palette_dock, self.inspector_dock, self.block_dock, self.training_dock, self.draw_dock],
        )
        self._style_banner()
        self._connect()
        self.resize(1280, 800)
        self._restore_settings()
        self._document_changed(None)
        self._update_title()

    # ------------------------------------------------------------------ construction
    def _dock(
        self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea, scroll: bool = False
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if scroll:
            # A scroll area lets the user make the dock smaller than the panel's own minimum.
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.Shape.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _build_views(self) -> None:
        """The canvas in the middle, palette and inspector beside it, training and draw pad below."""
        self.canvas = NetworkCanvas(self.document, self)
        self.setCentralWidget(self.canvas)
        self.palette_panel = LayerPalette()
        self.inspector = LayerInspector(self.document)
        self.palette_dock = self._dock(
            "paletteDock", "Layers", self.palette_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock(
            "inspectorDock", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.training_panel = TrainingPanel(self.document.spec.copy)
        self.draw_panel = DrawPanel()
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.training_dock = self._dock("trainingDock", "Training", self.training_panel, bottom, True)
        self.draw_dock = self._dock("drawDock", "Draw a digit", self.draw_panel, bottom, True)
        # Side by side they would squeeze both at 1280×800: tabs give each the full width.
        self.tabifyDockWidget(self.training_dock, self.draw_dock)
        # A tab beside the inspector: what the selected block makes of an image, at the full height.
        self.block_view = BlockView(lambda: self.document.spec.copy(keep_uids=True))
        self.block_dock = self._dock(
            "blockViewDock", "Block view", self.block_view, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.inspector_dock, self.block_dock)
        self.inspector_dock.raise_()
        self.training_dock.raise_()
        # The bottom row runs the full width, so the training settings get room to breathe.
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)
        self.setCorner(Qt.Corner.BottomRightCorner, bottom)

    def _connect(self) -> None:
        """The views, the file and data commands and the training panel follow one another."""
        doc = self.document
        # The panel hears of each change before the status bar, which reads the panel's state.
        panel = self.training_panel
        panel.run_started.connect(self._run_started)
        panel.run_finished.connect(self._run_finished)
        panel.config_changed.connect(self._config_changed)
        panel.weights_chosen.connect(self._set_trained_model)
        self.run_history.model_reopened.connect(self._set_trained_model)
        doc.changed.connect(panel.network_changed)
        panel.runner.worker.health_done.connect(self.canvas.network_scene.show_health)
        panel.data_note.download_requested.connect(self.data_actions.download)
        panel.data_note.folder_requested.connect(self.data_actions.ask_folder)
        panel.evaluation.test_image_chosen.connect(self.show_test_image)
        scene = self.canvas.network_scene
        scene.selectionChanged.connect(self._selection_changed)
        self.block_view_link = BlockViewLink(
            self.block_view, self.block_dock, doc, scene, panel.runner.worker, self.draw_panel
        )
        self.palette_panel.add_requested.connect(self.add_layer_after_selection)
        doc.changed.connect(self._document_changed)
        doc.dirty_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        doc.edit_refused.connect(self._edit_refused)
        doc.lock_changed.connect(self._lock_changed)
        doc.undo_stack.indexChanged.connect(self._update_edit_actions)
        self.files.project_loaded.connect(self.project_loaded)
        self.files.model_imported.connect(self._set_trained_model)
        for source in (self.files, self.data_actions, self.run_history):
            source.status_message.connect(self.statusBar().showMessage)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.status_state = QLabel()
        self.status_state.setObjectName("statusState")
        self.status_params = QLabel()
        self.status_size = QLabel()
        self.status_size.setToolTip("Memory of the parameters and buffers (float32)")
        self.status_costs = QLabel()
        self.status_costs.setObjectName("statusCosts")
        for label in (self.status_params, self.status_size, self.status_costs, self.status_state):
            label.setContentsMargins(4, 0, 4, 0)
            bar.addPermanentWidget(label)

    def _style_banner(self) -> None:
        c = canvas_colours()
        text = "#F5E6C4" if is_dark() else "#5A4416"
        self.canvas.banner.setStyleSheet(
            f"QLabel {{ background: {c.banner.name()}; color: {text}; border: 1px solid {c.warning.name()};"
            " border-radius: 6px; padding: 6px 10px; }"
        )

    # ------------------------------------------------------------------ view updates
    def _document_changed(self, change) -> None:
        doc = self.document
        panel = self.training_panel
        training_edit = change is not None and any(
            p.kind in (ChangeKind.TRAINING, ChangeKind.RESET) for p in change.each()
        )
        if training_edit and panel.config() != doc.spec.training:
            # An undo or redo of a training setting (or of a reopened run): the form must show what
            # the next run will use.
            panel.set_config(doc.spec.training)
        compiled = doc.compiled
        self.status_params.setText(f"{format_count(compiled.total_params)} parameters")
        self.status_size.setText(format_bytes(compiled.size_bytes))
        self._show_costs(compiled)
        problem = doc.first_problem()
        if panel.is_running():  # "Ready to train" would be false now
            self.status_state.setText("● Training…")
            self.status_state.setStyleSheet("QLabel { color: #1F64C8; font-weight: bold; }")
            self.status_state.setToolTip(doc.lock_reason)
        elif problem is None:
            self.status_state.setText("✔ Ready to train")
            self.status_state.setStyleSheet("QLabel { color: #2E9E5B; font-weight: bold; }")
            self.status_state.setToolTip("")
        else:
            colour = "#D7263D" if not compiled.ok else "#C77700"
            self.status_state.setText(problem if len(problem) < 90 else problem[:87] + "…")
            self.status_state.setToolTip(problem)
            self.status_state.setStyleSheet(f"QLabel {{ color: {colour}; font-weight: bold; }}")
        self._update_edit_actions()
        if change is None or any(part.kind in (ChangeKind.NAME, ChangeKind.RESET) for part in change.each()):
            self._update_title()  # a rename (or its undo) or a new project; dirt and path have their signals

    def _show_costs(self, compiled: CompiledNetwork) -> None:
        """One sample's MACs and activation memory; a dash while a block has an error, since the
        blocks after it have no shape and their share is unknown (a partial sum would be false)."""
        if not compiled.ok:
            first = compiled.errors[0]
            self.status_costs.setText("— MACs")
            self.status_costs.setToolTip(
                f"Not counted: {layer_label(first.address or first.index, first.type)} has an error, so the "
                "blocks from there on have no shape to count. Fix it to see the network's costs."
            )
            return
        macs, activations = self.document.costs.total_macs, self.document.costs.total_activation_bytes
        # Short, so that the canvas's hint beside it is not clipped at 1280×800; the tooltip explains.
        self.status_costs.setText(f"{format_macs(macs)} MACs · {format_bytes(activations)}/sample")
        self.status_costs.setToolTip(
            f"One sample through the network: {macs:,} multiply-accumulates (MACs) and "
            f"{format_bytes(activations)} of activations (the blocks' float32 outputs)"
        )

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — NetBuilder")
        self.setWindowModified(self.document.dirty)

    def _edit_refused(self, message: str) -> None:
        self.statusBar().showMessage(f"⚠ {message}", 6000)

    def _update_edit_actions(self, *_args) -> None:
        if not shiboken6.isValid(self.document.undo_stack):
            return  # the window is being torn down
        self.window_actions.follow_edit_state(bool(self.canvas.network_scene.selected_uids()))

    def _selection_changed(self) -> None:
        scene = self.canvas.network_scene
        if not shiboken6.isValid(scene) or not shiboken6.isValid(self.inspector):
            return  # items leaving a scene that is being destroyed
        uids = scene.selected_uids()
        end = None
        if not uids:
            if scene.input_item.isSelected():
                end = "input"
            elif scene.output_item.isSelected():
                end = "output"
        self.inspector.show_selection(uids, end)
        self._update_edit_actions()

    def _lock_changed(self, _reason: str) -> None:
        # The canvas banner and the inspector say why; here the status and edit commands follow.
        self._document_changed(None)

    def _scheme_changed(self, _scheme) -> None:
        dark = apply_theme(QApplication.instance())
        self.canvas.network_scene.set_dark(dark)
        self._style_banner()

    def project_loaded(self, _path: Path | None = None) -> None:
        """After new/open/recover: fresh selection, framing, and the panels follow the project."""
        self.canvas.network_scene.clearSelection()
        self.inspector.show_selection([])
        self._set_trained_model(None)
        self.training_panel.forget_run()
        self.training_panel.set_config(self.document.spec.training)
        QTimer.singleShot(0, self.canvas.frame_for_reading)
        self._update_title()

    # ------------------------------------------------------------------ edit commands
    def focus_layer_filter(self) -> None:
        """Keyboard route to add a layer: Ctrl+F, type a few letters, Enter."""
        self.palette_dock.show()
        self.palette_dock.raise_()
        self.palette_panel.filter.setFocus()
        self.palette_panel.filter.selectAll()

    def add_layer_after_selection(self, type_name: str) -> None:
        lane, index = self.canvas.network_scene.anchor_place()
        uid = self.document.add_layer(type_name, index, lane=lane)
        if uid is not None:
            self.canvas.network_scene.select_uids([uid])
            item = self.canvas.network_scene.items_by_uid.get(uid)
            if item is not None:
                self.canvas.ensureVisible(item.sceneBoundingRect(), 20, 40)

    def delete_selected(self) -> None:
        self.document.remove_layers(self.canvas.network_scene.selected_uids())

    def duplicate(self) -> None:
        uids = self.document.duplicate_layers(self.canvas.network_scene.selected_uids())
        if uids:
            self.canvas.network_scene.select_uids(uids)

    def copy(self) -> bool:
        uids = self.canvas.network_scene.selected_uids()
        if not uids:
            return False
        QGuiApplication.clipboard().setText(layers_to_text([self.document.layer(uid) for uid in uids]))
        self.statusBar().showMessage(f"Copied {len(uids)} block(s) as JSON", 3000)
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selected()

    def paste(self) -> None:
        text = QGuiApplication.clipboard().text()
        try:
            layers = layers_from_text(text)
        except ProjectFileError as exc:
            self.statusBar().showMessage(f"⚠ Cannot paste: {exc}", 6000)
            return
        text = f"Paste {layers[0].type}" if len(layers) == 1 else f"Paste {len(layers)} blocks"
        uids = self.document.insert_blocks(*self.canvas.network_scene.anchor_place(), layers, text)
        if uids:
            self.canvas.network_scene.select_uids(uids)

    # ------------------------------------------------------------------ training
    def _run_started(self) -> None:
        self.canvas.network_scene.clear_health()  # the last run's figures
        self.document.lock(LOCK_REASON)
        self.window_actions.follow_training(True)

    def _run_finished(self, model) -> None:
        self.document.unlock()
        self.window_actions.follow_training(False)
        if model is not None:
            self._set_trained_model(model)

    def find_learning_rate(self) -> None:
        """Training ▸ Find Learning Rate: the sweep in a dialog; *Use This Rate* sets the settings."""
        dialog = self._open_probe(LRFinderDialog)
        if dialog is not None:
            dialog.rate_chosen.connect(self.training_panel.settings.set_learning_rate)

    def check_can_learn(self) -> None:
        """Training ▸ Can This Network Learn?: the one-batch check in a dialog."""
        self._open_probe(LearnCheckDialog)

    def _open_probe(self, kind: type[LRFinderDialog | LearnCheckDialog]) -> LRFinderDialog | LearnCheckDialog | None:
        """Open and start a check of the network and settings as they are now; never during a run."""
        if self.training_panel.is_running():
            self.statusBar().showMessage("⚠ Stop the training first: the checks are for before a run.", 6000)
            return None
        previous = self.probe_dialog
        if previous is not None:  # closed, and its thread joined; unless a step outlasted the wait
            if previous.is_running():
                self.statusBar().showMessage("⚠ The last check is still stopping: try again once it has.", 6000)
                return None
            previous.deleteLater()
        self.probe_dialog = kind(self.document.spec.copy(), self.training_panel.config(), self)
        self.probe_dialog.open()
        self.probe_dialog.start()
        return self.probe_dialog

    def _set_trained_model(self, model: TrainedModel | None) -> None:
        self.trained_model = model
        self.draw_panel.set_trained_model(model)
        self.block_view.set_trained_model(model)

    def show_test_image(self, answer: SampleAnswer) -> None:
        """A test image clicked in the evaluation: on the draw pad's 28×28 panel, read by its model.

        The pad's dock is not raised (it shares the bottom row with the training dock, so the
        listing would go away under it); the status bar says where the image went.
        """
        if answer.image.shape != (28, 28):
            self.statusBar().showMessage("⚠ The draw pad shows 28×28 grey images only", 6000)
            return
        origin = f"Test image #{answer.index}, true class {answer.name(answer.true)}"
        reading = self.draw_panel.show_image(answer.image, f"{origin} (from Training ▸ Evaluation)")
        if reading is None:  # the pad's status says why
            self.statusBar().showMessage(f"⚠ {origin}: not shown, the draw pad has no model to read it", 8000)
            return
        # The pad's model may not be the evaluated one (after a reopen or New): say what it read.
        verdict = "right" if reading.digit == answer.true else "wrong"
        where = "" if not self.draw_dock.visibleRegion().isEmpty() else " (the Draw a digit tab)"
        self.statusBar().showMessage(
            f"{origin}: shown on the draw pad{where}, where {self.draw_panel.reader_name()} reads "
            f"{answer.name(reading.digit)} ({reading.confidence:.1%}, {verdict})",
            8000,
        )

    def _config_changed(self, config) -> None:
        self.document.set_training(config)
        self.settings.setValue("training/device", config.device)

    def trained_state_dict(self):
        """The trained weights if they were trained for the network as it is now, else None."""
        model = self.trained_model
        if model is None:
            return None
        spec = self.document.spec
        if not model.spec.same_network(spec):
            return None
        return model.state_dict

    def _fitting_trained_model(self) -> TrainedModel | None:
        """What an export takes as trained weights: the session's model, if it fits the network."""
        return self.trained_model if self.trained_state_dict() is not None else None

    # ------------------------------------------------------------------ settings and closing
    def _restore_settings(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray | bytes):
            self.restoreState(state)
        else:
            QTimer.singleShot(0, self.apply_default_layout)

    def apply_default_layout(self) -> None:
        """Proportions for a first start; applied once the window has its real size."""
        width = self.width()
        self.resizeDocks(
            [self.palette_dock, self.inspector_dock],
            [max(200, int(width * 0.13)), max(320, int(width * 0.28))],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([self.training_dock], [max(250, self.height() // 3)], Qt.Orientation.Vertical)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def _close_once_ended(self, ended: SignalInstance, running: Callable[[], bool], what: str) -> None:
        """Close again when ``ended`` fires: a QThread destroyed while running takes the app down.
        At once if it already ended between the caller's wait and this connection."""
        self.statusBar().showMessage(f"Waiting for {what} to stop…")
        ended.connect(self.close, Qt.ConnectionType.SingleShotConnection)
        if not running():
            QTimer.singleShot(0, self.close)

    def closeEvent(self, event: QCloseEvent) -> None:
        panel = self.training_panel
        if panel.is_running():
            answer = QMessageBox.question(
                self,
                "Training is running",
                "Stop the training and quit?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
            if not panel.stop_and_wait(10_000):  # a batch that outlasts the wait
                self._close_once_ended(panel.runner.thread.finished, panel.runner.thread.isRunning, "the training")
                event.ignore()
                return
        probe = self.probe_dialog
        if probe is not None and not probe.stop_and_wait():
            # The dialog (and its thread) must not be destroyed running.
            self._close_once_ended(probe.probe_thread.finished, probe.probe_thread.isRunning, "the check")
            event.ignore()
            return
        data = self.data_actions
        if not data.stop_and_wait():  # a stalled connection: closed once the download has given up
            self._close_once_ended(data.download_ended, lambda: data.thread is not None, "the cancelled download")
            event.ignore()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self.save_settings()
        self.autosaver.stop()
        event.accept()
