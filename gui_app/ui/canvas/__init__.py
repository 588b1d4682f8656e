"""The network canvas: a QGraphicsScene that mirrors the document and the view that edits it."""

from gui_app.ui.canvas.scene import NetworkScene
from gui_app.ui.canvas.view import NetworkCanvas

__all__ = ["NetworkCanvas", "NetworkScene"]
