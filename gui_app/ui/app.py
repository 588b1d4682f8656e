"""Start the GUI: ``netbuilder [PROJECT] [--screenshot OUT.png]``."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _torch_first() -> None:
    # torch's thread pool must be sized before any torch op, and torch must be imported before
    # Qt so both agree on the OpenMP runtime; one core is left for the UI.
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))


def run_gui(project: str | None = None, screenshot: str | None = None, size: tuple[int, int] = (1280, 800)) -> int:
    """Open the main window (with ``project`` or the default preset); returns the exit code.

    With ``screenshot`` the window is rendered at ``size`` (default 1280×800) to that PNG and the
    app exits.
    """
    _torch_first()
    if screenshot and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from gui_app import __version__
    from gui_app.core.project.spec import ProjectFileError, load_spec_file
    from gui_app.ui.theme import apply_theme
    from gui_app.ui.window.main_window import MainWindow
    from gui_app.ui.window.project_files import default_spec

    QCoreApplication.setOrganizationName("NetBuilder")
    QCoreApplication.setApplicationName("NetBuilder")
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationDisplayName("NetBuilder")
    # Lets Wayland and desktop shells match the window to the installed .desktop entry and icon.
    app.setDesktopFileName("io.github.netbuilder.NetBuilder")
    app.setWindowIcon(_app_icon())
    apply_theme(app)
    settings = QSettings()
    if screenshot:
        # A screenshot shows the default layout, whatever the user last arranged.
        settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "NetBuilder", "screenshot")
        settings.clear()
    window = MainWindow(settings)
    if screenshot:
        # No dialogs in screenshot mode: a bad file is an error message and exit code 2.
        spec = default_spec()
        if project:
            try:
                spec = load_spec_file(project)
            except ProjectFileError as exc:
                print(f"netbuilder: {exc}", file=sys.stderr)
                return 2
        window.document.load(spec, Path(project) if project else None)
        window.project_loaded()
        return _screenshot(app, window, Path(screenshot), size)
    start(window, project)
    window.show()
    return app.exec()


def start(window, project: str | None) -> None:
    """What the window shows first; work a crash left is offered with one question, never two.

    With ``project``, only a copy of that project is offered (by opening it); other copies stay
    on disk for a start without one.
    """
    from gui_app.ui.window.project_files import default_spec

    if project:
        if not window.files.open(project):
            window.files.new_from_spec(default_spec())
    elif not window.files.offer_recovery():
        window.files.new_from_spec(default_spec())


def _app_icon():
    from PySide6.QtGui import QIcon

    from gui_app.core.resources import resources_dir

    icon = QIcon()
    for png in sorted((resources_dir() / "icons" / "app").glob("netbuilder-*.png")):
        icon.addFile(str(png))
    return icon


def _screenshot(app, window, out: Path, size: tuple[int, int]) -> int:
    window.resize(*size)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.apply_default_layout()
    app.processEvents()
    window.canvas.frame_for_reading()
    layers = window.document.spec.layers
    linear = [layer.uid for layer in layers if layer.type in ("Linear", "Conv2d")]
    if linear:
        # Show the inspector at work on a real block rather than empty.
        window.canvas.network_scene.select_uids(linear[:1])
    app.processEvents()
    image = window.grab()
    out.parent.mkdir(parents=True, exist_ok=True)
    ok = image.save(str(out))
    window.document.undo_stack.setClean()
    window.close()
    if not ok:
        print(f"netbuilder: cannot write {out}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({image.width()}×{image.height()})")
    return 0
