"""The project file is a user-facing contract: round trips, and a clear message for every bad file."""

import json
import os

import pytest

from gui_app.core.project.presets import list_presets
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import (
    FORMAT_VERSION,
    UNSET,
    LayerSpec,
    NetworkSpec,
    ProjectFileError,
    load_spec,
    load_spec_file,
    save_spec,
)

ISSUE_EXAMPLE = {
    "format": "netbuilder",
    "version": 1,
    "name": "MNIST MLP",
    "input_shape": [1, 28, 28],
    "layers": [
        {"type": "Flatten"},
        {"type": "Linear", "out_features": 128},
        {"type": "ReLU"},
        {"type": "Linear", "out_features": 10},
    ],
    "training": {
        "dataset": "mnist",
        "loss": "CrossEntropyLoss",
        "optimizer": "SGD",
        "lr": 0.01,
        "momentum": 0.9,
        "batch_size": 64,
        "epochs": 5,
        "device": "auto",
        "seed": 0,
    },
}


def test_the_documented_example_loads():
    spec = load_spec(json.dumps(ISSUE_EXAMPLE))
    assert spec.name == "MNIST MLP"
    assert spec.input_shape == (1, 28, 28)
    assert [layer.type for layer in spec.layers] == ["Flatten", "Linear", "ReLU", "Linear"]
    assert spec.layers[1].params == {"out_features": 128}
    assert spec.training.batch_size == 64 and spec.training.lr == 0.01


def test_training_and_its_keys_are_optional():
    data = {"input_shape": [2], "layers": [{"type": "Linear", "out_features": 1}]}
    spec = load_spec(json.dumps(data))
    assert spec.training == TrainingConfig()
    spec = load_spec(json.dumps({**data, "training": {"epochs": 3}}))
    assert spec.training.epochs == 3 and spec.training.batch_size == TrainingConfig().batch_size


