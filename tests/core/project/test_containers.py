"""Containers in the project: nested blocks load, save and refuse hostile files like any block, and
the lane edits (pure functions, and the spec's methods built on them) address blocks by uid."""

from __future__ import annotations

import json

import pytest

from gui_app.core.layers.catalogue import ParamError
from gui_app.core.project import lane_edits
from gui_app.core.project.blocks import TOP, Lane, locate, walk
from gui_app.core.project.spec import (
    ChangeKind,
    LayerSpec,
    NetworkSpec,
    ProjectFileError,
    load_spec,
    load_spec_file,
)
from gui_app.core.project.validation import MAX_DEPTH


def _conv(channels: int = 8) -> LayerSpec:
    return LayerSpec("Conv2d", {"out_channels": channels, "padding": 1})


def _residual(body: list[LayerSpec], shortcut: list[LayerSpec] | None = None) -> LayerSpec:
    return LayerSpec("Residual", lanes=[body, shortcut or []])


def _nested_network() -> NetworkSpec:
    """Conv, then a Residual whose body holds a Parallel whose second lane holds a Residual."""
    inner = _residual([_conv(), LayerSpec("ReLU")])
    parallel = LayerSpec("Parallel", {"merge": "sum"}, lanes=[[_conv()], [inner]])
    return NetworkSpec([_conv(), _residual([parallel, LayerSpec("BatchNorm2d")])], (3, 16, 16))


def _doc(layers: list) -> str:
    return json.dumps({"format": "netbuilder", "version": 2, "input_shape": [3, 16, 16], "layers": layers})


def _deep(levels: int) -> dict:
    block: dict = {"type": "ReLU"}
    for _ in range(levels):
        block = {"type": "Residual", "lanes": [[block], []]}
    return block


def test_nested_blocks_save_and_load_as_the_same_tree(tmp_path) -> None:
    spec = _nested_network()
    path = tmp_path / "nested.json"
    path.write_text(spec.to_json())
    again = load_spec_file(path)
    assert again.to_dict() == spec.to_dict()
    saved = json.loads(path.read_text())["layers"][1]
    assert saved["type"] == "Residual" and saved["lanes"][1] == []
    assert saved["lanes"][0][0]["lanes"][1][0]["lanes"][0][0] == {"type": "Conv2d", "out_channels": 8, "padding": 1}
    addresses = [place.address for place in walk(again.layers)]
    assert (1, "body", 0, "lane2", 0, "body", 1) in addresses


def test_a_container_without_lanes_gets_empty_ones() -> None:
    spec = load_spec(_doc([{"type": "Residual"}, {"type": "Parallel"}]))
    assert spec.layers[0].lanes == [[], []] and spec.layers[1].lanes == [[], []]
    assert LayerSpec("Parallel").lanes == [[], []]


HOSTILE = [
    ([_deep(MAX_DEPTH + 1)], "containers may nest at most 8 deep"),
    ([{"type": "Linear", "lanes": [[], []]}], "layers[0].lanes: a Linear holds no lanes"),
    (
        [{"type": "Residual", "lanes": [[], [], []]}],
        "layers[0].lanes: a Residual holds exactly 2 lanes (body, shortcut), not 3",
    ),
    ([{"type": "Parallel", "lanes": [[]]}], "layers[0].lanes: a Parallel holds 2 to 16 lanes, not 1"),
    ([{"type": "Parallel", "lanes": [[]] * 17}], "a Parallel holds 2 to 16 lanes, not 17"),
    ([{"type": "Residual", "lanes": {"body": []}}], "layers[0].lanes: must be a list of lanes"),
    ([{"type": "Residual", "lanes": [[], "ReLU"]}], "layers[0].lanes: must be a list of lanes"),
    (
        [{"type": "Residual", "lanes": [[{"type": "Linear", "out_features": 0}], []]}],
        "layers[0].lanes[0][0].out_features: must be a positive",
    ),
    (
        [{"type": "Residual", "lanes": [[{"type": "Nope"}], []]}],
        "layers[0].lanes[0][0].type: unknown layer type 'Nope'",
    ),
    ([{"type": "Residual", "lanes": [[{"out_features": 3}], []]}], "layers[0].lanes[0][0].type: missing"),
    ([{"type": "Residual", "lanes": [[7], []]}], "layers[0].lanes[0][0]: must be an object"),
    ([{"type": "Residual", "body": []}], "layers[0].body: unknown parameter of Residual"),
    ([{"type": "Parallel", "merge": "product"}], "layers[0].merge: must be one of 'concat', 'sum'"),
    (
        [{"type": "Residual", "lanes": [[{"type": "ReLU"}] * 1001, [{"type": "ReLU"}] * 1000]}],
        "more than 2000 blocks in all",
    ),
]


