"""scripts/train_digit_model.py --device: a device this machine lacks stops the run with a message, before any work."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.train_digit_model import _parse_args, _start_run

SAMPLE = Path(__file__).resolve().parents[3] / "resources" / "data" / "mnist-sample"


def test_an_unknown_device_stops_the_run_naming_it(tmp_path: Path) -> None:
    args = _parse_args(
        ["--data-dir", str(SAMPLE), "--limit", "32", "--device", "tpu9", "--out", str(tmp_path / "m.pt")]
    )
    with pytest.raises(SystemExit, match=r"--device: .*tpu9"):
        _start_run(args)


def test_the_network_trains_where_device_says(tmp_path: Path) -> None:
    small = ["--data-dir", str(SAMPLE), "--limit", "32", "--width", "0.25", "--device", "cpu"]
    run = _start_run(
        _parse_args([*small, "--pen-per-batch", "0", "--letters-per-batch", "0", "--out", str(tmp_path / "m.pt")])
    )
    assert run.device.type == "cpu"
    assert all(p.device.type == "cpu" for p in run.model.parameters())
