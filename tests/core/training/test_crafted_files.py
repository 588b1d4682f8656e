"""Crafted model files and checkpoints through the commands users run: exit 2, the file named, no traceback.

A file that ``torch.load(weights_only=True)`` accepts ran no code, but it can still hold a list
where a dict belongs, ``std=[0]`` or ``epoch=-5``. Each case here is a valid checkpoint, made once
per module, with one part damaged, run through ``predict --model``, ``export --weights`` and
``train --resume``.
"""

from __future__ import annotations

import copy
import math
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image

from gui_app.cli import main
from gui_app.core.files.reading import MODEL_LIMIT
from gui_app.core.project.spec import LayerSpec, save_spec
from gui_app.core.training.checkpoints import save_checkpoint
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice

Payload = dict[str, Any]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A real one-epoch checkpoint of a small MLP, its project file and a digit picture."""
    folder = tmp_path_factory.mktemp("crafted")
    trainer = Trainer(mlp_spec(hidden=8), config(optimizer="Adam", scheduler="StepLR"), dataset=mnist_slice(64, 32))
    assert trainer.fit().status == "completed"
    checkpoint = folder / "good.pt"
    save_checkpoint(trainer.checkpoint(), checkpoint)
    project = folder / "good.json"
    save_spec(mlp_spec(hidden=8), project)
    picture = folder / "digit.png"
    Image.new("L", (28, 28), 0).save(picture)
    return {
        "folder": folder,
        "checkpoint": checkpoint,
        "payload": torch.load(checkpoint, weights_only=True),
        "project": project,
        "picture": picture,
    }


def _changed(**changes: Any) -> Callable[[Payload], Payload]:
    """A damage: these top-level keys replaced (a value of ``...`` deletes the key)."""

    def damage(payload: Payload) -> Payload:
        payload = copy.deepcopy(payload)
        for key, value in changes.items():
            if value is ...:
                payload.pop(key, None)
            else:
                payload[key] = value
        return payload

    return damage


def _edited(edit: Callable[[Payload], None]) -> Callable[[Payload], Payload]:
    """A damage made by editing a deep copy in place."""

    def damage(payload: Payload) -> Payload:
        payload = copy.deepcopy(payload)
        edit(payload)
        return payload

    return damage


def _first_weight(payload: Payload) -> torch.Tensor:
    return payload["model"]["1.weight"]


def _nan_weight(payload: Payload) -> None:
    _first_weight(payload)[0, 0] = math.nan


def _optimizer_lr(value: Any) -> Callable[[Payload], None]:
    def edit(payload: Payload) -> None:
        payload["optimizer"]["param_groups"][0]["lr"] = value

    return edit


def _optimizer_entry(key: str, value: Any) -> Callable[[Payload], None]:
    def edit(payload: Payload) -> None:
        payload["optimizer"]["state"][0][key] = value

    return edit


def _extra_group(payload: Payload) -> None:
    group = payload["optimizer"]["param_groups"][0]
    payload["optimizer"]["param_groups"].append({**group, "params": [99]})


def _history_row(**changes: Any) -> Callable[[Payload], None]:
    def edit(payload: Payload) -> None:
        payload["history"][0].update(changes)

    return edit


#: (id, damage, words the message must hold). Each breaks the model part, so every command refuses it.
MODEL_DAMAGE = [
    ("list-at-top", lambda p: [p], "not a NetBuilder model file"),
    ("model-is-a-list", _changed(model=[]), "model: must be a dict"),
    ("weight-is-text", _edited(lambda p: p["model"].update({"1.weight": "x"})), "'1.weight' must be a name"),
    ("nan-weight", _edited(_nan_weight), "NaN or infinite weights"),
    ("weight-shape", _edited(lambda p: p["model"].update({"1.weight": torch.zeros(3, 3)})), "'1.weight' is 3×3 in"),
    ("weight-missing", _edited(lambda p: p["model"].pop("3.bias")), "no weights for '3.bias'"),
    ("weight-extra", _edited(lambda p: p["model"].update({"9.weight": torch.zeros(1)})), "'9.weight', which it lacks"),
    ("normalization-list", _changed(normalization=[]), "normalization: must be a dict"),
    ("normalization-empty", _changed(normalization={"mean": [], "std": []}), "normalization: 0 values"),
    ("std-zero", _changed(normalization={"mean": [0.1], "std": [0]}), "std 0"),
    ("std-negative", _changed(normalization={"mean": [0.1], "std": [-1.0]}), "must be > 0"),
    ("std-nan", _changed(normalization={"mean": [0.1], "std": [math.nan]}), "finite numbers"),
    ("std-text", _changed(normalization={"mean": [0.1], "std": ["1"]}), "finite numbers"),
    ("lengths-differ", _changed(normalization={"mean": [0.1, 0.2], "std": [0.3]}), "same length"),
    ("too-many-channels", _changed(normalization={"mean": [0.1] * 3, "std": [0.3] * 3}), "1 channel"),
    ("spec-json-int", _changed(spec_json=5), "spec_json: must be the network spec as JSON text"),
    ("spec-json-dict", _changed(spec_json={"input_shape": [1, 28, 28]}), "spec_json: must be"),
    ("spec-json-broken", _changed(spec_json="{"), "its network spec is invalid"),
    ("metrics-list", _changed(metrics=[1.0]), "metrics: must be a dict"),
    ("metrics-text", _changed(metrics={"accuracy": "high"}), "'accuracy' must be a name mapped to a finite"),
    ("metrics-nan", _changed(metrics={"accuracy": math.nan}), "finite number"),
    ("metrics-bool", _changed(metrics={"accuracy": True}), "finite number"),
    ("format-other", _changed(format="keras"), "not a NetBuilder model"),
    # float32 is what the inputs are normalised in: 1e-300 is 0 there, 1e300 is infinity
    ("std-zero-in-float32", _changed(normalization={"mean": [0.1], "std": [1e-300]}), "std 1e-300"),
    ("mean-beyond-float32", _changed(normalization={"mean": [1e300], "std": [0.3]}), "float32's range"),
    (
        "weight-float8",
        _edited(lambda p: p["model"].update({"3.bias": p["model"]["3.bias"].to(torch.float8_e4m3fn)})),
        "which NetBuilder does not use",
    ),
    ("no-spec", _changed(spec_json=...), "no network spec or weights"),
]

#: Damage to the training state only: a plain model reader may use the file, a resume must not.
TRAINING_DAMAGE = [
    ("epoch-text", _changed(epoch="x"), "epoch: must be a whole number"),
    ("epoch-negative", _changed(epoch=-5), "epoch: must be a whole number"),
    ("epoch-bool", _changed(epoch=True), "epoch: must be a whole number"),
    ("epoch-float", _changed(epoch=1.0), "epoch: must be a whole number"),
    ("epoch-beyond-history", _changed(epoch=7), "history: 1 epoch row(s) for 7"),
    ("config-list", _changed(config=[]), "config: must be an object"),
    ("config-bad-lr", _changed(config={"lr": "fast"}), "config.lr: must be a number"),
    ("history-dict", _changed(history={"epoch": 1}), "history: must be a list"),
    ("history-unknown-key", _edited(_history_row(surprise=1)), "history[0]: unknown key 'surprise'"),
    ("history-missing-key", _edited(lambda p: p["history"][0].pop("lr")), "history[0]: no 'lr'"),
    ("history-row-text", _changed(history=["x"]), "history[0]: must be a dict"),
    ("history-text-loss", _edited(_history_row(val_loss="low")), "history[0].val_loss"),
    ("history-epoch-zero", _edited(_history_row(epoch=0)), "history[0].epoch"),
    ("early-stopping-list", _changed(early_stopping=[]), "early_stopping: must be a dict"),
    ("early-stopping-text", _changed(early_stopping={"best_val_loss": "x"}), "must be numbers"),
    ("early-stopping-inf", _changed(early_stopping={"bad_epochs": math.inf}), "early_stopping.bad_epochs"),
    ("early-stopping-unknown", _changed(early_stopping={"patience": 3.0}), "early_stopping: must be a dict"),
    ("optimizer-text", _changed(optimizer="garbage"), "optimizer: must be an optimiser's state dict"),
    ("optimizer-lists", _changed(optimizer={"state": [], "param_groups": []}), "optimizer: must be"),
    ("optimizer-groups-text", _changed(optimizer={"state": {}, "param_groups": ["x"]}), "list of dicts"),
    ("optimizer-lr-text", _edited(_optimizer_lr("fast")), "optimizer.param_groups[0].lr"),
    ("optimizer-extra-group", _edited(_extra_group), "optimizer: its state does not fit"),
    ("optimizer-state-shape", _edited(_optimizer_entry("exp_avg", torch.zeros(3, 3))), "exp_avg has the shape"),
    ("optimizer-state-number", _edited(_optimizer_entry("exp_avg", 5)), "optimizer: its state does not fit"),
    ("optimizer-state-text", _edited(_optimizer_entry("exp_avg", "x")), "optimizer.state[0]"),
    ("scheduler-text", _changed(scheduler="x"), "scheduler: must be"),
    (
        "optimizer-state-makes-nan",
        _edited(_optimizer_entry("exp_avg_sq", -torch.ones(8, 784))),
        "turns the weights into NaN",
    ),
    ("scheduler-bad-gamma", _edited(lambda p: p["scheduler"].update(gamma="x")), "scheduler.gamma"),
]


def _write(made: dict[str, Any], name: str, damage: Callable[[Payload], Any]) -> Path:
    path = made["folder"] / f"{name}.pt"
    torch.save(damage(made["payload"]), path)
    return path


def _commands(made: dict[str, Any], path: Path) -> dict[str, list[str]]:
    folder = made["folder"]
    return {
        "predict": ["predict", "--model", str(path), str(made["picture"])],
        "export": [
            "export",
            str(made["project"]),
            "-f",
            "python",
            "-o",
            str(folder / "net.py"),
            "--weights",
            str(path),
        ],
        "train": ["train", str(made["project"]), "--resume", str(path), "--quiet", "--no-download"],
    }


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str], name: str, words: str) -> str:
    """Run ``netbuilder ARGV`` in-process; it must exit 2 with one line naming ``name`` and saying ``words``."""
    code = main(argv)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, (code, err)
    assert name in err and words in err, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("command", ["predict", "export", "train"])
@pytest.mark.parametrize(("name", "damage", "words"), MODEL_DAMAGE, ids=[c[0] for c in MODEL_DAMAGE])
def test_a_damaged_model_part_is_refused_by_every_command(made, capsys, command, name, damage, words):
    path = _write(made, name, damage)
    _refused(_commands(made, path)[command], capsys, path.name, words)


@pytest.mark.parametrize(("name", "damage", "words"), TRAINING_DAMAGE, ids=[c[0] for c in TRAINING_DAMAGE])
def test_damaged_training_state_is_refused_before_training(made, capsys, name, damage, words):
    path = _write(made, name, damage)
    _refused(_commands(made, path)["train"], capsys, path.name, words)
    assert not (made["folder"] / "net.py").exists()


@pytest.mark.parametrize("command", ["predict", "export", "train"])
def test_zero_bytes_devices_and_huge_files_are_refused_before_loading(made, capsys, command):
    empty = made["folder"] / "empty.pt"
    empty.write_bytes(b"")
    _refused(_commands(made, empty)[command], capsys, "empty.pt", "the file is empty")
    _refused(_commands(made, Path("/dev/null"))[command], capsys, "/dev/null", "not a regular file")
    huge = made["folder"] / "huge.pt"
    with open(huge, "wb") as handle:
        handle.truncate(MODEL_LIMIT + 1)  # sparse: costs no disk
    _refused(_commands(made, huge)[command], capsys, "huge.pt", "the file is larger than 1.0 GB")


class _CreatesAFile:
    """Unpickling this creates ``marker``: what a malicious .pt would do with a plain ``torch.load``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("command", ["predict", "export", "train"])
