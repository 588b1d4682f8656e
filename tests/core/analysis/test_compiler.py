"""The compiler: the shapes and sizes a user sees on each block are torch's own."""

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from gui_app.core.analysis.compiler import CompileError, build_model, compile_network, measure_on_meta
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.shapes import SIZE_FUNCTIONS
from gui_app.core.project.presets import list_presets, load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def _params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _spec(*layers, input_shape=(1, 28, 28)):
    return NetworkSpec([LayerSpec(t, dict(p)) for t, p in layers], input_shape=input_shape)


def test_every_preset_compiles_and_its_model_runs():
    for preset in list_presets():
        spec = preset.load()
        compiled = compile_network(spec)
        assert compiled.ok, (preset.key, compiled.errors)
        if spec.layers[0].type == "ResNet18":
            continue  # built below; too slow to run forward in every preset loop
        model = build_model(spec, seed=0).eval()
        out = model(torch.zeros(3, *spec.input_shape))
        assert tuple(out.shape[1:]) == compiled.output_shape


HAND_WRITTEN = {
    "mnist_mlp_784_128_128_10": lambda: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
    ),
    "mnist_mlp_784_512_10": lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10)),
    "mnist_mlp_784_128_64_10": lambda: nn.Sequential(
        nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    ),
    # The seed article's CIFAR CNN, with its in_features corrected to 16*6*6 = 576 (padding=2 on conv1).
    "cifar10_lenet": lambda: nn.Sequential(
        nn.Conv2d(3, 6, 5, padding=2),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(576, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    ),
    "linear_regression": lambda: nn.Sequential(nn.Linear(2, 1)),
}


@pytest.mark.parametrize("key", sorted(HAND_WRITTEN))
def test_preset_parameter_counts_equal_the_same_network_written_in_torch(key):
    compiled = compile_network(load_preset(key))
    assert compiled.total_params == _params(HAND_WRITTEN[key]())


def test_resnet18_block_matches_torchvision():
    from torchvision.models import resnet18

    compiled = compile_network(load_preset("cifar10_resnet18"))
    assert compiled.total_params == _params(resnet18(num_classes=10)) == 11_181_642
    assert compiled.output_shape == (10,)


def test_the_articles_hand_computed_400_is_an_error_that_names_576():
    spec = load_preset("cifar10_lenet")
    flatten = [layer.type for layer in spec.layers].index("Flatten")
    spec.set_param(flatten + 1, "in_features", 400)
    compiled = compile_network(spec)
    bad = compiled.errors[0]
    assert bad.index == flatten + 1
    assert "576" in bad.error and "400" in bad.error
    # The layers before the error keep their shapes; the ones after have none.
    assert compiled.layers[flatten].output_shape == (576,)
    assert all(r.output_shape is None for r in compiled.layers[flatten + 1 :])
    with pytest.raises(CompileError, match="576"):
        build_model(spec)


def test_inferred_sizes_follow_the_layer_before():
    spec = _spec(
        ("Conv2d", {"out_channels": 8, "kernel_size": 3}),
        ("BatchNorm2d", {}),
        ("Flatten", {}),
        ("Linear", {"out_features": 10}),
        ("LayerNorm", {}),
    )
    compiled = compile_network(spec)
    kwargs = [r.kwargs for r in compiled.layers]
    assert kwargs[0]["in_channels"] == 1
    assert kwargs[1]["num_features"] == 8
    assert kwargs[3]["in_features"] == 8 * 26 * 26
    assert kwargs[4]["normalized_shape"] == [10]


def test_size_in_bytes_counts_parameters_and_buffers():
    compiled = compile_network(_spec(("Flatten", {}), ("Linear", {"out_features": 10}), ("BatchNorm1d", {})))
    model = build_model(_spec(("Flatten", {}), ("Linear", {"out_features": 10}), ("BatchNorm1d", {})))
    expected = sum(t.numel() * t.element_size() for t in [*model.parameters(), *model.buffers()])
    assert compiled.size_bytes == expected


@pytest.mark.parametrize(
    ("layers", "input_shape", "message"),
    [
        ((("Conv2d", {"kernel_size": 7}),), (1, 4, 4), "kernel (7×7) is larger than its padded input (4×4)"),
        ((("MaxPool2d", {"kernel_size": 2}),) * 6, (1, 28, 28), "too small"),
        ((("Conv2d", {}),), (784,), "add an Unflatten before it"),
        ((("LSTM", {}),), (1, 28, 28), "add a Flatten before it"),
        ((("Unflatten", {"unflattened_size": [1, 28, 27]}),), (784,), "must multiply to 784"),
        ((("Conv2d", {"out_channels": 6, "groups": 4}),), (4, 8, 8), "groups=4 must divide"),
        ((("Conv2d", {"padding": "same", "stride": 2}),), (1, 8, 8), "padding 'same' needs stride 1"),
        ((("ResNet18", {}),), (1, 32, 32), "3-channel"),
        ((("Softmax", {"dim": 3}),), (10,), "out of range"),
        ((("LayerNorm", {"normalized_shape": [5]}),), (10,), "use [10]"),
    ],
)
def test_mistakes_are_messages_on_the_layer_at_fault(layers, input_shape, message):
    compiled = compile_network(_spec(*layers, input_shape=input_shape))
    assert not compiled.ok
    assert message in compiled.errors[0].error


