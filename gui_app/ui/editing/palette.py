"""The layer palette: the catalogue by category, with a filter box.

Drag an entry onto the canvas to add it where the marker shows; double-click or Enter adds it
after the selected block, so the whole app can be driven from the keyboard.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDrag, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gui_app.core.layers.catalogue import by_category
from gui_app.ui.layer_drag import layer_mime_data
from gui_app.ui.theme import category_icon

_TYPE_ROLE = Qt.ItemDataRole.UserRole


class _LayerTree(QTreeWidget):
    """The tree; starts drags with our MIME type and turns Enter into an add request."""

    add_requested = Signal(str)

    def startDrag(self, actions) -> None:
        item = self.currentItem()
        name = item.data(0, _TYPE_ROLE) if item else None
        if not name:
            return
        drag = QDrag(self)
        drag.setMimeData(layer_mime_data(name))
        drag.setPixmap(item.icon(0).pixmap(24, 24))
        drag.exec(Qt.DropAction.CopyAction)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.currentItem()
            name = item.data(0, _TYPE_ROLE) if item else None
            if name:
                self.add_requested.emit(name)
                event.accept()
                return
        super().keyPressEvent(event)


class LayerPalette(QWidget):
    """Every catalogue layer, grouped by category; ``add_requested(type_name)`` on Enter/double-click."""

    add_requested = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("layerPalette")
        self.setAccessibleName("layerPalette")
        self.filter = QLineEdit(self)
        self.filter.setObjectName("paletteFilter")
        self.filter.setAccessibleName("paletteFilter")
        self.filter.setPlaceholderText("Filter layers (e.g. conv)")
        self.filter.setClearButtonEnabled(True)
        self.tree = _LayerTree(self)
        self.tree.setObjectName("layerTree")
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.setUniformRowHeights(True)
        self.tree.add_requested.connect(self.add_requested)
        self.tree.itemActivated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self._populate()
        self.filter.textChanged.connect(self.apply_filter)
        self.filter.returnPressed.connect(self._filter_enter)

    def _populate(self) -> None:
        for category, layers in by_category().items():
            if not layers:
                continue
            header = QTreeWidgetItem([category])
            header.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = header.font(0)
            font.setBold(True)
            header.setFont(0, font)
            self.tree.addTopLevelItem(header)
            for layer in layers:
                item = QTreeWidgetItem([layer.name])
                item.setIcon(0, category_icon(category))
                item.setToolTip(0, f"<b>{layer.name}</b><br>{layer.description}")
                item.setStatusTip(0, layer.description)
                item.setData(0, _TYPE_ROLE, layer.name)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                header.addChild(item)
            header.setExpanded(True)

    def visible_layer_names(self) -> list[str]:
        names = []
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            for j in range(header.childCount()):
                child = header.child(j)
                if not child.isHidden() and not header.isHidden():
                    names.append(child.data(0, _TYPE_ROLE))
        return names

    def apply_filter(self, text: str) -> None:
        """Show the layers whose name, category or description contains ``text``."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            category_hit = needle in header.text(0).lower()
            shown = 0
            for j in range(header.childCount()):
                child = header.child(j)
                hit = (
                    not needle
                    or category_hit
                    or needle in child.text(0).lower()
                    or needle in child.statusTip(0).lower()
                )
                child.setHidden(not hit)
                shown += hit
            header.setHidden(shown == 0)
        visible = self.visible_layer_names()
        if needle and visible:
            # Enter adds the current entry: the first whose name matches beats a description's mention.
            by_name = [name for name in visible if needle in name.lower()]
            self._select((by_name or visible)[0])

    def _select(self, name: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            header = self.tree.topLevelItem(i)
            for j in range(header.childCount()):
                if header.child(j).data(0, _TYPE_ROLE) == name:
                    self.tree.setCurrentItem(header.child(j))
                    return

    def _filter_enter(self) -> None:
        item = self.tree.currentItem()
        name = item.data(0, _TYPE_ROLE) if item else None
        if name and not item.isHidden():
            self.add_requested.emit(name)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        name = item.data(0, _TYPE_ROLE)
        if name:
            self.add_requested.emit(name)
