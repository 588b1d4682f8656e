"""Datasets: the tests' slice of real MNIST, other layouts, and the missing-files messages."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from gui_app.core.data.dataset_types import DatasetError
from gui_app.core.data.datasets import IDX_FILES, load_dataset, normalization_for
from gui_app.core.data.idx_files import IdxFileError, idx_bytes, read_idx
from tests.mnist_subset import DATA, RAW


@pytest.fixture(autouse=True)
def _empty_cache_dir(tmp_path, monkeypatch):
    """The app's cache points at an empty folder, so only the folders a test names are found."""
    monkeypatch.setenv("NETBUILDER_DATA", str(tmp_path / "cache"))


def test_mnist_from_a_torchvision_root_loads_once_as_uint8():
    ds = load_dataset("mnist", DATA, download=False)
    assert ds.train_x.shape == (2000, 1, 28, 28) and ds.train_x.dtype == torch.uint8
    assert ds.test_x.shape == (500, 1, 28, 28)
    assert ds.train_y.dtype == torch.long and set(ds.train_y.tolist()) == set(range(10))
    assert ds.input_shape == (1, 28, 28) and ds.num_classes == 10
    assert 0.10 < ds.mean[0] < 0.16 and 0.28 < ds.std[0] < 0.34  # MNIST's well-known statistics
    assert load_dataset("mnist", DATA, download=False).train_x is ds.train_x  # read once, then shared


def test_a_folder_holding_the_idx_files_directly_works():
    ds = load_dataset("mnist", RAW, download=False)
    assert len(ds.train_x) == 2000


