"""Ready networks for File ▸ New from preset: the seed articles' models and a few classics.

Each preset is an ordinary project file in ``resources/presets``; this module only knows their
order, so the menu lists the beginner networks first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gui_app.core.project.spec import NetworkSpec, load_spec_file
from gui_app.core.resources import resources_dir

#: File stems in menu order; the first is what a new user sees.
PRESET_ORDER = (
    "mnist_mlp_784_128_128_10",
    "mnist_mlp_784_512_10",
    "mnist_mlp_784_128_64_10",
    "mnist_cnn_small",
    "cifar10_lenet",
    "cifar10_resnet18",
    "linear_regression",
)
DEFAULT_PRESET = PRESET_ORDER[0]


@dataclass(frozen=True)
class Preset:
    """A preset's menu name and file."""

    key: str
    name: str
    path: Path

    def load(self) -> NetworkSpec:
        return load_spec_file(self.path)


def presets_dir() -> Path:
    return resources_dir() / "presets"


def list_presets() -> list[Preset]:
    """All presets, known ones first in :data:`PRESET_ORDER`, then any others by file name."""
    folder = presets_dir()
    stems = [p.stem for p in sorted(folder.glob("*.json"))]
    ordered = [s for s in PRESET_ORDER if s in stems] + [s for s in stems if s not in PRESET_ORDER]
    return [Preset(s, load_spec_file(folder / f"{s}.json").name, folder / f"{s}.json") for s in ordered]


def load_preset(key: str = DEFAULT_PRESET) -> NetworkSpec:
    """The preset with file stem ``key`` as a new spec."""
    return load_spec_file(presets_dir() / f"{key}.json")
