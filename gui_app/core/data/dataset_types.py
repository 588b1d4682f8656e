"""What every dataset loader returns: a :class:`LoadedDataset` of tensors, or a :class:`DatasetError`.

Apart from the loaders (:mod:`.datasets`, :mod:`.image_folder`) so that each can build one
without importing the other.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


class DatasetError(ValueError):
    """A dataset that cannot be loaded; ``str()`` tells the user what to do, in one line."""


@dataclass
class LoadedDataset:
    """A dataset as tensors on the CPU: uint8 images (scaled by ``1/255`` when used) or floats.

    ``mean``/``std`` are per-channel statistics of the training images scaled to [0, 1].
    ``task`` is "classification" (integer labels) or "regression" (float targets).
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    class_names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str
    task: str = "classification"
    #: "sample" (the bundled MNIST sample), "download" (just downloaded), else "folder"
    origin: str = "folder"
    #: one line for the user when the data is not exactly what was asked for ("" otherwise)
    note: str = ""
    #: why, when ``note`` is set: which folders were searched and why the download did not help
    detail: str = ""
    #: files of an image folder that were not read (not pictures, damaged, too large); ``note`` names one
    skipped: int = 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train_x.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def scale(self) -> float:
        """The factor that brings stored values to [0, 1] (images) or leaves them (floats)."""
        return 1.0 / 255.0 if self.train_x.dtype == torch.uint8 else 1.0

    @property
    def target_shape(self) -> tuple[int, ...]:
        return tuple(self.train_y.shape[1:])

    def split(self, val_split: float, seed: int) -> tuple[torch.Tensor, ...]:
        """(train_x, train_y, val_x, val_y): a seeded split of the training set when
        ``val_split`` > 0, else the whole training set and the test split."""
        if val_split <= 0:
            return self.train_x, self.train_y, self.test_x, self.test_y
        n = len(self.train_x)
        n_val = max(1, round(n * val_split))
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        val_idx, train_idx = order[:n_val], order[n_val:]
        return self.train_x[train_idx], self.train_y[train_idx], self.train_x[val_idx], self.train_y[val_idx]


def image_dataset(
    name: str,
    train_x: torch.Tensor,
    train_y: torch.Tensor,
    test_x: torch.Tensor,
    test_y: torch.Tensor,
    classes: tuple[str, ...],
    source: str,
) -> LoadedDataset:
    """Wrap uint8 NCHW images with their per-channel statistics."""
    as_float = train_x.float().div_(255.0)
    mean = tuple(float(m) for m in as_float.mean(dim=(0, 2, 3)))
    std = tuple(float(s) for s in as_float.std(dim=(0, 2, 3)))
    return LoadedDataset(
        name,
        train_x.contiguous(),
        train_y.long(),
        test_x.contiguous(),
        test_y.long(),
        classes,
        mean,
        std,
        source,
    )
