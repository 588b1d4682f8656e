"""The devices a user can train on: the CPU, each CUDA GPU, Apple's MPS; and "auto"."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


class DeviceError(ValueError):
    """A device name that is unknown or unavailable here; ``str()`` lists the choices."""


@dataclass(frozen=True)
class DeviceInfo:
    """One choice for the device list: ``id`` as the config stores it, ``label`` as shown."""

    id: str
    label: str
    kind: str
    total_memory: int | None = None


def list_devices() -> list[DeviceInfo]:
    """ "auto" first, then every usable device, best first after "auto"."""
    found: list[DeviceInfo] = []
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            gib = props.total_memory / 2**30
            found.append(
                DeviceInfo(f"cuda:{index}", f"GPU {index}: {props.name} ({gib:.1f} GiB)", "cuda", props.total_memory)
            )
    if _mps_available():
        found.append(DeviceInfo("mps", "Apple GPU (MPS)", "mps"))
    cores = os.cpu_count() or 1
    found.append(DeviceInfo("cpu", f"CPU ({cores} cores)", "cpu"))
    best = found[0]
    return [DeviceInfo("auto", f"auto: {best.label}", best.kind, best.total_memory), *found]


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(name: str | None) -> torch.device:
    """The ``torch.device`` for a config's device string; :class:`DeviceError` when unusable."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", 0)
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    choices = ", ".join(d.id for d in list_devices())
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"unknown device {name!r}; choose one of: {choices}") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"no CUDA GPU is available here; choose one of: {choices}")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"there is no GPU {index}; choose one of: {choices}")
        return torch.device("cuda", index)
    if device.type == "mps" and not _mps_available():
        raise DeviceError(f"Apple MPS is not available here; choose one of: {choices}")
    if device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"unsupported device {name!r}; choose one of: {choices}")
    return device


def memory_in_use(device: torch.device) -> tuple[int, int] | None:
    """(bytes allocated by this process, total bytes) on a CUDA GPU; None elsewhere."""
    if device.type != "cuda":
        return None
    index = device.index or 0
    return torch.cuda.memory_allocated(index), torch.cuda.get_device_properties(index).total_memory


def free_memory(device: torch.device) -> int | None:
    """Free bytes on a CUDA GPU (for deciding whether a dataset fits); None elsewhere."""
    if device.type != "cuda":
        return None
    free, _total = torch.cuda.mem_get_info(device.index or 0)
    return free


def release_cached_memory(device: torch.device | None) -> None:
    """Hand the memory torch keeps cached on a CUDA GPU back to the driver (after a run)."""
    if device is not None and device.type == "cuda":
        torch.cuda.empty_cache()
