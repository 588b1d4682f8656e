"""What a layer dragged from the palette carries: the contract between the palette and the canvas.

Both sides import this module rather than each other, so either can change without the other.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from gui_app.core.layers.catalogue import CATALOGUE

#: MIME type of a palette drag; the payload is the layer type name in UTF-8.
LAYER_MIME = "application/x-netbuilder-layer"


def layer_mime_data(type_name: str) -> QMimeData:
    """What a palette drag carries: the layer type under our MIME type (and as plain text)."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name.encode("utf-8"))
    mime.setText(type_name)
    return mime


def dragged_layer_type(mime: QMimeData) -> str | None:
    """The catalogue type a drag carries, or None for anything else (other apps' drags included)."""
    if not mime.hasFormat(LAYER_MIME):
        return None
    name = bytes(mime.data(LAYER_MIME).data()).decode("utf-8", "replace")
    return name if name in CATALOGUE else None
