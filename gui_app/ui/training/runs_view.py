"""The runs tab: every recorded run of the project in a table, and a Pareto view of error against cost.

Rows come from :func:`gui_app.core.training.runs.list_runs` (the core reads and validates the
folders; a broken one is a row saying why). Ticking a run lays its validation curves over the
live plots in its own colour; *Reopen* asks the window to put its network and settings into the
project; *Delete…* removes its folder after asking. In the scatter each run is a point at its
best validation error (or loss, for regression) and its MACs or parameters; the runs no other run
beats on both lie on the Pareto front, joined by a line; clicking a point selects its run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.text.numbers import format_count, format_macs
from gui_app.core.training.runs import (
    RUNNING,
    BrokenRun,
    RunFileError,
    RunListing,
    RunRecord,
    RunRow,
    delete_run,
    list_runs,
    read_run,
    run_rows,
)
from gui_app.ui.training.plots import TrainingPlots

REOPEN_TIP = "Put this run's network and settings into the project (one undo step)"
REOPEN_LOCKED = "A run is training: stop it or let it end to reopen another"
COLUMNS = ("Run", "Status", "Changes", "Best (epoch)", "Last", "Params", "MACs", "Time")
#: How a run is named in the table and the plots' legends: short, and unique to the second.
RUN_TIME = "%d %b %H:%M:%S"


def run_label(run) -> str:
    """The run's start time as the table and the legends show it; a second run started in the same
    second (its folder ``…_2``) says which it is, so no two runs share a curve name."""
    label = run.started.strftime(RUN_TIME)
    suffix = run.name.rpartition("_")[2] if run.name.count("_") > 1 else ""
    return f"{label} ({suffix})" if suffix.isdigit() else label


#: One colour per run, in the order the runs were made (the live run keeps blue and orange).
RUN_COLOURS = (
    (44, 160, 44),
    (148, 103, 189),
    (214, 39, 40),
    (23, 190, 207),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (127, 127, 127),
    (0, 90, 60),
    (120, 0, 120),
)
UNSAVED_NOTE = "Runs are recorded beside the project file (NAME.runs/): save the project to keep its runs."


def run_colour(index: int) -> tuple[int, int, int]:
    return RUN_COLOURS[index % len(RUN_COLOURS)]


def best_error(row: RunRow) -> float | None:
    """What the Pareto view plots upwards: 1 − the best validation accuracy, else the best loss."""
    if row.best_val_accuracy is not None:
        return 1.0 - row.best_val_accuracy
    return row.best_val_loss


def pareto_front(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both cost (x) and error (y), by rising cost."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front, lowest = [], float("inf")
    for i in order:
        if points[i][1] < lowest:
            front.append(i)
            lowest = points[i][1]
    return front


class CountAxis(pg.AxisItem):
    """Ticks as the table writes counts (109.2k, 2.3M), so the two read alike."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [format_macs(round(v)) if v >= 0 else "" for v in values]


class ParetoPlot(pg.PlotWidget):
    """Best validation error against MACs or parameters, one point per run; a click selects a run."""

    run_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent, background="w", axisItems={"bottom": CountAxis("bottom")})
        self.setMinimumSize(220, 130)
        item = self.getPlotItem()
        item.setTitle("Best validation error against cost", size="9pt")
        item.showGrid(x=True, y=True, alpha=0.25)
        item.setMenuEnabled(False)
        item.getAxis("left").enableAutoSIPrefix(False)
        self.front = pg.PlotDataItem([], [], pen=pg.mkPen((160, 160, 160), width=1, style=Qt.PenStyle.DashLine))
        self.scatter = pg.ScatterPlotItem(size=11, hoverable=True, tip=None)
        self.scatter.sigClicked.connect(self._clicked)
        item.addItem(self.front)
        item.addItem(self.scatter)
        self.names: list[str] = []

    def show_runs(
        self, rows: list[RunRow], colours: dict[str, tuple[int, int, int]], x_key: str, selected: str
    ) -> None:
        """Plot ``rows`` (those with a best epoch); ``x_key`` is ``"macs"`` or ``"parameters"``."""
        usable = [(row, best_error(row)) for row in rows if best_error(row) is not None]
        item = self.getPlotItem()
        item.setLabel("bottom", "MACs per sample" if x_key == "macs" else "parameters")
        accuracy = any(row.best_val_accuracy is not None for row, _ in usable)
        item.setLabel("left", "error (1 − accuracy)" if accuracy else "validation loss")
        points = [(float(getattr(row, x_key)), float(error)) for row, error in usable]
        self.names = [row.name for row, _ in usable]
        spots = [
            {
                "pos": point,
                "data": row.name,
                "brush": pg.mkBrush(*colours.get(row.name, (90, 90, 90))),
                "pen": pg.mkPen((0, 0, 0), width=2.5) if row.name == selected else pg.mkPen((255, 255, 255), width=1),
                "size": 15 if row.name == selected else 11,
            }
            for (row, _), point in zip(usable, points, strict=True)
        ]
        self.scatter.setData(spots)
        front = pareto_front(points)
        self.front.setData([points[i][0] for i in front], [points[i][1] for i in front], stepMode=None)
        self._fit(points)

    def _fit(self, points: list[tuple[float, float]]) -> None:
        """Room around the points; runs of one network share a cost, so x gets a span of its own."""
        if not points:
            return
        xs, ys = [x for x, _ in points], [y for _, y in points]
        low, high = min(xs), max(xs)
        margin = (high - low) * 0.08 or max(high * 0.2, 1.0)
        view = self.getPlotItem().vb
        view.setXRange(max(0.0, low - margin), high + margin, padding=0)
        top = max(ys)
        view.setYRange(0.0, top * 1.1 if top > 0 else 1.0, padding=0)

    @Slot(object, object)
    def _clicked(self, _item: object, spots: np.ndarray) -> None:
        if len(spots):
            self.run_clicked.emit(str(spots[0].data()))


