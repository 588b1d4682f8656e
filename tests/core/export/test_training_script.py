"""The exported training script: clean standalone code that trains as the project says."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.output_files import ExportError
from gui_app.core.export.training_script import (
    ScriptError,
    find_idx,
    read_idx,
    torchrun_command,
    training_script_source,
)
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec, load_spec
from gui_app.core.training.trained_model import load_trained_model
from tests.mnist_subset import DATA, RAW

ROOT = Path(__file__).resolve().parents[3]
RUFF = Path(sys.executable).with_name("ruff")
METRIC_KEYS = ["epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds", "samples_per_s"]


def mlp(**training) -> NetworkSpec:
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 24}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), "Script MLP", TrainingConfig(**{"lr": 0.05, **training}))


def load_script(spec: NetworkSpec, tmp_path: Path) -> dict:
    """The exported script, executed as a module (not as __main__)."""
    path = tmp_path / "train_net.py"
    path.write_text(training_script_source(spec))
    namespace: dict = {"__name__": "train_net", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def run_script(namespace: dict, argv: list[str]) -> int:
    ns = namespace
    return ns["main"](argv, ns["build_model"], ns["TRAINING"], ns["SPEC_JSON"], ns["INPUT_SHAPE"])


def metric_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_scripts_are_standalone_and_ruff_clean(tmp_path: Path) -> None:
    specs = {
        "mlp": mlp(),
        "cnn": NetworkSpec(
            [
                LayerSpec("Conv2d", {"out_channels": 4}),
                LayerSpec("BatchNorm2d"),
                LayerSpec("ReLU"),
                LayerSpec("Flatten"),
                LayerSpec("Linear"),
            ],
            (1, 28, 28),
            'CNN "quoted" \\ name',
        ),
        "lstm": NetworkSpec([LayerSpec("LSTM", {"hidden_size": 8}), LayerSpec("Linear")], (28, 28), "LSTM"),
        "resnet": NetworkSpec([LayerSpec("ResNet18")], (3, 28, 28), "ResNet"),
    }
    for name, spec in specs.items():
        source = training_script_source(spec)
        assert "gui_app" not in source
        assert ("torchvision" in source) == (name == "resnet")
        (tmp_path / f"train_{name}.py").write_text(source)
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    for config in (["--config", str(ROOT / "pyproject.toml")], ["--isolated"]):
        result = subprocess.run(
            [str(RUFF), "check", "--no-cache", *config, *files], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_export_module_offers_the_same_script(tmp_path: Path) -> None:
    from gui_app.core.export.formats import export_to

    assert export_to("training-script", mlp(), tmp_path / "train.py") == [tmp_path / "train.py"]
    assert (tmp_path / "train.py").read_text() == training_script_source(mlp())


def test_projects_a_script_cannot_train_are_refused() -> None:
    with pytest.raises(ExportError, match="reads MNIST or Fashion-MNIST; this project trains on cifar10"):
        training_script_source(mlp(dataset="cifar10"))
    wide = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 3})], (1, 28, 28))
    with pytest.raises(ExportError, match="needs 10 outputs"):
        training_script_source(wide)
    with pytest.raises(ExportError, match="feeds 28×28 images"):
        training_script_source(NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear")], (3, 32, 32)))
    with pytest.raises(ExportError, match="the network has errors"):
        training_script_source(NetworkSpec([LayerSpec("Conv2d")], (784,)))


def test_idx_files_are_read_plain_or_gzipped(tmp_path: Path) -> None:
    plain = read_idx(RAW / "t10k-labels-idx1-ubyte")
    assert plain.shape == (500,) and plain.dtype == torch.uint8 and int(plain.max()) == 9
    gz = tmp_path / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gzip.compress((RAW / "t10k-labels-idx1-ubyte").read_bytes()))
    assert torch.equal(read_idx(gz), plain)
    assert read_idx(RAW / "t10k-images-idx3-ubyte").shape == (500, 28, 28)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x01" + bytes(8))
    with pytest.raises(ScriptError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short"
    short.write_bytes((RAW / "t10k-labels-idx1-ubyte").read_bytes()[:100])
    with pytest.raises(ScriptError, match="truncated"):
        read_idx(short)


def test_idx_files_are_found_flat_or_in_the_torchvision_layout(tmp_path: Path) -> None:
    assert find_idx(DATA, "mnist", "train-images-idx3-ubyte") == RAW / "train-images-idx3-ubyte"
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    assert find_idx(tmp_path, "mnist", "train-images-idx3-ubyte").name == "train-images-idx3-ubyte.gz"
    with pytest.raises(ScriptError, match=r"t10k-images-idx3-ubyte not found: put the IDX files .*FashionMNIST/raw"):
        find_idx(tmp_path, "fashion_mnist", "t10k-images-idx3-ubyte")


def test_one_process_run_logs_metrics_and_writes_a_loadable_checkpoint(tmp_path: Path) -> None:
    """Run as a user would: ``python train.py`` on gzipped files in a flat folder."""
    data = tmp_path / "data"
    data.mkdir()
    for f in RAW.iterdir():
        (data / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes(), compresslevel=1))
    spec = mlp(scheduler="StepLR", step_size=1, gamma=0.5)
    script = tmp_path / "train_net.py"
    script.write_text(training_script_source(spec))
    out, log = tmp_path / "ckpt" / "model.pt", tmp_path / "metrics.jsonl"
    argv = ["--data-dir", str(data), "--epochs", "2", "--batch-size", "100", "--out", str(out)]
    argv += ["--metrics-log", str(log)]
    result = subprocess.run(
        [sys.executable, str(script), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    lines = metric_lines(result.stdout)
    assert [list(line) for line in lines] == [METRIC_KEYS, METRIC_KEYS]
    assert [line["epoch"] for line in lines] == [1, 2]
    assert [line["lr"] for line in lines] == [0.025, 0.0125]  # StepLR halves it after each epoch
    assert lines[1]["val_accuracy"] > 0.5 and lines[1]["train_loss"] < lines[0]["train_loss"]
    assert all(math.isfinite(v) for line in lines for v in line.values())
    assert metric_lines(log.read_text()) == lines
    model = load_trained_model(out)
    assert model.mean == (0.1307,) and model.std == (0.3081,)
    assert model.spec.to_dict() == spec.to_dict()
    assert model.metrics["val_accuracy"] == pytest.approx(lines[1]["val_accuracy"])
    payload = torch.load(out, weights_only=True)
    assert payload["format"] == "netbuilder-model" and isinstance(payload["torch_version"], str)
    assert sorted(p.name for p in out.parent.iterdir()) == ["model.pt"]


@pytest.mark.parametrize(
    "settings",
    [
        {"optimizer": "Adam", "scheduler": "OneCycleLR", "loss": "MSELoss", "lr": 0.003},
        {"optimizer": "AdamW", "scheduler": "CosineAnnealingLR", "loss": "BCEWithLogitsLoss", "lr": 0.003},
        {"optimizer": "RMSprop", "scheduler": "ReduceLROnPlateau", "lr": 0.001, "val_split": 0.1},
        {"optimizer": "Adagrad", "loss": "SmoothL1Loss", "normalization": "minus_one_one"},
        {"optimizer": "SGD", "nesterov": True, "early_stopping_patience": 1, "weight_decay": 1e-4},
    ],
)
def test_each_optimiser_schedule_and_loss_trains(settings: dict, tmp_path: Path, capsys) -> None:
    namespace = load_script(mlp(**settings), tmp_path)
    out = tmp_path / "model.pt"
    argv = ["--data-dir", str(DATA), "--epochs", "2", "--batch-size", "200", "--out", str(out)]
    assert run_script(namespace, argv) == 0
    lines = metric_lines(capsys.readouterr().out)
    assert 1 <= len(lines) <= 2 and all(math.isfinite(line["train_loss"]) for line in lines)
    if settings.get("val_split"):  # 200 of the 2,000 training images are held out
        assert lines[0]["val_accuracy"] * 200 == pytest.approx(round(lines[0]["val_accuracy"] * 200))
    if settings.get("scheduler") == "OneCycleLR":  # ends at max_lr / 25 / 1e4
        assert lines[-1]["lr"] == pytest.approx(0.003 / 25 / 1e4)
    assert load_trained_model(out).metrics["epoch"] == len(lines)


def test_fashion_mnist_reads_its_own_folder_and_statistics(tmp_path: Path, capsys) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in RAW.iterdir():
        shutil.copy(f, raw / f.name)
    namespace = load_script(mlp(dataset="fashion_mnist"), tmp_path)
    out = tmp_path / "model.pt"
    assert run_script(namespace, ["--data-dir", str(tmp_path), "--max-steps", "2", "--out", str(out)]) == 0
    assert len(metric_lines(capsys.readouterr().out)) == 1  # --max-steps ends the run in epoch 1
    assert load_trained_model(out).mean == (0.286,)


def test_missing_data_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    namespace = load_script(mlp(), tmp_path)
    assert run_script(namespace, ["--data-dir", str(tmp_path / "nothing"), "--out", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: train-images-idx3-ubyte not found") and "\n" not in err
    assert not (tmp_path / "m.pt").exists()


def test_initial_weights_follow_the_training_seed(tmp_path: Path) -> None:
    namespace = load_script(mlp(seed=9), tmp_path)
    torch.manual_seed(9)
    scripted = namespace["build_model"]()
    for a, b in zip(scripted.state_dict().values(), build_model(mlp(), seed=9).state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert load_spec(namespace["SPEC_JSON"]).training.seed == 9


def test_torchrun_command_runs_the_script_on_loopback() -> None:
    command = torchrun_command("train.py", 4, ["--epochs", "1"])
    assert command[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert command[3:] == [
        "--standalone",
        "--local-addr",
        "127.0.0.1",
        "--nproc-per-node",
        "4",
        "train.py",
        "--epochs",
        "1",
    ]
    assert "--standalone" not in torchrun_command("train.py", 2, standalone=False)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            torchrun_command("train.py", bad)
