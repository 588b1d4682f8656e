"""Picture of the confusion drill-down after a real short run: docs/images/confusion-drilldown.png.

Trains the default MLP preset for a few epochs on the bundled MNIST sample (no download), opens
the evaluation, clicks the confusion matrix's largest off-diagonal cell and the surest mistake
in it, and grabs the window at 1280×800. Run under Xvfb:

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_drilldown.py [OUT.png] [--pad PAD.png]

``--pad`` also grabs the draw pad showing the clicked image (the pad's tab raised), ``--plots``
the live plots tab.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EPOCHS = 3


def _wait_for(app, condition, seconds: float) -> None:
    from PySide6.QtCore import QDeadlineTimer, QThread

    deadline = QDeadlineTimer(int(seconds * 1000))
    while not condition():
        if deadline.hasExpired():
            raise SystemExit(f"timed out after {seconds:.0f} s")
        app.processEvents()
        QThread.msleep(20)


def _train(app, window) -> None:
    panel = window.training_panel
    config = panel.config().replace(epochs=EPOCHS, device="cpu", data_dir=None)
    window.document.set_training(config)
    panel.set_config(config)
    finished = []
    panel.run_finished.connect(finished.append)
    if not panel.start():
        raise SystemExit(f"the run did not start: {panel.status.text()}")
    _wait_for(app, lambda: bool(finished), 600)
    if panel.evaluation.result is None:
        raise SystemExit(f"no evaluation after the run: {panel.status.text()}")


def _click_worst_cell(app, window) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    view = window.training_panel.evaluation
    window.training_panel.data_note.hide()  # read once, closed with its ×: the evaluation gets the room
    window.training_panel.tabs.setCurrentWidget(view)
    app.processEvents()
    mistakes = view.result.confusion.copy()
    np.fill_diagonal(mistakes, 0)
    true, predicted = np.unravel_index(int(mistakes.argmax()), mistakes.shape)
    centre = view.confusion.cell_rect(int(true), int(predicted)).center().toPoint()
    QTest.mouseClick(view.confusion, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    app.processEvents()
    first = view.answer_list.row_rect(0).center()
    QTest.mouseClick(view.answer_list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first)
    app.processEvents()
    print(f"{view.listing_title.text()}; {window.statusBar().currentMessage()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default=str(REPO / "docs" / "images" / "confusion-drilldown.png"))
    parser.add_argument("--pad", help="also grab the draw pad showing the clicked image")
    parser.add_argument("--plots", help="also grab the live plots tab (per-class bars of the last epoch)")
    args = parser.parse_args()
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ["NETBUILDER_OFFLINE"] = "1"  # the bundled sample, never a download
    os.environ["NETBUILDER_DATA"] = tempfile.mkdtemp(prefix="netbuilder-shot-")
    sys.path.insert(0, str(REPO))
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui_app.ui.theme import apply_theme
    from gui_app.ui.window.main_window import MainWindow
    from gui_app.ui.window.project_files import default_spec

    app = QApplication([sys.argv[0]])
    apply_theme(app)
    settings = QSettings(str(Path(os.environ["NETBUILDER_DATA"]) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=Path(os.environ["NETBUILDER_DATA"]) / "autosave")
    window.document.load(default_spec(), None)
    window.project_loaded()
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    window.apply_default_layout()
    _train(app, window)
    _click_worst_cell(app, window)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(f"wrote {out}")
    if args.plots:
        window.training_panel.tabs.setCurrentWidget(window.training_panel.plots)
        app.processEvents()
        window.grab().save(args.plots)
        print(f"wrote {args.plots}")
    if args.pad:
        window.draw_dock.raise_()
        app.processEvents()
        window.grab().save(args.pad)
        print(f"wrote {args.pad}")
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
