"""Compiling containers: shapes, counts and costs through lanes are torch's, an error inside names the
inner block as the canvas numbers it, and ResNet-18 built from Residual blocks is torchvision's."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from gui_app.core.analysis.compiler import CompileError, build_model, compile_network, walk_results
from gui_app.core.analysis.costs import network_costs
from gui_app.core.analysis.messages import error_message
from gui_app.core.layers.resnet import preset_key_of_torchvision, preset_state_dict_of_torchvision
from gui_app.core.project.blocks import Lane
from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec, load_spec_file

LEGACY_RESNET = Path(__file__).resolve().parents[2] / "data" / "projects_v1" / "preset_cifar10_resnet18.json"


def _conv(channels: int, **params) -> LayerSpec:
    return LayerSpec("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1, **params})


def _nested() -> NetworkSpec:
    """A Residual inside a Parallel inside a Residual, with a concatenation and a projection."""
    inner = LayerSpec("Residual", lanes=[[_conv(4), LayerSpec("BatchNorm2d")], []])
    parallel = LayerSpec(
        "Parallel",
        {"merge": "concat"},
        lanes=[[_conv(4, stride=2)], [inner, LayerSpec("MaxPool2d")], [LayerSpec("AvgPool2d")]],
    )
    outer = LayerSpec(
        "Residual",
        lanes=[[parallel, _conv(8)], [LayerSpec("Conv2d", {"out_channels": 8, "kernel_size": 1, "stride": 2})]],
    )
    return NetworkSpec(
        [_conv(4), outer, LayerSpec("ReLU"), LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 3})],
        (3, 12, 12),
    )


def _module_at(model: nn.Module, address: tuple) -> nn.Module:
    """The module of the block at ``address`` in a built model (lanes are Sequentials, Parallel's in ``lanes``)."""
    module = model[address[0]]
    for lane, index in zip(address[1::2], address[2::2], strict=True):
        holder = getattr(module, lane) if lane in ("body", "shortcut") else module.lanes[int(lane[4:]) - 1]
        module = holder[index]
    return module


def test_every_inner_shape_and_count_is_what_the_built_model_gives() -> None:
    spec = _nested()
    compiled = compile_network(spec)
    assert compiled.ok, [error_message(r) for r in compiled.errors]
    model = build_model(spec, seed=0).eval()
    seen: dict[tuple, tuple] = {}
    for result in walk_results(compiled.layers):
        module = _module_at(model, result.address)
        module.register_forward_hook(
            lambda _m, _i, out, key=result.address: seen.__setitem__(key, tuple(out.shape[1:]))
        )
    model(torch.zeros(2, *spec.input_shape))
    for result in walk_results(compiled.layers):
        assert seen[result.address] == result.output_shape, result.address
        assert result.params == sum(p.numel() for p in _module_at(model, result.address).parameters())
    assert compiled.total_params == sum(p.numel() for p in model.parameters())
    assert seen[(1, "body", 0)] == (12, 6, 6)  # 4 + 4 + 4 channels joined


def test_an_error_inside_names_the_inner_block_and_the_other_lanes_keep_their_shapes() -> None:
    spec = _nested()
    parallel = spec.layers[1].lanes[0][0]
    spec.replace_block_params(parallel.lanes[1][0].lanes[0][0].uid, {"out_channels": 4, "kernel_size": 99})
    compiled = compile_network(spec)
    bad = compiled.errors[0]
    message = error_message(bad)
    assert message.startswith("block 2.body.1.lane2.1.body.1 (Conv2d): the kernel (99×99) is larger than")
    assert bad.error == message  # what the canvas shows on the collapsed container names the block too
    assert bad.output_shape is None and compiled.layers[2].output_shape is None
    lane1 = compiled.layers[1].lanes[0][0].lanes[0]
    assert lane1[0].output_shape == (4, 6, 6)
    assert [r.type for r in compiled.layers[4].lanes] == [] and len(compiled.layers[1].lanes[0][0].lanes) == 3
    with pytest.raises(CompileError, match=r"^block 2\.body\.1\.lane2\.1\.body\.1 \(Conv2d\)"):
        build_model(spec)


def test_blocks_after_an_error_still_list_their_lanes() -> None:
    spec = NetworkSpec(
        [LayerSpec("Conv2d", {"kernel_size": 99}), LayerSpec("Residual", lanes=[[LayerSpec("ReLU")], []])], (1, 28, 28)
    )
    compiled = compile_network(spec)
    assert compiled.layers[0].error and compiled.layers[1].output_shape is None
    assert [[r.type for r in lane] for lane in compiled.layers[1].lanes] == [["ReLU"], []]
    assert compiled.layers[1].lanes[0][0].address == (1, "body", 0)


def test_a_mismatched_shortcut_is_an_error_with_the_fix_in_words_and_as_data() -> None:
    spec = NetworkSpec(
        [_conv(16), LayerSpec("Residual", lanes=[[_conv(32, stride=2), LayerSpec("BatchNorm2d")], []])], (3, 32, 32)
    )
    result = compile_network(spec).layers[1]
    assert error_message(result) == (
        "block 2 (Residual): the body gives 32×16×16 but the shortcut gives 16×32×32; they are added, so they "
        "must match: put a 1×1 Conv2d with 32 output channels and stride 2, then a BatchNorm2d, in the shortcut, "
        "as ResNet does"
    )
    fix = result.fix
    spec.replace_lane(Lane(result.uid, fix.lane), [LayerSpec(t, dict(p)) for t, p in fix.blocks])
    compiled = compile_network(spec)
    assert compiled.ok and compiled.output_shape == (32, 16, 16)
    model = build_model(spec)
    assert tuple(model(torch.zeros(1, 3, 32, 32)).shape[1:]) == (32, 16, 16)
    assert compiled.total_params == sum(p.numel() for p in model.parameters())


SEQUENCE_BODIES = {
    # (10 steps, 64 channels) in; each body gives 10×32
    "LSTM": [LayerSpec("LSTM", {"hidden_size": 32, "return_sequences": True})],
    "GRU after a LayerNorm": [LayerSpec("LayerNorm"), LayerSpec("GRU", {"hidden_size": 32, "return_sequences": True})],
    "Linear": [LayerSpec("Linear", {"out_features": 32}), LayerSpec("GELU")],
}


@pytest.mark.parametrize("body", SEQUENCE_BODIES, ids=list(SEQUENCE_BODIES))
def test_a_sequence_residual_is_offered_a_linear_on_its_channels_not_a_conv_over_its_steps(body) -> None:
    spec = NetworkSpec([LayerSpec("Residual", lanes=[SEQUENCE_BODIES[body], []])], (10, 64))
    result = compile_network(spec).layers[0]
    assert error_message(result) == (
        "block 1 (Residual): the body gives 10×32 but the shortcut gives 10×64; they are added, so they must "
        "match: put a Linear with 32 out_features, then a LayerNorm, in the shortcut, so each step is projected"
    )
    spec.replace_lane(Lane(result.uid, result.fix.lane), [LayerSpec(t, dict(p)) for t, p in result.fix.blocks])
    compiled = compile_network(spec)
    assert compiled.ok and compiled.output_shape == (10, 32)
    assert tuple(build_model(spec)(torch.zeros(2, 10, 64)).shape[1:]) == (10, 32)


def test_a_signal_residual_keeps_the_one_by_one_conv1d() -> None:
    body = [LayerSpec("Conv1d", {"out_channels": 32, "kernel_size": 3, "stride": 2, "padding": 1})]
    spec = NetworkSpec([LayerSpec("Residual", lanes=[body, []])], (10, 64))
    result = compile_network(spec).layers[0]
    assert "put a 1×1 Conv1d with 32 output channels and stride 2, then a BatchNorm1d" in error_message(result)
    assert [t for t, _ in result.fix.blocks] == ["Conv1d", "BatchNorm1d"]


def test_a_parallel_that_cannot_join_its_lanes_says_which() -> None:
    spec = NetworkSpec([LayerSpec("Parallel", {"merge": "sum"}, lanes=[[_conv(4)], []])], (3, 8, 8))
    assert error_message(compile_network(spec).layers[0]) == (
        "block 1 (Parallel): lane1 gives 4×8×8 but lane2 gives 3×8×8; they are summed, so they must match "
        "(or merge by concat)"
    )


# ---------------------------------------------------------------------- costs


def test_a_containers_costs_are_its_inner_layers_and_match_torchs_flop_counter() -> None:
    spec = _nested()
    compiled = compile_network(spec)
    costs = network_costs(compiled)
    outer = costs.layers[1]
    body_convs = [c.macs for c in outer.lanes[0]]
    assert outer.macs == sum(body_convs) + sum(c.macs for c in outer.lanes[1])
    assert outer.lanes[0][0].lanes[0][0].macs == 4 * 6 * 6 * 4 * 9  # lane1's stride-2 conv: 4×6×6 outputs, 4×3×3 each
    assert outer.activation_bytes == sum(c.activation_bytes for lane in outer.lanes for c in lane) + 8 * 6 * 6 * 4
    model = build_model(spec).eval()
    with FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *spec.input_shape))
    assert costs.total_macs * 2 == counter.get_total_flops()


