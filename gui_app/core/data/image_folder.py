"""A user's own images (the ``ImageFolder`` layout), resized to the network's input.

``DIR/<class>/*.png`` is one set split for validation; ``DIR/train/<class>/`` with
``DIR/test/<class>/`` (or ``val/``) keeps the user's own split. Every image is decoded once
(through :mod:`pictures`, so a 16-bit PNG, a phone photo or a 12000×12000 scan reads right and
small), resized and stored as uint8, like the built-in datasets. A folder collected from the web
holds some files that are not pictures: each is skipped and counted, and the dataset's note
names one of them, rather than ending the run.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gui_app.core.data.dataset_types import DatasetError, LoadedDataset, image_dataset
from gui_app.core.data.pictures import IMAGE_SUFFIXES, PictureError, read_picture

_DEFAULT_HOLDOUT = 0.2
#: How many skipped files the dataset's detail lists by name.
_LISTED = 10


def _class_names(root: Path) -> list[str]:
    """The class folders of ``root``, sorted (hidden ones, like ``.ipynb_checkpoints``, are not classes)."""
    try:
        names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir() and not entry.name.startswith("."))
    except OSError as exc:
        raise DatasetError(f"image folder {root}: cannot be listed ({exc.strerror or exc})") from None
    if not names:
        raise DatasetError(f"image folder {root}: no class folders (put each class's images in a sub-folder)")
    return names


def _picture_files(folder: Path) -> list[Path]:
    """Everything under ``folder`` named like a picture, sorted, in sub-folders too.

    Folders named like pictures (``x.png/``) are listed, not entered: they are counted as skipped.
    Linked folders are followed once each, so a link back up the tree cannot loop.
    """
    found, seen = [], set()
    for top, dirs, files in os.walk(folder, followlinks=True):
        try:
            info = os.stat(top)
        except OSError:  # gone or unreadable since it was listed: nothing in it to read
            dirs.clear()
            continue
        if (info.st_dev, info.st_ino) in seen:
            dirs.clear()
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs.sort()
        named = [d for d in dirs if Path(d).suffix.lower() in IMAGE_SUFFIXES]
        dirs[:] = [d for d in dirs if d not in named]
        found += [Path(top, name) for name in sorted([*files, *named]) if Path(name).suffix.lower() in IMAGE_SUFFIXES]
    return found


def _read_folder(root: Path, shape: tuple[int, ...], classes: list[str] | None = None):
    """(images N×C×H×W uint8, labels, class names, the PictureErrors of the files skipped)."""
    channels, height, width = shape
    mode = "L" if channels == 1 else "RGB"
    names = _class_names(root)
    if classes is not None and names != classes:
        raise DatasetError(f"image folder {root}: its class folders differ from the training folder's")
    entries = []
    for label, name in enumerate(names):
        files = _picture_files(root / name)
        if not files:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            raise DatasetError(f"image folder {root}: the class folder {name} holds no images ({suffixes})")
        entries += [(path, label) for path in files]
    images = np.empty((len(entries), height, width, channels), dtype=np.uint8)
    labels: list[int] = []
    skipped: list[PictureError] = []
    for path, label in entries:
        try:
            picture = read_picture(path, mode).resize((width, height), Image.Resampling.BILINEAR)
        except PictureError as exc:
            skipped.append(exc)
            continue
        images[len(labels)] = np.asarray(picture).reshape(height, width, channels)
        labels.append(label)
    if not labels:
        raise DatasetError(f"image folder {root}: no readable image ({_skipped_summary(root, skipped)})")
    x = torch.from_numpy(images[: len(labels)]).permute(0, 3, 1, 2).contiguous()
    return x, torch.tensor(labels, dtype=torch.long), names, skipped


def _skipped_summary(root: Path, skipped: list[PictureError]) -> str:
    """``skipped 3 unreadable images, e.g. cat/bad.png (not a readable image …)``."""
    first = skipped[0]
    plural = "" if len(skipped) == 1 else "s"
    return f"skipped {len(skipped)} unreadable image{plural}, e.g. {_relative(root, first.path)} ({first.reason})"


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _skipped_note(root: Path, skipped: list[PictureError]) -> tuple[str, str]:
    """(note, detail) for the dataset: the count and one file, then the first few files by name."""
    if not skipped:
        return "", ""
    listed = "; ".join(f"{_relative(root, e.path)}: {e.reason}" for e in skipped[:_LISTED])
    more = f"; and {len(skipped) - _LISTED} more" if len(skipped) > _LISTED else ""
    return f"Image folder {root.name}: {_skipped_summary(root, skipped)}.", f"Not read from {root}: {listed}{more}"


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
        train_x, train_y, classes, skipped = _read_folder(root / "train", input_shape)
        test_x, test_y, _, test_skipped = _read_folder(test_dir, input_shape, classes)
        skipped += test_skipped
    else:
        x, y, classes, skipped = _read_folder(root, input_shape)
        holdout = val_split if val_split > 0 else _DEFAULT_HOLDOUT
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
        n_test = max(1, round(len(x) * holdout))
        train_x, train_y = x[order[n_test:]], y[order[n_test:]]
        test_x, test_y = x[order[:n_test]], y[order[:n_test]]
    if len(train_x) == 0:
        raise DatasetError(f"image folder {root}: no training images")
    dataset = image_dataset(root.name, train_x, train_y, test_x, test_y, tuple(classes), str(root))
    note, detail = _skipped_note(root, skipped)
    return replace(dataset, note=note, detail=detail, skipped=len(skipped))