@pytest.mark.parametrize(("layers", "message"), HOSTILE)
def test_hostile_nested_blocks_are_refused_naming_the_path(layers: list, message: str) -> None:
    with pytest.raises(ProjectFileError) as info:
        load_spec(_doc(layers))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_nesting_at_the_limit_loads() -> None:
    spec = load_spec(_doc([_deep(MAX_DEPTH)]))
    assert max(place.depth for place in walk(spec.layers)) == MAX_DEPTH


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[{"type": "Residual", "lanes": [[{"type": "ReLU", "type": "ReLU"}], []]}]',
            "layers[0].lanes[0][0]: duplicate key 'type'",
        ),
        (
            '[{"type": "Residual", "lanes": [[{"type": "Re\\u001bLU"}], []]}]',
            "layers[0].lanes[0][0].type: holds the control character",
        ),
    ],
)
def test_duplicate_keys_and_control_characters_deep_inside_are_refused(text: str, message: str) -> None:
    document = '{"input_shape": [3, 16, 16], "layers": ' + text + "}"
    with pytest.raises(ProjectFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_spec(document)


# ---------------------------------------------------------------------- pure lane edits


def test_lane_edits_are_pure_and_keep_uids() -> None:
    spec = _nested_network()
    before = spec.to_dict()
    residual = spec.layers[1]
    added = LayerSpec("ReLU")
    tree = lane_edits.inserted(spec.layers, Lane(residual.uid, 1), 0, [added])
    assert spec.to_dict() == before  # the argument is untouched
    assert locate(tree, added.uid).address == (1, "shortcut", 0)
    assert locate(tree, residual.uid).block is not residual  # copied on the path, same uid
    assert tree[0] is spec.layers[0]  # untouched blocks are shared
    tree, place = lane_edits.removed(tree, added.uid)
    assert place.lane == Lane(residual.uid, 1) and place.index == 0
    assert NetworkSpec(tree, spec.input_shape).to_dict() == before


def test_a_block_moves_into_out_of_and_between_lanes() -> None:
    spec = _nested_network()
    first = spec.layers[0]
    parallel = spec.layers[1].lanes[0][0]
    tree, was = lane_edits.moved(spec.layers, first.uid, Lane(parallel.uid, 0), 1)
    assert was.address == (0,) and locate(tree, first.uid).address == (0, "body", 0, "lane1", 1)
    tree, _ = lane_edits.moved(tree, first.uid, Lane(parallel.uid, 1), 0)
    assert locate(tree, first.uid).address == (0, "body", 0, "lane2", 0)
    tree, _ = lane_edits.moved(tree, first.uid, TOP, 5)
    assert locate(tree, first.uid).address == (1,)


def test_a_container_cannot_go_into_its_own_lanes() -> None:
    spec = _nested_network()
    outer, parallel = spec.layers[1], spec.layers[1].lanes[0][0]
    for lane in (Lane(outer.uid, 0), Lane(parallel.uid, 1)):
        with pytest.raises(ParamError, match="cannot go into one of its own lanes"):
            lane_edits.moved(spec.layers, outer.uid, lane, 0)


def test_a_parallel_gains_and_loses_lanes_within_its_bounds_and_a_residual_keeps_two() -> None:
    spec = _nested_network()
    parallel, residual = spec.layers[1].lanes[0][0], spec.layers[1]
    tree = lane_edits.lane_added(spec.layers, parallel.uid, 2, [LayerSpec("ReLU")])
    assert len(locate(tree, parallel.uid).block.lanes) == 3
    tree, old = lane_edits.lane_removed(tree, parallel.uid, 0)
    assert [b.type for b in old] == ["Conv2d"]
    with pytest.raises(ParamError, match="at least 2 lanes"):
        lane_edits.lane_removed(tree, parallel.uid, 0)
    with pytest.raises(ParamError, match="always has its 2 lanes"):
        lane_edits.lane_added(tree, residual.uid, 0)


# ---------------------------------------------------------------------- the spec's lane edits


def test_spec_lane_edits_emit_one_change_each_and_invert_by_the_place_they_return() -> None:
    spec = _nested_network()
    before = spec.to_dict()
    seen = []
    spec.changed.connect(seen.append)
    residual = spec.layers[1]
    block = LayerSpec("Dropout2d")
    spec.insert_block(Lane(residual.uid, 1), 0, block)
    assert seen[-1].kind is ChangeKind.INSERT and seen[-1].lane == Lane(residual.uid, 1)
    spec.move_block(block.uid, TOP, 0)
    assert seen[-1].kind is ChangeKind.MOVE and seen[-1].from_lane == Lane(residual.uid, 1)
    assert spec.place(block.uid).address == (0,)
    place = spec.remove_block(block.uid)
    assert spec.to_dict() == before and len(seen) == 3
    spec.insert_block(place.lane, place.index, place.block)  # an undo of the removal
    spec.set_param(0, "p", 0.3)
    assert spec.block(block.uid).params == {"p": 0.3}


def test_spec_refuses_a_block_twice_a_bad_block_and_nesting_too_deep() -> None:
    spec = _nested_network()
    residual = spec.layers[1]
    with pytest.raises(ValueError, match="in the network already"):
        spec.insert_block(Lane(residual.uid, 1), 0, spec.layers[0])
    with pytest.raises(ParamError, match=r"block\.out_features: must be a positive integer"):
        spec.insert_block(Lane(residual.uid, 1), 0, LayerSpec("Linear", {"out_features": 0}))
    deep = load_spec(_doc([_deep(MAX_DEPTH)])).layers[0]  # as deep as the top level allows
    with pytest.raises(ParamError, match="nest at most 8 deep"):
        spec.insert_block(Lane(residual.uid, 1), 0, deep)
    holder = LayerSpec("Residual")
    with pytest.raises(ParamError, match="nest at most 8 deep"):
        NetworkSpec([deep, holder]).move_block(deep.uid, Lane(holder.uid, 0), 0)
    spec.insert_block(Lane(residual.uid, 1), 0, load_spec(_doc([_deep(MAX_DEPTH - 1)])).layers[0])


def test_nested_params_edit_by_uid_and_replace_lane_applies_a_fix() -> None:
    spec = _nested_network()
    parallel = spec.layers[1].lanes[0][0]
    seen = []
    spec.changed.connect(seen.append)
    assert spec.replace_block_params(parallel.uid, spec.edited_block_params(parallel.uid, {"merge": "concat"}))
    assert spec.block(parallel.uid).params == {"merge": "concat"}
    assert seen[-1].kind is ChangeKind.PARAM and seen[-1].lane == Lane(spec.layers[1].uid, 0)
    with pytest.raises(ParamError, match="merge: must be one of"):
        spec.edited_block_params(parallel.uid, {"merge": "max"})
    old = spec.replace_lane(Lane(spec.layers[1].uid, 1), [LayerSpec("Conv2d", {"out_channels": 8, "kernel_size": 1})])
    assert old == [] and seen[-1].kind is ChangeKind.LANES
    assert spec.layers[1].lanes[1][0].params["kernel_size"] == 1


def test_copy_gives_every_nested_block_a_new_uid() -> None:
    spec = _nested_network()
    copied = spec.copy()
    assert copied.to_dict() == spec.to_dict()
    old = {place.block.uid for place in walk(spec.layers)}
    assert not old & {place.block.uid for place in walk(copied.layers)}
