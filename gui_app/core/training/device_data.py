"""A dataset placed on the training device, checked against the network, batched by slices.

The training split is shuffled once per epoch with one gather, then batches are plain slices
(views, no copies); each batch is scaled and normalised on the device in one fused op. When the
dataset does not fit on the GPU it stays in pinned CPU memory and batches are copied without
blocking.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional

from gui_app.core.data.dataset_types import LoadedDataset
from gui_app.core.data.datasets import dataset_bytes, normalization_for
from gui_app.core.training.devices import free_memory

#: Losses that compare the output with class indices; the others need one-hot targets.
INDEX_LOSSES = ("CrossEntropyLoss", "NLLLoss")
REGRESSION_LOSSES = ("MSELoss", "L1Loss", "SmoothL1Loss")


class ShapeMismatchError(ValueError):
    """The network does not fit the dataset or the loss; ``str()`` says what to change."""


def _fmt(shape: tuple[int, ...] | None) -> str:
    return "(" + ", ".join(str(s) for s in shape or ()) + ("," if shape and len(shape) == 1 else "") + ")"


def check_network_fits(
    input_shape: tuple[int, ...], output_shape: tuple[int, ...] | None, dataset: LoadedDataset, loss: str
) -> None:
    """Refuse a run whose network input, output or loss does not match the dataset."""
    data_shape = dataset.input_shape
    numel = int(torch.tensor(data_shape).prod()) if data_shape else 1
    if tuple(input_shape) != data_shape and int(torch.tensor(input_shape).prod()) != numel:
        raise ShapeMismatchError(
            f"the network's input is {_fmt(input_shape)} but {dataset.name} samples are {_fmt(data_shape)}; "
            f"set the network's input shape to {_fmt(data_shape)}"
        )
    if output_shape is None:
        raise ShapeMismatchError("the network has errors; fix the layers marked in red first")
    if dataset.task == "regression":
        if loss not in REGRESSION_LOSSES:
            raise ShapeMismatchError(
                f"{dataset.name} is a regression task; choose MSELoss, L1Loss or SmoothL1Loss, not {loss}"
            )
        if tuple(output_shape) != dataset.target_shape:
            raise ShapeMismatchError(
                f"the network's output is {_fmt(output_shape)} but {dataset.name} targets are "
                f"{_fmt(dataset.target_shape)}; end the network with Linear(out_features="
                f"{dataset.target_shape[0] if dataset.target_shape else 1})"
            )
        return
    classes = dataset.num_classes
    if tuple(output_shape) != (classes,):
        raise ShapeMismatchError(
            f"the network's output is {_fmt(output_shape)} but {dataset.name} has {classes} classes; "
            f"end the network with a layer of {classes} outputs (e.g. Linear(out_features={classes}))"
        )


@dataclass
class DeviceData:
    """The run's training and validation tensors on ``device``, and how to normalise them."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    device: torch.device
    scale: torch.Tensor
    shift: torch.Tensor
    net_shape: tuple[int, ...]
    one_hot: int
    channels_last: bool = False
    regression: bool = False

    @classmethod
    def place(
        cls,
        dataset: LoadedDataset,
        device: torch.device,
        *,
        normalization: str,
        val_split: float,
        seed: int,
        net_shape: tuple[int, ...],
        loss: str,
        channels_last: bool = False,
    ) -> DeviceData:
        """Split, and move to ``device`` when it fits in half its free memory."""
        train_x, train_y, val_x, val_y = dataset.split(val_split, seed)
        free = free_memory(device)
        on_device = device.type != "cuda" or (free is not None and dataset_bytes(dataset) < free // 2)
        target = device if on_device else torch.device("cpu")
        train_x, train_y, val_x, val_y = (t.to(target) for t in (train_x, train_y, val_x, val_y))
        mean, std = normalization_for(dataset, normalization)
        view = (1, len(mean), *([1] * (len(dataset.input_shape) - 1))) if len(dataset.input_shape) > 1 else (1, -1)
        std_t = torch.tensor(std, dtype=torch.float32)
        mean_t = torch.tensor(mean, dtype=torch.float32)
        # x_norm = (x * s - mean) / std = x * (s / std) + (-mean / std): one fused addcmul per batch
        scale = (dataset.scale / std_t).view(view).to(device)
        shift = (-mean_t / std_t).view(view).to(device)
        regression = dataset.task == "regression"
        one_hot = 0 if regression or loss in INDEX_LOSSES else dataset.num_classes
        return cls(
            train_x, train_y, val_x, val_y, device, scale, shift, tuple(net_shape), one_hot, channels_last, regression
        )

    @property
    def n_train(self) -> int:
        return len(self.train_x)

    def shuffled(self, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """This epoch's training order, gathered once so that batches are slices."""
        order = torch.randperm(self.n_train, generator=generator).to(self.train_x.device)
        x, y = self.train_x.index_select(0, order), self.train_y.index_select(0, order)
        if x.device != self.device and self.device.type == "cuda":
            x, y = x.pin_memory(), y.pin_memory()
        return x, y

    def prepare(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A raw batch -> (normalised input in the network's shape, loss target, labels) on the device.

        The labels come back too, so counting correct answers needs no second copy to the device.
        """
        if xb.device != self.device:
            xb, yb = xb.to(self.device, non_blocking=True), yb.to(self.device, non_blocking=True)
        x = torch.addcmul(self.shift, xb.to(torch.float32), self.scale)
        if x.shape[1:] != self.net_shape:
            x = x.reshape(len(x), *self.net_shape)
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        target = functional.one_hot(yb, self.one_hot).to(torch.float32) if self.one_hot else yb
        return x, target, yb

    def val_batches(self, batch_size: int):
        """(input, target, labels) for each validation batch, in order."""
        for start in range(0, len(self.val_x), batch_size):
            xb, yb = self.val_x[start : start + batch_size], self.val_y[start : start + batch_size]
            x, target, labels = self.prepare(xb, yb)
            yield x, target, (labels if not self.regression else None)
