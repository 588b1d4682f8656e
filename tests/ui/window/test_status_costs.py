"""The status bar shows the network's totals per sample (MACs, activation memory) and follows edits."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from gui_app.core.project.spec import load_spec_file
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import mlp_spec

SEED_CNN = Path(__file__).parents[2] / "data" / "seed_cifar10_cnn.json"


def _window(qtbot, tmp_path, spec) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")

    def forget(window: MainWindow) -> None:
        window.document.undo_stack.setClean()

    qtbot.addWidget(window, before_close_func=forget)
    window.files.new_from_spec(spec)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_status_bar_shows_macs_and_activations_and_follows_edits(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path, mlp_spec())
    # 784·128 + 128·128 + 128·10 MACs; 784 + 2·128 + 2·128 + 10 = 1,306 floats of activations.
    assert window.status_costs.text() == "118.0k MACs · 5.1 KB/sample"
    assert window.status_params.text() == "118.3k parameters"
    assert window.status_costs.toolTip() == (
        "One sample through the network: 118,016 multiply-accumulates (MACs) and 5.1 KB of activations "
        "(the blocks' float32 outputs)"
    )
    first_linear = window.document.spec.layers[1].uid
    window.document.set_param(first_linear, "out_features", 256)
    # 784·256 + 256·128 + 128·10; 784 + 2·256 + 2·128 + 10 = 1,562 floats.
    assert window.status_costs.text() == "234.8k MACs · 6.1 KB/sample"
    window.document.undo()
    assert window.status_costs.text() == "118.0k MACs · 5.1 KB/sample"


def test_the_seed_cnns_totals_grow_by_the_layers_its_fix_brings_back(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path, load_spec_file(SEED_CNN))
    # The blocks after the error have no shape: a sum of those before it would be false.
    assert window.status_costs.text() == "— MACs"
    assert window.status_costs.toolTip().startswith("Not counted: block 8 (Linear) has an error")
    doc = window.document
    assert doc.apply_fix(doc.fixes_at(7)[0].remedy)
    # + 576·120 + 120·84 + 84·10 MACs; + 120 + 120 + 84 + 84 + 10 floats.
    # 6·32·32·75 + 16·12·12·150 + 576·120 + 120·84 + 84·10 MACs; 19,584 + 418 floats.
    assert window.status_costs.text() == "886.4k MACs · 78.1 KB/sample"
    assert "886,440 multiply-accumulates" in window.status_costs.toolTip()
    assert "Ready to train" in window.status_state.text()


def test_the_canvas_hint_and_the_totals_fit_the_status_bar_at_1280x800(qtbot, tmp_path) -> None:
    window = _window(qtbot, tmp_path, mlp_spec())
    window.resize(1280, 800)
    bar = window.statusBar()
    hint = window.canvas.statusTip()
    bar.showMessage(hint)
    qtbot.waitUntil(lambda: bar.currentMessage() == hint)
    permanent = min(w.geometry().left() for w in (window.status_params, window.status_costs, window.status_state))
    # The message is drawn from the bar's left edge up to the first permanent label.
    assert bar.fontMetrics().horizontalAdvance(hint) < permanent - 8
