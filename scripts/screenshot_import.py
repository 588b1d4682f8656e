"""Render docs/images/import-report.png: a small residual CNN with a swish, exported to ONNX and
imported back (the residual add becomes a Residual block; x·sigmoid(x) is listed in the report).

Run under Xvfb: ``xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_import.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication
from torch import nn

from gui_app.ui.window.main_window import MainWindow

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "import-report.png"


class Swishy(nn.Module):
    """A stem, one residual block and a swish written as a product: what a user's model looks like."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.body = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1), nn.BatchNorm2d(16))
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.relu(self.body(x) + x)
        return self.head(x * torch.sigmoid(x))


def main() -> int:
    app = QApplication(sys.argv)
    folder = Path(tempfile.mkdtemp())
    path = folder / "swishy.onnx"
    torch.onnx.export(Swishy().eval(), (torch.zeros(1, 3, 32, 32),), str(path), dynamo=False)
    window = MainWindow(autosave_dir=folder / "autosave")
    window.resize(1280, 800)
    window.show()
    window.files.import_model_file(path)

    def grab() -> None:
        dialog = window.files.report_dialog
        picture = window.grab()
        if dialog is not None:
            # Xvfb has no window manager: draw the dialog over the training dock, so the canvas shows.
            dialog.resize(760, 250)
            painter = QPainter(picture)
            painter.drawPixmap(500, 520, dialog.grab())
            painter.end()
        picture.save(str(OUT))
        app.quit()

    QTimer.singleShot(1500, grab)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
