"""The draw panel as the tests of this folder use it: shown at a size where every part has room."""

import pytest

from gui_app.ui.drawing.panel import DrawPanel


@pytest.fixture
def panel(qtbot) -> DrawPanel:
    widget = DrawPanel()
    qtbot.addWidget(widget)
    widget.resize(760, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget
