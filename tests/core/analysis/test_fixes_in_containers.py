"""One-click fixes inside containers: an inner block's error gets its fix, addressed by uid; a
Residual's mismatched shortcut gets the projection ResNet uses; a fix keeps every container whole."""

from __future__ import annotations

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.fixes import ReplaceLane, SetParams
from gui_app.core.analysis.lint import lint_network
from gui_app.core.analysis.repair import fix_all, problems
from gui_app.core.project.blocks import walk
from gui_app.core.project.spec import LayerSpec
from tests.residual_nets import residual_cnn


def _first_problem(spec):
    compiled = compile_network(spec)
    return next(p for p in problems(compiled, lint_network(spec, compiled)) if p.remedy is not None)


def test_a_wrong_in_channels_inside_a_body_is_fixed_where_it_is():
    spec = residual_cnn()
    bad = spec.layers[3].lanes[0][3]
    bad.params["in_channels"] = 8
    problem = _first_problem(spec)
    assert isinstance(problem.remedy, SetParams) and problem.remedy.label == "set in_channels to 16"
    assert problem.uid == bad.uid and problem.address == (3, "body", 3)
    fixed = problem.remedy.apply(spec)
    assert compile_network(fixed).ok
    assert fixed.block(bad.uid).params["in_channels"] == 16
    assert bad.params["in_channels"] == 8  # the network it was given is left alone
    repair = fix_all(spec)
    assert repair.ok and [str(a) for a in repair.applied] == ["block 4.body.4 (Conv2d): set in_channels to 16"]


def test_a_shortcut_that_does_not_match_gets_the_projection_resnet_uses():
    spec = residual_cnn()
    spec.layers[5].lanes[1] = []  # stride 2 and 32 channels in the body, identity in the shortcut
    problem = _first_problem(spec)
    assert isinstance(problem.remedy, ReplaceLane) and problem.uid == spec.layers[5].uid
    assert "1×1 Conv2d with 32 output channels and stride 2" in problem.remedy.label
    fixed = problem.remedy.apply(spec)
    assert compile_network(fixed).ok
    assert [b.to_dict() for b in fixed.layers[5].lanes[1]] == [
        {"type": "Conv2d", "out_channels": 32, "bias": False, "kernel_size": 1, "stride": 2},
        {"type": "BatchNorm2d"},
    ]
    assert compile_network(fixed).total_params == compile_network(residual_cnn()).total_params


def test_a_linear_on_an_image_inside_a_lane_gets_its_flatten_in_that_lane():
    spec = residual_cnn()
    linear = LayerSpec("Linear", {"in_features": 99, "out_features": 16})
    spec.layers[7].lanes[0] = [linear]
    problem = _first_problem(spec)
    assert problem.uid == linear.uid and problem.remedy.label == "insert a Flatten before this Linear"
    fixed = problem.remedy.apply(spec)
    assert [b.type for b in fixed.layers[7].lanes[0]] == ["Flatten", "Linear"]
    assert [b.type for b in fixed.layers] == [b.type for b in spec.layers]


def test_a_fix_of_a_top_level_block_keeps_every_container_whole_with_its_uids():
    spec = residual_cnn()
    spec.layers[-1].params["in_features"] = 99
    problem = _first_problem(spec)
    assert problem.remedy.label == "set in_features to 32"
    fixed = problem.remedy.apply(spec)
    assert compile_network(fixed).ok
    assert [(p.block.uid, p.address) for p in walk(fixed.layers)] == [
        (p.block.uid, p.address) for p in walk(spec.layers)
    ]
    copy = spec.copy(keep_uids=True)
    assert copy.to_json() == spec.to_json() and copy.layers[3] is not spec.layers[3]