# ---------------------------------------------------------------------- ResNet-18 from Residual blocks


def test_the_resnet18_preset_is_built_from_residual_blocks_and_counts_torchvisions_parameters() -> None:
    from torchvision.models import resnet18

    spec = load_preset("cifar10_resnet18")
    assert [layer.type for layer in spec.layers].count("Residual") == 8
    assert sum(1 for layer in spec.layers if layer.lanes and layer.lanes[1]) == 3  # projections where the shape changes
    compiled = compile_network(spec)
    assert compiled.total_params == sum(p.numel() for p in resnet18(num_classes=10).parameters()) == 11_181_642
    legacy = compile_network(load_spec_file(LEGACY_RESNET))
    assert legacy.layers[0].type == "ResNet18" and legacy.total_params == 11_181_642
    assert network_costs(compiled).total_macs == network_costs(legacy).total_macs


def test_torchvisions_resnet18_weights_load_into_the_preset_and_give_the_same_outputs() -> None:
    from torchvision.models import resnet18

    torch.manual_seed(3)
    reference = resnet18(num_classes=10)
    with torch.no_grad():  # running statistics that are not the defaults, so a wrong mapping shows
        for module in reference.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    model = build_model(load_preset("cifar10_resnet18"))
    model.load_state_dict(preset_state_dict_of_torchvision(reference.state_dict()))  # strict: every key maps
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(model.eval()(x), reference.eval()(x), rtol=0, atol=1e-5)
    assert preset_key_of_torchvision("layer2.0.downsample.0.weight") == "8.shortcut.0.weight"
    assert preset_key_of_torchvision("layer4.1.bn2.running_var") == "18.body.4.running_var"
    with pytest.raises(ValueError, match=r"layer5\.0\.conv1\.weight: not a weight of torchvision's ResNet-18"):
        preset_key_of_torchvision("layer5.0.conv1.weight")