def test_a_pickle_payload_never_runs(made, capsys, command):
    marker = made["folder"] / f"ran-{command}"
    path = made["folder"] / "payload.pt"
    torch.save({**made["payload"], "model": _CreatesAFile(marker)}, path)
    _refused(_commands(made, path)[command], capsys, "payload.pt", "not a readable model file")
    assert not marker.exists()


def test_the_untouched_checkpoint_still_works_for_every_command(made, capsys):
    commands = _commands(made, made["checkpoint"])
    assert main(commands["predict"]) == 0
    assert main(commands["export"]) == 0 and (made["folder"] / "net.py").is_file()
    (made["folder"] / "net.py").unlink()
    capsys.readouterr()


def test_resuming_another_networks_checkpoint_is_refused_naming_both_files(made, capsys, tmp_path):
    other = tmp_path / "wider.json"
    save_spec(mlp_spec(hidden=16), other)
    argv = ["train", str(other), "--resume", str(made["checkpoint"]), "--quiet", "--no-download"]
    err = _refused(argv, capsys, "good.pt", "another network than wider.json")
    assert "block 2: Linear" in err


def test_exporting_a_project_with_another_networks_weights_is_refused(made, capsys, tmp_path):
    """Weights that fit by shape but were trained as another network would export wrong answers."""
    from gui_app.core.project.spec import LayerSpec

    other = mlp_spec(hidden=8)
    other.layers[2] = LayerSpec("Tanh", {})
    project = tmp_path / "tanh.json"
    save_spec(other, project)
    argv = [
        "export",
        str(project),
        "-f",
        "onnx",
        "-o",
        str(tmp_path / "net.onnx"),
        "--weights",
        str(made["checkpoint"]),
    ]
    _refused(argv, capsys, "good.pt", "another network than tanh.json")
    assert not (tmp_path / "net.onnx").exists()


