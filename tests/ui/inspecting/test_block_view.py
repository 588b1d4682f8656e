"""The block view: what it shows for a block is what the network's first blocks make of the image.

It follows the canvas selection, the pad's strokes and the training run's epochs in the window.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QObject, QSettings, Slot
from torch import nn

from gui_app.core.analysis.compiler import build_model
from gui_app.core.digits.reader import Prediction
from gui_app.core.project.blocks import TOP
from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.inspection import DisplayKind
from gui_app.core.training.inspection_sources import UNTRAINED, load_probe_images, normalise_input
from gui_app.core.training.trained_model import TrainedModel
from gui_app.ui.inspecting.block_view import PAD, TEST, BlockView
from gui_app.ui.window.main_window import MainWindow
from tests.core.training_fixtures import config, mlp_spec
from tests.data.handwriting.replay import replay_digit
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place
from tests.mnist_subset import DATA


def _with_data(spec: NetworkSpec, **changes) -> NetworkSpec:
    spec.set_training(spec.training.replace(data_dir=str(DATA), device="cpu", **changes))
    return spec


def _trained(spec: NetworkSpec, seed: int = 3) -> TrainedModel:
    return TrainedModel(spec.copy(), build_model(spec, seed=seed).state_dict(), (0.1307,), (0.3081,), "test weights")


def _direct(network: nn.Sequential, k: int, sample: torch.Tensor) -> np.ndarray:
    """Block k's output computed without the view: the first k + 1 modules on the normalised sample."""
    network.eval()
    with torch.no_grad():
        return network[: k + 1](normalise_input(sample, (0.1307,), (0.3081,)).unsqueeze(0))[0].numpy()


def _canvas_of(spec: NetworkSpec) -> BlockView:
    """A view of ``spec`` as the window makes one (its copies keep the uids the canvas names)."""
    return BlockView(lambda: spec.copy(keep_uids=True))


def _select(view: BlockView, k: int) -> None:
    """Select block k (0-based) as the canvas would: by its uid."""
    view.show_block(view.spec_provider().layers[k].uid)


@pytest.fixture
def cnn_view(qtbot) -> tuple[BlockView, TrainedModel]:
    spec = _with_data(load_preset("mnist_cnn_small"))
    view = _canvas_of(spec)
    qtbot.addWidget(view)
    model = _trained(spec)
    view.set_trained_model(model)
    view.resize(420, 500)
    view.show()
    qtbot.waitExposed(view)
    return view, model


def _digit(name: str = "4-open") -> StrokeDigit:
    label, strokes = GLYPHS[name]
    return StrokeDigit(name, label, place(strokes, 0.7, 0.05), 1 / 14)


def test_the_feature_maps_shown_for_block_k_are_the_first_k_plus_one_modules_on_the_test_image(cnn_view) -> None:
    view, model = cnn_view
    network = model.build()
    probes = load_probe_images(config(), (1, 28, 28))
    view.next_image()
    view.next_image()
    for k in (0, 2, 3, 6):
        _select(view, k)
        shown = view.shown_output
        assert shown is not None and shown.index == k and shown.kind is DisplayKind.MAPS
        np.testing.assert_allclose(shown.values, _direct(network, k, probes.image(2)), atol=1e-5)
        assert view.output_stack.currentWidget() is view.maps
        assert view.maps.image() is not None and view.maps.columns() > 1
    assert "test image 3 of 500" in view.probe_label.text()
    assert "test weights" in view.info.text()


def test_the_last_block_shows_class_probabilities_and_the_answer(cnn_view) -> None:
    view, model = cnn_view
    _select(view, 12)
    shown = view.shown_output
    assert shown is not None and shown.kind is DisplayKind.PROBABILITIES
    scores = torch.from_numpy(_direct(model.build(), 12, load_probe_images(config(), (1, 28, 28)).image(0)))
    np.testing.assert_allclose(shown.values, torch.softmax(scores, 0).numpy(), atol=1e-6)
    assert view.output_stack.currentWidget() is view.bars
    assert f"the network says <b>{int(scores.argmax())}</b>" in view.info.text()


def test_the_pad_source_shows_the_drawn_digit(cnn_view) -> None:
    view, model = cnn_view
    image = torch.zeros(28, 28)
    image[6:22, 12:16] = 1.0  # a "1"
    _select(view, 0)
    view.set_source(PAD)
    assert "Draw a digit" in view.output_message.text() and view.shown_output is None
    view.set_pad_reading(Prediction(1, (0.1,) * 10, image))
    assert view.shown_output is not None
    np.testing.assert_allclose(view.shown_output.values, _direct(model.build(), 0, image[None]), atol=1e-5)
    view.set_pad_reading(None)
    assert view.shown_output is None and "Draw a digit" in view.output_message.text()


