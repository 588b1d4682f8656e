"""The confusion matrix widget: its tooltip names the cell under the pointer."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from gui_app.ui.training.evaluation_view import ConfusionMatrixView


def test_the_tooltip_names_the_cell_under_the_pointer(qtbot):
    view = ConfusionMatrixView()
    qtbot.addWidget(view)
    view.set_matrix(np.array([[5, 1, 0], [2, 7, 1], [0, 0, 9]]), ("cat", "dog", "fox"))
    view.resize(300, 200)
    view.show()
    qtbot.waitExposed(view)
    centre = view.cell_rect(1, 2).center().toPoint()
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, centre, view.mapToGlobal(centre)))
    assert QToolTip.text() == "true dog, predicted fox: 1 (10.0% of the dogs)"
    outside = QPoint(2, 2)
    QApplication.sendEvent(view, QHelpEvent(QEvent.Type.ToolTip, outside, view.mapToGlobal(outside)))
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=3_000)  # Qt hides it on a short timer
