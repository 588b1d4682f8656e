"""Dimension names: what each dimension of a block's output means, with the batch first."""

import pytest

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.dims import network_dims, shape_with_names
from gui_app.core.layers.catalogue import CATALOGUE
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


#: An input of each rank that every layer of the catalogue taking that rank accepts with its defaults.
SAMPLE_INPUTS = {1: (8,), 2: (8, 16), 3: (8, 16, 16), 4: (8, 8, 16, 16)}
SPECIAL_INPUTS = {"ResNet18": {3: (3, 32, 32)}, "Embedding": {1: (12,)}}
PARAMS = {"Unflatten": {"unflattened_size": [2, 4]}, "Embedding": {"num_embeddings": 50}}
CHANNELS_FIRST = {2: ("C", "L"), 3: ("C", "H", "W"), 4: ("C", "D", "H", "W")}
SPATIAL_TYPES = sorted(name for name, layer in CATALOGUE.items() if layer.input_ndim)


def _ranks(type_name):
    return CATALOGUE[type_name].input_ndim or tuple(SPECIAL_INPUTS.get(type_name, SAMPLE_INPUTS))


def _alone(type_name, rank):
    shape = SPECIAL_INPUTS.get(type_name, SAMPLE_INPUTS)[rank]
    spec = NetworkSpec([LayerSpec(type_name, dict(PARAMS.get(type_name, {})))], shape)
    compiled = compile_network(spec)
    return compiled, network_dims(spec, compiled)


def _reads(type_name, rank):
    """What the layer reads, as torch's documentation of it says (not from the table under test)."""
    if CATALOGUE[type_name].category in ("Recurrent", "Attention and embedding"):
        return ("L", "C")
    return ("F",) if rank == 1 else CHANNELS_FIRST[rank]


@pytest.mark.parametrize("type_name", SPATIAL_TYPES)
def test_every_spatial_type_names_its_input_as_it_reads_it(type_name):
    for rank in _ranks(type_name):
        compiled, dims = _alone(type_name, rank)
        assert compiled.ok, (type_name, rank, compiled.errors[:1])
        assert dims.input == ("N", *_reads(type_name, rank))
        out = compiled.layers[0].output_shape
        if type_name == "Unfold":
            assert dims.layers[0] == ("N", "C", "L")  # patches: C·k·k values for each of L places
        elif len(out) == rank:
            assert dims.layers[0] == dims.input
        else:
            assert dims.layers[0] == ("N", "F")


@pytest.mark.parametrize("type_name", sorted(CATALOGUE))
def test_every_catalogue_type_gets_one_name_per_dimension(type_name):
    compiled_ranks = 0
    for rank in _ranks(type_name):
        compiled, dims = _alone(type_name, rank)
        if not compiled.ok:
            continue  # e.g. a Linear's defaults on a rank it does take: other ranks cover it
        compiled_ranks += 1
        assert len(dims.input) == rank + 1
        assert len(dims.layers[0]) == len(compiled.layers[0].output_shape) + 1
    assert compiled_ranks, f"{type_name} compiled on none of the sample inputs"


def test_an_embedding_names_its_steps_and_a_conv3d_its_volume():
    assert _dims((12,), ("Embedding", {"num_embeddings": 50, "embedding_dim": 4})).layers == [("N", "L", "C")]
    assert _dims((2, 8, 16, 16), ("Conv3d", {"out_channels": 4})).input == ("N", "C", "D", "H", "W")
    assert _dims((8, 16), ("ConvTranspose1d", {"out_channels": 4})).input == ("N", "C", "L")
