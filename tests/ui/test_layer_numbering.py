"""One error, one number: the canvas badge, the status bar, the training panel and
``netbuilder summary`` all name the faulty block as the canvas counts it (``#1`` after Input)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionGraphicsItem

from gui_app.cli import main
from gui_app.ui.window.main_window import MainWindow

#: The second block (a Linear) expects 100 inputs, but the Flatten before it gives 784.
PROJECT = {
    "name": "wrong in_features",
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Flatten"},
        {"type": "Linear", "in_features": 100, "out_features": 10},
        {"type": "LogSoftmax"},
    ],
}


class _RecordingPainter(QPainter):
    """A painter that also keeps every string drawn, to read what a block paints."""

    def __init__(self, image: QImage) -> None:
        super().__init__(image)
        self.texts: list[str] = []

    def drawText(self, *args) -> None:
        self.texts.extend(a for a in args if isinstance(a, str))
        super().drawText(*args)


def _badge_numbers(window: MainWindow) -> list[int]:
    """The ``#N`` badges painted on the blocks that show an error."""
    numbers = []
    for item in window.canvas.network_scene.items_by_uid.values():
        if not item.state.error:
            continue
        image = QImage(400, 100, QImage.Format.Format_ARGB32)
        painter = _RecordingPainter(image)
        item.paint(painter, QStyleOptionGraphicsItem(), None)
        painter.end()
        numbers += [int(t[1:]) for t in painter.texts if re.fullmatch(r"#\d+", t)]
    return numbers


def _block_number(text: str) -> int:
    match = re.search(r"\b[Bb]lock (\d+) \(Linear\)", text)
    assert match, text
    return int(match.group(1))


def test_every_surface_names_the_same_block_for_one_error(qtbot, tmp_path: Path, capsys) -> None:
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(PROJECT))
    window = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), autosave_dir=tmp_path / "a")
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    assert window.files.open(path)
    window.show()
    qtbot.waitExposed(window)

    badges = _badge_numbers(window)
    status_bar = _block_number(window.status_state.text())
    assert window.training_panel.start() is False
    panel = _block_number(window.training_panel.status.text())

    assert main(["summary", str(path)]) == 1
    summary = capsys.readouterr().out
    error_lines = [line for line in summary.splitlines() if line.startswith("error: ")]
    table_row = next(line for line in summary.splitlines() if re.match(r"\s*\d+\s+Linear\b", line))

    assert badges == [2]
    assert status_bar == panel == _block_number(error_lines[0]) == int(table_row.split()[0]) == 2
