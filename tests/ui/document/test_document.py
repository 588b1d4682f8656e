"""The document: every edit is one undo command, undo/redo round-trip the spec, files are safe."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from gui_app.core.analysis.fixes import Fix, SetParams
from gui_app.core.project.blocks import TOP
from gui_app.core.project.spec import LayerSpec, NetworkSpec, ProjectFileError, load_spec_file
from gui_app.ui.document import document as document_module
from gui_app.ui.document.document import Document, layers_from_text, layers_to_text
from gui_app.ui.window.project_files import mlp_spec


@pytest.fixture
def doc(qapp) -> Document:
    return Document(mlp_spec())


def test_edits_undo_and_redo_round_trip_to_the_same_spec(doc: Document) -> None:
    start = doc.spec.to_dict()
    uids = [layer.uid for layer in doc.spec.layers]
    doc.add_layer("Dropout", 2)
    doc.remove_layers([uids[4]])
    doc.move_blocks([uids[0]], TOP, 4)
    doc.duplicate_layers([uids[1], uids[3]])
    doc.insert_layers(
        1, layers_from_text(layers_to_text([LayerSpec("Tanh"), LayerSpec("Linear", {"out_features": 7})])), "Paste"
    )
    doc.set_param(uids[5], "out_features", 12)
    doc.set_input_shape((1, 14, 56))
    end = doc.spec.to_dict()
    assert end != start
    assert doc.undo_stack.count() == 7
    assert doc.dirty
    while doc.undo_stack.canUndo():
        doc.undo()
    assert doc.spec.to_dict() == start
    assert not doc.dirty
    while doc.undo_stack.canRedo():
        doc.redo()
    assert doc.spec.to_dict() == end


def test_undo_of_a_first_parameter_edit_removes_the_key_again(doc: Document) -> None:
    relu = doc.spec.layers[2]
    doc.add_layer("Conv2d", 0)
    conv = doc.spec.layers[0]
    assert conv.params == {}
    doc.set_param(conv.uid, "kernel_size", 5)
    assert conv.params == {"kernel_size": 5}
    doc.undo()
    assert doc.layer(conv.uid).params == {}
    assert doc.spec.layers[3] is relu


def test_consecutive_edits_of_one_parameter_merge_into_one_undo_step(doc: Document) -> None:
    uid = doc.spec.layers[1].uid
    for value in (100, 101, 102):
        doc.set_param(uid, "out_features", value)
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.undoText() == "Set Linear out_features"
    doc.undo()
    assert doc.layer(uid).params["out_features"] == 128


def test_an_unacceptable_value_is_refused_with_a_message(doc: Document, qtbot) -> None:
    uid = doc.spec.layers[1].uid
    with qtbot.waitSignal(doc.edit_refused) as blocker:
        assert not doc.set_param(uid, "out_features", -3)
    assert "positive integer" in blocker.args[0]
    assert doc.undo_stack.count() == 0
    assert doc.layer(uid).params["out_features"] == 128


def test_each_edit_recompiles_exactly_once(doc: Document, monkeypatch) -> None:
    calls = []
    real = document_module.compile_network
    monkeypatch.setattr(document_module, "compile_network", lambda spec: calls.append(1) or real(spec))
    doc.duplicate_layers([doc.spec.layers[1].uid, doc.spec.layers[2].uid])
    assert len(calls) == 1
    doc.undo()
    assert len(calls) == 2


def test_a_locked_document_refuses_edits_and_says_why(doc: Document, qtbot) -> None:
    doc.lock("Training is running")
    with qtbot.waitSignal(doc.edit_refused) as blocker:
        assert doc.add_layer("ReLU") is None
    assert blocker.args == ["Training is running"]
    assert len(doc.spec.layers) == 6
    doc.unlock()
    assert doc.add_layer("ReLU") is not None


def test_errors_and_shapes_follow_each_edit(doc: Document) -> None:
    assert doc.compiled.ok and doc.first_problem() is None
    conv = doc.add_layer("Conv2d", 1)
    assert not doc.compiled.ok
    assert "Unflatten" in doc.result(conv).error
    assert doc.first_problem().startswith("Block 2 (Conv2d)")
    assert all(r.error is None for r in doc.compiled.layers[:1])
    doc.undo()
    assert doc.compiled.ok
    assert doc.compiled.output_shape == (10,)


def test_save_is_atomic_and_marks_the_document_clean(doc: Document, tmp_path) -> None:
    doc.add_layer("Dropout", 3)
    path = tmp_path / "net.json"
    doc.save(path)
    assert not doc.dirty
    assert doc.path == path
    assert load_spec_file(path).to_dict() == doc.spec.to_dict()
    assert [p.name for p in tmp_path.iterdir()] == ["net.json"]  # no temporary file left behind


def test_load_replaces_the_project_and_starts_a_fresh_history(doc: Document) -> None:
    doc.add_layer("ReLU")
    other = NetworkSpec([LayerSpec("Flatten")], (3, 8, 8), "Other")
    doc.load(other, None)
    assert doc.spec.name == "Other"
    assert doc.undo_stack.count() == 0
    assert not doc.dirty
    assert doc.compiled.output_shape == (192,)


def test_clipboard_text_is_readable_json_that_pastes_back() -> None:
    text = layers_to_text([LayerSpec("Conv2d", {"out_channels": 8}), LayerSpec("ReLU")])
    data = json.loads(text)
    assert data["layers"] == [{"type": "Conv2d", "out_channels": 8}, {"type": "ReLU"}]
    assert [layer.to_dict() for layer in layers_from_text(text)] == data["layers"]
    # A bare list and a whole project file paste too.
    assert len(layers_from_text('[{"type": "Tanh"}]')) == 1
    assert len(layers_from_text(mlp_spec().to_json())) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hello", "not JSON"),
        ('{"a": 1}', "does not hold NetBuilder layers"),
        ('[{"type": "Nope"}]', "unknown layer type"),
        ('[{"type": "Linear", "out_features": -1}]', "positive integer"),
    ],
)
def test_bad_clipboard_text_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ProjectFileError, match=message):
        layers_from_text(text)


def test_setting_an_unset_inferred_size_to_none_is_no_edit(doc: Document) -> None:
    linear = doc.spec.layers[1]
    assert "in_features" not in linear.params
    seen = []
    doc.changed.connect(seen.append)
    assert not doc.set_param(linear.uid, "in_features", None)
    assert doc.undo_stack.count() == 0 and seen == []
    assert "in_features" not in linear.params


def test_undo_of_a_parameter_edit_keeps_the_block_and_restores_its_value(doc: Document) -> None:
    linear = doc.spec.layers[1]
    doc.set_param(linear.uid, "out_features", 64)
    doc.add_layer("Conv2d", 0)
    conv = doc.spec.layers[0]
    doc.set_param(conv.uid, "kernel_size", 5)  # a first edit: undo takes the key out again
    seen = []
    doc.changed.connect(seen.append)
    doc.undo()
    doc.undo()
    doc.undo()
    assert doc.spec.layers[1] is linear and linear.params["out_features"] == 128
    assert conv.params == {}
    # Each undo is one parameter change of the block it names: no block was taken out and put back.
    assert [(c.kind, c.uid) for c in seen[::2]] == [("param", conv.uid), ("param", linear.uid)]
    assert seen[1].kind == "remove"


def test_reset_then_undo_restores_the_file_text_exactly(doc: Document) -> None:
    doc.add_layer("Conv2d", 0, {"out_channels": 8, "kernel_size": 5})
    before = doc.spec.to_json()
    conv = doc.spec.layers[0]
    doc.reset_param(conv.uid, "out_channels")
    assert conv.params == {"kernel_size": 5}
    doc.undo()
    assert doc.spec.to_json() == before  # same keys in the same order


def test_two_settings_are_two_undo_steps_and_one_setting_dragged_is_one(doc: Document) -> None:
    start = doc.spec.training
    doc.set_training(start.replace(epochs=7))
    doc.set_training(doc.spec.training.replace(lr=0.5))
    assert doc.undo_stack.count() == 2
    doc.undo()
    assert doc.spec.training == start.replace(epochs=7)
    doc.undo()
    assert doc.spec.training == start
    for value in (0.02, 0.03, 0.04):  # a spin box dragged: one change of one setting after another
        doc.set_training(doc.spec.training.replace(lr=value))
    assert doc.undo_stack.count() == 1
    doc.undo()
    assert doc.spec.training == start


def test_a_fix_for_a_block_that_is_gone_is_refused_with_a_message(doc: Document, qtbot) -> None:
    stale = SetParams("set out_features to 5", index=9, values={"out_features": 5})  # the MLP has 6 blocks
    with qtbot.waitSignal(doc.edit_refused) as blocker:
        assert not doc.apply_fix(stale)
    assert blocker.args == ["that block or lane is no longer in the network"]
    assert doc.undo_stack.count() == 0


@dataclass(frozen=True)
class _BrokenFix(Fix):
    def _edit(self, spec: NetworkSpec) -> None:
        raise ValueError("a bug in the fix, not a refusal")


def test_a_bug_inside_an_edit_is_raised_not_shown_as_a_refused_edit(doc: Document) -> None:
    refused: list[str] = []
    doc.edit_refused.connect(refused.append)
    with pytest.raises(ValueError, match="a bug in the fix"):
        doc.apply_fix(_BrokenFix("broken"))
    assert refused == [] and doc.undo_stack.count() == 0


def test_top_level_moves_land_before_the_block_at_the_gap_in_one_undo_step_each(doc: Document) -> None:
    start = doc.spec.to_dict()
    uids = [layer.uid for layer in doc.spec.layers]
    assert not doc.move_blocks([uids[0]], TOP, 0) and not doc.move_blocks([uids[0]], TOP, 1)  # already there
    assert not doc.move_blocks([uids[0]], TOP, -5)  # before the first block: where it is
    assert doc.move_blocks([uids[0]], TOP, 99)  # past the end: to the end
    assert [layer.uid for layer in doc.spec.layers] == [*uids[1:], uids[0]]
    assert doc.undo_stack.undoText() == f"Move {doc.spec.layers[-1].type}"
    doc.undo()
    # a selection with a gap closes up before the first block at the gap that stays put
    assert doc.move_blocks([uids[0], uids[2]], TOP, 4)
    assert [layer.uid for layer in doc.spec.layers] == [uids[1], uids[3], uids[0], uids[2], *uids[4:]]
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Move 2 blocks"
    doc.undo()
    assert doc.spec.to_dict() == start
