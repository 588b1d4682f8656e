"""Every edit of a network with containers is one undo step, and undo and redo restore the spec
exactly: its JSON, and every block's uid at every depth."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gui_app.core.project.blocks import TOP, Lane, walk
from gui_app.ui.document.document import Document, layers_from_text, layers_to_text
from tests.residual_nets import residual_cnn


@pytest.fixture
def doc(qapp) -> Document:
    return Document(residual_cnn())


def state(doc: Document) -> tuple[str, list[tuple[int, tuple]]]:
    return doc.spec.to_json(), [(place.block.uid, place.address) for place in walk(doc.spec.layers)]


def body(doc: Document, n: int = 3) -> Lane:
    return Lane(doc.spec.layers[n].uid, 0)


def shortcut(doc: Document, n: int = 3) -> Lane:
    return Lane(doc.spec.layers[n].uid, 1)


def inner(doc: Document, n: int, lane: int, i: int) -> int:
    return doc.spec.layers[n].lanes[lane][i].uid


def _bad_in_channels(doc: Document) -> bool:
    bad = inner(doc, 3, 0, 3)
    doc.spec.block(bad).params["in_channels"] = 8  # as a file could hold it
    doc.spec.set_layers(list(doc.spec.layers))
    fixes = doc.fixes_for(bad)
    return bool(fixes) and doc.apply_fix(fixes[0].remedy)


def _bad_shortcut(doc: Document) -> bool:
    residual = doc.spec.layers[5].uid
    doc.spec.replace_lane(Lane(residual, 1), [])
    fixes = doc.fixes_for(residual)
    return bool(fixes) and doc.apply_fix(fixes[0].remedy)


EDITS: dict[str, Callable[[Document], object]] = {
    "add a layer into a body": lambda d: d.add_layer("Dropout", 2, lane=body(d)),
    "add a layer into an empty shortcut": lambda d: d.add_layer("Identity", 0, lane=shortcut(d)),
    "add a Residual into a Parallel lane": lambda d: d.add_layer("Residual", 1, lane=Lane(d.spec.layers[7].uid, 1)),
    "add a Parallel at the top level": lambda d: d.add_layer("Parallel", 3),
    "delete an inner block": lambda d: d.remove_layers([inner(d, 3, 0, 2)]),
    "delete a container with its lanes": lambda d: d.remove_layers([d.spec.layers[5].uid]),
    "delete blocks of two lanes at once": lambda d: d.remove_layers([inner(d, 5, 0, 1), inner(d, 5, 1, 1)]),
    "duplicate an inner block": lambda d: d.duplicate_layers([inner(d, 5, 1, 0)]),
    "duplicate a container": lambda d: d.duplicate_layers([d.spec.layers[3].uid]),
    "paste a container into a lane": lambda d: d.insert_blocks(
        Lane(d.spec.layers[7].uid, 0), 1, layers_from_text(layers_to_text([d.spec.layers[3]])), "Paste Residual"
    ),
    "move a block out of a lane to the top level": lambda d: d.move_blocks([inner(d, 3, 0, 2)], TOP, 5),
    "move a top-level block into a lane": lambda d: d.move_blocks([d.spec.layers[4].uid], body(d), 5),
    "move a block between lanes": lambda d: d.move_blocks([inner(d, 3, 0, 2)], shortcut(d), 0),
    "move a block along its lane": lambda d: d.move_blocks([inner(d, 3, 0, 0)], body(d), 3),
    "move two blocks into another container": lambda d: d.move_blocks(
        [inner(d, 3, 0, 1), inner(d, 3, 0, 2)], Lane(d.spec.layers[7].uid, 0), 0
    ),
    "move a container into a lane": lambda d: d.move_blocks([d.spec.layers[3].uid], Lane(d.spec.layers[7].uid, 1), 0),
    "add a Parallel lane": lambda d: d.add_lane(d.spec.layers[7].uid),
    "remove a Parallel lane with its blocks": lambda d: d.remove_lane(d.spec.layers[7].uid, 2),
    "set an inner block's parameter": lambda d: d.set_param(inner(d, 3, 0, 0), "out_channels", 24),
    "reset an inner block's parameter": lambda d: d.reset_param(inner(d, 5, 0, 0), "stride"),
    "set a Parallel's merge": lambda d: d.set_param(d.spec.layers[7].uid, "merge", "sum"),
    "fix a wrong in_channels inside a body": _bad_in_channels,
    "fix a shortcut that does not match": _bad_shortcut,
}


def _third_lane_with_a_relu(doc: Document) -> None:
    parallel = doc.spec.layers[7].uid
    doc.add_lane(parallel)
    doc.add_layer("ReLU", 0, lane=Lane(parallel, 2))
    doc.undo_stack.clear()


#: What an edit needs done first (not part of the undo step under test).
SETUPS: dict[str, Callable[[Document], None]] = {"remove a Parallel lane with its blocks": _third_lane_with_a_relu}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_container_edit_is_one_undo_step_that_undo_and_redo_restore_exactly(doc: Document, name: str) -> None:
    edit = EDITS[name]
    if name.startswith("fix"):
        assert edit(doc)
        after = state(doc)
        assert doc.compiled.ok and doc.undo_stack.count() == 1
        doc.undo()
        assert not doc.compiled.ok  # the mistake is back
        doc.redo()
        assert state(doc) == after
        return
    SETUPS.get(name, lambda _doc: None)(doc)
    before = state(doc)
    assert edit(doc)
    assert doc.undo_stack.count() == 1
    after = state(doc)
    assert after != before
    doc.undo()
    assert state(doc) == before
    doc.redo()
    assert state(doc) == after
    doc.undo()
    assert state(doc) == before


def test_a_block_dropped_into_a_lane_lands_there_and_keeps_the_network_compiling(doc: Document) -> None:
    uid = doc.add_layer("Dropout", 2, lane=body(doc))
    place = doc.spec.place(uid)
    assert place.lane == body(doc) and place.index == 2 and place.address == (3, "body", 2)
    assert doc.compiled.ok and doc.result(uid).output_shape == (16, 32, 32)


def test_moving_blocks_between_lanes_puts_them_where_asked(doc: Document) -> None:
    relu = inner(doc, 3, 0, 2)
    assert doc.move_blocks([relu], shortcut(doc), 0)
    assert [b.type for b in doc.spec.layers[3].lanes[1]] == ["ReLU"]
    assert doc.move_blocks([relu], TOP, 3)
    assert doc.spec.layers[3].uid == relu and doc.spec.place(relu).depth == 0


def test_a_container_cannot_go_into_its_own_lane_and_the_refusal_says_why(doc: Document, qtbot) -> None:
    residual = doc.spec.layers[3].uid
    with qtbot.waitSignal(doc.edit_refused) as refused:
        assert not doc.move_blocks([residual], body(doc), 0)
    assert "its own lanes" in refused.args[0]
    assert doc.undo_stack.count() == 0


def test_a_residual_keeps_its_two_lanes_and_a_parallel_its_bounds(doc: Document, qtbot) -> None:
    with qtbot.waitSignal(doc.edit_refused) as refused:
        assert not doc.add_lane(doc.spec.layers[3].uid)
    assert "body, shortcut" in refused.args[0]
    with qtbot.waitSignal(doc.edit_refused) as refused:
        assert not doc.remove_lane(doc.spec.layers[7].uid, 0)
    assert "at least 2" in refused.args[0]
    assert doc.undo_stack.count() == 0


def test_a_dropped_container_comes_with_its_empty_lanes(doc: Document) -> None:
    uid = doc.add_layer("Parallel", 0, lane=body(doc))
    assert doc.spec.block(uid).lanes == [[], []]
    assert doc.spec.place(uid).address == (3, "body", 0)


def test_copied_containers_paste_with_their_lanes_as_new_blocks(doc: Document) -> None:
    text = layers_to_text([doc.spec.layers[5]])
    pasted = layers_from_text(text)
    assert [b.to_dict() for b in pasted] == [doc.spec.layers[5].to_dict()]
    uids = doc.insert_blocks(TOP, 6, pasted, "Paste Residual")
    assert len(uids) == 1 and uids[0] != doc.spec.layers[5].uid
    assert [b.type for b in doc.spec.layers[6].lanes[1]] == ["Conv2d", "BatchNorm2d"]


def test_a_container_pasted_from_a_bad_clipboard_is_refused_with_the_path(doc: Document) -> None:
    from gui_app.core.project.spec import ProjectFileError

    with pytest.raises(ProjectFileError, match=r"clipboard layer 1: lanes\[0\]\[0\].*unknown layer type"):
        layers_from_text('[{"type": "Residual", "lanes": [[{"type": "Nope"}], []]}]')


def test_an_inner_block_is_edited_through_the_document_like_any_block(doc: Document) -> None:
    last_conv = inner(doc, 3, 0, 3)
    assert doc.set_param(last_conv, "out_channels", 24)
    assert doc.layer(last_conv).params["out_channels"] == 24
    assert doc.result(last_conv).output_shape == (24, 32, 32)
    # The body now gives 24 channels where the identity shortcut gives 16: the Residual says so,
    # and offers the projection as its fix.
    residual = doc.spec.layers[3].uid
    assert "the body gives 24×32×32 but the shortcut gives 16×32×32" in doc.result(residual).error
    assert next(p.remedy.label for p in doc.fixes_for(residual)).startswith("put a 1×1 Conv2d with 24 output channels")
