"""Wires the block view to the rest of the window: the canvas selection, edits, the pad and the training run.

The view never reaches into the other panels; this link hands it what they say. While the
view's dock is on screen, the training worker copies the weights at each epoch's end (in its
own thread, between two batches) and the view shows them; hidden, nothing is copied. The dock
shares its place with the inspector, and comes to the front when a run begins (the inspector
is locked then) and when the user starts drawing on the pad.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QDockWidget

from gui_app.ui.canvas.scene import NetworkScene
from gui_app.ui.document.document import Document
from gui_app.ui.drawing.panel import DrawPanel
from gui_app.ui.inspecting.block_view import PAD, PAD_SHAPE, BlockView
from gui_app.ui.training.worker import TrainingWorker


class BlockViewLink(QObject):
    """Follows the canvas, the document, the pad and the worker on the block view's behalf."""

    def __init__(
        self,
        view: BlockView,
        dock: QDockWidget,
        document: Document,
        scene: NetworkScene,
        worker: TrainingWorker,
        draw_panel: DrawPanel,
    ) -> None:
        super().__init__(view)
        self.view, self.dock, self.document, self.scene = view, dock, document, scene
        self.worker, self.draw_panel = worker, draw_panel
        scene.selectionChanged.connect(self._selection_changed)
        document.changed.connect(view.network_changed)
        draw_panel.reading_changed.connect(view.set_pad_reading)
        draw_panel.pad.stroke_finished.connect(self._stroke_finished)
        worker.weights_at_epoch.connect(view.set_epoch_weights)
        worker.run_started.connect(self._run_started)
        dock.visibilityChanged.connect(self._visibility_changed)

    @Slot()
    def _selection_changed(self) -> None:
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.view):
            return  # items leaving a scene that is being destroyed
        uids = self.scene.selected_uids()
        self.view.show_block(uids[0] if len(uids) == 1 else None)

    @Slot()
    def _stroke_finished(self) -> None:
        # Drawing is a request to see the drawing: the view follows the pad from the first stroke on.
        if self.view.source() != PAD and tuple(self.document.spec.input_shape) == PAD_SHAPE:
            self.view.set_source(PAD)
            self.dock.raise_()

    @Slot(object)
    def _run_started(self, _info: object) -> None:
        self.dock.raise_()

    @Slot(bool)
    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.worker.wants_weights.set()
        else:
            self.worker.wants_weights.clear()
