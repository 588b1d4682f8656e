"""An export's input scaling: the :class:`Normalize` step a trained export starts with, and
what an exported file says about the input it takes (its metadata)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import torch
from torch import nn

from gui_app import __version__
from gui_app.core.export.output_files import ExportError
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.trained_model import TrainedModel


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel: the input scaling the network was trained with.

    It takes raw pixels in [0, 1]. Channel ``c`` is the ``c``-th equal part of each sample, as in
    an (N, C, H, W) batch, so a network with a flattened input is scaled as it was in training.
    """

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]) -> None:
        super().__init__()
        # Not persistent: the weights file holds the network's own weights only.
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(-1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(-1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels = x.reshape(x.shape[0], self.mean.shape[0], -1)
        return ((channels - self.mean) / self.std).reshape(x.shape)


@dataclass(frozen=True)
class Preprocessing:
    """A trained model's input scaling, and whether the export applies it itself."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    included: bool = True

    def formula(self) -> str:
        return f"(x - mean) / std per channel with mean {self.mean} and std {self.std}"

    def input_text(self) -> str:
        """What the export takes, in one sentence."""
        if self.included:
            return f"raw pixels in [0, 1]; the model applies {self.formula()} itself"
        return f"normalised pixels: apply {self.formula()} to pixels in [0, 1] first"

    def metadata(self) -> dict[str, str]:
        return {
            "input": self.input_text(),
            "preprocessing": "included" if self.included else "excluded",
            "mean": json.dumps(list(self.mean)),
            "std": json.dumps(list(self.std)),
        }


def preprocessing_of(spec: NetworkSpec, trained: TrainedModel | None, include: bool = True) -> Preprocessing | None:
    """The checked input scaling of ``trained`` for an export of ``spec`` (None without weights)."""
    if trained is None:
        return None
    try:
        mean = tuple(float(m) for m in trained.mean)
        std = tuple(float(s) for s in trained.std)
    except (TypeError, ValueError):
        raise ExportError("the model's normalisation (mean and std) is not a list of numbers") from None
    if not mean or len(mean) != len(std):
        raise ExportError(f"the model's normalisation has {len(mean)} means but {len(std)} stds")
    if not all(math.isfinite(v) for v in mean + std) or min(std) <= 0:
        raise ExportError("the model's normalisation needs finite means and positive, finite stds")
    if math.prod(spec.input_shape) % len(mean):
        raise ExportError(
            f"the model's normalisation has {len(mean)} channels, which do not divide the input "
            f"{list(spec.input_shape)}"
        )
    return Preprocessing(mean, std, include)


def export_metadata(spec: NetworkSpec, preprocessing: Preprocessing | None) -> dict[str, str]:
    """What an exported model file says about itself (ONNX metadata, the archives' JSON file)."""
    data = {"exported_by": f"NetBuilder {__version__}", "input_shape": json.dumps(["N", *spec.input_shape])}
    if preprocessing is None:
        data.update(weights=f"initial (training seed {spec.training.seed})", preprocessing="none")
        data["input"] = "the network's own input (no trained weights, so no training normalisation)"
        return data
    return {**data, "weights": "trained", **preprocessing.metadata()}
