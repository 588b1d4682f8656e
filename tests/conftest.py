"""Shared test setup: Qt runs offscreen, and nothing may reach the network or the user's folders."""

import os
import urllib.error

import pytest

from gui_app.core.data import downloads
from gui_app.core.data import locations as data_folders

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
# Inherited by the command-line tests' subprocesses: they never try a download either.
os.environ["NETBUILDER_OFFLINE"] = "1"


def _no_network(url, *args, **kwargs):
    raise urllib.error.URLError(f"the test suite blocks the network ({url})")


@pytest.fixture(autouse=True)
def _isolated_data_folders(tmp_path_factory, monkeypatch):
    """Each test gets an empty download cache and config folder, and no route to the network.

    Tests that exercise downloads serve files from a loopback server and re-enable
    ``downloads.urlopen`` for it themselves.
    """
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("NETBUILDER_DATA", str(home / "cache"))
    # platformdirs honours XDG_* only on Linux: the settings file is redirected directly too
    monkeypatch.setattr(data_folders, "_settings_file", lambda: home / "config" / "data-folder.json")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "share"))
    monkeypatch.setattr(downloads, "urlopen", _no_network)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A loopback HTTP mirror of the tests' MNIST slice that MNIST downloads reach (and nothing else)."""
    from tests.loopback_mirror import serve

    yield from serve(tmp_path, monkeypatch)
