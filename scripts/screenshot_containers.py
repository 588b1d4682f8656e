"""docs/images/residual-expanded.png and residual-collapsed.png: a small residual CNN on the canvas.

Run under Xvfb: ``xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_containers.py docs/images``.
The network (tests/residual_nets.py) has a Residual with an identity shortcut, one with a projection shortcut (where the
shape changes) and a Parallel of two branches, as a learner builds them from the palette. The
first picture shows the containers expanded, the first Residual's inner convolution selected in
the inspector; the second the same network with every container collapsed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.residual_nets import residual_cnn  # the network the container tests use


def main(out: Path) -> int:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ["NETBUILDER_OFFLINE"] = "1"
    work = Path(tempfile.mkdtemp(prefix="netbuilder-shots-"))
    os.environ["NETBUILDER_DATA"] = str(work / "cache")
    import torch

    torch.set_num_threads(1)
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from gui_app.ui.theme import apply_theme
    from gui_app.ui.window.main_window import MainWindow

    QCoreApplication.setOrganizationName("NetBuilder")
    QCoreApplication.setApplicationName("NetBuilder")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat), autosave_dir=work / "autosave")
    window.document.load(residual_cnn(), None)
    window.project_loaded()
    window.resize(1280, 800)
    window.show()
    settle(app)
    window.apply_default_layout()
    # The canvas is the subject: the training and draw docks are closed (View menu brings them back).
    window.training_dock.hide()
    window.draw_dock.hide()
    settle(app)
    canvas, scene = window.canvas, window.canvas.network_scene
    assert window.document.compiled.ok, window.document.first_problem()

    first_residual = window.document.spec.layers[3]
    inner = first_residual.lanes[0][0]
    zoom = 0.64
    canvas.resetTransform()
    canvas.scale(zoom, zoom)
    scene.select_uids([inner.uid])
    frame = scene.items_by_uid[first_residual.uid].sceneBoundingRect()
    # Both Residuals in view: the identity shortcut above, the projection shortcut below.
    canvas.centerOn(scene.network_rect().center().x(), frame.top() + canvas.viewport().height() / (2 * zoom) - 40)
    settle(app)
    shoot(window, out / "residual-expanded.png")

    scene.set_collapsed(scene.containers(), True)
    scene.select_uids([first_residual.uid])
    canvas.frame_for_reading()
    settle(app)
    shoot(window, out / "residual-collapsed.png")
    window.document.undo_stack.setClean()
    window.close()
    return 0


def settle(app, rounds: int = 6) -> None:
    for _ in range(rounds):
        app.processEvents()


def shoot(window, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = window.grab()
    if not image.save(str(path)):
        raise SystemExit(f"cannot write {path}")
    print(f"wrote {path} ({image.width()}×{image.height()})")


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")))
