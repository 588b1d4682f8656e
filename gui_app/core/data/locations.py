"""The folders a dataset is looked for in, the one the user chose, and the bundled MNIST sample.

One order, for the window and the command line alike (see :func:`search_roots`): the folder a run
names (a project's data folder or ``--data-dir``), the folder chosen with Data ▸ Data folder… or
``netbuilder data folder``, and the per-user download cache. The choice is kept in a small JSON
file in the per-user config folder rather than in Qt's settings, so that the command line,
which never loads Qt, sees the same folder as the window.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import platformdirs

from gui_app.core.resources import resources_dir

APP_NAME = "NetBuilder"
#: the sample's folder under resources/
SAMPLE_FOLDER = ("data", "mnist-sample")


def cache_dir() -> Path:
    """Where downloads go: ``$NETBUILDER_DATA``, else the per-user data folder (platformdirs)."""
    env = os.environ.get("NETBUILDER_DATA")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "data"


def _settings_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "data-folder.json"


def chosen_data_folder() -> Path | None:
    """The folder set with Data ▸ Data folder… (or ``netbuilder data folder``), if any.

    An unreadable settings file counts as no choice: it must never stop a run.
    """
    try:
        value = json.loads(_settings_file().read_text(encoding="utf-8")).get("data_folder")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(value).expanduser() if isinstance(value, str) and value else None


def choose_data_folder(folder: str | os.PathLike[str] | None) -> None:
    """Remember ``folder`` as the user's data folder (``None`` forgets it); written atomically."""
    path = _settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = str(Path(folder).expanduser().resolve()) if folder else None
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False, encoding="utf-8") as out:
        json.dump({"data_folder": value}, out)
    os.replace(out.name, path)


def search_roots(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    """The data folders to look in, in order, without repeats."""
    roots = [Path(data_dir).expanduser()] if data_dir else []
    chosen = chosen_data_folder()
    if chosen is not None:
        roots.append(chosen)
    roots.append(cache_dir())
    unique: dict[Path, Path] = {}
    for root in roots:
        try:
            key = root.resolve()
        except (OSError, RuntimeError):  # a dead network share, a symlink loop: still a place to look
            key = root
        unique.setdefault(key, root)
    return list(unique.values())


def sample_dir() -> Path:
    """The bundled MNIST sample (IDX + gzip; see scripts/make_mnist_sample.py)."""
    return resources_dir().joinpath(*SAMPLE_FOLDER)
