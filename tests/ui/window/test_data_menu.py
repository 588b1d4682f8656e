"""The Data menu and a first run with no data: the chosen folder, downloads with progress and cancel,
and training on the bundled sample with a note that says so. The network is blocked throughout;
downloads that succeed come from a loopback mirror."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QPushButton

from gui_app.core.data.locations import cache_dir, chosen_data_folder
from gui_app.ui.window.data_menu import DownloadOutcome, DownloadResult
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import default_spec
from tests.mnist_subset import DATA


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.show()
    qtbot.waitExposed(window)
    return window


def _click_cancel(dialog) -> None:
    dialog.findChild(QPushButton).click()


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_choosing_a_data_folder_says_what_it_holds_and_is_remembered(window: MainWindow, tmp_path) -> None:
    data = window.data_actions
    assert data.set_folder(str(DATA)) == f"Data folder: {DATA.resolve()} (it holds MNIST)."
    assert chosen_data_folder() == DATA.resolve()
    data.refresh()
    assert data.where.text() == f"Data folder: {DATA.resolve()}" and data.act_clear.isEnabled()
    assert "no dataset found" in data.set_folder(str(tmp_path))
    data.act_clear.trigger()
    assert chosen_data_folder() is None and not data.act_clear.isEnabled()


def test_a_download_shows_progress_and_lands_in_the_cache(window: MainWindow, qtbot, mirror) -> None:
    data = window.data_actions
    seen: list[float] = []
    assert data.download("mnist")
    assert not data.act_downloads["cifar10"].isEnabled()  # one download at a time
    data.worker.progress.connect(lambda p: seen.append(p.fraction))
    with qtbot.waitSignal(data.download_finished, timeout=30_000) as done:
        pass
    assert done.args == [DownloadResult("mnist", DownloadOutcome.DOWNLOADED, str(cache_dir() / "MNIST" / "raw"))]
    assert seen and seen[-1] == 1.0
    assert "MNIST downloaded to" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: data.thread is None)
    assert data.act_downloads["cifar10"].isEnabled() and data.dialog is None


def test_cancel_keeps_nothing(window: MainWindow, qtbot, mirror) -> None:
    mirror.server.hold = threading.Event()  # the first file stalls after its first 64 KiB ...
    data = window.data_actions
    data.download("mnist")
    qtbot.waitUntil(lambda: data.dialog.value() > 0, timeout=30_000)
    with qtbot.waitSignal(data.download_finished, timeout=30_000) as done:
        _click_cancel(data.dialog)
        mirror.server.hold.set()  # ... until the user has pressed Cancel
    assert done.args == [DownloadResult("mnist", DownloadOutcome.CANCELLED)]
    assert mirror.requests == ["train-images-idx3-ubyte.gz"]
    assert "nothing half-written" in window.statusBar().currentMessage()
    assert _files(cache_dir()) == []
    qtbot.waitUntil(lambda: data.thread is None)


def test_a_failed_download_explains_and_offers_the_data_folder(window: MainWindow, qtbot, monkeypatch) -> None:
    monkeypatch.delenv("NETBUILDER_OFFLINE")  # the download is tried; the suite blocks the network
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a: warnings.append(text))
    data = window.data_actions
    data.download("fashion_mnist")
    with qtbot.waitSignal(data.download_finished, timeout=30_000):
        pass
    assert len(warnings) == 1 and "blocks the network" in warnings[0] and "Data ▸ Data Folder…" in warnings[0]
    assert _files(cache_dir()) == []
    qtbot.waitUntil(lambda: data.thread is None)


def test_first_run_with_no_data_and_no_network_trains_the_default_preset_on_the_sample(
    window: MainWindow, qtbot, monkeypatch
) -> None:
    monkeypatch.delenv("NETBUILDER_OFFLINE")  # as a user offline: the download is tried and fails
    window.files.new_from_spec(default_spec())  # what run_gui opens for a new user
    panel = window.training_panel
    config = panel.config()
    assert window.document.spec.name == "MNIST MLP 784-128-128-10" and config.data_dir is None
    assert panel.start()
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        pass
    result = panel.last_result
    assert result.status == "completed" and result.epochs_completed == config.epochs
    assert result.history[-1].val_accuracy > 0.9
    note = panel.data_note
    assert note.isVisible()
    assert note.text().startswith("MNIST sample, 10,000 images: the full set gives higher accuracy. Get it: ")
    assert "Data ▸ Download full MNIST" in note.text() and "blocks the network" in note.toolTip()
    assert panel.status.text().startswith(f"Finished after {config.epochs} epoch(s)")

    # the note's button is the Data menu's download (which fails here: the network is blocked)
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a: warnings.append(text))
    panel.data_note.download_button.click()
    assert window.data_actions.thread is not None and window.data_actions.downloading == "mnist"
    with qtbot.waitSignal(window.data_actions.download_finished, timeout=30_000):
        pass
    assert warnings and "blocks the network" in warnings[0]
    qtbot.waitUntil(lambda: window.data_actions.thread is None)


def test_a_run_that_downloads_shows_it_and_stop_cancels(window: MainWindow, qtbot, mirror) -> None:
    mirror.server.hold = threading.Event()  # the first file stalls after its first 64 KiB
    panel = window.training_panel
    assert panel.start()
    qtbot.waitUntil(lambda: panel.run_bar.value() > 0, timeout=30_000)
    assert panel.run_bar.format() == "download %p%"
    status = panel.status.text()
    assert status.startswith("Downloading MNIST: train-images-idx3-ubyte.gz (1/4)")
    assert status.endswith("Stop cancels the download and the run.")
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        panel.stop()
        mirror.server.hold.set()
    assert panel.last_result.status == "stopped" and panel.last_result.error is None
    assert mirror.requests == ["train-images-idx3-ubyte.gz"]
    assert _files(cache_dir()) == []
    assert panel.run_bar.format() == "run %p%" and panel.status.text().startswith("Stopped")


def test_closing_during_a_stalled_download_waits_for_it_then_closes(window: MainWindow, qtbot, mirror) -> None:
    mirror.server.hold = threading.Event()  # the connection stalls after the first 64 KiB
    data = window.data_actions
    data.download("mnist")
    qtbot.waitUntil(lambda: data.dialog.value() > 0, timeout=30_000)
    assert not window.close()  # cancelled, but the stalled read has not returned: the window stays
    assert window.statusBar().currentMessage() == "Waiting for the cancelled download to stop…"
    mirror.server.hold.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)
    assert _files(cache_dir()) == []


def test_data_locations_name_each_datasets_copy(window: MainWindow, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text, *a: shown.append(text))
    window.data_actions.set_folder(str(DATA))
    window.data_actions.act_locations.trigger()
    text = shown[0]
    assert f"  1. {DATA.resolve()}  (chosen data folder)\n  2. {cache_dir()}  (download cache)\n" in text
    assert f"MNIST: {DATA.resolve() / 'MNIST' / 'raw'}" in text
    assert "Fashion-MNIST: not found: a run downloads it" in text and text.endswith("before all of these.")
    window.data_actions.set_folder(None)
    window.data_actions.act_locations.trigger()
    assert "MNIST: not found: a run downloads it, else uses the bundled sample" in shown[1]


def test_open_download_folder_opens_the_cache(window: MainWindow, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    assert window.data_actions.open_cache()
    assert opened == [str(cache_dir())] and cache_dir().is_dir()


def test_the_download_thread_never_deletes_its_worker_download_after_download(qtbot, monkeypatch) -> None:
    """The thread once deleted its worker as it ended while the UI thread released it too: a double
    free that crashed the app about once in a hundred downloads (seen in CI). The worker must outlive
    its thread and be released on the UI thread, download after download."""
    import shiboken6
    from PySide6.QtWidgets import QWidget

    from gui_app.ui.window.data_menu import DataActions

    monkeypatch.delenv("NETBUILDER_OFFLINE")
    monkeypatch.setattr(QMessageBox, "warning", lambda *_args: QMessageBox.StandardButton.Ok)
    parent = QWidget()
    qtbot.addWidget(parent)
    data = DataActions(parent)
    outcomes: list[DownloadOutcome] = []
    data.download_finished.connect(lambda result: outcomes.append(result.outcome))
    for _ in range(20):
        with qtbot.waitSignal(data.download_ended, timeout=30_000):
            assert data.download("fashion_mnist")
            worker, thread = data.worker, data.thread
        assert shiboken6.isValid(worker) and thread.isFinished()  # released here, after the thread ended
        assert data.thread is None and data.worker is None
    assert outcomes == [DownloadOutcome.FAILED] * 20