def test_an_absurd_network_is_refused_before_anything_is_allocated():
    spec = _spec(("Flatten", {}), *[("Linear", {"out_features": 1_000_000})] * 3, input_shape=(1000,))
    compiled = compile_network(spec)
    assert not compiled.ok and "parameters, more than" in compiled.errors[0].error


def test_build_model_is_reproducible_for_a_seed_and_leaves_the_global_rng_alone():
    spec = load_preset("mnist_mlp_784_128_64_10")
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    a, b = build_model(spec, seed=7), build_model(spec, seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    c = build_model(spec, seed=8)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_recurrent_blocks_pass_on_the_sequence_or_the_last_step():
    spec = _spec(
        ("LSTM", {"hidden_size": 12, "return_sequences": True}),
        ("GRU", {"hidden_size": 5, "bidirectional": True}),
        input_shape=(7, 3),
    )
    compiled = compile_network(spec)
    assert [r.output_shape for r in compiled.layers] == [(7, 12), (10,)]
    model = build_model(spec, seed=0)
    assert model(torch.zeros(4, 7, 3)).shape == (4, 10)
    assert compiled.total_params == _params(model)


# --------------------------------------------------------------- closed forms against torch

_kernel = st.one_of(st.integers(1, 5), st.lists(st.integers(1, 5), min_size=2, max_size=2))
_small = st.integers(1, 3)

LAYER_PARAMS = {
    "Conv2d": st.fixed_dictionaries(
        {
            "out_channels": st.integers(1, 8),
            "kernel_size": _kernel,
            "stride": _small,
            "padding": st.one_of(st.integers(0, 3), st.just("valid")),
            "dilation": st.integers(1, 2),
            "bias": st.booleans(),
        }
    ),
    "Conv1d": st.fixed_dictionaries(
        {
            "out_channels": st.integers(1, 8),
            "kernel_size": st.integers(1, 5),
            "stride": _small,
            "padding": st.integers(0, 3),
            "dilation": st.integers(1, 2),
        }
    ),
    "MaxPool2d": st.fixed_dictionaries(
        {
            "kernel_size": st.integers(2, 4),
            "stride": st.one_of(st.none(), _small),
            "padding": st.integers(0, 1),
            "dilation": st.integers(1, 2),
            "ceil_mode": st.booleans(),
        }
    ),
    "AvgPool2d": st.fixed_dictionaries(
        {
            "kernel_size": st.integers(2, 4),
            "stride": st.one_of(st.none(), _small),
            "padding": st.integers(0, 1),
            "ceil_mode": st.booleans(),
            "count_include_pad": st.booleans(),
        }
    ),
    "AdaptiveAvgPool2d": st.fixed_dictionaries({"output_size": _kernel}),
    "BatchNorm2d": st.fixed_dictionaries({"affine": st.booleans(), "track_running_stats": st.booleans()}),
    "BatchNorm1d": st.fixed_dictionaries({"affine": st.booleans()}),
    "LayerNorm": st.fixed_dictionaries({"elementwise_affine": st.booleans(), "bias": st.booleans()}),
    "Linear": st.fixed_dictionaries({"out_features": st.integers(1, 20), "bias": st.booleans()}),
    "Flatten": st.fixed_dictionaries({"start_dim": st.integers(1, 2), "end_dim": st.sampled_from([-1, 2])}),
    "Softmax": st.fixed_dictionaries({"dim": st.sampled_from([1, -1])}),
}
INPUTS = {
    "Conv1d": st.tuples(st.integers(1, 4), st.integers(1, 12)),
    "BatchNorm1d": st.tuples(st.integers(1, 4), st.integers(1, 6)),
}
IMAGES = st.tuples(st.integers(1, 4), st.integers(1, 12), st.integers(1, 12))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_closed_form_sizes_agree_with_torch_on_the_meta_device(data):
    name = data.draw(st.sampled_from(sorted(LAYER_PARAMS)))
    params = data.draw(LAYER_PARAMS[name])
    shape = data.draw(INPUTS.get(name, IMAGES))
    layer_type = CATALOGUE[name]
    try:
        kwargs = layer_type.resolve(params, shape)
        ours = SIZE_FUNCTIONS[name](kwargs, shape)
    except ParamError:
        ours = None
    try:
        theirs = measure_on_meta(name, layer_type.resolve(params, shape), shape)
    except (ParamError, RuntimeError, ValueError):
        theirs = None
    if ours is None or theirs is None:
        assert ours is None and theirs is None, (name, params, shape, ours, theirs)
        return
    assert ours.output_shape == theirs.output_shape, (name, params, shape)
    assert ours.params == theirs.params
    assert ours.size_bytes == theirs.size_bytes
