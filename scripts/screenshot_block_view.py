"""The pictures of the block view and the pad's saliency in docs/: a real short run, then a drawn digit.

Opens the small CNN preset, trains it for ``--epochs`` on the bundled MNIST sample (CPU), draws
a digit on the pad with real mouse events, selects a convolution block and saves the window and
the draw-a-digit dock:

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python scripts/screenshot_block_view.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402  (before Qt, as the app does)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--digit", default="4-open", help="a glyph of tests/data/handwriting/stroke_digits.py")
    parser.add_argument("--block", type=int, default=1, help="the canvas number of the block to select")
    parser.add_argument("--saliency", default="integrated gradients", help="the pad's saliency method, as listed")
    return parser.parse_args()


def _settle(app, rounds: int = 10) -> None:
    for _ in range(rounds):
        app.processEvents()


def _train(app, window, epochs: int) -> None:
    """One short real run of the window's network on the bundled sample, waiting until it ends."""
    from PySide6.QtCore import QEventLoop, QTimer

    from gui_app.core.data.locations import sample_dir

    config = window.document.spec.training.replace(data_dir=str(sample_dir()), device="cpu", epochs=epochs)
    window.training_panel.set_config(config)
    window.document.set_training(config)
    loop = QEventLoop()
    window.training_panel.run_finished.connect(loop.quit)
    QTimer.singleShot(15 * 60 * 1000, loop.quit)  # never hang a docs build
    if not window.training_panel.start():
        raise SystemExit("the run did not start")
    loop.exec()
    _settle(app)


def main() -> int:
    args = _parse_args()
    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui_app.core.project.presets import load_preset
    from gui_app.ui.theme import apply_theme
    from gui_app.ui.window.main_window import MainWindow
    from tests.data.handwriting.replay import replay_digit
    from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place

    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    # settings and autosaves in a folder of their own, never the user's
    work = Path(tempfile.mkdtemp(prefix="netbuilder-screenshot-"))
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=work / "autosave")
    window.document.load(load_preset("mnist_cnn_small"), None)
    window.project_loaded()
    window.resize(1280, 800)
    window.show()
    _settle(app)
    window.apply_default_layout()
    _settle(app)
    _train(app, window, args.epochs)

    window.draw_dock.raise_()
    saliency = window.draw_panel.saliency
    saliency.method.setCurrentIndex(saliency.method.findText(args.saliency))
    _settle(app)
    label, strokes = GLYPHS[args.digit]
    replay_digit(window.draw_panel.pad, StrokeDigit(args.digit, label, place(strokes, 0.72, 0.05), 1 / 14))
    layer = window.document.spec.layers[args.block - 1]
    window.canvas.network_scene.select_uids([layer.uid])
    window.canvas.frame_for_reading()
    window.block_dock.raise_()
    deadline = time.monotonic() + 10
    while saliency.last_saliency is None and time.monotonic() < deadline:  # integrated gradients wait for the pen
        _settle(app)
        time.sleep(0.02)
    _settle(app, 20)
    args.out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(args.out / "block-view.png"))
    window.draw_dock.grab().save(str(args.out / "saliency.png"))
    print(f"wrote {args.out / 'block-view.png'} and {args.out / 'saliency.png'}")
    print(f"the pad read {window.draw_panel.last_prediction.digit if window.draw_panel.last_prediction else '-'}")
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
