"""What the block view looks through: which weights, and which test images.

The weights are the newest that fit the network on the canvas: a copy taken at the last epoch's
end while a run trains (made in the training thread, between two batches, so it is never half
an optimiser step), the finished run's, the bundled digit model's when the canvas holds its
network, or else the network's own seeded initial weights, which is what an untrained network
sees. The images are the test split of the project's dataset, read without downloading.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from gui_app.core.analysis.compiler import build_model
from gui_app.core.data.dataset_types import DatasetError
from gui_app.core.data.datasets import load_dataset, normalization_for
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.events import EpochEvent
from gui_app.core.training.trained_model import TrainedModel

UNTRAINED = "untrained: its initial random weights"


class _TrainingRun(Protocol):
    """The part of a running Trainer a snapshot reads (in the training thread)."""

    model: nn.Module | None

    def snapshot(self, source: str) -> TrainedModel: ...


def weights_snapshot(trainer: _TrainingRun, event: EpochEvent) -> TrainedModel | None:
    """A CPU copy of the network being trained, after the epoch of ``event``; None before it is built.

    Call it from the training thread (an ``on_epoch_end`` hook): the copy is taken between two
    batches, so the window can read it while training goes on.
    """
    if trainer.model is None:
        return None
    return trainer.snapshot(f"after epoch {event.epoch} of {event.epochs}")


def weights_fit(model: TrainedModel | None, spec: NetworkSpec) -> bool:
    """True when ``model`` was trained for exactly ``spec``'s input and blocks."""
    if model is None:
        return False
    return model.spec.same_network(spec)


@dataclass
class InspectedNetwork:
    """A built network in eval mode, the normalisation of its inputs and where its weights came from."""

    network: nn.Sequential
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str
    trained: bool


def inspected_network(
    spec: NetworkSpec,
    candidates: Iterable[TrainedModel | None],
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] = ((0.0,), (1.0,)),
) -> InspectedNetwork:
    """The first candidate that fits ``spec``, else ``spec`` with its seeded initial weights.

    ``normalisation`` is for the untrained network (the dataset's, when it is known). Raises
    the compiler's :class:`CompileError` when the network has an error.
    """
    for model in candidates:
        if model is not None and weights_fit(model, spec):
            return InspectedNetwork(_built(model), model.mean, model.std, model.source or "trained", True)
    network = build_model(spec, seed=spec.training.seed).eval()
    return InspectedNetwork(network, normalisation[0], normalisation[1], UNTRAINED, False)


def _built(model: TrainedModel) -> nn.Sequential:
    """``model``'s network in eval mode, without first drawing the random weights it would overwrite.

    Built on the meta device and given the model's own tensors (read only here: the view never
    trains), which takes a few ms where ``TrainedModel.build`` takes 12–15 ms for the presets:
    it runs at every epoch's end in the UI thread. Recurrent layers keep views of their weights
    that assignment does not update, so they are built the ordinary way.
    """
    with torch.device("meta"):
        network = build_model(model.spec)
    if any(isinstance(module, nn.RNNBase) for module in network.modules()):
        return model.build()
    network.load_state_dict(model.state_dict, assign=True)
    if any(tensor.is_meta for tensor in (*network.parameters(), *network.buffers())):
        return model.build()  # a buffer the file does not hold (none today): nothing to assign it from
    return network.eval()


def normalise_input(sample: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """One input in [0, 1] (C×H×W, or any shape for features) scaled as the network was trained."""
    sample = sample.float()
    if sample.dim() == 3 and len(mean) == sample.shape[0] > 1:
        return (sample - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    return (sample - float(mean[0])) / float(std[0])


@dataclass(frozen=True)
class ProbeImages:
    """The test split a user steps through: stored images (uint8 or float), labels, class names."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    class_names: tuple[str, ...]
    scale: float
    #: the dataset's per-channel statistics under the project's normalisation choice
    mean: tuple[float, ...]
    std: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.images)

    def image(self, index: int) -> torch.Tensor:
        """Image ``index`` (wrapped around) as floats in [0, 1] (features as they are)."""
        return self.images[index % len(self.images)].float() * self.scale

    def label(self, index: int) -> str:
        """The class name of image ``index`` (or its target, for regression data)."""
        target = self.labels[index % len(self.labels)]
        if target.dim() == 0 and not target.is_floating_point() and 0 <= int(target) < len(self.class_names):
            return self.class_names[int(target)]
        return ", ".join(f"{float(v):.3g}" for v in target.reshape(-1)[:4])


def load_probe_images(
    config: TrainingConfig, input_shape: tuple[int, ...], output_shape: tuple[int, ...] | None = None
) -> ProbeImages:
    """The test split of ``config``'s dataset (the copy the runs use, never a download).

    Raises the data layer's :class:`DatasetError` (its message says what to do) when there is
    none, or when it is empty.
    """
    dataset = load_dataset(
        config.dataset,
        config.data_dir,
        input_shape=input_shape,
        output_shape=output_shape,
        seed=config.seed,
        download=False,
        val_split=config.val_split,
    )
    if len(dataset.test_x) == 0:
        raise DatasetError(f"{dataset.name} has no test images to show")
    mean, std = normalization_for(dataset, config.normalization)
    return ProbeImages(
        dataset.name, dataset.test_x, dataset.test_y, dataset.class_names, dataset.scale, tuple(mean), tuple(std)
    )
