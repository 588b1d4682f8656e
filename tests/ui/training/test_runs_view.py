"""The runs tab: ticking a run lays its curves over the live plots, delete asks first, the Pareto view selects."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QMessageBox

from gui_app.core.training.runs import RunRecorder
from gui_app.core.training.trainer import Trainer
from gui_app.ui.training.plots import TrainingPlots
from gui_app.ui.training.runs_view import RunsView, pareto_front, run_label
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    """Two recorded runs: the second with another network and learning rate."""
    folder = tmp_path_factory.mktemp("project") / "net.runs"
    data = mnist_slice(256, 100)
    for hidden, lr in ((16, 0.05), (32, 0.1)):
        Trainer(mlp_spec(hidden=hidden), config(epochs=2, lr=lr), [RunRecorder(folder)], dataset=data).fit()
    return folder


@pytest.fixture
def view(qtbot, runs_folder, tmp_path):
    import shutil

    copy = tmp_path / "net.runs"
    shutil.copytree(runs_folder, copy)
    plots = TrainingPlots()
    view = RunsView(plots)
    qtbot.addWidget(plots)
    qtbot.addWidget(view)
    view.set_folder(copy)
    return view


def _rows(view):
    table = view.table
    cell = lambda r, c: table.item(r, c).text() if table.item(r, c) else ""  # noqa: E731
    return [[cell(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_table_lists_each_run_newest_first_with_what_changed(view):
    first, second = view.listing.runs
    rows = _rows(view)
    assert [row[0] for row in rows] == [run_label(second), run_label(first)]
    assert rows[0][2] == "network (12.7k → 25.4k params), lr 0.05 → 0.1" and rows[1][2] == "first run"
    assert rows[0][5:7] == [
        "25.4k",
        "25.4k",
    ]  # 784·32 + 32 + 32·10 + 10 and 784·32 + 32·10 and rows[0][1] == "completed"


def test_ticking_a_run_adds_its_curves_with_its_values(view):
    run = view.listing.runs[0]
    name = f"{run_label(run)} (validation)"
    view.set_ticked(run.name, True)
    x, y = view.plots.accuracy.series[name].data()
    assert list(x) == [1, 2] and list(y) == [e.val_accuracy for e in run.history]
    assert list(view.plots.loss.series[name].data()[1]) == [e.val_loss for e in run.history]
    legend = [label.text for _, label in view.plots.accuracy.legend.items]
    assert name in legend
    view.plots.clear(3)  # a new run starts: the past run stays laid over it
    assert view.plots.accuracy.series[name].n == 2 and view.plots.accuracy.series["validation"].n == 0
    view.set_ticked(run.name, False)
    assert name not in view.plots.accuracy.series
    assert name not in [label.text for _, label in view.plots.accuracy.legend.items]


def test_each_ticked_run_has_its_own_colour(view):
    for run in view.listing.runs:
        view.set_ticked(run.name, True)
    pens = {
        view.plots.accuracy.curves[f"{run_label(r)} (validation)"].opts["pen"].color().name() for r in view.listing.runs
    }
    assert len(pens) == 2


@pytest.mark.parametrize(
    ("answer", "kept"), [(QMessageBox.StandardButton.No, True), (QMessageBox.StandardButton.Yes, False)]
)
def test_delete_asks_first(view, monkeypatch, answer, kept):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: asked.append(args[2]) or answer)
    run = view.listing.runs[0]
    view.set_ticked(run.name, True)
    view.select_run(run.name)
    view.delete_button.click()
    assert len(asked) == 1 and run.name in asked[0]
    assert run.folder.exists() is kept and (view.table.rowCount() == 2) is kept
    assert (f"{run_label(run)} (validation)" in view.plots.accuracy.series) is kept


def test_a_broken_run_is_a_row_saying_why(view):
    broken = view.folder / "2020-01-01_00-00-00"
    broken.mkdir()
    (broken / "run.json").write_text("{nope")
    view.refresh()
    row = _rows(view)[-1]
    assert row[:2] == ["2020-01-01_00-00-00", "broken"] and "run.json: not valid JSON" in row[2]
    view.select_run(broken.name)
    assert view.delete_button.isEnabled() and not view.reopen_button.isEnabled()


def test_clicking_a_point_in_the_pareto_view_selects_its_run(view, qtbot):
    view.resize(1000, 400)
    view.show()
    qtbot.waitExposed(view)
    run = view.listing.runs[0]
    (spot,) = [s for s in view.pareto.scatter.points() if s.data() == run.name]
    box = view.pareto.getPlotItem().vb

    def scene_pos():
        return view.pareto.scatter.mapToScene(QPointF(spot.pos()))

    # The plot lays itself out after it is shown: wait until the point lies inside its area.
    qtbot.waitUntil(lambda: box.sceneBoundingRect().width() > 200 and box.sceneBoundingRect().contains(scene_pos()))
    widget_pos = view.pareto.mapFromScene(scene_pos())
    qtbot.mouseClick(view.pareto.viewport(), Qt.MouseButton.LeftButton, pos=widget_pos)
    assert view.selected_name() == run.name


def test_the_pareto_front_keeps_the_runs_nothing_beats_on_both():
    points = [(100, 0.10), (50, 0.20), (200, 0.05), (150, 0.12), (50, 0.25)]
    assert pareto_front(points) == [1, 0, 2]
    assert np.isclose(points[pareto_front(points)[-1]][1], 0.05)
