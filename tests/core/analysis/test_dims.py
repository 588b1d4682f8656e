"""Dimension names: what each dimension of a block's output means, with the batch first."""

import pytest

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.dims import network_dims, shape_with_names
from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def _dims(shape, *layers):
    spec = NetworkSpec([LayerSpec(t, dict(p)) for t, p in layers], shape)
    return network_dims(spec, compile_network(spec))


def test_a_cnn_is_named_n_c_h_w_until_it_is_flattened():
    spec = load_preset("cifar10_lenet")
    compiled = compile_network(spec)
    dims = network_dims(spec, compiled)
    assert dims.input == ("N", "C", "H", "W")
    assert shape_with_names(compiled.layers[3].output_shape, dims.layers[3]) == "N×6×16×16 (N, C, H, W)"
    flatten = [layer.type for layer in spec.layers].index("Flatten")
    assert dims.layers[flatten:] == [("N", "F")] * (len(spec.layers) - flatten)


@pytest.mark.parametrize(
    ("shape", "layers", "input_names", "output_names"),
    [
        # The same 2-D shape is channels × length before a Conv1d, steps × features before an LSTM.
        ((16, 100), [("Conv1d", {"out_channels": 8})], ("N", "C", "L"), [("N", "C", "L")]),
        ((16, 100), [("LSTM", {"hidden_size": 8, "return_sequences": True})], ("N", "L", "C"), [("N", "L", "C")]),
        ((16, 100), [("ReLU", {}), ("GRU", {"hidden_size": 8})], ("N", "L", "C"), [("N", "L", "C"), ("N", "F")]),
        (
            (784,),
            [("Unflatten", {"unflattened_size": [1, 28, 28]}), ("Conv2d", {})],
            ("N", "F"),
            [("N", "C", "H", "W"), ("N", "C", "H", "W")],
        ),
        ((1, 28, 28), [("Flatten", {}), ("Linear", {"in_features": 3})], ("N", "C", "H", "W"), [("N", "F"), None]),
    ],
)
def test_names_follow_the_layer_that_reads_or_makes_a_shape(shape, layers, input_names, output_names):
    dims = _dims(shape, *layers)
    assert dims.input == input_names and dims.layers == output_names
