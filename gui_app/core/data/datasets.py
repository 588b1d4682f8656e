"""The datasets a run can train on, each loaded once into tensors and kept.

Images are stored as uint8 tensors ``(N, C, H, W)`` and scaled and normalised on the training
device one batch at a time, so a dataset costs a quarter of its float size and never passes
through a ``DataLoader``. MNIST and Fashion-MNIST are read from IDX files (plain or ``.gz``),
CIFAR-10 from its Python batches, found in the folders of :func:`data_folders.search_roots`;
when none holds them they are downloaded into the cache; when that fails too, MNIST falls back to
the bundled sample (saying so in ``note``) and the others raise :class:`DatasetError`, which says
which files to put where, where we looked and why the download did not help.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from gui_app.core.data.dataset_types import DatasetError, LoadedDataset, image_dataset
from gui_app.core.data.downloads import (
    CIFAR_FILES,
    DownloadCancelledError,
    DownloadError,
    ProgressCallback,
    download_dataset,
)
from gui_app.core.data.idx_files import IdxFileError, find_idx_file, read_idx
from gui_app.core.data.locations import cache_dir, chosen_data_folder, sample_dir, search_roots
from gui_app.core.files.reading import DATA_LIMIT, FileReadError, check_regular_file

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
#: dataset name -> (torchvision folder name, display name, class names)
IDX_DATASETS = {
    "mnist": ("MNIST", "MNIST", tuple(str(i) for i in range(10))),
    "fashion_mnist": (
        "FashionMNIST",
        "Fashion-MNIST",
        ("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot"),
    ),
}
CIFAR_CLASSES = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: Why CIFAR-10 and image folders fail in a copy without torchvision (the desktop bundle).
NO_TORCHVISION = "{what} needs torchvision, which this copy of NetBuilder does not include (pip install torchvision)"


def normalization_for(dataset: LoadedDataset, choice: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel (mean, std) applied after scaling to [0, 1], for a normalisation choice."""
    channels = dataset.input_shape[0] if dataset.train_x.dim() == 4 else 1
    if dataset.task == "regression" or choice == "zero_one":
        return (0.0,) * channels, (1.0,) * channels
    if choice == "minus_one_one":
        return (0.5,) * channels, (0.5,) * channels
    return dataset.mean, dataset.std


_CACHE: dict[tuple, LoadedDataset] = {}
_CACHE_LOCK = threading.Lock()


