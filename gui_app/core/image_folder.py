"""A user's own images (torchvision ``ImageFolder`` layout), resized to the network's input.

``DIR/<class>/*.png`` is one set split for validation; ``DIR/train/<class>/`` with
``DIR/test/<class>/`` (or ``val/``) keeps the user's own split. Every image is decoded once,
resized and stored as uint8, like the built-in datasets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from gui_app.core.datasets import NO_TORCHVISION, DatasetError, LoadedDataset, image_dataset

_DEFAULT_HOLDOUT = 0.2


def _read_folder(root: Path, shape: tuple[int, ...], classes: list[str] | None = None):
    from PIL import Image

    try:
        from torchvision.datasets import ImageFolder
    except ImportError:
        raise DatasetError(NO_TORCHVISION.format(what="Training on an image folder")) from None

    channels, height, width = shape
    mode = "L" if channels == 1 else "RGB"
    try:
        folder = ImageFolder(str(root))
    except (FileNotFoundError, RuntimeError) as exc:
        raise DatasetError(f"image folder {root}: {str(exc).splitlines()[0]}") from None
    if classes is not None and folder.classes != classes:
        raise DatasetError(f"image folder {root}: its class folders differ from the training folder's")
    images = np.empty((len(folder.samples), height, width, channels), dtype=np.uint8)
    for i, (path, _label) in enumerate(folder.samples):
        try:
            with Image.open(path) as image:
                resized = image.convert(mode).resize((width, height), Image.Resampling.BILINEAR)
        except OSError as exc:
            raise DatasetError(f"cannot read image {path}: {exc}") from None
        images[i] = np.asarray(resized).reshape(height, width, channels)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(folder.targets, dtype=torch.long)
    return x, y, folder.classes


def load_image_folder(root: Path | None, input_shape: tuple[int, ...], val_split: float, seed: int) -> LoadedDataset:
    """Load ``root`` as images of ``input_shape`` (C, H, W); C must be 1 or 3."""
    if root is None:
        raise DatasetError("image folder: pick the folder that holds one sub-folder of images per class")
    if len(input_shape) != 3 or input_shape[0] not in (1, 3):
        raise DatasetError(
            f"image folder: the network's input must be (1, H, W) or (3, H, W) images, not {tuple(input_shape)}"
        )
    if not root.is_dir():
        raise DatasetError(f"image folder {root}: no such folder")
    test_dir = next((root / n for n in ("test", "val") if (root / n).is_dir()), None)
    if (root / "train").is_dir() and test_dir is not None:
        train_x, train_y, classes = _read_folder(root / "train", input_shape)
        test_x, test_y, _ = _read_folder(test_dir, input_shape, classes)
    else:
        x, y, classes = _read_folder(root, input_shape)
        holdout = val_split if val_split > 0 else _DEFAULT_HOLDOUT
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        n_test = max(1, round(len(x) * holdout))
        train_x, train_y = x[order[n_test:]], y[order[n_test:]]
        test_x, test_y = x[order[:n_test]], y[order[:n_test]]
    if len(train_x) == 0:
        raise DatasetError(f"image folder {root}: no training images")
    return image_dataset(root.name, train_x, train_y, test_x, test_y, tuple(classes), str(root))
