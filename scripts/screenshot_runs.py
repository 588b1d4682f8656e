"""docs/images/runs.png and pareto.png: four short real runs on the bundled MNIST sample, in the window.

Run under Xvfb: ``xvfb-run -a -s "-screen 0 1280x800x24" python scripts/screenshot_runs.py docs/images``.
The runs change the learning rate, then the network's size, so the table has something to say
and the Pareto view has a front. The training dock is made taller and the data note closed, so
the pictures show the runs rather than the layout of a first start.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> int:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ["NETBUILDER_OFFLINE"] = "1"  # the bundled sample, whatever the machine has
    work = Path(tempfile.mkdtemp(prefix="netbuilder-shots-"))
    os.environ["NETBUILDER_DATA"] = str(work / "cache")
    import torch

    torch.set_num_threads(1)
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from gui_app.core.project.spec import load_spec_file, save_spec
    from gui_app.core.resources import resources_dir
    from gui_app.ui.theme import apply_theme
    from gui_app.ui.window.main_window import MainWindow

    QCoreApplication.setOrganizationName("NetBuilder")
    QCoreApplication.setApplicationName("NetBuilder")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)
    window = MainWindow(QSettings(str(work / "s.ini"), QSettings.Format.IniFormat), autosave_dir=work / "autosave")
    project = work / "mnist_mlp.json"
    save_spec(load_spec_file(resources_dir() / "presets" / "mnist_mlp_784_128_64_10.json"), project)
    window.files.open(str(project))
    window.resize(1280, 800)
    window.show()
    settle(app, 5)
    window.apply_default_layout()
    panel, doc = window.training_panel, window.document

    def train(**changes: object) -> None:
        config = panel.config().replace(device="cpu", **changes)
        panel.set_config(config)
        doc.set_training(config)
        assert panel.start()
        while panel.is_running() or panel.runner.thread.isRunning():
            settle(app, 1, 0.02)
        settle(app, 10)

    train(epochs=4, lr=0.01)
    train(epochs=4, lr=0.05)
    linears = [layer.uid for layer in doc.spec.layers if layer.type == "Linear"]
    for sizes in ((32, 16), (512, 128)):
        doc.set_param(linears[0], "out_features", sizes[0])
        doc.set_param(linears[1], "out_features", sizes[1])
        train(epochs=4, lr=0.05)
    take_pictures(app, window, out)
    return 0


def take_pictures(app: object, window: object, out: Path) -> None:
    """The runs ticked over the live plots, then the Runs tab with a run selected."""
    from PySide6.QtCore import Qt

    panel = window.training_panel
    panel.data_note.setVisible(False)
    window.resizeDocks([window.training_dock], [440], Qt.Orientation.Vertical)
    view = window.run_history.view
    for name in list(view.records):
        view.set_ticked(name, True)
    panel.tabs.setCurrentWidget(panel.plots)
    settle(app, 10, 0.06)
    window.grab().save(str(out / "runs.png"))
    panel.tabs.setCurrentWidget(view)
    view.select_run(sorted(view.records)[2])
    settle(app, 10, 0.03)
    window.grab().save(str(out / "pareto.png"))
    window.document.undo_stack.setClean()
    window.close()
    print(f"wrote {out / 'runs.png'} and {out / 'pareto.png'}")


def settle(app: object, rounds: int, pause: float = 0.0) -> None:
    for _ in range(rounds):
        app.processEvents()
        time.sleep(pause)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")))
