"""Per-class accuracy at every epoch: on each EpochEvent and in ``netbuilder train --log``."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import torch

from gui_app.cli import main
from gui_app.core.data.datasets import IDX_FILES, load_dataset, make_linear_regression
from gui_app.core.data.idx_files import idx_bytes, read_idx
from gui_app.core.project.spec import LayerSpec, NetworkSpec, save_spec
from gui_app.core.training.checkpoints import load_checkpoint, save_checkpoint
from gui_app.core.training.evaluation import evaluate_model
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import DATA, Recorder, config, mlp_spec, mnist_slice
from tests.mnist_subset import RAW


def _direct_per_class(model, images: torch.Tensor, labels: torch.Tensor, classes: int) -> list[float]:
    """Each class's accuracy computed here from the model's own outputs, sample by sample."""
    net = model.build().eval()
    x = (images.float() / 255.0 - model.mean[0]) / model.std[0]
    with torch.no_grad():
        predicted = net(x.reshape(len(x), 1, 28, 28)).argmax(1).tolist()
    right, seen = [0] * classes, [0] * classes
    for label, answer in zip(labels.tolist(), predicted, strict=True):
        seen[label] += 1
        right[label] += answer == label
    return [r / s if s else math.nan for r, s in zip(right, seen, strict=True)]


def test_per_class_accuracy_arrives_on_every_epoch_and_matches_the_overall_accuracy():
    recorder = Recorder()
    data = mnist_slice(1000, 300)
    Trainer(mlp_spec(), config(epochs=3, lr=0.05), [recorder], dataset=data).fit()
    epochs = recorder.of("epoch")
    assert [e.epoch for e in epochs] == [1, 2, 3]
    counts = torch.bincount(data.test_y, minlength=10).tolist()
    for event in epochs:
        per_class = event.per_class_accuracy
        assert per_class is not None and len(per_class) == 10
        assert all(0.0 <= a <= 1.0 for a in per_class)
        weighted = sum(a * n for a, n in zip(per_class, counts, strict=True)) / sum(counts)
        assert weighted == pytest.approx(event.val_accuracy)
    assert epochs[0].per_class_accuracy != epochs[-1].per_class_accuracy  # it follows the training


def test_the_last_epochs_figures_equal_a_direct_computation_and_the_evaluation():
    recorder = Recorder()
    data = mnist_slice(1000, 300)
    result = Trainer(mlp_spec(), config(epochs=2, lr=0.05), [recorder], dataset=data).fit()
    last = recorder.of("epoch")[-1].per_class_accuracy
    direct = _direct_per_class(result.model, data.test_x, data.test_y, 10)
    assert last == pytest.approx(direct, abs=1e-12)
    assert last == pytest.approx(evaluate_model(result.model, data).per_class_accuracy.tolist(), abs=1e-12)


def test_a_class_missing_from_the_validation_data_is_nan_not_zero():
    data = mnist_slice(600, 300)
    keep = data.test_y != 3
    data = replace(data, test_x=data.test_x[keep], test_y=data.test_y[keep])
    recorder = Recorder()
    Trainer(mlp_spec(), config(lr=0.05), [recorder], dataset=data).fit()
    per_class = recorder.of("epoch")[0].per_class_accuracy
    assert math.isnan(per_class[3])
    assert all(math.isfinite(a) for i, a in enumerate(per_class) if i != 3)


def test_a_regression_run_has_no_per_class_accuracy():
    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 1})], (1,), "regression")
    recorder = Recorder()
    data = make_linear_regression((1,), (1,), seed=0)
    Trainer(spec, config(dataset="linear_regression", loss="MSELoss"), [recorder], dataset=data).fit()
    assert recorder.of("epoch")[0].per_class_accuracy is None


def test_a_checkpoint_keeps_its_history_rows_and_resumes(tmp_path):
    result = Trainer(mlp_spec(), config(lr=0.05), dataset=mnist_slice(600, 100)).fit()
    path = tmp_path / "run.pt"
    save_checkpoint(result.checkpoint, path)  # a tuple in the row would fail the weights-only save
    checkpoint = load_checkpoint(path)
    assert "per_class_accuracy" not in checkpoint.history[0]
    recorder = Recorder()
    data = mnist_slice(600, 100)
    resumed = Trainer(mlp_spec(), config(epochs=2, lr=0.05), [recorder], dataset=data, resume=checkpoint)
    assert resumed.fit().status == "completed"
    assert len(recorder.of("epoch")[0].per_class_accuracy) == 10


def test_train_log_has_each_epochs_per_class_accuracy(tmp_path):
    spec = mlp_spec()
    spec.set_training(spec.training.replace(device="cpu", batch_size=64, lr=0.05))
    project = tmp_path / "mlp.json"
    save_spec(spec, project)
    log = tmp_path / "metrics.jsonl"
    arguments = ["train", str(project), "--data-dir", str(DATA), "--epochs", "2", "--no-download", "--quiet"]
    assert main([*arguments, "--log", str(log)]) == 0
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    rows = [row for row in rows if "kind" not in row]  # the epoch rows; layer-health rows say their kind
    assert [row["epoch"] for row in rows] == [1, 2]
    counts = torch.bincount(load_dataset("mnist", DATA, download=False).test_y, minlength=10).tolist()
    for row in rows:
        per_class = row["per_class_accuracy"]
        assert len(per_class) == 10 and all(0.0 <= a <= 1.0 for a in per_class)
        weighted = sum(a * n for a, n in zip(per_class, counts, strict=True)) / sum(counts)
        assert weighted == pytest.approx(row["val_accuracy"])


def _mnist_without_threes_in_the_test_split(root) -> None:
    """The tests' MNIST slice in ``root`` (torchvision's layout), its test split holding no 3."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    test_labels = read_idx(RAW / "t10k-labels-idx1-ubyte")
    keep = test_labels != 3
    for stem in IDX_FILES:
        array = read_idx(RAW / stem)
        (raw / stem).write_bytes(idx_bytes(array[keep] if stem.startswith("t10k") else array))


def test_train_log_writes_null_for_a_class_with_no_test_image(tmp_path):
    _mnist_without_threes_in_the_test_split(tmp_path / "data")
    spec = mlp_spec()
    spec.set_training(spec.training.replace(device="cpu", batch_size=64, lr=0.05))
    project = tmp_path / "mlp.json"
    save_spec(spec, project)
    log = tmp_path / "metrics.jsonl"
    arguments = ["train", str(project), "--data-dir", str(tmp_path / "data"), "--epochs", "1", "--no-download"]
    assert main([*arguments, "--quiet", "--log", str(log)]) == 0

    def refuse(constant: str) -> None:
        raise AssertionError(f"the log holds {constant}, which is not JSON")

    rows = [json.loads(line, parse_constant=refuse) for line in log.read_text(encoding="utf-8").splitlines()]
    (row,) = [row for row in rows if "kind" not in row]  # the epoch row; layer-health rows say their kind
    assert row["per_class_accuracy"][3] is None
    assert all(isinstance(a, float) for i, a in enumerate(row["per_class_accuracy"]) if i != 3)