def test_the_weights_tab_draws_the_first_linear_units_as_28x28_images(qtbot) -> None:
    spec = _with_data(mlp_spec(hidden=20))
    view = _canvas_of(spec)
    qtbot.addWidget(view)
    model = _trained(spec)
    view.set_trained_model(model)
    view.show()
    _select(view, 1)
    assert view.shown_weights is not None and view.shown_weights.tiles.shape == (20, 28, 28)
    np.testing.assert_array_equal(view.shown_weights.tiles[4], model.state_dict["1.weight"][4].reshape(28, 28).numpy())
    assert view.weights_stack.currentWidget() is view.weights and view.weights.image() is not None
    assert "28×28" in view.weights_caption.text()
    retrained = _trained(spec, seed=9)
    view.set_trained_model(retrained)  # new weights redraw the tab
    np.testing.assert_array_equal(
        view.shown_weights.tiles[4], retrained.state_dict["1.weight"][4].reshape(28, 28).numpy()
    )
    _select(view, 3)  # the second Linear sees units, not pixels
    assert view.shown_weights is None and "first Linear" in view.weights_message.text()


def test_an_untrained_network_is_shown_with_its_initial_weights_and_says_so(qtbot) -> None:
    spec = _with_data(mlp_spec(hidden=20))
    view = _canvas_of(spec)
    qtbot.addWidget(view)
    view.set_trained_model(_trained(mlp_spec(hidden=21)))  # trained for another network
    view.show()
    _select(view, 1)
    assert UNTRAINED in view.info.text() and view.shown_output is not None


@pytest.mark.parametrize(
    ("changes", "input_shape", "source", "message"),
    [
        ({"dataset": "fashion_mnist"}, (1, 28, 28), TEST, "No test images: Fashion-MNIST not found"),
        ({}, (3, 32, 32), TEST, "The test images are 1×28×28; the network takes 3×32×32"),
        ({}, (1, 32, 32), PAD, "The draw pad makes 1×28×28 images; this network takes 1×32×32"),
    ],
)
def test_an_image_the_network_cannot_take_is_explained(qtbot, tmp_path, changes, input_shape, source, message) -> None:
    spec = mlp_spec(hidden=8, input_shape=input_shape)
    spec.set_training(spec.training.replace(data_dir=str(tmp_path if changes else DATA), device="cpu", **changes))
    view = _canvas_of(spec)
    qtbot.addWidget(view)
    view.show()
    view.set_source(source)
    view.set_pad_reading(Prediction(1, (0.1,) * 10, torch.ones(28, 28)))
    _select(view, 1)
    assert view.shown_output is None
    assert message in view.output_message.text()


def test_a_hidden_view_computes_nothing_until_it_is_shown(qtbot) -> None:
    calls: list[int] = []
    spec = _with_data(mlp_spec(hidden=8))

    def provider() -> NetworkSpec:
        calls.append(1)
        return spec.copy(keep_uids=True)

    view = BlockView(provider)
    qtbot.addWidget(view)
    view.show_block(spec.layers[1].uid)
    view.network_changed()
    assert calls == [] and view.shown_output is None
    view.show()
    assert calls == [1] and view.shown_output is not None


# ---------------------------------------------------------------------- in the window


@pytest.fixture
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, autosave_dir=tmp_path / "autosave")

    def forget() -> None:
        window.training_panel.stop_and_wait(10_000)
        window.document.unlock()
        window.document.undo_stack.setClean()

    qtbot.addWidget(window, before_close_func=lambda _w: forget())
    window.show()
    qtbot.waitExposed(window)
    return window


def _open(window: MainWindow, spec: NetworkSpec, block: int) -> None:
    window.files.new_from_spec(spec)
    window.training_panel.set_config(spec.training)
    window.block_dock.raise_()
    window.canvas.network_scene.select_uids([window.document.spec.layers[block].uid])


