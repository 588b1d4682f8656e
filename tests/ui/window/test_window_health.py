"""The window shows a real run's layer health on the canvas, and takes it away at an edit of the
network and at the start of the next run."""

from __future__ import annotations

from gui_app.ui.window.main_window import MainWindow
from tests.core.training_fixtures import DATA, config
from tests.ui.window.test_main_window import make_window


def _train(window: MainWindow, qtbot) -> None:
    panel = window.training_panel
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()


def test_a_run_shows_each_blocks_health_and_an_edit_clears_it(qtbot, tmp_path):
    window: MainWindow = make_window(qtbot, tmp_path)
    window.training_panel.set_config(config(data_dir=str(DATA), epochs=1, batch_size=100))
    scene, doc = window.canvas.network_scene, window.document
    _train(window, qtbot)
    uids = [layer.uid for layer in doc.spec.layers]
    assert sorted(scene.health_badges) == sorted(uids)
    # 2,000 images in batches of 100: the probe at the epoch's end, and all is well in this MLP
    relu = scene.health_badges[uids[2]]
    assert relu.verdict == "healthy" and "block 3 (ReLU): healthy" in relu.toolTip()
    assert "epoch 1, batch 20 of 20" in relu.toolTip()

    panel = window.training_panel
    with qtbot.waitSignal(panel.run_finished, timeout=120_000):
        assert panel.start()
        assert scene.health_badges == {}  # the last run's figures go at once
    assert len(scene.health_badges) == len(uids)

    doc.set_param(uids[1], "out_features", 64)
    assert scene.health_badges == {}
