"""Light and dark looks that follow the system, and the colours the canvas and palette share.

Qt 6.5+ reports the system colour scheme (``QStyleHints.colorScheme``); we use the Fusion style
with a palette of our own for each scheme, so the app looks the same on every desktop and
switches live when the user flips the system setting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication

from gui_app.core.layers.colours import CATEGORY_COLOURS, FALLBACK_COLOUR

#: A short glyph per category, drawn in the palette icons.
CATEGORY_GLYPHS = {
    "Linear": "W",
    "Convolution": "K",
    "Pooling": "P",
    "Normalisation": "N",
    "Activation": "σ",
    "Regularisation": "D",
    "Recurrent": "R",
    "Shape": "≡",
    "Models": "M",
    "Containers": "⊕",
}


@dataclass(frozen=True)
class CanvasColours:
    """Colours of the canvas for the current scheme."""

    background: QColor
    grid: QColor
    block: QColor
    block_text: QColor
    block_subtle: QColor
    border: QColor
    selected: QColor
    error: QColor
    warning: QColor
    arrow: QColor
    marker: QColor
    banner: QColor


def is_dark() -> bool:
    """True when the system (or the palette in use) is dark; ``NETBUILDER_THEME=dark|light`` overrides."""
    forced = os.environ.get("NETBUILDER_THEME", "").lower()
    if forced in ("dark", "light"):
        return forced == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def canvas_colours(dark: bool | None = None) -> CanvasColours:
    dark = is_dark() if dark is None else dark
    if dark:
        return CanvasColours(
            QColor("#1E2127"),
            QColor("#272B33"),
            QColor("#2C313A"),
            QColor("#E6E8EB"),
            QColor("#9AA3AF"),
            QColor("#3D4450"),
            QColor("#5B9BFF"),
            QColor("#FF5C5C"),
            QColor("#F0A830"),
            QColor("#6B7482"),
            QColor("#5B9BFF"),
            QColor("#5A4416"),
        )
    return CanvasColours(
        QColor("#F4F5F7"),
        QColor("#E6E8EC"),
        QColor("#FFFFFF"),
        QColor("#1F2328"),
        QColor("#5F6B7A"),
        QColor("#C9CED6"),
        QColor("#2F6FE0"),
        QColor("#D7263D"),
        QColor("#C77700"),
        QColor("#9AA3AF"),
        QColor("#2F6FE0"),
        QColor("#FFF1CC"),
    )


def _palette(dark: bool) -> QPalette:
    pal = QPalette()
    role = QPalette.ColorRole
    if dark:
        colours = {
            role.Window: "#262A31",
            role.WindowText: "#E6E8EB",
            role.Base: "#1E2127",
            role.AlternateBase: "#2A2F37",
            role.ToolTipBase: "#2C313A",
            role.ToolTipText: "#E6E8EB",
            role.Text: "#E6E8EB",
            role.Button: "#30353E",
            role.ButtonText: "#E6E8EB",
            role.BrightText: "#FF6B6B",
            role.Highlight: "#3D7BE0",
            role.HighlightedText: "#FFFFFF",
            role.Link: "#6EA8FF",
            role.PlaceholderText: "#8A93A0",
            role.Mid: "#3D4450",
            role.Dark: "#16181C",
            role.Light: "#3A404A",
            role.Midlight: "#343A43",
            role.Shadow: "#0E0F12",
        }
        disabled = "#6B7482"
    else:
        colours = {
            role.Window: "#EEF0F3",
            role.WindowText: "#1F2328",
            role.Base: "#FFFFFF",
            role.AlternateBase: "#F5F6F8",
            role.ToolTipBase: "#FFFFFF",
            role.ToolTipText: "#1F2328",
            role.Text: "#1F2328",
            role.Button: "#F7F8FA",
            role.ButtonText: "#1F2328",
            role.BrightText: "#D7263D",
            role.Highlight: "#2F6FE0",
            role.HighlightedText: "#FFFFFF",
            role.Link: "#2458C6",
            role.PlaceholderText: "#8A93A0",
            role.Mid: "#C9CED6",
            role.Dark: "#A0A7B1",
            role.Light: "#FFFFFF",
            role.Midlight: "#E3E6EA",
            role.Shadow: "#7A818C",
        }
        disabled = "#9AA3AF"
    for r, c in colours.items():
        pal.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, r, QColor(disabled))
    return pal


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Use Fusion with our light or dark palette; returns whether it is dark."""
    app.setStyle("Fusion")
    dark = is_dark() if dark is None else dark
    app.setPalette(_palette(dark))
    return dark


def category_icon(category: str, size: int = 20) -> QIcon:
    """A rounded swatch in the category's colour with its glyph (palette and menus)."""
    pixmap = QPixmap(size * 2, size * 2)
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(CATEGORY_COLOURS.get(category, FALLBACK_COLOUR)))
    painter.drawRoundedRect(1, 1, size - 2, size - 2, 4, 4)
    painter.setPen(QColor("#FFFFFF"))
    font = painter.font()
    font.setBold(True)
    font.setPixelSize(int(size * 0.6))
    painter.setFont(font)
    painter.drawText(0, 0, size, size, Qt.AlignmentFlag.AlignCenter, CATEGORY_GLYPHS.get(category, "?"))
    painter.end()
    return QIcon(pixmap)


#: Layer-health verdicts (core ``Verdict`` values) -> (light scheme, dark scheme) colours: the
#: status bar's green, and the canvas's warning amber and error red, each readable on its blocks.
HEALTH_COLOURS = {
    "healthy": ("#2E9E5B", "#4CC38A"),
    "suspicious": ("#C77700", "#F0A830"),
    "broken": ("#D7263D", "#FF5C5C"),
}


def health_colour(verdict: str, dark: bool) -> QColor:
    """The colour of a layer-health verdict in the light or dark scheme."""
    light_colour, dark_colour = HEALTH_COLOURS.get(verdict, ("#7D8796", "#9AA3AF"))
    return QColor(dark_colour if dark else light_colour)