def test_a_pad_stroke_refreshes_the_block_view_at_once(window: MainWindow, qtbot) -> None:
    _open(window, _with_data(load_preset("mnist_cnn_small")), 0)
    view = window.block_view
    qtbot.waitUntil(lambda: view.shown_output is not None)
    test_maps = view.shown_output.values
    window.draw_dock.raise_()
    replay_digit(window.draw_panel.pad, _digit())
    assert view.source() == PAD  # drawing switches the view to the pad
    drawn = window.draw_panel.last_prediction
    assert drawn is not None and view.shown_output is not None
    network = build_model(window.document.spec, seed=window.document.spec.training.seed)
    sample = normalise_input(drawn.image[None], view._inspected.mean, view._inspected.std)
    with torch.no_grad():
        expected = network[:1].eval()(sample.unsqueeze(0))[0].numpy()
    np.testing.assert_allclose(view.shown_output.values, expected, atol=1e-5)
    assert not np.allclose(view.shown_output.values, test_maps)
    window.draw_panel.pad.clear()
    assert view.shown_output is None


def test_the_block_view_follows_the_selection_on_the_canvas(window: MainWindow, qtbot) -> None:
    _open(window, _with_data(mlp_spec(hidden=16)), 1)
    view = window.block_view
    qtbot.waitUntil(lambda: view.shown_output is not None)
    assert view.shown_output.index == 1 and view.shown_output.shape == (16,)
    window.canvas.network_scene.select_uids([window.document.spec.layers[3].uid])
    assert view.shown_output.index == 3 and view.shown_output.kind is DisplayKind.PROBABILITIES
    window.canvas.network_scene.select_uids([])
    assert view.shown_output is None and "Select a block" in view.output_message.text()


class _EpochChecker(QObject):
    """Receives the epoch copies in the UI thread after the view (queued, connected later)."""

    def __init__(self, view: BlockView, block_2) -> None:
        super().__init__()
        self.view, self.block_2 = view, block_2
        self.seen: list[str] = []

    @Slot(object)
    def check(self, model: TrainedModel) -> None:
        self.seen.append(model.source)
        assert model.source in self.view.info.text()
        np.testing.assert_allclose(self.view.shown_output.values, self.block_2(model), atol=1e-5)


def test_each_epoch_end_refreshes_the_block_view_with_that_epochs_weights(window: MainWindow, qtbot) -> None:
    _open(window, _with_data(mlp_spec(hidden=16), epochs=2, batch_size=64), 1)
    view = window.block_view
    qtbot.waitUntil(lambda: view.shown_output is not None)
    assert window.training_panel.runner.worker.wants_weights.is_set()  # the dock is on screen
    untrained = view.shown_output.values
    sample = load_probe_images(window.document.spec.training, (1, 28, 28)).image(0)

    def block_2(model: TrainedModel) -> np.ndarray:
        with torch.no_grad():
            return model.build()[:2](normalise_input(sample, model.mean, model.std).unsqueeze(0))[0].numpy()

    checker = _EpochChecker(view, block_2)
    window.training_panel.runner.worker.weights_at_epoch.connect(checker.check)
    with qtbot.waitSignal(window.training_panel.run_finished, timeout=120_000):
        assert window.training_panel.start()
    assert checker.seen == ["after epoch 1 of 2", "after epoch 2 of 2"]
    final = window.trained_model
    assert final is not None and "trained this session" in view.info.text()
    np.testing.assert_allclose(view.shown_output.values, block_2(final), atol=1e-5)
    assert not np.allclose(view.shown_output.values, untrained)


def test_no_weights_are_copied_while_the_block_view_is_hidden(window: MainWindow, qtbot) -> None:
    _open(window, _with_data(mlp_spec(hidden=16)), 1)
    window.inspector_dock.raise_()  # the block view shares its place with the inspector
    qtbot.waitUntil(lambda: not window.training_panel.runner.worker.wants_weights.is_set())
    window.block_dock.raise_()
    qtbot.waitUntil(lambda: window.training_panel.runner.worker.wants_weights.is_set())


def test_the_block_view_keeps_naming_the_selected_block_after_edits_shift_it(window: MainWindow, qtbot) -> None:
    _open(window, _with_data(load_preset("mnist_cnn_small")), 2)  # block 3, the first ReLU
    view, doc = window.block_view, window.document
    uid = doc.spec.layers[2].uid
    qtbot.waitUntil(lambda: view.shown_output is not None)
    assert "Block 3: ReLU" in view.info.text()

    def shows_relu_at(k: int) -> bool:
        shown = view.shown_output
        return f"Block {k + 1}: ReLU" in view.info.text() and shown is not None and shown.index == k

    doc.move_blocks([uid], TOP, 1)  # moved up
    qtbot.waitUntil(lambda: shows_relu_at(1))
    assert doc.add_layer("Dropout", 0) is not None  # a block above it
    qtbot.waitUntil(lambda: shows_relu_at(2))
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: shows_relu_at(1))
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: shows_relu_at(2) and doc.spec.index_of(uid) == 2)
