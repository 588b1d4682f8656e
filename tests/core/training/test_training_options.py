"""Every loss, optimiser and scheduler trains; early stopping; resuming continues the same run."""

from __future__ import annotations

import math

import pytest
import torch

from gui_app.core.data.datasets import make_linear_regression
from gui_app.core.project.run_config import LOSSES, OPTIMIZERS, SCHEDULERS
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.checkpoints import load_checkpoint
from gui_app.core.training.trainer import EarlyStopping, SaveCheckpoints, Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_a_classifier(loss):
    spec = mlp_spec()
    if loss == "NLLLoss":
        spec.insert_layer(len(spec.layers), LayerSpec("LogSoftmax", {}))
    result = Trainer(spec, config(loss=loss, epochs=2, lr=0.05), dataset=mnist_slice(256, 100)).fit()
    assert result.status == "completed", result.error
    first, last = result.history
    assert math.isfinite(last.train_loss) and last.train_loss < first.train_loss


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_trains(optimizer):
    lr = 0.05 if optimizer in ("SGD", "Adagrad") else 0.002
    result = Trainer(
        mlp_spec(), config(optimizer=optimizer, lr=lr, epochs=2, weight_decay=1e-4), dataset=mnist_slice(256, 100)
    ).fit()
    assert result.status == "completed", result.error
    assert result.history[-1].train_loss < result.history[0].train_loss


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_every_scheduler_runs_and_moves_the_lr(scheduler):
    cfg = config(scheduler=scheduler, epochs=3, lr=0.05, step_size=1, gamma=0.5)
    result = Trainer(mlp_spec(), cfg, dataset=mnist_slice(128, 50)).fit()
    assert result.status == "completed", result.error
    lrs = [e.lr for e in result.history]
    if scheduler == "none" or scheduler == "ReduceLROnPlateau":
        assert lrs[0] <= 0.05
    elif scheduler == "StepLR":
        assert lrs == pytest.approx([0.025, 0.0125, 0.00625])
    else:
        assert lrs[-1] < 0.05 * 0.5


def test_nesterov_needs_momentum():
    result = Trainer(mlp_spec(), config(nesterov=True, momentum=0.0), dataset=mnist_slice()).fit()
    assert result.error.kind == "config" and "momentum" in result.error.message


def test_regression_trains_and_refuses_classification_losses():
    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 1})], (1,))
    data = make_linear_regression((1,), (1,), seed=0)
    result = Trainer(spec, config(dataset="linear_regression", loss="MSELoss", lr=0.1, epochs=5), dataset=data).fit()
    assert result.status == "completed" and result.history[-1].val_accuracy is None
    assert result.history[-1].val_loss < 0.05  # the noise is 0.1, so the best MSE is about 0.01
    refused = Trainer(spec, config(dataset="linear_regression"), dataset=data).fit()
    assert refused.error.kind == "shape" and "MSELoss" in refused.error.message


def test_early_stopping_counts_epochs_without_a_better_val_loss():
    stopper = EarlyStopping(patience=2)
    assert [stopper.update(v) for v in (1.0, 0.9, 0.95, 0.9)] == [False, False, False, True]


def test_early_stopping_ends_a_run():
    # a learning rate far too high: the validation loss soon stops improving
    cfg = config(early_stopping_patience=1, epochs=20, lr=0.5, momentum=0.9)
    result = Trainer(mlp_spec(), cfg, dataset=mnist_slice(128, 50)).fit()
    assert result.status == "early_stopped"
    losses = [e.val_loss for e in result.history]
    assert len(losses) < 20 and losses[-1] >= min(losses[:-1])


def test_resuming_from_a_checkpoint_continues_the_same_run(tmp_path):
    data = mnist_slice(256, 100)
    cfg = config(epochs=3, lr=0.05, scheduler="StepLR", step_size=1, gamma=0.5, optimizer="SGD")
    straight = Trainer(mlp_spec(), cfg, dataset=data).fit()

    path = tmp_path / "run.pt"
    first = Trainer(mlp_spec(), cfg.replace(epochs=1), [SaveCheckpoints(path)], dataset=data).fit()
    assert first.status == "completed" and path.exists()
    checkpoint = load_checkpoint(path)
    assert checkpoint.epoch == 1 and checkpoint.config.epochs == 1
    resumed = Trainer(checkpoint.model.spec, checkpoint.config.replace(epochs=3), dataset=data, resume=checkpoint).fit()
    assert resumed.status == "completed"
    assert [e.epoch for e in resumed.history] == [1, 2, 3]
    a, b = straight.model.state_dict, resumed.model.state_dict
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [e.lr for e in resumed.history] == pytest.approx([e.lr for e in straight.history])
