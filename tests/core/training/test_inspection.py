"""What the block view shows: each block's output for one image, weights as pictures, and their sources."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from gui_app.core.analysis.compiler import build_model
from gui_app.core.data.dataset_types import DatasetError
from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.inspection import (
    DisplayKind,
    block_outputs,
    display_kind,
    grid_columns,
    mosaic,
    to_probabilities,
    weight_pictures,
)
from gui_app.core.training.inspection_sources import (
    UNTRAINED,
    inspected_network,
    load_probe_images,
    normalise_input,
    weights_fit,
    weights_snapshot,
)
from gui_app.core.training.trained_model import TrainedModel
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def probe() -> torch.Tensor:
    """A real MNIST test digit, normalised as MNIST runs are."""
    images = load_probe_images(config(), (1, 28, 28))
    return normalise_input(images.image(3), (0.1307,), (0.3081,))


def _small_cnn() -> nn.Sequential:
    spec = load_preset("mnist_cnn_small")
    network = build_model(spec, seed=1)
    # BatchNorm with running statistics that are not the identity, so eval mode matters
    for module in network:
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return network


def test_block_k_shows_what_the_first_k_plus_one_modules_make_of_the_image(probe: torch.Tensor) -> None:
    network = _small_cnn()
    outputs = block_outputs(network, probe, loss="CrossEntropyLoss")
    assert len(outputs) == len(network)
    network.eval()
    with torch.no_grad():
        for k, shown in enumerate(outputs[:-1]):
            direct = network[: k + 1](probe.unsqueeze(0))[0]
            expected = direct.reshape(-1) if shown.kind is DisplayKind.VECTOR else direct
            np.testing.assert_allclose(shown.values, expected.numpy(), rtol=0, atol=1e-6)
        scores = network(probe.unsqueeze(0))[0]
    np.testing.assert_allclose(outputs[-1].values, torch.softmax(scores, 0).numpy(), atol=1e-6)
    kinds = [o.kind for o in outputs]
    assert kinds[:8] == [DisplayKind.MAPS] * 8  # conv, norm, relu and pool outputs are images
    assert kinds[8:12] == [DisplayKind.VECTOR] * 4  # flatten, linear, relu, dropout
    assert kinds[-1] is DisplayKind.PROBABILITIES and abs(outputs[-1].values.sum() - 1) < 1e-5
    assert outputs[0].shape == (32, 28, 28) and outputs[4].shape == (64, 14, 14)
    assert outputs[3].type == "MaxPool2d"


def test_a_block_before_an_in_place_activation_keeps_its_negative_values(probe: torch.Tensor) -> None:
    network = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True)).train()
    outputs = block_outputs(network, probe)
    assert outputs[0].values.min() < 0 and outputs[1].values.min() == 0
    assert network.training  # the caller's mode is restored


@pytest.mark.parametrize(
    ("loss", "last", "expected"),
    [
        ("NLLLoss", nn.LogSoftmax(dim=1), lambda s: s.exp()),
        ("BCEWithLogitsLoss", nn.Linear(2, 3), torch.sigmoid),
        ("CrossEntropyLoss", nn.Softmax(dim=1), lambda s: s),
        ("MSELoss", nn.Linear(2, 3), None),
    ],
)
def test_the_last_block_is_shown_as_the_probabilities_its_loss_trains(loss, last, expected) -> None:
    scores = torch.tensor([-1.0, 0.5, 2.0])
    result = to_probabilities(scores, loss, last)
    if expected is None:
        assert result is None
    else:
        torch.testing.assert_close(result, expected(scores))


@pytest.mark.parametrize(
    ("shape", "kind"),
    [
        ((8, 5, 5), DisplayKind.MAPS),
        ((64, 1, 1), DisplayKind.VECTOR),
        ((10,), DisplayKind.VECTOR),
        ((16, 30), DisplayKind.MATRIX),
        ((1, 30), DisplayKind.VECTOR),
    ],
)
def test_display_kind_follows_the_output_shape(shape, kind) -> None:
    assert display_kind(shape) is kind


def test_the_first_linear_layer_shows_each_unit_as_a_28x28_image() -> None:
    network = build_model(mlp_spec(hidden=64), seed=0)
    pictures = weight_pictures(network, (1, 28, 28), 1)
    assert pictures is not None
    assert pictures.tiles.shape == (64, 28, 28)
    np.testing.assert_array_equal(pictures.tiles[5], network[1].weight.detach()[5].reshape(28, 28).numpy())
    assert "28×28" in pictures.caption
    assert weight_pictures(network, (1, 28, 28), 3) is None  # the second Linear sees units, not pixels
    assert weight_pictures(network, (1, 28, 28), 2) is None  # a ReLU has no weights


def test_many_units_are_capped_and_the_caption_says_so() -> None:
    network = build_model(mlp_spec(hidden=300), seed=0)
    pictures = weight_pictures(network, (1, 28, 28), 1, max_units=100)
    assert pictures is not None and pictures.tiles.shape == (100, 28, 28)
    assert "first 100 of 300" in pictures.caption


def test_a_colour_input_draws_units_in_colour() -> None:
    spec = NetworkSpec([LayerSpec("Flatten", {}), LayerSpec("Linear", {"out_features": 6})], (3, 8, 8))
    pictures = weight_pictures(build_model(spec, seed=0), (3, 8, 8), 1)
    assert pictures is not None and pictures.tiles.shape == (6, 8, 8, 3)


def test_convolution_filters_are_drawn_as_tiles() -> None:
    network = _small_cnn()
    first = weight_pictures(network, (1, 28, 28), 0)
    assert first is not None and first.tiles.shape == (32, 3, 3) and first.columns == 0
    np.testing.assert_array_equal(first.tiles[7], network[0].weight.detach()[7, 0].numpy())
    deep = weight_pictures(network, (1, 28, 28), 4)  # 64 filters over 32 channels
    assert deep is not None and deep.columns == 16 and deep.tiles.shape == (8 * 16, 3, 3)
    # row 2 (input channel 2), column 5 (filter 5)
    np.testing.assert_array_equal(deep.tiles[2 * 16 + 5], network[4].weight.detach()[5, 2].numpy())
    assert "of 64" in deep.caption and "of 32" in deep.caption


def test_mosaic_places_tiles_in_rows_with_gaps() -> None:
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    grid = mosaic(tiles, columns=2, gap=1)
    assert grid.shape == (3 * 3 - 1, 2 * 4 - 1)
    np.testing.assert_array_equal(grid[3:5, 4:7], tiles[3])  # row 1, column 1
    assert np.isnan(grid[2]).all() and np.isnan(grid[:, 3]).all()
    assert np.isnan(grid[6:8, 4:7]).all()  # no sixth tile


def test_grid_columns_fill_the_area() -> None:
    assert grid_columns(32, (28, 28), (800, 100)) == 16  # a wide strip: two rows
    assert grid_columns(32, (28, 28), (100, 800)) in (1, 2)  # a tall one: one or two columns
    assert grid_columns(1, (28, 28), (100, 100)) == 1


class _Snapshots(Callback):
    def __init__(self) -> None:
        self.models: list[TrainedModel | None] = []

    def on_epoch_end(self, trainer, event) -> None:
        self.models.append(weights_snapshot(trainer, event))


def test_the_snapshot_at_an_epoch_end_is_a_copy_of_the_weights_then() -> None:
    snapshots = _Snapshots()
    spec = mlp_spec(hidden=16)
    result = Trainer(spec, config(epochs=2), [snapshots], dataset=mnist_slice(256, 64)).fit()
    first, last = snapshots.models
    assert first is not None and last is not None
    assert first.source == "after epoch 1 of 2" and last.source == "after epoch 2 of 2"
    for key, value in result.model.state_dict.items():
        torch.testing.assert_close(last.state_dict[key], value)
    assert not torch.equal(first.state_dict["1.weight"], last.state_dict["1.weight"])  # not the live tensors
    assert weights_fit(first, spec) and first.mean == result.model.mean


def test_the_view_uses_weights_that_fit_or_says_the_network_is_untrained() -> None:
    spec = mlp_spec(hidden=16)
    trained = TrainedModel(spec.copy(), build_model(spec, seed=5).state_dict(), (0.5,), (0.2,), "trained this session")
    chosen = inspected_network(spec, [None, trained])
    assert chosen.trained and chosen.source == "trained this session" and chosen.mean == (0.5,)
    torch.testing.assert_close(chosen.network[1].weight, trained.state_dict["1.weight"])

    edited = mlp_spec(hidden=17)
    assert not weights_fit(trained, edited)
    fallback = inspected_network(edited, [trained], ((0.1,), (0.3,)))
    assert not fallback.trained and fallback.source == UNTRAINED and fallback.std == (0.3,)
    torch.testing.assert_close(fallback.network[1].weight, build_model(edited, seed=edited.training.seed)[1].weight)


def test_recurrent_and_convolutional_networks_run_with_their_trained_weights() -> None:
    layers = [LayerSpec("LSTM", {"hidden_size": 12, "return_sequences": True}), LayerSpec("Flatten", {})]
    recurrent = NetworkSpec(layers, (5, 7))
    for spec, sample in ((recurrent, torch.randn(5, 7)), (load_preset("mnist_cnn_small"), torch.randn(1, 28, 28))):
        model = TrainedModel(spec.copy(), build_model(spec, seed=4).state_dict())
        chosen = inspected_network(spec, [model])
        expected = [o.values for o in block_outputs(model.build(), sample)]
        for shown, direct in zip(block_outputs(chosen.network, sample), expected, strict=True):
            np.testing.assert_allclose(shown.values, direct, atol=1e-6)
        assert not chosen.network.training


def test_probe_images_are_the_test_split_with_labels() -> None:
    images = load_probe_images(config(), (1, 28, 28))
    assert len(images) == 500 and images.name.startswith("MNIST")
    first = images.image(0)
    assert first.shape == (1, 28, 28) and float(first.min()) >= 0 and float(first.max()) <= 1
    assert images.label(0) == str(int(images.labels[0]))
    torch.testing.assert_close(images.image(len(images)), first)  # the arrows wrap around


def test_a_missing_dataset_says_what_to_do(tmp_path) -> None:
    missing = config(dataset="fashion_mnist", data_dir=str(tmp_path))
    with pytest.raises(DatasetError, match="Fashion-MNIST"):
        load_probe_images(missing, (1, 28, 28))


def test_colour_images_are_normalised_per_channel() -> None:
    sample = torch.ones(3, 2, 2)
    out = normalise_input(sample, (0.5, 0.0, 1.0), (0.5, 1.0, 2.0))
    torch.testing.assert_close(out[:, 0, 0], torch.tensor([1.0, 1.0, 0.0]))
