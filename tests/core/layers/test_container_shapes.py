"""Joining lanes' shapes, and the projection a mismatched shortcut is offered, hold against torch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.layers.container_shapes import ContainerShapeError, parallel_output, projection_fix, residual_output
from gui_app.core.layers.containers import SHORTCUT, Parallel, Residual


@pytest.mark.parametrize(
    ("input_shape", "wanted"),
    [
        ((64, 32, 32), (128, 16, 16)),
        ((3, 33, 17), (8, 11, 9)),
        ((16, 9, 9), (16, 1, 1)),
        ((4, 20), (6, 7)),
        ((10,), (3,)),
    ],
)
def test_the_projection_fix_makes_the_shape_the_body_gives(input_shape, wanted) -> None:
    fix = projection_fix(input_shape, wanted)
    assert fix is not None and fix.lane == SHORTCUT
    x = torch.zeros(2, *input_shape)
    for type_name, params in fix.blocks:  # each block as the compiler builds it: sizes from its input
        layer = CATALOGUE[type_name]
        x = layer.build(layer.resolve(params, tuple(x.shape[1:]))).eval()(x)
    assert tuple(x.shape[1:]) == wanted


def test_no_projection_is_offered_when_no_stride_gives_the_shape() -> None:
    assert projection_fix((8, 16, 16), (8, 32, 32)) is None  # larger: a 1×1 kernel cannot upsample
    assert projection_fix((8, 16, 16), (2048,)) is None  # the body flattened
    assert projection_fix((8, 10, 10), (8, 9, 9)) is None  # no stride maps 10 to 9


def test_a_sequence_projection_maps_each_step_and_keeps_the_length() -> None:
    fix = projection_fix((10, 64), (10, 32), sequence=True)
    x = torch.zeros(2, 10, 64)
    for type_name, params in fix.blocks:
        layer = CATALOGUE[type_name]
        x = layer.build(layer.resolve(params, tuple(x.shape[1:]))).eval()(x)
    assert [t for t, _ in fix.blocks] == ["Linear", "LayerNorm"] and tuple(x.shape[1:]) == (10, 32)
    assert projection_fix((10, 64), (5, 32), sequence=True) is None  # a Linear cannot change the length


def test_a_residual_mismatch_names_both_shapes_and_says_the_resnet_fix() -> None:
    assert residual_output((8, 4, 4), (8, 4, 4), (8, 4, 4), True) == (8, 4, 4)
    with pytest.raises(ContainerShapeError) as info:
        residual_output((64, 32, 32), (128, 16, 16), (64, 32, 32), True)
    text = str(info.value)
    assert "the body gives 128×16×16 but the shortcut gives 64×32×32" in text
    assert "put a 1×1 Conv2d with 128 output channels and stride 2, then a BatchNorm2d, in the shortcut" in text
    assert info.value.fix.blocks == (
        ("Conv2d", {"out_channels": 128, "bias": False, "kernel_size": 1, "stride": 2}),
        ("BatchNorm2d", {}),
    )


@pytest.mark.parametrize(
    ("shapes", "merge"),
    [
        ([(4, 8, 8), (6, 8, 8), (1, 8, 8)], "concat"),
        ([(5,), (7,)], "concat"),
        ([(3, 9), (3, 9)], "sum"),
        ([(2, 5, 5)] * 3, "sum"),
    ],
)
def test_parallel_output_is_what_the_module_gives(shapes, merge) -> None:
    named = [(f"lane{i + 1}", s) for i, s in enumerate(shapes)]
    expected = (
        torch.cat([torch.zeros(2, *s) for s in shapes], 1)
        if merge == "concat"
        else sum(torch.zeros(2, *s) for s in shapes)
    )
    assert parallel_output(named, merge) == tuple(expected.shape[1:])


@pytest.mark.parametrize(
    ("shapes", "merge", "message"),
    [
        ([(4, 8, 8), (4, 4, 4)], "concat", "lane1 gives 4×8×8 but lane2 gives 4×4×4; they are joined along the first"),
        ([(4, 8, 8), (8,)], "concat", "lane2 gives 8"),
        ([(4, 8, 8), (5, 8, 8)], "sum", "they are summed, so they must match (or merge by concat)"),
    ],
)
def test_parallel_lanes_that_cannot_be_joined_are_an_error(shapes, merge, message) -> None:
    with pytest.raises(ParamError) as info:
        parallel_output([(f"lane{i + 1}", s) for i, s in enumerate(shapes)], merge)
    assert message in str(info.value)


def test_the_container_modules_add_and_join_as_documented() -> None:
    x = torch.randn(3, 4, 5, 5)
    double = Residual(nn.Identity())
    assert torch.equal(double(x), x + x)
    assert torch.equal(Parallel([nn.Identity(), nn.ReLU()], "concat")(x), torch.cat([x, x.relu()], 1))
    assert torch.equal(Parallel([nn.Identity(), nn.ReLU(), nn.Tanh()], "sum")(x), x + x.relu() + x.tanh())
    with pytest.raises(ValueError, match="merge must be"):
        Parallel([nn.Identity()], "max")
