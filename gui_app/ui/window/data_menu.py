"""The Data menu: choose the data folder, download full datasets with progress and cancel.

The folder and the downloads are the core's (:mod:`gui_app.core.data.locations`,
:mod:`gui_app.core.data.downloads`), shared with ``netbuilder data``; this module only runs a download
on its own thread behind a progress dialog and reports the outcome. The download runs as training
does (:mod:`gui_app.ui.training.worker`): a worker object moved to a QThread. The worker checks a
``threading.Event`` between chunks, so Cancel (or closing the window) ends it within one network read.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog, QWidget

from gui_app.core.data.datasets import FOLDER_DATASETS, display_name, locate, locations_report
from gui_app.core.data.downloads import (
    DownloadCancelledError,
    DownloadError,
    DownloadProgress,
    download_dataset,
)
from gui_app.core.data.locations import cache_dir, choose_data_folder, chosen_data_folder

#: dataset name -> its name in the menu
DOWNLOADS = {"mnist": "full MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}


class DownloadOutcome(enum.StrEnum):
    """How a download ended."""

    DOWNLOADED = "downloaded"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True)
class DownloadResult:
    """One finished download: the dataset, how it ended, its folder (downloaded) or why (failed)."""

    name: str
    outcome: DownloadOutcome
    folder: str = ""
    error: str = ""


class DownloadWorker(QObject):
    """Downloads one dataset in the thread it is moved to; ``done(DownloadResult)`` ends it.

    ``cancelled`` is set from the UI thread: a queued slot could not run while ``run`` blocks.
    """

    progress = Signal(object)
    done = Signal(object)

    def __init__(self, name: str, cancelled: threading.Event) -> None:
        super().__init__()
        self.name = name
        self._cancelled = cancelled

    @Slot()
    def run(self) -> None:
        self.done.emit(self._download())

    def _download(self) -> DownloadResult:
        try:
            folder = download_dataset(
                self.name, cache_dir(), progress=self.progress.emit, cancelled=self._cancelled.is_set
            )
        except DownloadCancelledError:
            return DownloadResult(self.name, DownloadOutcome.CANCELLED)
        except DownloadError as exc:
            return DownloadResult(self.name, DownloadOutcome.FAILED, error=str(exc))
        except Exception as exc:  # a thread must report, never take the app down
            return DownloadResult(self.name, DownloadOutcome.FAILED, error=f"{type(exc).__name__}: {exc}")
        return DownloadResult(self.name, DownloadOutcome.DOWNLOADED, folder=str(folder))


class DataActions(QObject):
    """The Data menu's actions and the download in progress, if any.

    It reports through signals (``status_message`` for the status bar, ``download_finished`` and
    ``download_ended``), so it needs nothing of the window but a parent for its dialogs.
    """

    #: (text, milliseconds) for the window's status bar
    status_message = Signal(str, int)
    #: the DownloadResult of each download, once its dialog is closed
    download_finished = Signal(object)
    #: the download thread has ended and is released: the window may close now
    download_ended = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.dialog_parent = parent
        self.thread: QThread | None = None
        self.worker: DownloadWorker | None = None
        #: the dataset being downloaded, None when no download runs
        self.downloading: str | None = None
        self._cancel = threading.Event()
        self.dialog: QProgressDialog | None = None
        #: set when the window closes: a late failure is not worth a message box then
        self.closing = False
        self._build_actions(parent)

    def _build_actions(self, parent: QWidget) -> None:
        self.act_folder = QAction("Data &Folder…", parent)
        self.act_folder.setStatusTip("Choose a folder that holds datasets; runs look there before the download cache")
        self.act_folder.triggered.connect(self.ask_folder)
        self.act_clear = QAction("&Forget Data Folder", parent)
        self.act_clear.setStatusTip("Look for datasets only in the download cache again")
        self.act_clear.triggered.connect(lambda: self.set_folder(None))
        self.act_downloads: dict[str, QAction] = {}
        for name, label in DOWNLOADS.items():
            action = QAction(f"Download {label}", parent)
            action.setStatusTip(f"Download {display_name(name)} into {cache_dir()}")
            action.triggered.connect(lambda _checked=False, n=name: self.download(n))
            self.act_downloads[name] = action
        self.where = QAction(parent)
        self.where.setEnabled(False)
        self.act_locations = QAction("Data &Locations…", parent)
        self.act_locations.setStatusTip("Where each dataset is found, and the order folders are searched in")
        self.act_locations.triggered.connect(self.show_locations)
        self.act_open_cache = QAction("&Open Download Folder", parent)
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
        folder = QFileDialog.getExistingDirectory(self.dialog_parent, "Data folder", start)
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
        self.status_message.emit(message, 10_000)
        return message

    def locations_text(self) -> str:
        """The search order and the copy of each dataset a run would use (as `netbuilder data where`)."""
        project = "A project's own Data folder (Training ▸ Settings) is looked in before all of these."
        return f"{locations_report()}\n\n{project}"

    @Slot()
    def show_locations(self) -> None:
        QMessageBox.information(self.dialog_parent, "Data locations", self.locations_text())

    @Slot()
    def open_cache(self) -> bool:
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.status_message.emit(f"Cannot create {folder}: {exc}", 10_000)
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # ------------------------------------------------------------------ downloads
    def download(self, name: str) -> bool:
        """Start downloading ``name`` behind a progress dialog; False when one is already running."""
        if self.thread is not None:
            return False
        self.downloading = name
        self._cancel = threading.Event()
        self.worker = DownloadWorker(name, self._cancel)
        self.thread = QThread(self)
        self.thread.setObjectName("NetBuilder download")
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.progress.connect(self._progress)
        self.worker.done.connect(self._done)
        # Direct: the thread ends itself once the result is sent, even while the UI thread is
        # blocked joining it (stop_and_wait); a queued quit would wait for that very UI thread.
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self.thread.finished.connect(self._thread_ended)
        self.dialog = self._progress_dialog(name)
        self.refresh()
        self.thread.start()
        self.dialog.show()
        return True

    def _progress_dialog(self, name: str) -> QProgressDialog:
        dialog = QProgressDialog(f"Downloading {display_name(name)}…", "Cancel", 0, 1000, self.dialog_parent)
        dialog.setWindowTitle("Download")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.cancel)
        return dialog

    @Slot()
    def cancel(self) -> None:
        """Ask the running download to stop; the worker sees it at its next chunk."""
        self._cancel.set()

    @Slot(object)
    def _progress(self, progress: DownloadProgress) -> None:
        dialog = self.dialog
        if dialog is not None:
            dialog.setLabelText(progress.describe())
            # Last: a window-modal dialog's setValue processes events, and _done may run inside it.
            dialog.setValue(int(progress.fraction * 1000))

    @Slot(object)
    def _done(self, result: DownloadResult) -> None:
        display = display_name(result.name)
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None
        if result.outcome is DownloadOutcome.DOWNLOADED:
            self.status_message.emit(f"{display} downloaded to {result.folder}.", 15_000)
        elif result.outcome is DownloadOutcome.CANCELLED:
            self.status_message.emit("Download cancelled; nothing half-written was kept.", 10_000)
        elif not self.closing:
            QMessageBox.warning(
                self.dialog_parent,
                "Download failed",
                f"{display} could not be downloaded: {result.error}.\n\nWithout a connection, copy the dataset's "
                "files into a folder and choose it with Data ▸ Data Folder…",
            )
        self.download_finished.emit(result)

    @Slot()
    def _thread_ended(self) -> None:
        thread, self.thread = self.thread, None
        if thread is not None:
            # ``finished`` is sent from the thread just before it ends: join it, then let the worker go
            # here. Deleted by that thread instead (deleteLater), it raced Python's own release of the
            # worker: a double free that crashed about one download in a hundred.
            thread.wait()
            thread.deleteLater()
            self.worker = self.downloading = None
        self.refresh()
        self.download_ended.emit()

    def stop_and_wait(self, timeout_ms: int = 3_000) -> bool:
        """Cancel any download and join its thread (closing the window); True when it ended.

        Cancel is seen at the next chunk, or when a stalled connection times out (15 s); when
        that is longer than ``timeout_ms`` the caller waits for ``download_ended`` instead of
        blocking the window.
        """
        if self.thread is None:
            return True
        self.closing = True
        self.cancel()
        return bool(self.thread.wait(timeout_ms))
