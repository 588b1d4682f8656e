"""MACs, activation and parameter memory per sample: hand counts, and torch's own FLOP counter."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from gui_app.core.analysis.compiler import build_model, compile_network
from gui_app.core.analysis.costs import network_costs
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.presets import list_presets
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def _spec(*layers, input_shape=(1, 28, 28)):
    return NetworkSpec([LayerSpec(t, dict(p)) for t, p in layers], input_shape=input_shape)


def _costs(spec):
    compiled = compile_network(spec)
    assert compiled.ok, compiled.errors
    return network_costs(compiled)


def _torch_flops(model: torch.nn.Module, input_shape, device="cpu") -> int:
    model.eval()  # batch norm takes a batch of one only in eval mode
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros((1, *input_shape), device=device))
    return counter.get_total_flops()


def test_mlp_macs_are_the_weight_matrices_and_activations_the_outputs():
    spec = _spec(("Flatten", {}), ("Linear", {"out_features": 128}), ("ReLU", {}), ("Linear", {"out_features": 10}))
    costs = _costs(spec)
    assert [c.macs for c in costs.layers] == [0, 784 * 128, 0, 128 * 10]
    assert costs.total_macs == 784 * 128 + 128 * 10 == 101_632
    assert [c.activation_bytes for c in costs.layers] == [784 * 4, 128 * 4, 128 * 4, 10 * 4]
    assert [c.param_bytes for c in costs.layers] == [0, (784 * 128 + 128) * 4, 0, (128 * 10 + 10) * 4]


def test_cnn_macs_by_hand():
    spec = _spec(
        ("Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}),  # 8×28×28, 1×3×3 per output
        ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),  # 8×14×14
        ("Conv2d", {"out_channels": 16, "kernel_size": 5, "stride": 2}),  # 16×5×5, 8×5×5 per output
        ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "groups": 4}),  # 4 in-channels each
        ("Flatten", {}),
        ("Linear", {"out_features": 10}),
    )
    costs = _costs(spec)
    assert [c.macs for c in costs.layers] == [
        8 * 28 * 28 * 1 * 9,
        0,
        0,
        16 * 5 * 5 * 8 * 25,
        16 * 5 * 5 * 4 * 9,
        0,
        400 * 10,
    ]
    assert costs.layers[0].activation_bytes == 8 * 28 * 28 * 4


@pytest.mark.parametrize("preset", list_presets(), ids=lambda p: p.key)
def test_every_presets_macs_are_half_torchs_flops(preset):
    spec = preset.load()
    costs = _costs(spec)
    assert costs.total_macs > 0
    assert costs.total_macs * 2 == _torch_flops(build_model(spec, seed=0), spec.input_shape)


RECURRENT_AND_CONV = [
    ([("LSTM", {"hidden_size": 7})], (11, 5)),
    ([("GRU", {"hidden_size": 6, "num_layers": 3, "bidirectional": True, "return_sequences": True})], (9, 4)),
    ([("LSTM", {"hidden_size": 5, "num_layers": 2, "bias": False}), ("Linear", {"out_features": 3})], (4, 8)),
    ([("Linear", {"out_features": 6})], (10, 4)),  # a Linear over every step of a sequence
    ([("Conv1d", {"out_channels": 6, "kernel_size": 3, "stride": 2, "dilation": 2, "groups": 2})], (4, 30)),
    ([("Conv2d", {"out_channels": 4, "kernel_size": [3, 5], "padding": "same"})], (2, 9, 12)),
]


@pytest.mark.parametrize(("layers", "input_shape"), RECURRENT_AND_CONV)
def test_recurrent_and_convolution_macs_are_half_torchs_flops(layers, input_shape):
    spec = _spec(*layers, input_shape=input_shape)
    compiled = compile_network(spec)
    # On the meta device: on the CPU, LSTM runs as one fused kernel that the counter sees as 0 FLOPs.
    with torch.device("meta"):
        model = torch.nn.Sequential(*[CATALOGUE[r.type].build(r.kwargs) for r in compiled.layers])
    assert network_costs(compiled).total_macs * 2 == _torch_flops(model, input_shape, device="meta")


def test_layers_without_a_shape_have_unknown_costs_and_are_left_out_of_the_totals():
    spec = _spec(("Flatten", {}), ("Linear", {"in_features": 10, "out_features": 4}), ("ReLU", {}))
    costs = network_costs(compile_network(spec))
    assert [c.macs for c in costs.layers] == [0, None, None]
    assert costs.total_macs == 0 and costs.total_activation_bytes == 784 * 4