class RunsView(QWidget):
    """See the module docstring; ``plots`` are the live plots the ticked runs are laid over."""

    #: a core RunRecord whose network and settings the user wants back in the project
    reopen_requested = Signal(object)

    def __init__(self, plots: TrainingPlots, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("runsView")
        self.plots = plots
        self.folder: Path | None = None
        self.listing = RunListing(Path())
        self.rows: list[RunRow] = []
        self.records: dict[str, RunRecord] = {}
        self.broken: dict[str, BrokenRun] = {}
        self.colours: dict[str, tuple[int, int, int]] = {}
        self.ticked: set[str] = set()
        #: a run is training: nothing may be reopened into the locked project meanwhile
        self._training = False
        self._build()
        self.set_folder(None)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.reopen_button = QPushButton("Reopen")
        self.reopen_button.setToolTip(REOPEN_TIP)
        self.reopen_button.clicked.connect(self._reopen_clicked)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete this run's folder, its checkpoints included")
        self.delete_button.clicked.connect(self._delete_clicked)
        self.x_choice = QComboBox()
        self.x_choice.addItem("against MACs", "macs")
        self.x_choice.addItem("against parameters", "parameters")
        self.x_choice.currentIndexChanged.connect(self._draw_pareto)
        self.table = self._make_table()
        self.pareto = ParetoPlot()
        self.pareto.run_clicked.connect(self.select_run)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.note, 1)
        for widget in (self.reopen_button, self.delete_button, self.x_choice):
            tools.addWidget(widget)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.pareto)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([740, 280])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addWidget(splitter, 1)

    def _make_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setObjectName("runsTable")
        table.setHorizontalHeaderLabels(COLUMNS)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(22)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        table.itemChanged.connect(self._item_changed)
        table.itemSelectionChanged.connect(self._selection_changed)
        return table

    # ------------------------------------------------------------------ contract
    def set_folder(self, folder: Path | None) -> None:
        """Show the runs of ``folder`` (None: an unsaved project, which records none)."""
        if folder != self.folder:
            for name in list(self.ticked):
                self.plots.hide_run(name)
            self.ticked.clear()
        self.folder = folder
        self.refresh()

    @Slot()
    def refresh(self, *_args: object) -> None:
        """Read the runs folder again (after a run, a deletion); ticks, selection and scrolling stay."""
        selected = self.selected_name()
        self.listing = list_runs(self.folder) if self.folder is not None else RunListing(Path())
        self._show_listing(selected)

    def update_run(self, folder: Path) -> None:
        """Read the one run ``folder`` again (the run training now, after each of its epochs) and
        update its row and curves; every other run is as it was. Its first epoch adds its row,
        which reads the whole folder once."""
        index = next((i for i, run in enumerate(self.listing.runs) if run.folder == folder), None)
        if index is None or folder.parent != self.folder:
            self.refresh()
            return
        try:
            record = read_run(folder)
        except RunFileError:  # it broke meanwhile: the whole listing says how
            self.refresh()
            return
        self.listing.runs[index] = record
        self.rows = run_rows(self.listing)
        self.records[record.name] = record
        row = next(row for row in self.rows if row.name == record.name)
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == record.name:
                with QSignalBlocker(self.table):
                    self._set_row(r, row)
        if record.name in self.ticked:
            self._show_curves(record.name)
        self._selection_changed()  # redraws the Pareto view too

    def _show_listing(self, selected: str | None) -> None:
        self.rows = run_rows(self.listing)
        self.records = {run.name: run for run in self.listing.runs}
        self.broken = {broken.name: broken for broken in self.listing.broken}
        self.colours = {run.name: run_colour(i) for i, run in enumerate(self.listing.runs)}
        for name in self.ticked - self.records.keys():
            self.plots.hide_run(name)
        self.ticked &= self.records.keys()
        for name in self.ticked:  # a running run's curves grow with each epoch
            self._show_curves(name)
        scrolled = self.table.verticalScrollBar().value()
        self._fill_table()
        self._describe()
        self.select_run(selected or "", scroll=False)  # the user's place in the table stays
        self.table.verticalScrollBar().setValue(scrolled)
        self._draw_pareto()

    def set_training(self, training: bool) -> None:
        """While a run trains, *Reopen* is off (the project's network is locked until it ends)."""
        self._training = training
        self.reopen_button.setToolTip(REOPEN_LOCKED if training else REOPEN_TIP)
        self._selection_changed()

    def selected_name(self) -> str | None:
        items = self.table.selectedItems()
        return self.table.item(items[0].row(), 0).data(Qt.ItemDataRole.UserRole) if items else None

    @Slot(str)
    def select_run(self, name: str, scroll: bool = True) -> None:
        """Select the row of run ``name`` (a click in the Pareto view lands here) and scroll to it."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(row)
                if scroll:
                    self.table.scrollToItem(self.table.item(row, 0))
                return
        self.table.clearSelection()
        self._selection_changed()

    def set_ticked(self, name: str, ticked: bool) -> None:
        """Tick or untick run ``name`` as a click on its box would."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    # ------------------------------------------------------------------ table
    def _describe(self) -> None:
        if self.folder is None:
            self.note.setText(UNSAVED_NOTE)
        elif not self.rows and not self.listing.broken:
            self.note.setText(f"No runs recorded yet: each run is kept in {self.folder.name}/ beside the project.")
        else:
            broken = f", {len(self.listing.broken)} broken" if self.listing.broken else ""
            older = f" ({self.listing.left_out} older not read)" if self.listing.left_out else ""
            self.note.setText(
                f"{len(self.rows)} run(s){broken}{older} in {self.folder.name}/. Tick runs to draw them in Live plots."
            )

    def _fill_table(self) -> None:
        with QSignalBlocker(self.table):
            self.table.setRowCount(0)
            for row in reversed(self.rows):  # newest first
                self._add_row(row)
            for broken in self.listing.broken:
                self._add_broken(broken)

    def _add_row(self, row: RunRow) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        self._set_row(r, row)

    def _set_row(self, r: int, row: RunRow) -> None:
        cells = (
            run_label(self.records[row.name]),
            row.status,
            row.changes_text,
            f"{row.best_figure} ({row.best_epoch})" if row.best_epoch else "–",
            row.last_text,
            format_count(row.parameters),
            format_macs(row.macs),
            f"{row.seconds:.1f} s",
        )
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            if column >= 3:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(r, column, item)
        first = self.table.item(r, 0)
        first.setData(Qt.ItemDataRole.UserRole, row.name)
        first.setFlags(first.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        first.setCheckState(Qt.CheckState.Checked if row.name in self.ticked else Qt.CheckState.Unchecked)
        first.setForeground(pg.mkColor(*self.colours[row.name]))
        first.setToolTip(f"{row.started} ({row.name}/): tick to draw its validation curves in Live plots")
        self.table.item(r, 2).setToolTip(row.changes_text)
        if row.error:
            self.table.item(r, 1).setToolTip(row.error)

    def _add_broken(self, broken: BrokenRun) -> None:
        r = self.table.rowCount()
        self.table.insertRow(r)
        for column, text in enumerate((broken.name, "broken", broken.reason)):
            item = QTableWidgetItem(text)
            item.setToolTip(broken.reason)
            item.setForeground(pg.mkColor(192, 32, 32))
            self.table.setItem(r, column, item)
        self.table.item(r, 0).setData(Qt.ItemDataRole.UserRole, broken.name)

    @Slot(QTableWidgetItem)
    def _item_changed(self, item: QTableWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        if item.column() != 0 or name not in self.records:
            return
        if item.checkState() == Qt.CheckState.Checked:
            self.ticked.add(name)
            self._show_curves(name)
        else:
            self.ticked.discard(name)
            self.plots.hide_run(name)
        self._draw_pareto()

    def _show_curves(self, name: str) -> None:
        run = self.records[name]
        history = run.history
        self.plots.show_run(
            name,
            run_label(run),
            self.colours[name],
            [e.epoch for e in history],
            [e.val_loss for e in history],
            [e.val_accuracy for e in history],
        )

    @Slot()
    def _selection_changed(self) -> None:
        name = self.selected_name()
        run = self.records.get(name) if name else None
        self.reopen_button.setEnabled(run is not None and not self._training)
        self.delete_button.setEnabled(name is not None and (run is None or run.state != RUNNING))
        self._draw_pareto()

    @Slot()
    def _draw_pareto(self, *_args: object) -> None:
        self.pareto.show_runs(self.rows, self.colours, self.x_choice.currentData(), self.selected_name() or "")

    # ------------------------------------------------------------------ commands
    @Slot()
    def _reopen_clicked(self) -> None:
        run = self.records.get(self.selected_name() or "")
        if run is not None:
            self.reopen_requested.emit(run)

    @Slot()
    def _delete_clicked(self) -> None:
        name = self.selected_name()
        if name is None or self.folder is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete run",
            f"Delete the run {name}, its metrics and its checkpoints?\n{self.folder / name}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_run(name)

    def delete_run(self, name: str) -> bool:
        """Delete run ``name``'s folder (asked already); False, with a dialog, when it cannot be removed."""
        try:
            delete_run(self.folder / name)
        except (OSError, ValueError) as exc:  # RunFileError is a ValueError: not a run folder
            QMessageBox.warning(self, "Cannot delete the run", str(exc))
            return False
        finally:
            self.refresh()
        return True
