"""Numbers as pictures: colour scales for arrays, QImage from numpy, and a widget that paints one cached pixmap.

The block view and the pad's saliency overlay both draw arrays this way. Colouring is a table
look-up in numpy and the widget scales its pixmap once per new picture or resize, so a paint
is one ``drawPixmap``.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


def _ramp(*stops: str, size: int = 256) -> np.ndarray:
    """A size×3 uint8 colour table through evenly spaced ``stops`` (hex colours)."""
    anchors = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in stops], dtype=np.float32)
    where = np.linspace(0, len(stops) - 1, size)
    low = np.floor(where).astype(int).clip(0, len(stops) - 2)
    frac = (where - low)[:, None]
    return np.round(anchors[low] * (1 - frac) + anchors[low + 1] * frac).astype(np.uint8)


#: Signed values: blue below zero, white at zero, red above (ColorBrewer's RdBu, reversed).
DIVERGING = _ramp("#2166AC", "#67A9CF", "#F7F7F7", "#EF8A62", "#B2182B")
#: Values from zero up: black to white, like an MNIST digit.
MAGNITUDE = _ramp("#000000", "#FFFFFF")


def colourise(
    values: np.ndarray, scale: float | None = None, signed: bool | None = None, gap: str = "#808080"
) -> np.ndarray:
    """An H×W×3 uint8 picture of a 2-D array; NaN (a gap between tiles) takes the colour ``gap``.

    ``signed`` (default: when any value is negative) uses :data:`DIVERGING` with zero in the
    middle, else :data:`MAGNITUDE` from zero; ``scale`` (default: the largest magnitude) is the
    value drawn at full colour.
    """
    finite = np.isfinite(values)
    magnitudes = np.abs(values[finite])
    if signed is None:
        signed = bool(finite.any() and values[finite].min() < 0)
    if scale is None:
        scale = float(magnitudes.max()) if magnitudes.size else 0.0
    scale = scale if scale > 0 and math.isfinite(scale) else 1.0
    safe = np.where(finite, values, 0.0) / scale
    if signed:
        index = np.clip((safe + 1) * 127.5, 0, 255)
        table = DIVERGING
    else:
        index = np.clip(safe * 255, 0, 255)
        table = MAGNITUDE
    picture = table[index.astype(np.uint8)]
    picture[~finite] = [int(gap[i : i + 2], 16) for i in (1, 3, 5)]
    return picture


def colourise_rgb(values: np.ndarray, gap: str = "#808080") -> np.ndarray:
    """An H×W×3 uint8 picture of signed colour weights (H×W×3, in [-1, 1]): zero is mid-grey."""
    finite = np.isfinite(values).all(axis=2)
    picture = np.clip((np.where(np.isfinite(values), values, 0.0) + 1) * 127.5, 0, 255).astype(np.uint8)
    picture[~finite] = [int(gap[i : i + 2], 16) for i in (1, 3, 5)]
    return picture


def heat_over_grey(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """``heat`` (signed) drawn over a dimmed grey ``image`` in [0, 1]: red for positive, blue for negative.

    Where the heat is zero the grey image shows through unchanged in hue, so the digit stays readable.
    """
    grey = (np.clip(image, 0, 1) * 110 + 20)[..., None].repeat(3, axis=2)
    scale = float(np.abs(heat).max()) if heat.size else 0.0
    # the square root lifts the many middling pixels, so more than the few strongest show
    strength = np.sqrt(np.clip(np.abs(heat) / scale, 0, 1))[..., None] if scale > 0 else np.zeros((*heat.shape, 1))
    colour = np.where((heat >= 0)[..., None], np.array([230, 40, 40]), np.array([40, 110, 235]))
    return np.round(grey * (1 - strength) + colour * strength).astype(np.uint8)


def to_qimage(picture: np.ndarray) -> QImage:
    """A QImage that owns a copy of a uint8 picture: H×W grey or H×W×3 colour (rows of any
    width: bytesPerLine is given, so a 28-pixel row is not read as if padded to 32 bits)."""
    pixels = np.ascontiguousarray(picture, dtype=np.uint8)
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        return QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    return QImage(pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class PictureView(QWidget):
    """Paints one image, as large as fits: in whole-pixel zoom (crisp) from twice its size, smoothly below."""

    def __init__(self, parent: QWidget | None = None, minimum: QSize | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(minimum or QSize(60, 60))
        self._image: QImage | None = None
        self._scaled: QPixmap | None = None
        self.background: QColor | None = None

    def set_picture(self, picture: np.ndarray | None) -> None:
        """Show an H×W×3 uint8 array (None: nothing)."""
        self.set_image(None if picture is None else to_qimage(picture))

    def set_image(self, image: QImage | None) -> None:
        self._image = image
        self._scaled = None
        self.update()

    def image(self) -> QImage | None:
        return self._image

    def target_rect(self) -> QRect:
        """Where the picture lands in the widget: centred, whole-pixel zoom from twice its size up."""
        if self._image is None or self._image.isNull():
            return QRect()
        width, height = self._image.width(), self._image.height()
        zoom = min(self.width() / width, self.height() / height)
        if zoom >= 2:
            zoom = math.floor(zoom)
        w, h = max(1, int(width * zoom)), max(1, int(height * zoom))
        return QRect((self.width() - w) // 2, (self.height() - h) // 2, w, h)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._scaled = None
        super().resizeEvent(event)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self.background is not None:
            painter.fillRect(self.rect(), self.background)
        target = self.target_rect()
        if not target.isEmpty():
            if self._scaled is None or self._scaled.size() != target.size():
                whole = target.width() % self._image.width() == 0
                mode = Qt.TransformationMode.FastTransformation if whole else Qt.TransformationMode.SmoothTransformation
                self._scaled = QPixmap.fromImage(self._image).scaled(
                    target.size(), Qt.AspectRatioMode.IgnoreAspectRatio, mode
                )
            painter.drawPixmap(target.topLeft(), self._scaled)
        painter.end()
