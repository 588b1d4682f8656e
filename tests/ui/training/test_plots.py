"""The live plots: the smoothed loss follows the batches, however they are grouped into updates."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.ui.training.plots import TrainingPlots

BATCHES = 12
LOSSES = [2.3, 2.1, 2.2, 1.7, 1.5, 1.6, 1.1, 0.9, 1.2, 0.7, 0.6, 0.8]


def _feed(plots: TrainingPlots, group_sizes: list[int]) -> dict[float, float]:
    """Send the same batch losses as events of ``group_sizes`` batches; {position: smoothed}."""
    step = 0
    for size in group_sizes:
        window = LOSSES[step : step + size]
        step += size
        plots.add_batch(step / BATCHES, float(np.mean(window)), window)
    x, y = plots.loss.series["train (smoothed)"].data()
    return {round(float(a), 9): float(b) for a, b in zip(x, y, strict=True)}


@pytest.fixture
def plots(qtbot):
    widget = TrainingPlots()
    qtbot.addWidget(widget)
    return widget


def test_the_smoothed_loss_does_not_depend_on_how_batches_are_grouped(plots, qtbot):
    fast = TrainingPlots()  # a fast machine: four batches per update
    qtbot.addWidget(fast)
    one_by_one = _feed(plots, [1] * BATCHES)
    four_at_once = _feed(fast, [4, 4, 4])
    assert len(one_by_one) == 12 and len(four_at_once) == 3
    for position, value in four_at_once.items():
        assert value == pytest.approx(one_by_one[position], rel=1e-12)


def test_uneven_groups_give_the_same_end_point(plots, qtbot):
    other = TrainingPlots()
    qtbot.addWidget(other)
    assert _feed(plots, [5, 1, 6])[1.0] == pytest.approx(_feed(other, [2, 10])[1.0], rel=1e-12)


def test_the_raw_series_keeps_one_point_per_update_and_skips_non_finite(plots):
    plots.add_batch(0.5, float("nan"), [float("nan")])
    plots.add_batch(1.0, 2.0, [2.0, 2.0])
    assert plots.loss.series["train (batch)"].n == 1
    x, y = plots.loss.series["train (smoothed)"].data()
    assert list(x) == [1.0] and y[0] == pytest.approx(2.0)
