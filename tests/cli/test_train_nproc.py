"""``netbuilder train --nproc 2`` runs the exported training script under torchrun (CPU, gloo)."""

import json
import os
import subprocess
import sys

from gui_app.core.project.presets import presets_dir
from gui_app.core.training.trained_model import load_trained_model
from tests.mnist_subset import DATA


def test_train_with_two_processes_writes_one_checkpoint_and_metric_lines(tmp_path):
    out, log = tmp_path / "model.pt", tmp_path / "metrics.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui_app",
            "train",
            str(presets_dir() / "mnist_mlp_784_128_64_10.json"),
            "--nproc",
            "2",
            "--data-dir",
            str(DATA),
            "--epochs",
            "1",
            "--batch-size",
            "100",
            "--out",
            str(out),
            "--log",
            str(log),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (line,) = log.read_text().splitlines()  # rank 0 only
    metrics = json.loads(line)
    assert metrics["epoch"] == 1 and metrics["val_accuracy"] > 0.25  # chance is 0.1; 20 SGD steps
    model = load_trained_model(out)
    assert model.spec.training.batch_size == 100


def test_nproc_must_be_positive(capsys):
    from gui_app.cli import main

    assert main(["train", str(presets_dir() / "mnist_mlp_784_128_64_10.json"), "--nproc", "0"]) == 2
    assert "--nproc must be at least 1" in capsys.readouterr().err
