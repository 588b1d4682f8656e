"""Where a run's data comes from, in order: the run's folder, the chosen data folder, the download
cache, a download, then the bundled MNIST sample, with the network blocked throughout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui_app.core.data import locations as data_folders
from gui_app.core.data.datasets import IDX_FILES, load_dataset
from gui_app.core.data.idx_files import idx_bytes, read_idx
from gui_app.core.data.locations import choose_data_folder, chosen_data_folder, sample_dir, search_roots
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec
from tests.mnist_subset import RAW


def _slice(folder: Path, n_train: int) -> Path:
    """A torchvision root holding the first ``n_train`` training images (and 100 test images)."""
    raw = folder / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in IDX_FILES:
        count = n_train if stem.startswith("train") else 100
        (raw / stem).write_bytes(idx_bytes(read_idx(RAW / stem)[:count]))
    return folder


@pytest.fixture
def online(monkeypatch):
    """Downloads allowed, but the conftest's blocked ``urlopen`` is all they can reach."""
    monkeypatch.delenv("NETBUILDER_OFFLINE", raising=False)


def test_the_order_is_run_folder_then_chosen_folder_then_cache_then_download_then_sample(tmp_path, online):
    run_folder, chosen = _slice(tmp_path / "run", 300), _slice(tmp_path / "chosen", 200)
    cache = _slice(data_folders.cache_dir(), 100)
    choose_data_folder(chosen)
    assert len(load_dataset("mnist", run_folder).train_x) == 300
    assert len(load_dataset("mnist").train_x) == 200
    choose_data_folder(None)
    assert len(load_dataset("mnist").train_x) == 100
    for path in (cache / "MNIST" / "raw").iterdir():
        path.unlink()
    sample = load_dataset("mnist", tmp_path / "empty")
    assert sample.origin == "sample" and sample.name == "MNIST sample"
    assert (len(sample.train_x), len(sample.test_x)) == (10_000, 2_000)
    assert sample.note == "MNIST sample, 10,000 images: the full set gives higher accuracy."
    assert str(tmp_path / "empty") in sample.detail and str(cache) in sample.detail
    assert "the download failed" in sample.detail and "blocks the network" in sample.detail


def test_a_user_folder_without_the_data_is_named_when_another_copy_is_used(tmp_path):
    cache = _slice(data_folders.cache_dir(), 100)
    loaded = load_dataset("mnist", tmp_path / "mine")
    assert len(loaded.train_x) == 100
    assert loaded.note == f"MNIST is not in {tmp_path / 'mine'}; using the copy in {cache / 'MNIST' / 'raw'}"


def test_no_download_goes_straight_to_the_sample_and_says_why(tmp_path, online):
    loaded = load_dataset("mnist", download=False)
    assert loaded.origin == "sample" and loaded.detail.endswith("and downloads are off.")


def test_the_sample_is_class_balanced_real_mnist():
    labels = read_idx(sample_dir() / "train-labels-idx1-ubyte.gz")
    assert labels.bincount().tolist() == [1000] * 10
    assert read_idx(sample_dir() / "t10k-labels-idx1-ubyte.gz").bincount().tolist() == [200] * 10
    record = json.loads((sample_dir() / "sample.json").read_text())
    assert record["seed"] and len(record["sources"]) == 4 and "CC BY-SA 3.0" in record["credit"]
    size = sum(p.stat().st_size for p in sample_dir().iterdir())
    assert size < 3_000_000


def test_the_chosen_folder_is_remembered_and_a_broken_settings_file_is_ignored(tmp_path):
    assert chosen_data_folder() is None
    choose_data_folder(tmp_path)
    assert chosen_data_folder() == tmp_path.resolve()
    assert search_roots(tmp_path / "run") == [tmp_path / "run", tmp_path.resolve(), data_folders.cache_dir()]
    data_folders._settings_file().write_text("{not json")
    assert chosen_data_folder() is None


def test_training_with_no_data_anywhere_runs_on_the_sample(online):
    trainer = Trainer(mlp_spec(hidden=32), config(data_dir=None, epochs=1, batch_size=32))
    result = trainer.fit()
    assert result.status == "completed", result.error
    assert trainer.dataset.origin == "sample" and trainer.run_info.samples == 10_000
    assert result.history[-1].val_accuracy > 0.85
