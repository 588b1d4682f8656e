"""The live plots show each class's validation accuracy after every epoch, not only at the end."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QObject, Slot

from gui_app.ui.training.panel import TrainingPanel
from tests.core.training_fixtures import DATA, config, mlp_spec


class _AfterEachEpoch(QObject):
    """Connected after the panel, so it sees the bars and the status as the panel left them."""

    def __init__(self, panel: TrainingPanel) -> None:
        super().__init__()
        self.panel = panel
        self.seen: list[tuple[object, np.ndarray, str, str]] = []

    @Slot(object)
    def on_epoch(self, event) -> None:
        bars = self.panel.plots.per_class
        title = bars.getPlotItem().titleLabel.text
        self.seen.append((event, bars.accuracy.copy(), title, self.panel.status.text()))


def test_the_per_class_bars_and_the_weakest_class_follow_every_epoch(qtbot):
    panel = TrainingPanel(mlp_spec().copy)
    qtbot.addWidget(panel)
    panel.set_config(config(data_dir=str(DATA), epochs=3, lr=0.05))
    spy = _AfterEachEpoch(panel)
    panel.runner.worker.epoch_done.connect(spy.on_epoch)
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
    assert panel.stop_and_wait(10_000)
    assert [event.epoch for event, *_ in spy.seen] == [1, 2, 3]
    for event, bars, title, status in spy.seen:
        per_class = event.per_class_accuracy
        assert bars.tolist() == pytest.approx(list(per_class))
        assert f"epoch {event.epoch}" in title
        weakest = min(range(10), key=lambda c: (per_class[c], c))
        assert f"weakest class {weakest} at {per_class[weakest]:.1%} (" in status
    assert panel.plots.per_class.toolTip().splitlines()[0] == f"0: {spy.seen[-1][0].per_class_accuracy[0]:.1%}"
    panel.plots.clear(3)  # a new run starts without the last run's bars
    assert len(panel.plots.per_class.accuracy) == 0 and panel.plots.per_class.bars is None
