"""Every catalogue type, with random valid parameters, has the shape and size torch gives it.

The parameters are drawn from each type's own parameter definitions (bounds, choices, tuple
lengths), so a type added to the catalogue is covered without writing anything here. The
compiler's answer (closed form or meta device) must agree with a real module run on a real
batch on the CPU: the same output shape and parameter count when both accept, and a refusal
from the compiler whenever torch refuses.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.layers.catalogue import CATALOGUE, CATEGORIES, by_category
from gui_app.core.layers.definitions import LayerType, ParamDef
from gui_app.core.project.spec import LayerSpec, NetworkSpec

#: Types the compiler refuses in cases torch would run, on purpose: folding the batch into a
#: sample (start_dim/dim 0) breaks every layer after it.
DELIBERATE_REFUSALS = {"Flatten", "Unflatten"}


def _small_range(p: ParamDef, low: float, high: float) -> tuple[float, float]:
    lo = low if p.minimum is None else max(p.minimum, low)
    hi = high if p.maximum is None else min(p.maximum, high)
    return lo, max(lo, hi)


def _int_strategy(p: ParamDef) -> st.SearchStrategy:
    lo, hi = _small_range(p, -3, 6 if (p.minimum or 0) >= 1 else 3)
    return st.integers(int(lo), int(hi))


def _value_strategy(p: ParamDef) -> st.SearchStrategy:
    """Small values inside the parameter's own bounds, so layers stay cheap to run."""
    if p.kind == "int":
        values = _int_strategy(p)
    elif p.kind == "float":
        lo, hi = _small_range(p, -3.0, 3.0)
        values = st.floats(lo, hi, allow_nan=False)
    elif p.kind == "bool":
        values = st.booleans()
    elif p.kind == "choice":
        values = st.sampled_from(p.choices)
    elif p.kind == "int_list":
        values = st.lists(st.integers(1, 4), min_size=1, max_size=3)
    else:
        ints = st.integers(int(p.minimum or 0), 3)
        values = st.one_of(ints, st.lists(ints, min_size=p.tuple_len, max_size=p.tuple_len))
        if p.kind == "padding":
            values = st.one_of(values, st.sampled_from(["same", "valid"]))
    return st.one_of(st.none(), values) if p.nullable else values


@st.composite
def _params(draw: st.DrawFn, layer: LayerType) -> dict:
    params = {}
    for p in layer.params:
        if p.inferred or not draw(st.booleans()):
            continue  # inferred sizes come from the input; others keep their default half the time
        params[p.name] = draw(_value_strategy(p))
    return params


@st.composite
def _input_shape(draw: st.DrawFn, layer: LayerType) -> tuple[int, ...]:
    ndim = draw(st.sampled_from(layer.input_ndim or (1, 2, 3)))
    channels = draw(st.sampled_from([3]) if layer.category == "Models" else st.integers(1, 6))
    spatial = draw(st.lists(st.integers(1, 9), min_size=ndim - 1, max_size=ndim - 1))
    if layer.category == "Models":
        spatial = [32, 32]  # ResNet-18 halves the image five times
    return (channels, *spatial)


def _batch(layer: LayerType, kwargs: dict, shape: tuple[int, ...]) -> torch.Tensor:
    if layer.name == "Embedding":
        return torch.randint(0, kwargs["num_embeddings"], (2, *shape)).float()
    return torch.randn(2, *shape)


def _torch_answer(layer: LayerType, kwargs: dict, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int] | None:
    """Output shape and parameter count of the real module, or None when torch refuses."""
    try:
        module = layer.build(kwargs).train()  # as it will be trained: some checks are training-only
        with torch.no_grad():
            y = module(_batch(layer, kwargs, shape))
    except Exception:  # torch refuses bad arguments with many exception types; all mean "no"
        return None
    if y.numel() == 0:
        return None  # an empty output is a refusal too: nothing after it could use it
    return tuple(y.shape[1:]), sum(p.numel() for p in module.parameters())


#: Containers are built from their lanes, not from parameters: tests/core/layers/test_container_shapes.py.
LEAF_TYPES = sorted(name for name, layer in CATALOGUE.items() if layer.category != "Containers")


