"""Datasets: the tests' slice of real MNIST, other layouts, and the missing-files messages."""

from __future__ import annotations

import gzip
import os
import shutil

import numpy as np
import pytest
import torch

from gui_app.core.datasets import IDX_FILES, DatasetError, load_dataset, normalization_for
from gui_app.core.idx_files import IdxFileError, read_idx
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