def load_dataset(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    input_shape: tuple[int, ...] | None = None,
    output_shape: tuple[int, ...] | None = None,
    seed: int = 0,
    download: bool = True,
    val_split: float = 0.0,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LoadedDataset:
    """Load (once per process) the dataset ``name`` of :data:`run_config.DATASETS`.

    MNIST, Fashion-MNIST and CIFAR-10 are looked for in :func:`data_folders.search_roots`, then
    downloaded into the cache (``progress`` and ``cancelled`` follow and stop the download), and
    MNIST falls back to the bundled sample; the result's ``note`` says whenever the data is not
    what was asked for. ``input_shape`` sizes an image folder's images and the regression's
    features; ``output_shape`` the regression's targets. Raises :class:`DatasetError`, or
    :class:`DownloadCancelledError` when ``cancelled()`` stopped a download.
    """
    folder = Path(data_dir).expanduser() if data_dir else None
    if name in IDX_DATASETS or name == "cifar10":
        return _resolve(name, folder, download, progress, cancelled)
    if name == "image_folder":
        from gui_app.core.data.image_folder import load_image_folder

        return load_image_folder(folder, input_shape or (3, 32, 32), val_split, seed)
    if name == "linear_regression":
        return make_linear_regression(input_shape or (1,), output_shape or (1,), seed)
    raise DatasetError(f"unknown dataset {name!r}")


def idx_folders(name: str, root: Path) -> list[Path]:
    """The layouts an IDX dataset may have under ``root``: torchvision's, ``raw/``, or flat."""
    folder_name = IDX_DATASETS[name][0]
    return [root / folder_name / "raw", root / "raw", root, root / folder_name]


def _scan(name: str, root: Path) -> tuple[Path | None, tuple[str, ...]]:
    """(the folder under ``root`` holding all of ``name``'s files or None, and otherwise the files
    missing from the first layout that holds some of them, for messages)."""
    if name == "cifar10":
        # torchvision's reader wants ROOT/cifar-10-batches-py, so that is the only layout
        for folder in (root / "cifar-10-batches-py", root):
            if folder.name == "cifar-10-batches-py" and all((folder / f).is_file() for f in CIFAR_FILES):
                return folder, ()
        return None, ()
    partial: tuple[str, ...] = ()
    for folder in idx_folders(name, root):
        missing = tuple(stem for stem in IDX_FILES if find_idx_file([folder], stem) is None)
        if not missing:
            return folder, ()
        if len(missing) < len(IDX_FILES) and not partial:
            partial = missing
    return None, partial


def locate(name: str, root: Path) -> Path | None:
    """The folder under ``root`` that holds all of dataset ``name``'s files, or None."""
    return _scan(name, root)[0]


def _first_copy(name: str, roots: list[Path]) -> tuple[int, Path] | None:
    """(index of the root, folder) of the first of ``roots`` that holds ``name``, or None."""
    for i, root in enumerate(roots):
        folder = locate(name, root)
        if folder is not None:
            return i, folder
    return None


def _has_torchvision() -> bool:
    try:
        import torchvision  # noqa: F401
    except ImportError:
        return False
    return True


def display_name(name: str) -> str:
    """ "MNIST", "Fashion-MNIST" or "CIFAR-10" for a dataset that can be found or downloaded."""
    return "CIFAR-10" if name == "cifar10" else IDX_DATASETS[name][1]


#: the datasets looked for in data folders (and downloaded when missing)
FOLDER_DATASETS = ("mnist", "fashion_mnist", "cifar10")


@dataclass(frozen=True)
class Location:
    """Where a run would read a dataset now: a folder, the bundled sample, or nowhere (download)."""

    folder: Path | None
    sample: bool = False


def dataset_locations(data_dir: str | os.PathLike[str] | None = None) -> dict[str, Location]:
    """For each of :data:`FOLDER_DATASETS`, the copy a run would use, without downloading anything."""
    roots = search_roots(data_dir)
    found = {}
    for name in FOLDER_DATASETS:
        copy = _first_copy(name, roots)
        if copy is None and name == "mnist" and locate(name, sample_dir()) is not None:
            found[name] = Location(sample_dir(), sample=True)
        else:
            found[name] = Location(copy[1] if copy else None)
    return found


def locations_report(
    data_dir: str | os.PathLike[str] | None = None, how_to_get: Callable[[str], str] = lambda name: ""
) -> str:
    """The search order and the copy of each dataset a run would use, for people to read.

    ``netbuilder data where`` and Data ▸ Data Locations… show it; ``how_to_get(name)`` adds each
    front end's own way to fetch a dataset that is missing.
    """
    roots, chosen, cache = search_roots(data_dir), chosen_data_folder(), cache_dir()
    lines = ["Datasets are looked for in this order (the first folder that holds all of a dataset's files wins):"]
    for i, root in enumerate(roots, 1):
        role = "download cache" if root == cache else "chosen data folder" if root == chosen else "run's data folder"
        lines.append(f"  {i}. {root}  ({role})")
    lines += [f"  then a download into the cache; for MNIST, if that fails, the bundled sample: {sample_dir()}", ""]
    for name, place in dataset_locations(data_dir).items():
        if place.folder is not None and not place.sample:
            lines.append(f"{display_name(name)}: {place.folder}")
            continue
        fallback = ", else uses the bundled sample" if place.sample else ""
        lines.append(f"{display_name(name)}: not found: a run downloads it{fallback}{how_to_get(name)}")
    return "\n".join(lines)


def _resolve(
    name: str,
    data_dir: Path | None,
    download: bool,
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
) -> LoadedDataset:
    """Find ``name`` in the search order, download it, or fall back to the sample (MNIST)."""
    display = display_name(name)
    if name == "cifar10" and not _has_torchvision():  # say so before fetching 170 MB it cannot read
        raise DatasetError(NO_TORCHVISION.format(what="CIFAR-10"))
    roots = search_roots(data_dir)
    copy = _first_copy(name, roots)
    if copy is not None:
        index, folder = copy
        passed = ", ".join(str(r) for r in roots[:index])
        return _read(name, folder, note=f"{display} is not in {passed}; using the copy in {folder}" if passed else "")
    partial = {r: f"{r} (missing {', '.join(missing)})" for r in roots if (missing := _scan(name, r)[1])}
    looked = ", ".join(partial.get(r, str(r)) for r in roots)
    if not download:
        failure = "downloads are off"
    else:
        try:
            folder = download_dataset(name, cache_dir(), progress=progress, cancelled=cancelled)
        except DownloadCancelledError:
            raise
        except DownloadError as exc:
            failure = str(exc).rstrip(".")
        else:
            return _read(name, folder, origin="download", note=f"{display} downloaded to {folder}")
    why = f"{display} is not in {looked}, and {failure}."
    sample = sample_dir()
    if name == "mnist" and locate(name, sample) is not None:
        dataset = _read(name, sample, display="MNIST sample", origin="sample", detail=why)
        count = len(dataset.train_x)
        note = f"MNIST sample, {count:,} images: the full set gives higher accuracy."
        if partial:  # the likely cause is a misnamed or missing file: say it up front
            first = next(iter(partial.values()))
            note = f"MNIST sample, {count:,} images, because full MNIST is incomplete in {first}."
        return replace(dataset, note=note)
    if name == "cifar10":
        files = f"the files of cifar-10-python.tar.gz ({', '.join(CIFAR_FILES)})"
        target = roots[0] / "cifar-10-batches-py"
    else:
        files = f"all four files {', '.join(IDX_FILES)} (plain or .gz)"
        target = roots[0] / IDX_DATASETS[name][0] / "raw"
    raise DatasetError(
        f"{display} not found: {why} Put {files} in {target}/ or straight in the data folder you pick, "
        f"or go online to download them."
    )


def _read(
    name: str, folder: Path, *, display: str | None = None, origin: str = "folder", note: str = "", detail: str = ""
) -> LoadedDataset:
    """Read the dataset in ``folder`` (its tensors cached per process by its files)."""
    display = display or display_name(name)
    if name == "cifar10":
        dataset = _read_cifar(folder)
    else:
        paths = [find_idx_file([folder], stem) for stem in IDX_FILES]
        key = (name, *(str(p.resolve()) for p in paths))
        with _CACHE_LOCK:
            if key not in _CACHE:
                _CACHE[key] = _read_idx(name, display, paths)
            dataset = _CACHE[key]
    return replace(dataset, name=display, origin=origin, note=note, detail=detail)


def _read_idx(name: str, display: str, paths: list[Path]) -> LoadedDataset:
    try:
        train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
    except IdxFileError as exc:
        raise DatasetError(f"{display}: {exc}") from None
    classes = IDX_DATASETS[name][2]
    train_images, train_labels, test_images, test_labels = paths
    check_images(train_x, display, train_images)
    check_images(test_x, display, test_images)
    if test_x.shape[1:] != train_x.shape[1:]:
        raise DatasetError(
            f"{display}: {test_images}: its images are {_size(test_x)} pixels, the training images in "
            f"{train_images.name} are {_size(train_x)}"
        )
    check_labels(train_y, len(train_x), display, train_labels, classes)
    check_labels(test_y, len(test_x), display, test_labels, classes)
    return image_dataset(
        display, train_x.unsqueeze(1), train_y, test_x.unsqueeze(1), test_y, classes, str(paths[0].parent)
    )


def _size(tensor: torch.Tensor, first: int = 1) -> str:
    return "×".join(str(d) for d in tensor.shape[first:]) or "a single value"


def check_images(images: torch.Tensor, display: str, path: Path) -> None:
    """Refuse an images file that is not a non-empty stack of 8-bit pictures (count, height, width)."""
    if images.dim() != 3:
        raise DatasetError(
            f"{display}: {path}: images must be 3-D (count × height × width), this file holds {_size(images, 0)}"
        )
    if images.dtype != torch.uint8:
        raise DatasetError(
            f"{display}: {path}: images must be 8-bit pixels (IDX type 0x08), this file holds {images.dtype}"
        )
    if images.numel() == 0:
        raise DatasetError(f"{display}: {path}: holds no images ({_size(images, 0)})")


def check_labels(labels: torch.Tensor, count: int, display: str, path: Path, classes: tuple[str, ...]) -> None:
    """Refuse labels that are not one class index per image, each in ``range(len(classes))``."""
    if labels.dim() != 1:
        raise DatasetError(f"{display}: {path}: labels must be 1-D (one per image), this file holds {_size(labels, 0)}")
    if labels.dtype.is_floating_point:
        raise DatasetError(
            f"{display}: {path}: labels must be whole numbers (class indices), this file holds {labels.dtype}"
        )
    if len(labels) != count:
        raise DatasetError(f"{display}: {path}: {len(labels):,} labels for {count:,} images")
    outside = labels[(labels < 0) | (labels >= len(classes))]
    if len(outside):
        raise DatasetError(
            f"{display}: {path}: {len(outside):,} labels out of range, e.g. {int(outside[0])} "
            f"(the classes are 0–{len(classes) - 1})"
        )


def _read_cifar(folder: Path) -> LoadedDataset:
    """CIFAR-10's Python batches through torchvision, which unpickles them only after their md5s
    match the published ones: a damaged or crafted batch is refused before a byte is unpickled."""
    key = ("cifar10", str(folder.resolve()))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        from torchvision.datasets import CIFAR10  # present: _resolve checked before looking

        for name in CIFAR_FILES:  # the md5 check reads them whole: no FIFO, no 20 GB "batch"
            try:
                check_regular_file(folder / name, DATA_LIMIT)
            except FileReadError as exc:
                raise DatasetError(f"CIFAR-10: {exc}") from None
        root = folder.parent
        try:
            train, test = CIFAR10(str(root), train=True), CIFAR10(str(root), train=False)
        except RuntimeError:
            raise DatasetError(
                f"CIFAR-10 in {folder}: the files are damaged or not the original CIFAR-10 python batches "
                f"(their checksums differ); delete the folder to download them again"
            ) from None
        train_y, test_y = torch.tensor(train.targets), torch.tensor(test.targets)
        check_labels(train_y, len(train.data), "CIFAR-10", folder, CIFAR_CLASSES)
        check_labels(test_y, len(test.data), "CIFAR-10", folder / "test_batch", CIFAR_CLASSES)
        dataset = image_dataset(
            "CIFAR-10",
            torch.from_numpy(np.ascontiguousarray(train.data.transpose(0, 3, 1, 2))),
            train_y,
            torch.from_numpy(np.ascontiguousarray(test.data.transpose(0, 3, 1, 2))),
            test_y,
            CIFAR_CLASSES,
            str(folder),
        )
        _CACHE[key] = dataset
        return dataset


def make_linear_regression(
    input_shape: tuple[int, ...], output_shape: tuple[int, ...], seed: int, n_train: int = 800, n_test: int = 200
) -> LoadedDataset:
    """The seed articles' synthetic regression: ``y = W x + b + noise`` with seeded W and b."""
    if len(input_shape) != 1 or len(output_shape) != 1:
        raise DatasetError(
            f"linear regression needs a flat input and output, e.g. input (1,) and a Linear layer; "
            f"the network has input {tuple(input_shape)} and output {tuple(output_shape)}"
        )
    key = ("linear_regression", tuple(input_shape), tuple(output_shape), seed)
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        g = torch.Generator().manual_seed(seed)
        (k,), (m,) = input_shape, output_shape
        weight = torch.randn(m, k, generator=g) * 2.0
        bias = torch.randn(m, generator=g)
        x = torch.rand(n_train + n_test, k, generator=g) * 2.0 - 1.0
        y = x @ weight.T + bias + 0.1 * torch.randn(n_train + n_test, m, generator=g)
        dataset = LoadedDataset(
            "linear regression",
            x[:n_train].contiguous(),
            y[:n_train].contiguous(),
            x[n_train:].contiguous(),
            y[n_train:].contiguous(),
            (),
            (0.0,),
            (1.0,),
            f"synthetic, seed {seed}, noise 0.1",
            task="regression",
        )
        _CACHE[key] = dataset
        return dataset


def dataset_bytes(dataset: LoadedDataset) -> int:
    """Memory the dataset's tensors take, to decide whether it fits on a GPU."""
    tensors = (dataset.train_x, dataset.train_y, dataset.test_x, dataset.test_y)
    return sum(t.numel() * t.element_size() for t in tensors)
