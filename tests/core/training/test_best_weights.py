"""The best epoch's weights are kept beside the last, restore exactly, and early stopping restores them."""

from __future__ import annotations

import pytest

from gui_app.core.training.evaluation import evaluate_model
from gui_app.core.training.events import FitStatus
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def data():
    return mnist_slice(512, 200)


def _lowest_loss_epoch(history) -> int:
    return min(history, key=lambda e: e.val_loss).epoch


def test_restoring_the_best_weights_gives_the_best_epochs_validation_accuracy_exactly(data):
    # lr 0.1 on 512 images overfits: the validation loss is lowest at epoch 3 of 5, while the
    # accuracy still climbs, so the best weights are not the last ones.
    result = Trainer(mlp_spec(), config(epochs=5, lr=0.1), dataset=data).fit()
    best = result.best
    assert best is not None and best.epoch == _lowest_loss_epoch(result.history) < len(result.history)
    recorded = result.history[best.epoch - 1]
    # The validation data is the test split here (val_split 0): evaluating the restored weights
    # the way the evaluation view does gives the figure the epoch reported, to the sample.
    assert evaluate_model(best.model, data).accuracy == recorded.val_accuracy
    assert evaluate_model(result.model, data).accuracy == result.history[-1].val_accuracy != recorded.val_accuracy
    assert best.model.metrics["epochs"] == best.epoch and not result.restored_best


def test_early_stopping_restores_the_best_weights(data):
    result = Trainer(mlp_spec(), config(epochs=5, lr=0.1, early_stopping_patience=1), dataset=data).fit()
    assert result.status == FitStatus.EARLY_STOPPED
    best_epoch = _lowest_loss_epoch(result.history)
    assert len(result.history) == best_epoch + 1  # one epoch without a lower loss, then it stopped
    assert result.restored_best and result.model is result.best.model
    assert result.checkpoint.epoch == best_epoch and len(result.checkpoint.history) == best_epoch
    assert evaluate_model(result.model, data).accuracy == result.history[best_epoch - 1].val_accuracy


def test_a_resumed_run_counts_the_epoch_it_resumed_from(data):
    first = Trainer(mlp_spec(), config(epochs=3, lr=0.1), dataset=data).fit()
    resumed = Trainer(mlp_spec(), config(epochs=5, lr=0.1), dataset=data, resume=first.checkpoint).fit()
    assert [e.epoch for e in resumed.history] == [1, 2, 3, 4, 5]
    # Epoch 3 was the best and is the checkpoint it resumed from: its weights are the best ones.
    assert resumed.best.epoch == _lowest_loss_epoch(resumed.history) == 3
    assert evaluate_model(resumed.best.model, data).accuracy == resumed.history[2].val_accuracy
