"""One-click fixes: each turns its broken network into a clean one, and clean networks get none."""

from pathlib import Path

import pytest

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.lint import lint_network
from gui_app.core.analysis.repair import fix_all, problems
from gui_app.core.project.presets import list_presets
from gui_app.core.project.spec import LayerSpec, NetworkSpec, load_spec_file
from tests.core.analysis.broken_networks import BROKEN, SCORES, net

SEED_CNN = Path(__file__).parents[2] / "data" / "seed_cifar10_cnn.json"


def _is_clean(spec: NetworkSpec) -> bool:
    compiled = compile_network(spec)
    return compiled.ok and lint_network(spec, compiled) == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_fix_turns_its_broken_network_into_a_clean_one(case):
    spec, label = BROKEN[case]
    before = spec.to_json()
    compiled = compile_network(spec)
    found = [p for p in problems(compiled, lint_network(spec, compiled)) if p.remedy is not None]
    assert found and found[0].remedy.label == label
    fixed = found[0].remedy.apply(spec)
    if case == "Linear on an image, in_features set":
        # The Flatten comes first; then the size it gives is the next error, with its own fix.
        assert compile_network(fixed).errors[0].remedy.label == "set in_features to 2704"
        fixed = compile_network(fixed).errors[0].remedy.apply(fixed)
    assert _is_clean(fixed), (compile_network(fixed).errors, lint_network(fixed))
    assert spec.to_json() == before  # a fix is a copy; the network it was given is left alone


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_fix_all_mends_every_broken_network(case):
    repair = fix_all(BROKEN[case][0])
    assert repair.ok and repair.left == [] and repair.applied
    assert _is_clean(repair.spec)


def test_clean_networks_are_left_unchanged():
    for preset in list_presets():
        spec = preset.load()
        repair = fix_all(spec)
        assert repair.applied == [] and repair.left == [], preset.key
        assert repair.spec.to_json() == spec.to_json()


def test_a_fix_keeps_the_blocks_and_their_uids():
    spec, _label = BROKEN["two Linear layers in a row"]
    fixed = fix_all(spec).spec
    kept = [layer.uid for layer in fixed.layers if layer.type != "ReLU"]
    assert kept == [layer.uid for layer in spec.layers]
    assert [layer.type for layer in fixed.layers] == ["Flatten", "Linear", "ReLU", "Linear"]


def test_the_seed_articles_cnn_comes_out_with_576_and_no_errors():
    spec = load_spec_file(SEED_CNN)
    assert compile_network(spec).errors[0].error.startswith("in_features is 400 but the input gives 576")
    repair = fix_all(spec)
    assert [str(change) for change in repair.applied] == ["block 8 (Linear): set in_features to 576"]
    assert repair.spec.layers[7].params == {"in_features": 576, "out_features": 120}
    assert repair.ok and _is_clean(repair.spec)


def test_errors_without_a_fix_are_left_and_reported():
    spec = net(("Conv2d", {"kernel_size": 40}), ("Flatten", {}), SCORES)
    repair = fix_all(spec)
    assert not repair.ok and repair.applied == []
    assert [(p.severity, p.index, p.remedy) for p in repair.left] == [("error", 0, None)]


def test_the_rounds_are_bounded():
    spec, _label = BROKEN["Linear on an image, in_features set"]
    repair = fix_all(spec, max_rounds=1)
    assert [change.label for change in repair.applied] == ["insert a Flatten before this Linear"]
    assert not repair.ok and repair.left[0].remedy is not None


def test_a_fix_keeps_what_is_inside_containers():
    """Fixing one block must not empty a Residual elsewhere in the network."""
    residual = LayerSpec("Residual", {}, lanes=[[LayerSpec("Linear", {"out_features": 8}), LayerSpec("ReLU")], []])
    spec = NetworkSpec(
        [
            LayerSpec("Flatten"),
            LayerSpec("Linear", {"in_features": 999, "out_features": 8}),
            residual,
            LayerSpec("Linear", {"out_features": 10}),
        ],
        input_shape=[1, 28, 28],
    )
    repair = fix_all(spec)
    assert repair.spec.to_dict()["layers"][2] == residual.to_dict()
    fixed_residual = repair.spec.layers[2]
    assert [block.uid for block in fixed_residual.lanes[0]] == [block.uid for block in residual.lanes[0]]
    assert _is_clean(repair.spec)
