"""The bar above the training plots that says a run did not use the data it asked for.

A first run offline trains on the bundled MNIST sample; the user must see that, and be one click
from the full set. The bar holds the note, buttons that open the Data menu's commands, and a
close button; its tooltip says which folders were searched and why the download failed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

#: what the bar adds when the run used the sample
GET_FULL_MNIST = "Get it: Data ▸ Download full MNIST, or point Data ▸ Data folder… at a folder that holds it."


class DataNoteBar(QFrame):
    """Hidden until :meth:`show_note`; the buttons emit what the window should do."""

    download_requested = Signal(str)
    folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataNote")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_button = QPushButton("Download full MNIST")
        self.download_button.clicked.connect(lambda: self.download_requested.emit("mnist"))
        self.folder_button = QPushButton("Data folder…")
        self.folder_button.clicked.connect(self.folder_requested)
        close = QToolButton()
        close.setText("×")
        close.setAutoRaise(True)
        close.setToolTip("Hide this note")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 3, 3)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.download_button)
        layout.addWidget(self.folder_button)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def show_note(self, note: str, detail: str = "", origin: str = "folder") -> None:
        """Show ``note``; an empty note hides the bar.

        ``origin`` is the dataset's: for "sample" the bar adds how to get full MNIST and its
        buttons; a fresh "download" is good news, shown plainly; anything else (the data came
        from another folder than the one named) is a warning.
        """
        sample = origin == "sample"
        self.label.setText(f"{note} {GET_FULL_MNIST}" if sample else note)
        self.setToolTip(detail)
        self.download_button.setVisible(sample)
        self.folder_button.setVisible(sample)
        # Translucent colours read on light and dark palettes alike: amber warns, blue informs.
        colour = "66, 133, 244" if origin == "download" else "255, 176, 0"
        self.setStyleSheet(
            f"#dataNote {{ background: rgba({colour}, 0.16); border: 1px solid rgba({colour}, 0.6);"
            " border-radius: 3px; }"
        )
        self.setVisible(bool(note))

    def text(self) -> str:
        return self.label.text()
