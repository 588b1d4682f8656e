"""File ▸ Export ▸ Picture…: the design as PNG (the canvas as it looks) or SVG (from the core).

The PNG is the canvas scene rendered at twice its size onto an image with the canvas's own
background, so it matches the screen. The SVG is :func:`gui_app.core.export.picture.network_svg`,
the same file ``netbuilder draw`` writes, so it is the same on every machine and escapes every
name. Both are written atomically.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QGraphicsScene, QMessageBox, QWidget

from gui_app.core.export.picture import network_svg
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.spec import NetworkSpec

PNG_FILTER = "PNG image (*.png)"
SVG_FILTER = "SVG image (*.svg)"
#: Pixels per scene unit in the PNG: sharp on high-density screens and in documents.
PNG_SCALE = 2.0
_MARGIN = 24.0


def scene_png(scene: QGraphicsScene, scale: float = PNG_SCALE) -> bytes:
    """The scene's items, framed with a margin, as PNG bytes."""
    source = scene.itemsBoundingRect().adjusted(-_MARGIN, -_MARGIN, _MARGIN, _MARGIN)
    image = QImage(int(source.width() * scale), int(source.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.white)  # under the scene's own background, which render() paints
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, image.width(), image.height()), source)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def write_picture(path: Path, scene: QGraphicsScene, spec: NetworkSpec) -> None:
    """Write the picture whose kind the suffix names (``.svg``, otherwise PNG); OSError on failure."""
    if path.suffix.lower() == ".svg":
        write_atomic(path, network_svg(spec))
    else:
        selected = scene.selectedItems()
        scene.clearSelection()  # the picture shows the design, not what was selected
        try:
            write_atomic(path, scene_png(scene))
        finally:
            for item in selected:
                item.setSelected(True)


def export_picture(parent: QWidget, scene: QGraphicsScene, spec: NetworkSpec, folder: str, stem: str) -> Path | None:
    """Ask where, then write the picture; the path written, or None when cancelled or failed."""
    start = str(Path(folder) / f"{stem}.png")
    name, chosen = QFileDialog.getSaveFileName(parent, "Export picture", start, f"{PNG_FILTER};;{SVG_FILTER}")
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_suffix(".svg" if chosen == SVG_FILTER else ".png")
    try:
        write_picture(path, scene, spec)
    except OSError as exc:
        QMessageBox.warning(parent, "Export picture", f"The picture was not written.\n\n{path}: {exc.strerror or exc}")
        return None
    return path
