"""Where the app's bundled files live: presets, the digit model, icons.

In a source checkout or editable install they sit in ``resources/`` beside ``gui_app/``; in a wheel
they are installed as ``gui_app/resources``; in a PyInstaller bundle under ``sys._MEIPASS``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gui_app


def resources_dir() -> Path:
    """The folder holding ``presets/``, ``models/`` and ``icons/``."""
    package = Path(gui_app.__file__).resolve().parent
    candidates = [package.parent / "resources", package / "resources"]
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.insert(0, Path(bundle) / "resources")
    for candidate in candidates:
        if (candidate / "presets").is_dir() or (candidate / "models").is_dir():
            return candidate
    return candidates[-1]
