"""The datasets a run can train on, each loaded once into tensors and kept.

Images are stored as uint8 tensors ``(N, C, H, W)`` and scaled and normalised on the training
device one batch at a time, so a dataset costs a quarter of its float size and never passes
through a ``DataLoader``. MNIST and Fashion-MNIST are read from IDX files (plain or ``.gz``) in
the folder the user picked, a torchvision root inside it, or the app's cache; when none holds
them, torchvision downloads them; when that fails too, :class:`DatasetError` says which files to
put where and where we looked.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gui_app.core.idx_download import IDX_SOURCES, download_idx
from gui_app.core.idx_files import IdxFileError, find_idx_file, read_idx

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
CIFAR_FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")


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


def normalization_for(dataset: LoadedDataset, choice: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel (mean, std) applied after scaling to [0, 1], for a normalisation choice."""
    channels = dataset.input_shape[0] if dataset.train_x.dim() == 4 else 1
    if dataset.task == "regression" or choice == "zero_one":
        return (0.0,) * channels, (1.0,) * channels
    if choice == "minus_one_one":
        return (0.5,) * channels, (0.5,) * channels
    return dataset.mean, dataset.std


def default_data_dir() -> Path:
    """``$NETBUILDER_DATA``, else ``~/.cache/netbuilder/data``."""
    env = os.environ.get("NETBUILDER_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "netbuilder" / "data"


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
) -> LoadedDataset:
    """Load (once per process) the dataset ``name`` of :data:`run_config.DATASETS`.

    ``input_shape`` sizes an image folder's images and the regression's features;
    ``output_shape`` the regression's targets. Raises :class:`DatasetError`.
    """
    folder = Path(data_dir).expanduser() if data_dir else None
    if name in IDX_DATASETS:
        return _load_idx(name, folder, download)
    if name == "cifar10":
        return _load_cifar(folder, download)
    if name == "image_folder":
        from gui_app.core.image_folder import load_image_folder

        return load_image_folder(folder, input_shape or (3, 32, 32), val_split, seed)
    if name == "linear_regression":
        return make_linear_regression(input_shape or (1,), output_shape or (1,), seed)
    raise DatasetError(f"unknown dataset {name!r}")


def _search_folders(folder_name: str, data_dir: Path | None) -> list[Path]:
    roots = [data_dir] if data_dir else []
    roots.append(default_data_dir())
    folders: list[Path] = []
    for root in roots:
        folders += [root / folder_name / "raw", root / "raw", root, root / folder_name]
    return folders


def _load_idx(name: str, data_dir: Path | None, download: bool) -> LoadedDataset:
    folder_name, display, classes = IDX_DATASETS[name]
    folders = _search_folders(folder_name, data_dir)
    paths = [find_idx_file(folders, stem) for stem in IDX_FILES]
    failure = ""
    if None in paths and download:
        failure = _download(name, data_dir or default_data_dir())
        paths = [find_idx_file(folders, stem) for stem in IDX_FILES]
    if None in paths:
        missing = ", ".join(stem for stem, p in zip(IDX_FILES, paths, strict=True) if p is None)
        target = (data_dir or default_data_dir()) / folder_name / "raw"
        looked = ", ".join(str(f) for f in dict.fromkeys(folders))
        raise DatasetError(
            f"{display} not found: missing {missing}. Put all four files {', '.join(IDX_FILES)} "
            f"(plain or .gz) in {target}/ or straight in the data folder you pick, or go online to "
            f"download them.{failure} Looked in: {looked}"
        )
    key = (name, *(str(p.resolve()) for p in paths))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
        except IdxFileError as exc:
            raise DatasetError(f"{display}: {exc}") from None
        if train_x.dim() != 3 or len(train_x) != len(train_y) or len(test_x) != len(test_y):
            raise DatasetError(f"{display}: the files in {paths[0].parent} do not belong together")
        dataset = image_dataset(
            display, train_x.unsqueeze(1), train_y, test_x.unsqueeze(1), test_y, classes, str(paths[0].parent)
        )
        _CACHE[key] = dataset
        return dataset


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


def _load_cifar(data_dir: Path | None, download: bool) -> LoadedDataset:
    roots = [r for r in (data_dir, data_dir.parent if data_dir else None, default_data_dir()) if r]
    root = next((r for r in roots if all((r / "cifar-10-batches-py" / f).is_file() for f in CIFAR_FILES)), None)
    failure = ""
    if root is None and download:
        failure = _download("cifar10", data_dir or default_data_dir())
        root = next((r for r in roots if (r / "cifar-10-batches-py" / "test_batch").is_file()), None)
    if root is None:
        target = (data_dir or default_data_dir()) / "cifar-10-batches-py"
        looked = ", ".join(str(r / "cifar-10-batches-py") for r in dict.fromkeys(roots))
        raise DatasetError(
            f"CIFAR-10 not found: put the files of cifar-10-python.tar.gz ({', '.join(CIFAR_FILES)}, "
            f"batches.meta) in {target}/, or go online to download them.{failure} Looked in: {looked}"
        )
    key = ("cifar10", str(root.resolve()))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            from torchvision.datasets import CIFAR10
        except ImportError:
            raise DatasetError(NO_TORCHVISION.format(what="CIFAR-10")) from None

        try:
            train, test = CIFAR10(str(root), train=True), CIFAR10(str(root), train=False)
        except RuntimeError as exc:
            raise DatasetError(f"CIFAR-10 in {root}: {exc}") from None
        dataset = image_dataset(
            "CIFAR-10",
            torch.from_numpy(np.ascontiguousarray(train.data.transpose(0, 3, 1, 2))),
            torch.tensor(train.targets),
            torch.from_numpy(np.ascontiguousarray(test.data.transpose(0, 3, 1, 2))),
            torch.tensor(test.targets),
            CIFAR_CLASSES,
            str(root / "cifar-10-batches-py"),
        )
        _CACHE[key] = dataset
        return dataset


def _download(name: str, root: Path) -> str:
    """Try to download ``name`` into ``root``; return "" or a sentence saying why it failed.

    A failure is not an error here: the caller then explains where to put the files, and adds
    this sentence so an offline user sees why the download did not help.
    """
    import socket

    try:
        from torchvision import datasets as tv
    except ImportError:  # the desktop bundle leaves torchvision out (docs/packaging.md)
        if name in IDX_SOURCES and not download_idx(name, root):
            return " The download did not succeed (offline?)."
        return ""

    cls = {"mnist": tv.MNIST, "fashion_mnist": tv.FashionMNIST, "cifar10": tv.CIFAR10}[name]
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(15)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as exc:  # offline, a proxy, a full disk: all mean "use local files"
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        if len(reason) > 400:
            reason = reason[:397] + "..."
        return f" The download failed: {reason.rstrip('.:')}."
    finally:
        socket.setdefaulttimeout(previous)
    return ""


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
