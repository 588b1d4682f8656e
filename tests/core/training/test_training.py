"""The Trainer on the real MNIST subset: it learns, reports, stops, pauses, fails cleanly."""

from __future__ import annotations

import math
import threading

import pytest
import torch

from gui_app.cli import main
from gui_app.core.data.datasets import make_linear_regression
from gui_app.core.project.spec import LayerSpec, NetworkSpec, save_spec
from gui_app.core.training.trainer import Callback, Trainer, divergence_warning
from tests.core.training_fixtures import DATA, Recorder, config, mlp_spec, mnist_slice


def test_a_short_run_learns_and_reports_in_order():
    recorder = Recorder()
    trainer = Trainer(mlp_spec(), config(epochs=3, lr=0.05), [recorder], dataset=mnist_slice(1000, 300))
    result = trainer.fit()
    assert result.status == "completed" and result.error is None
    names = recorder.names()
    assert names[0] == "fit_start" and names[-1] == "fit_end"
    assert names.count("epoch") == 3 and "error" not in names
    # every epoch's batch events come before its epoch event
    epochs = recorder.of("epoch")
    batches = recorder.of("batch")
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert batches[-1].step == 3 * math.ceil(1000 / 32) and batches[-1].batch == batches[-1].batches
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert epochs[-1].val_accuracy > 0.6  # chance is 0.1
    assert result.model is not None and result.model.source == "trained this session"
    assert result.model.metrics["val_accuracy"] == pytest.approx(epochs[-1].val_accuracy)
    assert all(v.device.type == "cpu" for v in result.model.state_dict.values())


def test_batch_events_are_throttled():
    recorder = Recorder()
    Trainer(mlp_spec(), config(), [recorder], dataset=mnist_slice(), event_interval=60.0).fit()
    # one event per epoch end only: the interval never elapsed
    assert len(recorder.of("batch")) == 1


def test_same_seed_same_weights():
    runs = [Trainer(mlp_spec(), config(epochs=1), dataset=mnist_slice(256)).fit() for _ in range(2)]
    a, b = (r.model.state_dict for r in runs)
    assert all(torch.equal(a[k], b[k]) for k in a)


class StopAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_batch_end(self, trainer, event):
        if event.step == self.step:
            trainer.should_stop = True


def test_stop_takes_effect_within_one_batch():
    trainer = Trainer(mlp_spec(), config(epochs=2), [StopAt(3)], dataset=mnist_slice(), event_interval=0.0)
    result = trainer.fit()
    assert result.status == "stopped"
    assert trainer.step == 3  # no batch ran after the one that asked to stop
    assert result.model is None  # stopped before the first epoch ended


def test_pause_and_resume_from_another_thread():
    paused_at: list[int] = []
    resumed = threading.Event()

    class PauseOnce(Callback):
        def on_batch_end(self, trainer, event):
            if not paused_at:
                paused_at.append(trainer.step)
                trainer.pause()

                def check_then_resume():
                    # while paused, the loop must not advance
                    resumed.wait(0.3)
                    paused_at.append(trainer.step)
                    trainer.unpause()

                threading.Thread(target=check_then_resume).start()

    trainer = Trainer(mlp_spec(), config(), [PauseOnce()], dataset=mnist_slice(), event_interval=0.0)
    result = trainer.fit()
    assert result.status == "completed"
    assert paused_at[0] == paused_at[1] == 1
    assert trainer.step == math.ceil(512 / 32)


def test_stop_wakes_a_paused_run():
    class PauseThenStop(Callback):
        def on_batch_end(self, trainer, event):
            trainer.pause()
            threading.Timer(0.1, trainer.stop).start()

    trainer = Trainer(mlp_spec(), config(), [PauseThenStop()], dataset=mnist_slice(), event_interval=0.0)
    assert trainer.fit().status == "stopped"
    assert trainer.step == 1


def test_a_nan_loss_stops_the_run_naming_the_step():
    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 1})], (1,), "regression")
    data = make_linear_regression((1,), (1,), seed=0)
    recorder = Recorder()
    trainer = Trainer(
        spec,
        config(dataset="linear_regression", loss="MSELoss", lr=10.0, momentum=0.9, epochs=50),
        [recorder],
        dataset=data,
        event_interval=0.0,
    )
    result = trainer.fit()
    assert result.status == "error" and result.error.kind == "nan"
    assert result.error.step is not None and result.error.step > 1
    assert f"at step {result.error.step}" in result.error.message
    assert recorder.names()[-2:] == ["error", "fit_end"]
    # the step named is the first whose loss was not finite: every batch before it reported a finite loss
    finite_steps = [e.step for e in recorder.of("batch")]
    assert max(finite_steps) == result.error.step - 1


