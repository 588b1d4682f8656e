"""Render docs/images/lr-finder.png: the window with Training ▸ Find Learning Rate done on the MLP preset.

Run under a virtual screen of the README's size, offline so the bundled MNIST sample is used::

    NETBUILDER_OFFLINE=1 xvfb-run -a -s "-screen 0 1280x800x24" python scripts/shoot_lr_finder.py [OUT.png]

The window is rendered and the dialog drawn over it where it sits (a bare X server has no
compositor to grab the screen from), with a plain title bar as a window manager would give it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch  # before Qt, as the app does (one thread pool, one OpenMP runtime)

torch.set_num_threads(1)

from PySide6.QtCore import QRect, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPen  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from gui_app.ui.theme import apply_theme  # noqa: E402
from gui_app.ui.window.main_window import MainWindow  # noqa: E402
from gui_app.ui.window.project_files import default_spec  # noqa: E402

SIZE = (1280, 800)
#: the height of the title bar drawn over the dialog (a bare X server draws none)
TITLE_HEIGHT = 24


def main(out: Path) -> int:
    app = QApplication(sys.argv)
    apply_theme(app)
    folder = tempfile.mkdtemp(prefix="netbuilder-shot-")
    window = MainWindow(QSettings(f"{folder}/settings.ini", QSettings.Format.IniFormat), Path(folder) / "autosave")
    window.document.load(default_spec(), None)
    window.project_loaded()
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.apply_default_layout()
    window.find_learning_rate()
    dialog = window.probe_dialog
    dialog.ended.connect(app.quit)
    app.exec()  # until the sweep has ended and the dialog shows its result
    for _ in range(10):
        app.processEvents()
    image = window.grab()
    painter = QPainter(image)
    corner = dialog.geometry().topLeft() - window.geometry().topLeft()
    title = QRect(corner.x(), corner.y() - TITLE_HEIGHT, dialog.width(), TITLE_HEIGHT)
    painter.fillRect(title, QColor(232, 232, 232))
    painter.setPen(QColor(40, 40, 40))
    painter.drawText(title, Qt.AlignmentFlag.AlignCenter, dialog.windowTitle())
    painter.drawPixmap(corner, dialog.grab())
    painter.setPen(QPen(QColor(120, 120, 120), 1))
    painter.drawRect(title.united(QRect(corner, dialog.size())).adjusted(0, 0, -1, -1))
    painter.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = image.save(str(out))
    print(f"{dialog.status.text()}\nwrote {out} ({image.width()}×{image.height()})" if ok else f"cannot write {out}")
    dialog.stop_and_wait()
    window.document.undo_stack.setClean()
    window.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images/lr-finder.png")))
