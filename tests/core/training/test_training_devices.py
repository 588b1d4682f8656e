"""The device list and "auto"; unusable devices are clear messages (no GPU needed)."""

from __future__ import annotations

import pytest
import torch

from gui_app.core.training.devices import DeviceError, list_devices, memory_in_use, resolve_device


def test_the_list_starts_with_auto_and_always_has_the_cpu():
    devices = list_devices()
    assert devices[0].id == "auto" and devices[0].label.startswith("auto: ")
    assert "cpu" in [d.id for d in devices]
    gpus = [d for d in devices if d.kind == "cuda" and d.id != "auto"]
    assert len(gpus) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    for gpu in gpus:
        assert gpu.total_memory and "GiB" in gpu.label


def test_auto_picks_the_best_device():
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert resolve_device("auto").type == expected
    assert resolve_device(None).type == expected


def test_cpu_resolves_and_has_no_gpu_memory():
    assert resolve_device("cpu") == torch.device("cpu")
    assert memory_in_use(torch.device("cpu")) is None


@pytest.mark.parametrize("name", ["tpu", "cuda:99", "banana"])
def test_unusable_devices_list_the_choices(name):
    with pytest.raises(DeviceError, match="choose one of: auto"):
        resolve_device(name)
