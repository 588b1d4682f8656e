"""The exported training script under torchrun: 2 CPU processes (gloo, loopback) train exactly
as one process does with the same global batch, seed and steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.distributed as dist

from gui_app.core.export.training_script import export_training_script, launch_torchrun
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import load_trained_model
from tests.mnist_subset import DATA

pytestmark = pytest.mark.skipif(
    not (dist.is_available() and dist.is_gloo_available()), reason="torch.distributed with gloo is not available"
)


def _metric_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_two_processes_match_one_process(tmp_path: Path, capfd) -> None:
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 32}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    training = TrainingConfig(optimizer="SGD", lr=0.05, momentum=0.9, scheduler="StepLR", gamma=0.5, seed=7)
    spec = NetworkSpec(layers, (1, 28, 28), "torchrun MLP", training)
    script = tmp_path / "train_mlp.py"
    export_training_script(spec, script)
    # 2,000 images, global batch 400: 5 steps an epoch, so the second epoch's reshuffle is covered.
    common = ["--data-dir", str(DATA), "--epochs", "2", "--batch-size", "400", "--timeout-min", "2"]

    status = launch_torchrun(
        script,
        2,
        [*common, "--out", str(tmp_path / "ddp" / "model.pt")],
        env={"OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"},
        timeout=180,
    )
    ddp_out = capfd.readouterr()
    assert status == 0, ddp_out.err[-3000:]  # torchrun exits 0 only when both ranks did

    namespace: dict = {"__name__": "train_mlp"}
    exec(compile(script.read_text(), str(script), "exec"), namespace)
    single = namespace["main"](
        [*common, "--out", str(tmp_path / "single" / "model.pt")],
        namespace["build_model"],
        namespace["TRAINING"],
        namespace["SPEC_JSON"],
        namespace["INPUT_SHAPE"],
    )
    assert single == 0
    one_out = capfd.readouterr()

    ddp_lines, one_lines = _metric_lines(ddp_out.out), _metric_lines(one_out.out)
    assert [line["epoch"] for line in ddp_lines] == [1, 2]  # rank 0 alone logs
    assert "training on 2 process(es), cpu, global batch 400" in ddp_out.err
    assert [line["epoch"] for line in one_lines] == [1, 2]
    for a, b in zip(ddp_lines, one_lines, strict=True):
        for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"):
            assert a[key] == pytest.approx(b[key], abs=1e-5), key

    assert sorted(p.name for p in (tmp_path / "ddp").iterdir()) == ["model.pt"]
    ddp_model, one_model = (
        load_trained_model(tmp_path / "ddp" / "model.pt"),
        load_trained_model(tmp_path / "single" / "model.pt"),
    )
    assert list(ddp_model.state_dict) == ["1.weight", "1.bias", "3.weight", "3.bias"]  # no DDP "module." prefix
    torch.manual_seed(7)
    initial = namespace["build_model"]().state_dict()
    for key, value in one_model.state_dict.items():
        torch.testing.assert_close(ddp_model.state_dict[key], value, atol=1e-5, rtol=1e-4)
        assert not torch.equal(value, initial[key])  # it did train