def test_gzipped_idx_files_are_read(tmp_path):
    for stem in IDX_FILES:
        with open(RAW / stem, "rb") as src, gzip.open(tmp_path / f"{stem}.gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
    ds = load_dataset("fashion_mnist", tmp_path, download=False)
    plain = load_dataset("mnist", DATA, download=False)
    assert torch.equal(ds.train_x, plain.train_x)
    assert ds.class_names[0] == "T-shirt" and ds.name == "Fashion-MNIST"


def test_missing_fashion_mnist_says_which_files_to_put_where(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_dataset("fashion_mnist", tmp_path / "mine", download=False)
    message = str(info.value)
    assert "\n" not in message
    for stem in IDX_FILES:
        assert stem in message
    assert str(tmp_path / "mine" / "FashionMNIST" / "raw") in message
    assert str(tmp_path / "mine") in message and os.environ["NETBUILDER_DATA"] in message
    assert "downloads are off" in message


def test_a_folder_missing_one_file_is_named_when_the_sample_is_used(tmp_path):
    for stem in IDX_FILES[:3]:
        shutil.copy(RAW / stem, tmp_path / stem)
    ds = load_dataset("mnist", tmp_path, download=False)
    assert ds.origin == "sample"
    assert f"{tmp_path} (missing t10k-labels-idx1-ubyte)" in ds.detail
    # the likely cause is up front, not only in the details
    assert ds.note == (
        f"MNIST sample, 10,000 images, because full MNIST is incomplete in {tmp_path} (missing t10k-labels-idx1-ubyte)."
    )


def test_cifar10_without_torchvision_says_so_before_any_download(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(DatasetError, match="CIFAR-10 needs torchvision"):
        load_dataset("cifar10", tmp_path)


def test_an_incomplete_cifar10_folder_is_not_used(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    (folder / "data_batch_1").write_bytes(b"x")
    with pytest.raises(DatasetError, match="CIFAR-10 not found"):
        load_dataset("cifar10", tmp_path, download=False)


def test_missing_cifar10_says_what_to_put_where(tmp_path):
    with pytest.raises(DatasetError) as info:
        load_dataset("cifar10", tmp_path, download=False)
    message = str(info.value)
    assert "data_batch_1" in message and "test_batch" in message
    assert str(tmp_path / "cifar-10-batches-py") in message


def test_a_damaged_idx_file_is_a_dataset_error(tmp_path):
    for stem in IDX_FILES:
        shutil.copy(RAW / stem, tmp_path / stem)
    (tmp_path / IDX_FILES[0]).write_bytes(b"\x00\x00\x08\x03" + b"\x00" * 20)
    with pytest.raises(DatasetError, match="truncated or damaged"):
        load_dataset("mnist", tmp_path, download=False)


def test_read_idx_rejects_other_files(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(IdxFileError, match="bad magic"):
        read_idx(path)


def test_linear_regression_is_seeded_and_shaped_by_the_network():
    a = load_dataset("linear_regression", input_shape=(3,), output_shape=(2,), seed=4)
    b = load_dataset("linear_regression", input_shape=(3,), output_shape=(2,), seed=4)
    c = load_dataset("linear_regression", input_shape=(3,), output_shape=(2,), seed=5)
    assert a.train_x.shape == (800, 3) and a.train_y.shape == (800, 2) and a.task == "regression"
    assert torch.equal(a.train_y, b.train_y) and not torch.equal(a.train_y, c.train_y)
    with pytest.raises(DatasetError, match="flat input"):
        load_dataset("linear_regression", input_shape=(1, 28, 28), output_shape=(1,))


def test_image_folder_is_resized_to_the_network_input(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(5):
            pixels = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / label / f"{i}.png")
    ds = load_dataset("image_folder", tmp_path, input_shape=(1, 8, 8), seed=0)
    assert ds.class_names == ("cats", "dogs")
    assert ds.train_x.shape == (8, 1, 8, 8) and ds.test_x.shape == (2, 1, 8, 8)
    rgb = load_dataset("image_folder", tmp_path, input_shape=(3, 16, 16), seed=0)
    assert rgb.train_x.shape[1:] == (3, 16, 16)
    with pytest.raises(DatasetError, match="no such folder"):
        load_dataset("image_folder", tmp_path / "nope", input_shape=(1, 8, 8))


def test_validation_split_is_seeded_and_disjoint():
    ds = load_dataset("mnist", DATA, download=False)
    tx, ty, vx, vy = ds.split(0.25, seed=1)
    assert len(vx) == 500 and len(tx) == 1500
    # together they are the training set, each sample once
    assert torch.equal(torch.bincount(torch.cat([ty, vy])), torch.bincount(ds.train_y))
    assert int(torch.cat([tx, vx]).sum(dtype=torch.long)) == int(ds.train_x.sum(dtype=torch.long))
    _, _, vx2, _ = ds.split(0.25, seed=1)
    assert torch.equal(vx, vx2)
    no_split = ds.split(0.0, seed=1)
    assert no_split[2] is ds.test_x


@pytest.mark.parametrize(("choice", "expected"), [("zero_one", (0.0, 1.0)), ("minus_one_one", (0.5, 0.5))])
def test_normalization_choices(choice, expected):
    ds = load_dataset("mnist", DATA, download=False)
    mean, std = normalization_for(ds, choice)
    assert (mean[0], std[0]) == expected
    assert normalization_for(ds, "dataset") == (ds.mean, ds.std)


# ------------------------------------------------------------------ files that do not hold what they claim


def _mnist_copy(folder, **replaced: bytes):
    """The tests' MNIST slice in ``folder``, with some files' bytes replaced (by stem)."""
    folder.mkdir(exist_ok=True)
    for stem in IDX_FILES:
        shutil.copy(RAW / stem, folder / stem)
    for stem, data in replaced.items():
        (folder / stem.replace("_", "-")).write_bytes(data)
    return folder


def _header(type_code: int, *dims: int) -> bytes:
    return bytes([0, 0, type_code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


_TRAIN_LABELS = read_idx(RAW / "train-labels-idx1-ubyte").numpy()
_TEST_IMAGES = read_idx(RAW / "t10k-images-idx3-ubyte").numpy()

BAD_FILES = {
    # file replaced -> (its new bytes, what the message says)
    "labels out of range": (
        "train_labels_idx1_ubyte",
        idx_bytes(np.where(np.arange(len(_TRAIN_LABELS)) == 7, 10, _TRAIN_LABELS)),
        "1 labels out of range, e.g. 10 (the classes are 0–9)",
    ),
    "labels of the wrong rank": (
        "train_labels_idx1_ubyte",
        idx_bytes(_TRAIN_LABELS.reshape(-1, 1)),
        "labels must be 1-D (one per image), this file holds 2000×1",
    ),
    "fewer labels than images": (
        "t10k_labels_idx1_ubyte",
        idx_bytes(np.zeros(499, np.uint8)),
        "499 labels for 500 images",
    ),
    "float labels": (
        "t10k_labels_idx1_ubyte",
        _header(0x0D, 500) + np.zeros(500, ">f4").tobytes(),
        "labels must be whole numbers",
    ),
    "test images of another size": (
        "t10k_images_idx3_ubyte",
        idx_bytes(_TEST_IMAGES[:, :20, :20]),
        "its images are 20×20 pixels, the training images in train-images-idx3-ubyte are 28×28",
    ),
    "images of the wrong rank": (
        "t10k_images_idx3_ubyte",
        idx_bytes(_TEST_IMAGES.reshape(500, -1)),
        "images must be 3-D (count × height × width), this file holds 500×784",
    ),
    "a header claiming 2**32 - 1 images": (
        "train_images_idx3_ubyte",
        _header(0x08, 2**32 - 1, 28, 28) + bytes(28 * 28 * 3),
        "its header says 4294967295×28×28, 3,367,254,359,280 bytes of data; the file holds 2,352",
    ),
    "a header whose size wraps round to 0 in 64 bits": (
        "train_images_idx3_ubyte",
        _header(0x08, 2**31, 2**31, 4),
        "its header says 2147483648×2147483648×4",
    ),
    "a cut-off header": ("t10k_images_idx3_ubyte", _header(0x08, 500)[:6], "the header of 1 sizes is cut off"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_an_idx_file_that_does_not_hold_what_mnist_needs_is_one_message_naming_it(tmp_path, case):
    stem, data, says = BAD_FILES[case]
    folder = _mnist_copy(tmp_path / "mnist", **{stem: data})
    with pytest.raises(DatasetError) as info:
        load_dataset("mnist", folder, download=False)
    message = str(info.value)
    assert message.startswith(f"MNIST: {folder / stem.replace('_', '-')}: ") and "\n" not in message
    assert says in message


def test_a_gzip_bomb_stops_at_the_data_limit(tmp_path, monkeypatch):
    import gui_app.core.data.idx_files as idx_files

    monkeypatch.setattr(idx_files, "DATA_LIMIT", 8 * 2**20)  # the real one is 2 GB: too big to inflate in a test
    folder = _mnist_copy(tmp_path / "mnist")
    (folder / "train-images-idx3-ubyte").unlink()
    bomb = folder / "train-images-idx3-ubyte.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as handle:
        handle.write(_header(0x08, 60000, 28, 28))
        for _ in range(12):
            handle.write(bytes(2**20))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(DatasetError, match=f"MNIST: {bomb}: the file decompresses to more than 8.0 MB"):
        load_dataset("mnist", folder, download=False)


def test_a_crafted_cifar10_batch_is_refused_unread(tmp_path):
    import pickle

    from gui_app.core.data.downloads import CIFAR_FILES

    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in CIFAR_FILES:
        (folder / name).write_bytes(pickle.dumps({"data": Payload(), "labels": [99]}))
    with pytest.raises(DatasetError) as info:
        load_dataset("cifar10", tmp_path, download=False)
    assert str(info.value).startswith(f"CIFAR-10 in {folder}: the files are damaged") and "\n" not in str(info.value)
    assert "download=True" not in str(info.value)  # torchvision's advice, not something a user can do
    assert not marker.exists()


# ------------------------------------------------------------------ image folders collected from anywhere


def _pictures(folder, count: int, seed: int = 0) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (12, 10, 3), dtype=np.uint8)).save(folder / f"{i}.png")


@pytest.mark.timeout(60)  # the FIFO blocks for ever when opened: fail instead
def test_an_image_folder_skips_what_is_not_a_picture_and_says_so(tmp_path):
    from tests.crafted_files import png_bomb

    root = tmp_path / "pets"
    _pictures(root / "cat", 4)
    _pictures(root / "dog", 4, seed=1)
    (root / "cat" / "bad.png").write_text("not a picture")
    (root / "cat" / "folder.png").mkdir()
    (root / "cat" / "folder.png" / "inside.png").write_bytes((root / "cat" / "0.png").read_bytes())
    os.mkfifo(root / "dog" / "fifo.jpg")
    png_bomb(root / "dog" / "bomb.png", 20_000)
    (root / "dog" / "cut.png").write_bytes((root / "dog" / "0.png").read_bytes()[:60])
    (root / "dog" / "notes.txt").write_text("not named like a picture: not counted")
    ds = load_dataset("image_folder", root, input_shape=(3, 8, 8), seed=0)
    assert ds.class_names == ("cat", "dog") and len(ds.train_x) + len(ds.test_x) == 8
    assert ds.skipped == 5
    assert ds.note == (
        "Image folder pets: skipped 5 unreadable images, e.g. cat/bad.png "
        "(not a readable image: not a PNG, JPEG, BMP, GIF, TIFF, WebP or PPM/PGM file)."
    )
    for name in ("cat/bad.png", "cat/folder.png", "dog/fifo.jpg", "dog/bomb.png: too large", "dog/cut.png"):
        assert name in ds.detail
    assert "notes.txt" not in ds.detail and "inside.png" not in ds.detail


def test_an_image_folder_with_no_readable_picture_is_one_message_naming_it(tmp_path):
    root = tmp_path / "junk"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        (root / label / "x.png").write_text("text")
    with pytest.raises(DatasetError) as info:
        load_dataset("image_folder", root, input_shape=(1, 8, 8))
    message = str(info.value)
    assert message.startswith(f"image folder {root}: no readable image (skipped 2 unreadable images, e.g. a/x.png")
    assert "\n" not in message


def test_an_image_folder_reads_16_bit_and_rotated_pictures_like_plain_ones(tmp_path):
    from PIL import Image

    plain, odd = tmp_path / "plain", tmp_path / "odd"
    rng = np.random.default_rng(3)
    exif = Image.Exif()
    exif[0x0112] = 8
    for label in ("x", "y"):
        (plain / label).mkdir(parents=True)
        (odd / label).mkdir(parents=True)
        pixels = rng.integers(0, 255, (30, 40), dtype=np.uint8)
        Image.fromarray(pixels).save(plain / label / "0.png")
        Image.fromarray(pixels.astype(np.uint16) * 257).save(odd / label / "0.png")
        Image.fromarray(pixels).transpose(Image.Transpose.ROTATE_270).save(odd / label / "1.png", exif=exif)
        Image.fromarray(pixels).save(plain / label / "1.png")
    a = load_dataset("image_folder", plain, input_shape=(1, 10, 10), val_split=0.5, seed=0)
    b = load_dataset("image_folder", odd, input_shape=(1, 10, 10), val_split=0.5, seed=0)
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_x, b.test_x) and b.skipped == 0 and not b.note


def test_an_image_folder_needs_no_torchvision(tmp_path, monkeypatch):
    """The desktop bundle leaves torchvision out: image folders are read without it."""
    import sys

    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    _pictures(tmp_path / "a", 3)
    _pictures(tmp_path / "b", 3, seed=2)
    ds = load_dataset("image_folder", tmp_path, input_shape=(3, 8, 8), seed=0)
    assert ds.class_names == ("a", "b") and len(ds.train_x) + len(ds.test_x) == 6


def test_an_idx_header_with_a_zero_beside_impossible_sizes_is_one_message(tmp_path):
    """Found by the fuzz test: 0 × 2**32 × 2**32 × 2**32 holds no bytes, but numpy cannot shape it."""
    from gui_app.core.data.idx_files import IdxFileError, read_idx

    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x0C, 4]) + (0).to_bytes(4, "big") + (2**32 - 1).to_bytes(4, "big") * 3)
    with pytest.raises(IdxFileError, match="train-images-idx3-ubyte: damaged"):
        read_idx(path)
