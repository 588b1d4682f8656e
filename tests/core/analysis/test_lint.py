"""Lint: each warning names its layer and a fix; correct networks get none."""

import pytest

from gui_app.core.analysis.lint import lint_network
from gui_app.core.project.presets import list_presets, load_preset
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def _mlp(*extra, loss="CrossEntropyLoss", dataset="mnist", out=10):
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 64}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": out}),
        *[LayerSpec(t) for t in extra],
    ]
    return NetworkSpec(layers, (1, 28, 28), training=TrainingConfig(loss=loss, dataset=dataset))


def test_presets_are_clean():
    for preset in list_presets():
        assert lint_network(preset.load()) == [], preset.key


@pytest.mark.parametrize(
    ("spec", "index", "words"),
    [
        (_mlp("Softmax"), 4, "remove the last Softmax"),
        (_mlp("LogSoftmax"), 4, "NLLLoss"),
        (_mlp("Softmax", loss="NLLLoss"), 4, "LogSoftmax"),
        (_mlp("Dropout"), 4, "Dropout as the last layer"),
        (_mlp("BatchNorm1d"), 4, "BatchNorm1d as the last layer"),
        (_mlp(out=12), 3, "12 outputs but MNIST has 10 classes"),
        (_mlp(loss="MSELoss"), 3, "use CrossEntropyLoss"),
        (_mlp(loss="BCEWithLogitsLoss"), 3, "10 exclusive classes"),
    ],
)
def test_suspicious_endings_are_flagged_on_the_right_layer(spec, index, words):
    found = lint_network(spec)
    assert any(w.index == index and words in str(w) for w in found), found


@pytest.mark.parametrize("activation", ["ReLU", "Sigmoid", "Tanh", "ELU", "GELU", "SiLU"])
def test_a_bounded_activation_after_the_last_linear_is_flagged(activation):
    (warning,) = lint_network(_mlp(activation))
    assert warning.index == 4
    assert "CrossEntropyLoss expects unbounded class scores" in warning.message and activation in warning.message
    assert f"remove the {activation}" in warning.fix


def test_a_relu_before_a_final_dropout_is_still_flagged():
    found = lint_network(_mlp("ReLU", "Dropout"))
    assert [w.index for w in found] == [4, 5]
    assert "unbounded class scores" in found[0].message and "Dropout as the last layer" in found[1].message


def test_a_relu_before_nllloss_asks_for_log_softmax():
    (warning,) = lint_network(_mlp("ReLU", loss="NLLLoss"))
    assert warning.index == 4 and "LogSoftmax" in warning.fix and "NLLLoss expects log-probabilities" in warning.message


@pytest.mark.parametrize("activation", ["LeakyReLU", "LogSoftmax"])
def test_unbounded_or_already_flagged_endings_get_no_clipping_warning(activation):
    assert not any("unbounded class scores" in w.message for w in lint_network(_mlp(activation)))


def test_a_relu_at_the_end_of_a_regression_network_is_fine():
    found = lint_network(_mlp("ReLU", loss="MSELoss", dataset="linear_regression", out=1))
    assert not any(w.index == 4 for w in found), found


def test_two_linear_layers_without_an_activation():
    spec = _mlp()
    spec.remove_layer(2)  # the ReLU
    (warning,) = lint_network(spec)
    assert warning.index == 2 and "ReLU" in warning.fix


def test_dropout_between_linear_layers_does_not_hide_the_problem():
    spec = _mlp()
    spec.layers[2] = LayerSpec("Dropout")
    assert [w.index for w in lint_network(spec)] == [2 + 1]


def test_linear_on_an_unflattened_image():
    spec = _mlp()
    spec.remove_layer(0)
    found = lint_network(spec)
    assert found[0].index == 0 and "Flatten" in found[0].fix


def test_input_shape_that_does_not_fit_the_dataset():
    spec = load_preset("cifar10_lenet")
    spec.set_training(spec.training.replace(dataset="mnist"))
    assert any(w.index is None and "1×28×28" in str(w) for w in lint_network(spec))


def test_class_loss_on_regression_data():
    spec = load_preset("linear_regression")
    spec.set_training(spec.training.replace(loss="CrossEntropyLoss"))
    assert any("use MSELoss" in str(w) for w in lint_network(spec))


def test_two_linear_layers_in_a_row_are_named_by_their_canvas_numbers():
    spec = NetworkSpec(
        [LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 20}), LayerSpec("Linear", {"out_features": 10})]
    )
    (warning,) = [w for w in lint_network(spec) if "non-linear" in str(w)]
    assert "block 2 and block 3" in str(warning)  # the canvas shows them as #2 and #3
