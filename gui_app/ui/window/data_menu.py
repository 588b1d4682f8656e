"""The Data menu: choose the data folder, download full datasets with progress and cancel.

The folder and the downloads are the core's (:mod:`gui_app.core.data.locations`,
:mod:`gui_app.core.data.downloads`), shared with ``netbuilder data``; this module only runs a download
on its own thread behind a progress dialog and reports the outcome. The thread checks the cancel
flag between chunks, so Cancel (or closing the window) ends it within one network read.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog

from gui_app.core.data.datasets import FOLDER_DATASETS, display_name, locate, locations_report
from gui_app.core.data.downloads import (
    DownloadCancelledError,
    DownloadError,
    DownloadProgress,
    download_dataset,
)
from gui_app.core.data.locations import cache_dir, choose_data_folder, chosen_data_folder

if TYPE_CHECKING:
    from gui_app.ui.window.main_window import MainWindow

#: dataset name -> its name in the menu
DOWNLOADS = {"mnist": "full MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


class DownloadThread(QThread):
    """One dataset download off the UI thread; ``done(folder, error)`` ends it, error "" on success."""

    progress = Signal(object)
    done = Signal(str, str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def run(self) -> None:
        try:
            folder = download_dataset(
                self.name, cache_dir(), progress=self.progress.emit, cancelled=self._cancelled.is_set
            )
        except DownloadCancelledError:
            self.done.emit("", "cancelled")
        except DownloadError as exc:
            self.done.emit("", str(exc))
        except Exception as exc:  # a thread must report, never take the app down
            self.done.emit("", f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(str(folder), "")


class DataActions(QObject):
    """The Data menu's actions and the download in progress, if any."""

    download_finished = Signal(str, str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.thread: DownloadThread | None = None
        self.dialog: QProgressDialog | None = None
        #: set when the window closes: a late failure is not worth a message box then
        self.closing = False
        self.act_folder = QAction("Data &Folder…", window)
        self.act_folder.setStatusTip("Choose a folder that holds datasets; runs look there before the download cache")
        self.act_folder.triggered.connect(self.ask_folder)
        self.act_clear = QAction("&Forget Data Folder", window)
        self.act_clear.setStatusTip("Look for datasets only in the download cache again")
        self.act_clear.triggered.connect(lambda: self.set_folder(None))
        self.act_downloads: dict[str, QAction] = {}
        for name, label in DOWNLOADS.items():
            action = QAction(f"Download {label}", window)
            action.setStatusTip(f"Download {display_name(name)} into {cache_dir()}")
            action.triggered.connect(lambda _checked=False, n=name: self.download(n))
            self.act_downloads[name] = action
        self.where = QAction(window)
        self.where.setEnabled(False)
        self.act_locations = QAction("Data &Locations…", window)
        self.act_locations.setStatusTip("Where each dataset is found, and the order folders are searched in")
        self.act_locations.triggered.connect(self.show_locations)
        self.act_open_cache = QAction("&Open Download Folder", window)
        self.act_open_cache.setStatusTip(f"Show {cache_dir()} in the file manager")
        self.act_open_cache.triggered.connect(self.open_cache)

    def build_menu(self, menu: QMenu) -> None:
        menu.addAction(self.where)
        menu.addAction(self.act_folder)
        menu.addAction(self.act_clear)
        menu.addSeparator()
        menu.addActions(list(self.act_downloads.values()))
        menu.addSeparator()
        menu.addAction(self.act_locations)
        menu.addAction(self.act_open_cache)
        menu.aboutToShow.connect(self.refresh)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        chosen = chosen_data_folder()
        self.where.setText(f"Data folder: {chosen}" if chosen else "Data folder: not set (download cache only)")
        self.act_clear.setEnabled(chosen is not None)
        busy = self.thread is not None
        for action in self.act_downloads.values():
            action.setEnabled(not busy)

    # ------------------------------------------------------------------ the data folder
    @Slot()
    def ask_folder(self) -> None:
        start = str(chosen_data_folder() or cache_dir())
        folder = QFileDialog.getExistingDirectory(self.window, "Data folder", start)
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str | None) -> str:
        """Remember ``folder`` (None forgets it) and say in the status bar what it holds."""
        try:
            choose_data_folder(folder)
        except OSError as exc:
            message = f"Could not remember the data folder: {exc}"
        else:
            if folder is None:
                message = "Data folder forgotten: datasets are looked for in the download cache."
            else:
                chosen = chosen_data_folder()
                held = [display_name(n) for n in FOLDER_DATASETS if chosen and locate(n, chosen) is not None]
                holds = f"it holds {', '.join(held)}" if held else "no dataset found in it yet"
                message = f"Data folder: {chosen} ({holds})."
        self.refresh()
        self.window.statusBar().showMessage(message, 10_000)
        return message

    def locations_text(self) -> str:
        """The search order and the copy of each dataset a run would use (as `netbuilder data where`)."""
        project = "A project's own Data folder (Training ▸ Settings) is looked in before all of these."
        return f"{locations_report()}\n\n{project}"

    @Slot()
    def show_locations(self) -> None:
        QMessageBox.information(self.window, "Data locations", self.locations_text())

    @Slot()
    def open_cache(self) -> bool:
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.window.statusBar().showMessage(f"Cannot create {folder}: {exc}", 10_000)
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # ------------------------------------------------------------------ downloads
    def download(self, name: str) -> bool:
        """Start downloading ``name`` behind a progress dialog; False when one is already running."""
        if self.thread is not None:
            return False
        self.thread = DownloadThread(name, self)
        self.dialog = QProgressDialog(f"Downloading {display_name(name)}…", "Cancel", 0, 1000, self.window)
        self.dialog.setWindowTitle("Download")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.thread.cancel)
        self.thread.progress.connect(self._progress)
        self.thread.done.connect(self._done)
        self.thread.finished.connect(self._thread_ended)
        self.refresh()
        self.thread.start()
        self.dialog.show()
        return True

    @Slot(object)
    def _progress(self, progress: DownloadProgress) -> None:
        dialog = self.dialog
        if dialog is not None:
            dialog.setLabelText(progress.describe())
            # Last: a window-modal dialog's setValue processes events, and _done may run inside it.
            dialog.setValue(int(progress.fraction * 1000))

    @Slot(str, str)
    def _done(self, folder: str, error: str) -> None:
        display = display_name(self.thread.name)  # the thread is cleared only after it finishes
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        if not error:
            self.window.statusBar().showMessage(f"{display} downloaded to {folder}.", 15_000)
        elif error == "cancelled":
            self.window.statusBar().showMessage("Download cancelled; nothing half-written was kept.", 10_000)
        elif not self.closing:
            QMessageBox.warning(
                self.window,
                "Download failed",
                f"{display} could not be downloaded: {error}.\n\nWithout a connection, copy the dataset's "
                "files into a folder and choose it with Data ▸ Data Folder…",
            )
        self.download_finished.emit(folder, error)

    @Slot()
    def _thread_ended(self) -> None:
        if self.thread is not None:
            self.thread.deleteLater()
            self.thread = None
        self.refresh()

    def stop_and_wait(self, timeout_ms: int = 3_000) -> bool:
        """Cancel any download and join its thread (closing the window); True when it ended.

        Cancel is seen at the next chunk, or when a stalled connection times out (15 s); when
        that is longer than ``timeout_ms`` the caller waits for ``thread.finished`` instead of
        blocking the window.
        """
        if self.thread is None:
            return True
        self.closing = True
        self.thread.cancel()
        return bool(self.thread.wait(timeout_ms))
