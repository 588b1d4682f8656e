"""The window at its default size tells the truth: what the status bar and the training panel say
follows the network and the run, and long messages are readable whole."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtGui import QFontMetrics

from gui_app.core.project.spec import LayerSpec
from gui_app.core.training.evaluation import EvaluationResult
from gui_app.ui.window.main_window import MainWindow
from gui_app.ui.window.project_files import mlp_spec
from tests.core.training_fixtures import DATA, mnist_slice


def _forget_changes(window: MainWindow) -> None:
    window.document.unlock()
    window.document.undo_stack.setClean()


def _open_window(qtbot, tmp_path, size: tuple[int, int]) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(window, before_close_func=_forget_changes)
    spec = mlp_spec()
    spec.set_training(spec.training.replace(data_dir=str(DATA), device="cpu", epochs=1, batch_size=100))
    window.files.new_from_spec(spec)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    window.apply_default_layout()  # what a first start does
    qtbot.wait(20)
    return window


@pytest.fixture
def window(qtbot, tmp_path):
    window = _open_window(qtbot, tmp_path, (1280, 800))
    yield window
    assert window.training_panel.stop_and_wait(10_000)


def _fully_visible(widget) -> bool:
    """Shown, and inside every widget around it (a scroll area's viewport clips what it holds)."""
    if not widget.isVisible():
        return False
    ancestor = widget.parentWidget()
    while ancestor is not None:
        if not ancestor.rect().contains(QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())):
            return False
        ancestor = ancestor.parentWidget()
    return True


def _full_mnist_like_result() -> EvaluationResult:
    """An evaluation as full MNIST's 10,000 test images give it: about 1,000 per class."""
    data = mnist_slice(0, 36)
    true = data.test_y.numpy()
    predicted = np.where(np.arange(36) % 3 == 0, (true + 1) % 10, true)
    confusion = np.full((10, 10), 3, dtype=np.int64) + np.diag(np.arange(950, 1150, 20))
    confusion[4, 9] = 1234
    return EvaluationResult(tuple(str(i) for i in range(10)), confusion, data.test_x.numpy(), true, predicted)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 700)])
def test_the_evaluation_is_readable_whole_at_the_default_layout(qtbot, tmp_path, size):
    window = _open_window(qtbot, tmp_path, size)
    panel = window.training_panel
    view = panel.evaluation
    view.set_result(_full_mnist_like_result())
    panel.tabs.setCurrentWidget(view)
    qtbot.wait(20)
    matrix = view.confusion
    assert _fully_visible(matrix), (matrix.size(), matrix.visibleRegion().boundingRect())
    font = matrix.count_font()
    assert font is not None and font.pointSizeF() >= 7
    metrics = QFontMetrics(font)
    for t in range(10):
        cell = matrix.cell_rect(t, 0)
        assert cell.bottom() <= matrix.height() and metrics.height() <= cell.height() + 1
        for p in range(10):
            assert metrics.horizontalAdvance(str(matrix.matrix[t, p])) < matrix.cell_rect(t, p).width()
    assert _fully_visible(view.per_class)
    low, high = view.per_class.getPlotItem().vb.viewRange()[1]
    assert low <= 0.0 and high >= 1.0  # the bars stand on 0, not on the worst class's accuracy
    assert _fully_visible(view.sample_scroll)
    row_height = view.samples.cells[0][0].height() + view.samples.cells[0][1].height()
    assert view.sample_scroll.viewport().height() >= 2 * row_height  # at least two rows of samples show


def _break_first_linear(window: MainWindow) -> int:
    uid = window.document.spec.layers[1].uid
    window.document.set_param(uid, "in_features", 400)
    return uid


def test_the_status_bar_says_training_during_a_run_not_ready(window, qtbot):
    panel = window.training_panel
    assert "Ready to train" in window.status_state.text()
    with qtbot.waitSignal(panel.run_started, timeout=5000):
        panel.start()
    assert "Ready to train" not in window.status_state.text() and "Training" in window.status_state.text()
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        pass
    assert "Ready to train" in window.status_state.text()


def test_cannot_train_goes_away_when_the_network_is_fixed_in_the_inspector(window, qtbot):
    panel = window.training_panel
    uid = _break_first_linear(window)
    assert panel.start() is False
    assert panel.status.text().startswith("Cannot train: block 2 (Linear)")
    window.canvas.network_scene.select_uids([uid])
    window.inspector.rows["in_features"].reset.click()
    assert window.document.compiled.ok
    assert panel.status.text() == "Ready to train: the network compiles."


def test_a_long_cannot_train_message_is_readable_whole_at_1280x800(window, qtbot):
    panel = window.training_panel
    _break_first_linear(window)
    panel.start()
    qtbot.wait(20)
    status = panel.status
    assert status.text().endswith("set it to 784 or leave it out to infer it.")
    # every line of the wrapped text is on screen: none is clipped by the dock or a scroll area
    visible = status.visibleRegion().boundingRect()
    assert visible.height() >= status.heightForWidth(status.width()) and visible.width() == status.width()


def test_a_block_added_after_a_failed_start_keeps_the_message_current(window):
    panel = window.training_panel
    _break_first_linear(window)
    panel.start()
    window.document.add_layer("Conv2d", 2)  # still broken, the first error is unchanged
    assert panel.status.text().startswith("Cannot train: block 2 (Linear)")
    window.document.undo()
    window.document.remove_layers([window.document.spec.layers[1].uid])
    window.document.insert_layers(1, [LayerSpec("Linear", {"out_features": 128})], "Put back")
    assert panel.status.text() == "Ready to train: the network compiles."
