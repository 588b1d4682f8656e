"""The core must stay importable without Qt: the command line and headless servers depend on it."""

import pkgutil
import subprocess
import sys

import gui_app.core


def test_importing_every_core_module_loads_no_qt():
    modules = [m.name for m in pkgutil.walk_packages(gui_app.core.__path__, "gui_app.core.")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"gui_app.core imported Qt: {done.stdout}"
    assert len(modules) >= 30