@pytest.mark.parametrize("name", LEAF_TYPES)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_type_agrees_with_torch(name, data):
    layer = CATALOGUE[name]
    params = data.draw(_params(layer), label="params")
    shape = data.draw(_input_shape(layer), label="input")
    result = compile_network(NetworkSpec([LayerSpec(name, params)], input_shape=list(shape))).layers[0]
    if result.error is not None:
        if name in DELIBERATE_REFUSALS:
            return
        theirs = _torch_answer(layer, layer.resolve(params, shape), shape) if result.kwargs else None
        assert theirs is None, f"{name}{params} on {shape}: compiler says {result.error!r}, torch gives {theirs}"
        return
    theirs = _torch_answer(layer, result.kwargs, shape)
    assert theirs is not None, f"{name}{params} on {shape}: compiler accepts, torch refuses"
    assert (result.output_shape, result.params) == theirs, (name, params, shape)


def test_the_catalogue_has_the_layers_of_a_first_course():
    """The issue's list, and at least 60 types, each documented and in a palette category."""
    wanted = [
        "ConvTranspose1d",
        "ConvTranspose2d",
        "Conv3d",
        "MaxPool1d",
        "MaxPool3d",
        "AvgPool1d",
        "AdaptiveMaxPool2d",
        "AdaptiveAvgPool1d",
        "GroupNorm",
        "InstanceNorm1d",
        "InstanceNorm2d",
        "Embedding",
        "TransformerEncoderLayer",
        "SelfAttention",
        "Upsample",
        "PixelShuffle",
        "ZeroPad2d",
        "ReflectionPad2d",
        "PReLU",
        "ReLU6",
        "Hardswish",
        "Mish",
        "Softplus",
        "SELU",
        "CELU",
        "GLU",
        "Hardtanh",
        "Softsign",
        "AlphaDropout",
        "Dropout1d",
        "Dropout3d",
        "RNN",
        "ChannelShuffle",
        "Unfold",
    ]
    assert not [name for name in wanted if name not in CATALOGUE]
    assert len(CATALOGUE) >= 60
    for layer in CATALOGUE.values():
        assert layer.description.endswith("."), layer.name
        assert layer.category in CATEGORIES, layer.name
    assert sum(len(group) for group in by_category().values()) == len(CATALOGUE)


def test_a_transformer_layer_infers_its_width_and_checks_its_heads():
    ok = compile_network(NetworkSpec([LayerSpec("TransformerEncoderLayer", {"nhead": 4})], input_shape=[7, 32]))
    assert ok.ok and ok.layers[0].kwargs["d_model"] == 32 and ok.output_shape == (7, 32)
    bad = compile_network(NetworkSpec([LayerSpec("TransformerEncoderLayer", {"nhead": 5})], input_shape=[7, 32]))
    assert bad.layers[0].error == "nhead (5) must divide the 32 features of each step"


def test_an_embedding_turns_token_ids_into_vectors():
    spec = NetworkSpec([LayerSpec("Embedding", {"num_embeddings": 50, "embedding_dim": 8})], input_shape=[12])
    compiled = compile_network(spec)
    assert compiled.output_shape == (12, 8) and compiled.total_params == 50 * 8
    module = CATALOGUE["Embedding"].build(compiled.layers[0].kwargs)
    ids = torch.tensor([[3.0, 7.0]])
    assert torch.equal(module(ids), module.weight[[3, 7]].unsqueeze(0))
    assert math.prod(module(torch.zeros(2, 12)).shape) == 2 * 12 * 8


def test_the_project_format_lists_every_type_under_its_category():
    """docs/project-format.md's table is what a user reads to write a project by hand."""
    doc = (Path(__file__).parents[3] / "docs" / "project-format.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in doc.splitlines() if line.count("|") == 3}
    for category, layers in by_category().items():
        listed = {name.split("(")[0].strip() for name in rows.get(category, "").split(",")}
        assert {layer.name for layer in layers} <= listed, category


def test_every_category_has_its_own_colour_for_the_canvas_and_pictures() -> None:
    from gui_app.core.layers.colours import CATEGORY_COLOURS, FALLBACK_COLOUR

    missing = [c for c in CATEGORIES if c not in CATEGORY_COLOURS]
    assert not missing, missing
    assert all(colour.startswith("#") and len(colour) == 7 for colour in [*CATEGORY_COLOURS.values(), FALLBACK_COLOUR])