def test_save_then_load_gives_the_same_project(tmp_path):
    spec = load_spec(json.dumps(ISSUE_EXAMPLE))
    path = tmp_path / "p.json"
    save_spec(spec, path)
    again = load_spec_file(path)
    assert again.to_dict() == spec.to_dict()
    assert json.loads(path.read_text())["layers"][1] == {"type": "Linear", "out_features": 128}


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    spec = load_spec(json.dumps(ISSUE_EXAMPLE))
    save_spec(spec, path)
    before = path.read_text()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    spec.set_name("changed")
    with pytest.raises(OSError):
        save_spec(spec, path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["p.json"]


def test_every_preset_round_trips():
    for preset in list_presets():
        spec = preset.load()
        assert load_spec(spec.to_json()).to_dict() == spec.to_dict()


def _doc(**changes):
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    data.update(changes)
    return json.dumps(data)


def _layers(*layers):
    return _doc(layers=list(layers))


BAD_FILES = [
    ("", "empty"),
    ("   \n", "empty"),
    ("{not json", "not valid JSON"),
    ("[1, 2, 3]", "JSON object"),
    ('"just a string"', "JSON object"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (_doc(version=FORMAT_VERSION + 1), "newer NetBuilder"),
    (_doc(version="1"), "version: must be a positive integer"),
    (_doc(format="keras"), "not a NetBuilder project"),
    (_doc(input_shape="28x28"), "input_shape: must be a list"),
    (_doc(input_shape=[1, 0, 28]), "input_shape[1]: must be a positive integer"),
    (_doc(input_shape=[1, 10**6, 10**6]), "input_shape[1]: must be at most"),
    (_doc(layers={"type": "Linear"}), "layers: must be a list"),
    (_doc(surprise=1), "surprise: unknown key"),
    (_layers({"out_features": 3}), "layers[0].type: missing"),
    (_layers({"type": "Transformer"}), "layers[0].type: unknown layer type 'Transformer'"),
    (_layers({"type": 42}), "layers[0].type: must be a layer type name"),
    (_layers("Linear"), "layers[0]: must be an object"),
    (
        _layers({"type": "Flatten"}, {"type": "Linear", "out_features": "ten"}),
        "layers[1].out_features: must be a positive integer",
    ),
    (_layers({"type": "Linear", "out_features": -3}), "layers[0].out_features: must be a positive integer"),
    (_layers({"type": "Linear", "out_features": 10**12}), "layers[0].out_features: must be at most 1,000,000"),
    (_layers({"type": "Linear", "out_features": 10, "units": 5}), "layers[0].units: unknown parameter of Linear"),
    (_layers({"type": "Dropout", "p": 1.5}), "layers[0].p: must be at most 1"),
    (_layers({"type": "Dropout", "p": float("nan")}), "layers[0].p: must be a finite number"),
    (_layers({"type": "Conv2d", "kernel_size": [3, 3, 3]}), "layers[0].kernel_size: must be an integer or a list of 2"),
    (_layers({"type": "Conv2d", "padding": "full"}), "layers[0].padding"),
    (_layers({"type": "Linear", "bias": "yes"}), "layers[0].bias: must be true or false"),
    (_layers({"type": "GELU", "approximate": "fast"}), "layers[0].approximate: must be one of"),
    (_doc(training={"lr": "fast"}), "training.lr: must be a number"),
    (_doc(training={"optimizer": "Adamax"}), "training.optimizer: must be one of"),
    (_doc(training={"batch_size": 0}), "training.batch_size: must be a positive integer"),
    (_doc(training={"color": "red"}), "training.color: unknown setting"),
    (_doc(training=[]), "training: must be an object"),
    (_doc(layers=[{"type": "ReLU"}] * 5000), "more than"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_FILES, ids=[e for _, e in BAD_FILES])
def test_bad_files_get_a_one_line_reason(text, expected):
    with pytest.raises(ProjectFileError) as info:
        load_spec(text)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_binary_and_missing_files_are_refused_with_the_file_name(tmp_path):
    binary = tmp_path / "weights.json"
    binary.write_bytes(b"\x80\x03\x89PNG\xff\xfe")
    with pytest.raises(ProjectFileError, match=r"weights\.json: not a text file"):
        load_spec_file(binary)
    with pytest.raises(ProjectFileError, match=r"nope\.json: no such file"):
        load_spec_file(tmp_path / "nope.json")


def test_a_byte_order_mark_loads(tmp_path):
    """Notepad and other Windows editors write UTF-8 with a BOM; json.loads alone refuses it."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ISSUE_EXAMPLE).encode())
    assert load_spec_file(path).name == "MNIST MLP"
    assert load_spec("\ufeff" + json.dumps(ISSUE_EXAMPLE)).name == "MNIST MLP"


DUPLICATES = [
    ('{"name": "a", "input_shape": [1, 28, 28], "name": "b"}', "(top level): duplicate key 'name'"),
    (
        '{"input_shape": [4], "layers": [{"type": "ReLU"}, {"type": "Linear", "out_features": 3, "out_features": 9}]}',
        "layers[1]: duplicate key 'out_features'",
    ),
    ('{"input_shape": [4], "training": {"lr": 0.1, "epochs": 2, "lr": 5}}', "training: duplicate key 'lr'"),
]


@pytest.mark.parametrize(("text", "expected"), DUPLICATES, ids=["top", "layer", "training"])
def test_duplicate_keys_are_an_error_naming_the_key_and_where(text, expected):
    with pytest.raises(ProjectFileError) as info:
        load_spec(text)
    assert expected in str(info.value)


@pytest.mark.parametrize("digits", [41, 4301, 100_000])
def test_integers_of_many_digits_are_refused_with_a_clear_message(digits):
    text = '{"input_shape": [1, 28, 28], "training": {"seed": ' + "7" * digits + "}}"
    with pytest.raises(ProjectFileError, match=f"an integer of {digits:,} digits"):
        load_spec(text)


UNSAFE_TEXT = [
    ('"name": "\\u001b[2Jgone"', "name: holds the control character \\x1b at position 0"),
    ('"name": "bell\\u0007"', "name: holds the control character \\x07 at position 4"),
    ('"name": "del\\u007f"', "name: holds the control character \\x7f"),
    ('"name": "c1\\u009b31m"', "name: holds the control character \\x9b"),
    ('"name": "half \\ud800 a pair"', "name: holds a lone surrogate \\ud800 at position 5"),
    ('"name": "tab\\there"', "name: holds the control character \\t"),
    ('"training": {"data_dir": "/data\\u001b]0;x\\u0007"}', "training.data_dir: holds the control character \\x1b"),
    ('"training": {"\\udfff": 1}', "a key): holds a lone surrogate \\udfff"),
]


@pytest.mark.parametrize(("member", "expected"), UNSAFE_TEXT, ids=[m for m, _ in UNSAFE_TEXT])
def test_control_characters_and_lone_surrogates_are_refused_and_shown_escaped(member, expected):
    text = '{"input_shape": [1, 28, 28], ' + member + "}"
    with pytest.raises(ProjectFileError) as info:
        load_spec(text)
    message = str(info.value)
    assert expected in message
    assert message.isprintable() and message.encode("utf-8")  # nothing raw reaches a terminal


def test_a_name_with_accents_and_emoji_still_loads():
    assert load_spec(_doc(name="Réseau \u00e9t\u00e9 \U0001f9e0")).name == "Réseau été 🧠"


def test_devices_fifos_and_huge_files_are_refused_by_size_before_reading(tmp_path):
    """/dev/zero itself is tried in a child process with capped memory (test_cli_summary)."""
    with pytest.raises(ProjectFileError, match="/dev/null: not a regular file"):
        load_spec_file("/dev/null")
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)  # opening it would block forever: it must be refused from its stat alone
    with pytest.raises(ProjectFileError, match=r"pipe\.json: not a regular file"):
        load_spec_file(fifo)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as handle:
        handle.truncate(17 * 2**20)  # sparse: costs no disk
    with pytest.raises(ProjectFileError, match=r"huge\.json: the file is larger than 16\.0 MB"):
        load_spec_file(huge)
    with pytest.raises(ProjectFileError, match=r"larger than 16\.0 MB"):
        load_spec(" " * (16 * 2**20 + 1))


def test_loading_never_evaluates_code(tmp_path):
    marker = tmp_path / "pwned"
    text = _layers({"type": f"__import__('os').system('touch {marker}')"})
    with pytest.raises(ProjectFileError):
        load_spec(text)
    assert not marker.exists()


def test_edits_emit_plain_change_events_and_batch_groups_them():
    spec = NetworkSpec([LayerSpec("Flatten")])
    seen = []
    spec.changed.connect(seen.append)
    relu = LayerSpec("ReLU")
    spec.insert_layer(1, relu)
    spec.set_param(0, "start_dim", 1)  # the default, set explicitly: a real change of the file
    spec.set_param(0, "start_dim", 1)  # no change: no event
    spec.move_layer(1, 0)
    assert [c.kind for c in seen] == ["insert", "param", "move"]
    assert seen[0].uid == relu.uid and seen[2].index == 0
    seen.clear()
    identity = LayerSpec("Identity")
    with spec.batch():
        spec.insert_layer(2, identity)
        spec.remove_layer(0)
    assert len(seen) == 1  # one emission ...
    assert [(c.kind, c.uid) for c in seen[0].each()] == [("insert", identity.uid), ("remove", relu.uid)]


def test_a_batch_of_one_edit_emits_that_edit_itself():
    spec = NetworkSpec([LayerSpec("Flatten")])
    seen = []
    spec.changed.connect(seen.append)
    with spec.batch():
        spec.set_param(0, "start_dim", 2)
    assert [(c.kind, c.key, c.value) for c in seen] == [("param", "start_dim", 2)]


def test_setting_an_unset_inferred_size_to_none_is_no_change():
    spec = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 10})])
    seen = []
    spec.changed.connect(seen.append)
    assert not spec.set_param(1, "in_features", None)
    assert spec.layers[1].params == {"out_features": 10}  # no explicit null stored
    assert seen == []
    assert json.loads(spec.to_json())["layers"][1] == {"type": "Linear", "out_features": 10}


def test_set_params_changes_several_keys_of_the_same_block_in_one_emission():
    spec = NetworkSpec([LayerSpec("Conv2d", {"out_channels": 4})])
    layer = spec.layers[0]
    seen = []
    spec.changed.connect(seen.append)
    assert spec.set_params(0, {"out_channels": 8, "kernel_size": 5, "in_channels": None})
    assert spec.layers[0] is layer and layer.params == {"out_channels": 8, "kernel_size": 5}
    assert len(seen) == 1
    assert sorted((c.key, c.value) for c in seen[0].each()) == [("kernel_size", 5), ("out_channels", 8)]
    assert spec.set_params(0, {"kernel_size": UNSET})
    assert layer.params == {"out_channels": 8}


def test_set_param_refuses_bad_values_and_keeps_the_old_one():
    from gui_app.core.layers.catalogue import ParamError

    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 10})], input_shape=(4,))
    with pytest.raises(ParamError):
        spec.set_param(0, "out_features", 0)
    assert spec.layers[0].params == {"out_features": 10}