def test_output_mismatch_is_refused_before_training():
    recorder = Recorder()
    result = Trainer(mlp_spec(outputs=5), config(), [recorder], dataset=mnist_slice()).fit()
    assert result.status == "error" and result.error.kind == "shape"
    assert "10 classes" in result.error.message and "(5,)" in result.error.message
    assert recorder.names() == ["error", "fit_end"]


def test_input_mismatch_is_refused_before_training():
    spec = NetworkSpec([LayerSpec("Flatten", {}), LayerSpec("Linear", {"out_features": 10})], (3, 32, 32))
    result = Trainer(spec, config(), dataset=mnist_slice()).fit()
    assert result.error.kind == "shape"
    assert "(3, 32, 32)" in result.error.message and "(1, 28, 28)" in result.error.message


def test_a_flat_input_of_the_same_size_is_accepted():
    spec = NetworkSpec([LayerSpec("Linear", {"out_features": 10})], (784,))
    assert Trainer(spec, config(), dataset=mnist_slice(128)).fit().status == "completed"


def test_a_missing_dataset_is_an_error_event(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA", str(tmp_path / "cache"))
    result = Trainer(mlp_spec(), config(data_dir=str(tmp_path), dataset="fashion_mnist"), download=False).fit()
    assert result.error.kind == "dataset"
    assert "Fashion-MNIST not found" in result.error.message and "FashionMNIST" in result.error.message


def test_an_unknown_device_is_an_error_event():
    result = Trainer(mlp_spec(), config(device="tpu"), dataset=mnist_slice()).fit()
    assert result.error.kind == "device" and "choose one of" in result.error.message


def test_a_network_with_errors_is_refused():
    spec = NetworkSpec([LayerSpec("Conv2d", {"kernel_size": 99})], (1, 28, 28))
    result = Trainer(spec, config(), dataset=mnist_slice()).fit()
    assert result.status == "error" and "block 1 (Conv2d)" in result.error.message


def test_out_of_memory_is_an_error_event_suggesting_a_smaller_batch(monkeypatch):
    from gui_app.core.training import device_data as training_data

    real_prepare = training_data.DeviceData.prepare
    calls = []

    def prepare_then_fail(self, xb, yb):
        calls.append(1)
        if len(calls) == 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_prepare(self, xb, yb)

    monkeypatch.setattr(training_data.DeviceData, "prepare", prepare_then_fail)
    result = Trainer(mlp_spec(), config(batch_size=16), dataset=mnist_slice()).fit()
    assert result.status == "error" and result.error.kind == "oom"
    assert "smaller batch size" in result.error.message and "batch size 16" in result.error.message
    assert result.error.step == 2  # two batches completed before the third ran out of memory


def test_a_stop_before_the_run_starts_trains_nothing():
    recorder = Recorder()
    trainer = Trainer(mlp_spec(), config(), [recorder], dataset=mnist_slice())
    trainer.stop()
    result = trainer.fit()
    assert result.status == "stopped" and trainer.step == 0
    assert recorder.names() == ["fit_end"]


def test_a_run_that_diverges_without_nan_ends_with_a_warning():
    # lr 1 with plain SGD blows the MLP's loss up to millions without ever making it NaN
    result = Trainer(mlp_spec(), config(lr=1.0, batch_size=64), dataset=mnist_slice(2000, 200)).fit()
    assert result.status == "completed" and result.error is None
    (warning,) = result.warnings
    assert warning.startswith("the loss diverged: it ended at ") and "try a lower learning rate" in warning
    assert result.summary()["warnings"] == [warning]


def test_a_run_that_learns_has_no_divergence_warning():
    result = Trainer(mlp_spec(), config(lr=0.1, batch_size=64), dataset=mnist_slice(2000, 200)).fit()
    assert result.status == "completed" and result.warnings == []


@pytest.mark.parametrize(
    ("first", "final", "warned"),
    [(2.3, 4.0, False), (2.3, 4.7, True), (2.3, 34_415.0, True), (None, 9.0, False), (2.3, math.nan, False)],
)
def test_the_divergence_rule_is_twice_the_first_batch_loss(first, final, warned):
    assert (divergence_warning(first, final, 10.0) is not None) == warned


def test_the_command_line_warns_about_a_diverged_loss_and_still_exits_0(tmp_path, capsys):
    spec = mlp_spec()
    spec.set_training(spec.training.replace(device="cpu", batch_size=64, lr=1.0))
    project = tmp_path / "diverges.json"
    save_spec(spec, project)
    code = main(["train", str(project), "--data-dir", str(DATA), "--epochs", "1", "--no-download", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0 and captured.out.startswith("completed: 1 epoch(s)")
    assert "netbuilder train: warning: the loss diverged" in captured.err and "lower learning rate" in captured.err
