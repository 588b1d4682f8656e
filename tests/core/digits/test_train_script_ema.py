"""scripts/train_digit_model.py --ema: the file written holds the weights' moving average, not the last step's."""

from __future__ import annotations

from pathlib import Path

import torch

from gui_app.core.training.trained_model import load_trained_model
from scripts.train_digit_model import _parse_args, _Run, _save, _start_run, _train_batch

SAMPLE = Path(__file__).resolve().parents[3] / "resources" / "data" / "mnist-sample"


def _run(tmp_path: Path, ema: float) -> _Run:
    """A tiny network on the bundled MNIST sample, no pen digits or letters: only the averaging is under test."""
    small = ["--data-dir", str(SAMPLE), "--limit", "96", "--batch-size", "32", "--width", "0.25"]
    digits_only = ["--pen-per-batch", "0", "--letters-per-batch", "0"]
    return _start_run(_parse_args([*small, *digits_only, "--ema", str(ema), "--out", str(tmp_path / "m.pt")]))


def test_the_saved_model_is_the_moving_average_of_the_weights_after_each_step(tmp_path: Path) -> None:
    run = _run(tmp_path, ema=0.75)
    expected: dict[str, torch.Tensor] = {}
    for step in range(3):
        _train_batch(run, torch.arange(step * 32, (step + 1) * 32))
        now = {k: v.detach().float().clone() for k, v in run.model.state_dict().items()}
        # the first update copies the weights; each later one moves a quarter of the way towards them
        expected = now if not expected else {k: 0.75 * expected[k] + 0.25 * now[k] for k in now}
    _save(run, 1, 0.0)
    saved = load_trained_model(tmp_path / "m.pt").state_dict
    averaged = [k for k in expected if k.endswith("weight") or k.endswith("running_mean")]
    assert averaged
    for key in averaged:
        assert torch.allclose(saved[key].float(), expected[key], atol=1e-6), key
    last = run.model.state_dict()
    assert any(not torch.allclose(saved[k].float(), last[k].float()) for k in averaged)


def test_without_ema_the_last_weights_are_saved(tmp_path: Path) -> None:
    run = _run(tmp_path, ema=0.0)
    _train_batch(run, torch.arange(32))
    _save(run, 1, 0.0)
    saved = load_trained_model(tmp_path / "m.pt").state_dict
    assert all(torch.equal(saved[k], v) for k, v in run.model.state_dict().items())