def test_an_onnx_export_onto_a_folder_is_a_message(made, capsys, tmp_path):
    folder = tmp_path / "net.onnx"
    folder.mkdir()
    argv = ["export", str(made["checkpoint"]), "-f", "onnx", "-o", str(folder), "--force"]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code in (1, 2) and "net.onnx" in err and "Traceback" not in err and len(err.splitlines()) == 1, err


def test_a_project_that_only_writes_out_inferred_sizes_still_resumes_its_checkpoint(made, tmp_path):
    from gui_app.core.project.spec import LayerSpec, NetworkSpec
    from gui_app.core.training.checkpoints import load_checkpoint, network_difference

    explicit = NetworkSpec(
        [
            LayerSpec("Flatten", {}),
            LayerSpec("Linear", {"in_features": 784, "out_features": 8}),
            LayerSpec("ReLU", {}),
            LayerSpec("Linear", {"out_features": 10}),
        ],
        (1, 28, 28),
        "renamed",
    )
    assert network_difference(load_checkpoint(made["checkpoint"]).model.spec, explicit) is None


def test_a_terminal_escape_in_a_file_name_is_printed_escaped(made, capsys):
    path = made["folder"] / "evil\x1b[2J.pt"
    path.write_bytes(b"")
    err = _refused(_commands(made, path)["predict"], capsys, "evil\\x1b[2J.pt", "empty")
    assert "\x1b" not in err


def _memory_cap() -> None:
    """Run in the child: 4 GB of address space, so a regression fails the test, not the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def test_a_few_kb_naming_a_huge_network_is_refused_without_building_it(made):
    """1.8 billion parameters (7 GB) in the spec, a few KB of weights: compared on the meta device."""
    huge = mlp_spec(hidden=1_000_000)
    huge.insert_layer(3, LayerSpec("Linear", {"out_features": 1000}))
    path = _write(made, "bomb", _changed(spec_json=huge.to_json()))
    argv = [sys.executable, "-m", "gui_app", "predict", "--model", str(path), str(made["picture"])]
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, preexec_fn=_memory_cap, env=env)
    assert done.returncode == 2, done.stderr
    assert "bomb.pt: its weights do not fit its network: the file has no weights for '4.bias'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_crafted_resume_exits_2_without_a_traceback_in_a_real_process(made):
    """The in-process tests above, once as the user runs it: ``epoch=-5`` used to train "epoch -4/1"."""
    path = _write(made, "minus-five", _changed(epoch=-5))
    argv = [sys.executable, "-m", "gui_app", "train", str(made["project"]), "--resume", str(path), "--quiet"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert "minus-five.pt: epoch" in done.stderr and "Traceback" not in done.stderr
