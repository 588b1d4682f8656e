"""Checkpoints load with weights_only=True, read as plain models too, and refuse plain models."""

from __future__ import annotations

import pytest
import torch

from gui_app.core.project.run_config import SCHEDULERS
from gui_app.core.training.checkpoints import CHECKPOINT_KEYS, load_checkpoint, save_checkpoint
from gui_app.core.training.trained_model import ModelFileError, load_trained_model, save_trained_model
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.mark.parametrize("scheduler", SCHEDULERS)
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_round_trip_with_weights_only(tmp_path, scheduler, optimizer):
    trainer = Trainer(
        mlp_spec(hidden=16), config(scheduler=scheduler, optimizer=optimizer, lr=0.01), dataset=mnist_slice(64, 32)
    )
    result = trainer.fit()
    assert result.status == "completed"
    path = tmp_path / "ckpt.pt"
    save_checkpoint(trainer.checkpoint(), path)

    payload = torch.load(path, map_location="cpu", weights_only=True)
    assert set(CHECKPOINT_KEYS) <= set(payload)
    assert payload["epoch"] == 1 and payload["config"]["scheduler"] == scheduler

    checkpoint = load_checkpoint(path)
    assert checkpoint.config == trainer.config
    assert checkpoint.optimizer_state["param_groups"][0]["lr"] == result.history[-1].lr
    assert (checkpoint.scheduler_state is None) == (scheduler == "none")
    assert len(checkpoint.history) == 1 and checkpoint.history[0]["val_accuracy"] is not None

    model = load_trained_model(path)  # a checkpoint is also a model file
    assert model.spec.to_dict()["layers"] == mlp_spec(hidden=16).to_dict()["layers"]
    expected = result.model.state_dict
    assert all(torch.equal(model.state_dict[k], expected[k]) for k in expected)


def test_a_plain_model_file_cannot_resume(tmp_path):
    trainer = Trainer(mlp_spec(hidden=8), config(), dataset=mnist_slice(64, 32))
    result = trainer.fit()
    path = tmp_path / "model.pt"
    save_trained_model(result.model, path)
    with pytest.raises(ModelFileError, match="without training state"):
        load_checkpoint(path)


def test_a_damaged_file_is_a_clear_error(tmp_path):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ModelFileError, match=r"broken\.pt"):
        load_checkpoint(path)


def test_resuming_a_one_cycle_run_with_another_length_is_refused_not_crashed():
    first = Trainer(mlp_spec(), config(epochs=2, scheduler="OneCycleLR"), dataset=mnist_slice())
    assert first.fit().status == "completed"
    longer = Trainer(
        mlp_spec(), config(epochs=4, scheduler="OneCycleLR"), dataset=mnist_slice(), resume=first.checkpoint()
    )
    result = longer.fit()
    assert result.status == "error" and result.error.kind == "config"
    assert "planned for 2 epochs" in result.error.message


def test_a_run_stopped_mid_epoch_is_not_at_an_epoch_boundary():
    class StopInSecondEpoch:
        def __getattr__(self, hook):
            return lambda *args: None

        def on_batch_end(self, trainer, event):
            if trainer.step == 20:
                trainer.stop()

    trainer = Trainer(mlp_spec(), config(epochs=2), [StopInSecondEpoch()], dataset=mnist_slice(), event_interval=0.0)
    assert trainer.fit().status == "stopped"
    assert len(trainer.history) == 1 and not trainer.at_epoch_boundary
    done = Trainer(mlp_spec(), config(epochs=1), dataset=mnist_slice())
    done.fit()
    assert done.at_epoch_boundary


def _adam_checkpoint():
    trainer = Trainer(mlp_spec(hidden=8), config(optimizer="Adam"), dataset=mnist_slice(64, 32))
    assert trainer.fit().status == "completed"
    checkpoint = trainer.checkpoint()
    checkpoint.model.source = "adam.pt"
    return checkpoint


def test_resuming_with_another_optimiser_is_a_message_not_a_traceback():
    checkpoint = _adam_checkpoint()
    resumed = Trainer(
        mlp_spec(hidden=8), config(optimizer="SGD", epochs=2), dataset=mnist_slice(64, 32), resume=checkpoint
    )
    result = resumed.fit()
    assert result.status == "error" and result.error.kind == "config"
    assert "trained with Adam; resume with Adam" in result.error.message


def test_optimiser_state_that_torch_refuses_while_resuming_is_a_message_naming_the_checkpoint():
    """A Checkpoint built in code skips load_checkpoint's checks; the Trainer still reports, never crashes."""
    checkpoint = _adam_checkpoint()
    checkpoint.optimizer_state = {"state": {}, "param_groups": []}
    resumed = Trainer(
        mlp_spec(hidden=8), config(optimizer="Adam", epochs=2), dataset=mnist_slice(64, 32), resume=checkpoint
    )
    result = resumed.fit()
    assert result.status == "error" and result.error.kind == "config"
    assert result.error.message.startswith("adam.pt: its training state does not fit this run")


def test_a_negative_running_variance_is_refused_naming_the_file(tmp_path):
    """A BatchNorm variance below 0 passes every finiteness check but makes every prediction NaN."""
    from gui_app.core.analysis.compiler import build_model
    from gui_app.core.project.spec import LayerSpec, NetworkSpec
    from gui_app.core.training.trained_model import TrainedModel

    layers = [LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 8}), LayerSpec("BatchNorm1d")]
    spec = NetworkSpec([*layers, LayerSpec("Linear", {"out_features": 10})])
    state = build_model(spec).state_dict()
    state["2.running_var"] = -torch.ones_like(state["2.running_var"])
    path = tmp_path / "negative-variance.pt"
    save_trained_model(TrainedModel(spec, state), path)
    with pytest.raises(ModelFileError, match=r"negative-variance\.pt: .*2\.running_var.* negative variance"):
        load_trained_model(path)


def test_networks_that_differ_only_inside_a_lane_are_different_networks() -> None:
    from gui_app.core.project.spec import LayerSpec, NetworkSpec
    from gui_app.core.training.checkpoints import network_difference

    def residual(kernel: int) -> NetworkSpec:
        body = [LayerSpec("Conv2d", {"out_channels": 3, "kernel_size": kernel, "padding": kernel // 2})]
        return NetworkSpec([LayerSpec("Residual", lanes=[body, []])], (3, 8, 8))

    assert network_difference(residual(3), residual(3)) is None
    assert (
        network_difference(residual(3), residual(5))
        == "block 1.body.1: Conv2d 3@3×3 s1 p1 there, Conv2d 3@5×5 s1 p2 here"
    )
