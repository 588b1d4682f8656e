"""Screenshot the window mid-run with layer health on the canvas (docs/images/health*.png).

Loads a preset, trains it on the bundled MNIST sample and grabs the window after a few health
probes; ``--lr`` makes a run go wrong on purpose, ``--tooltip N`` opens block N's health tooltip.

    xvfb-run -a -s "-screen 0 1280x800x24" python scripts/shoot_health.py docs/images/health.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch

torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from PySide6.QtCore import QObject, QPoint, QSettings, QTimer, Slot  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolTip  # noqa: E402

from gui_app.core.project.presets import load_preset  # noqa: E402
from gui_app.ui.theme import apply_theme  # noqa: E402
from gui_app.ui.window.main_window import MainWindow  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--preset", default="mnist_mlp_784_128_128_10")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--probes", type=int, default=6, help="grab after this many health probes")
    parser.add_argument("--tooltip", type=int, help="show the health tooltip of this block (numbered from 1)")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    apply_theme(app)
    folder = tempfile.mkdtemp(prefix="netbuilder-shot-")
    window = MainWindow(QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat), Path(folder) / "autosave")
    spec = load_preset(args.preset)
    window.files.new_from_spec(spec)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    window.apply_default_layout()
    panel = window.training_panel
    changes = {"device": "cpu", "epochs": 20, "data_dir": folder}  # an empty folder: the bundled sample
    panel.set_config(spec.training.replace(**changes, **({"lr": args.lr} if args.lr else {})))

    class Counter(QObject):
        """Counts probes in the UI thread (a slot of a QObject there, never a plain function)."""

        seen = 0

        @Slot(object)
        def probed(self, _event) -> None:
            self.seen += 1
            if self.seen == args.probes:
                QTimer.singleShot(50, grab)

        @Slot(object)
        def finished(self, _model) -> None:
            if self.seen < args.probes:  # a run that failed early: show how it ended
                self.seen = args.probes
                QTimer.singleShot(50, grab)

    def grab() -> None:
        window.canvas.frame_for_reading()
        if args.tooltip:
            scene = window.canvas.network_scene
            badge = scene.health_badges[window.document.spec.layers[args.tooltip - 1].uid]
            centre = window.canvas.mapFromScene(badge.mapToScene(badge.boundingRect().center()))
            QToolTip.showText(window.canvas.viewport().mapToGlobal(centre + QPoint(8, 8)), badge.toolTip())
        QTimer.singleShot(300, save)

    def save() -> None:
        screen = app.primaryScreen().grabWindow(0) if args.tooltip else window.grab()
        image = screen.copy(window.frameGeometry()) if args.tooltip else screen
        print(f"wrote {args.out}: {image.save(args.out)} ({image.width()}×{image.height()})")
        panel.stop_and_wait(10_000)
        window.document.undo_stack.setClean()
        window.document.unlock()
        app.quit()

    counter = Counter()
    panel.runner.worker.health_done.connect(counter.probed)
    panel.run_finished.connect(counter.finished)
    panel.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
