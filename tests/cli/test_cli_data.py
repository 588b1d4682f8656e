"""``netbuilder data``: the search order, the chosen folder, and downloads that fail cleanly."""

from __future__ import annotations

import json

from gui_app.cli import main
from gui_app.core.data.locations import cache_dir, sample_dir
from tests.mnist_subset import DATA


def test_where_names_the_copy_each_dataset_would_use(capsys, tmp_path):
    assert main(["data", "where", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["search_order"] == [str(cache_dir())] and report["chosen_folder"] is None
    assert report["datasets"]["mnist"] == {"folder": str(sample_dir()), "sample": True}
    assert report["datasets"]["fashion_mnist"]["folder"] is None

    assert main(["data", "folder", str(DATA)]) == 0
    assert capsys.readouterr().out.strip() == str(DATA.resolve())
    assert main(["data", "where"]) == 0
    text = capsys.readouterr().out
    assert f"1. {DATA.resolve()}  (chosen data folder)" in text
    assert f"\nMNIST: {DATA.resolve() / 'MNIST' / 'raw'}\n" in text
    assert "Fashion-MNIST: not found: a run downloads it (netbuilder data download fashion_mnist)" in text

    assert main(["data", "folder", "--clear"]) == 0
    assert main(["data", "folder", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_a_failed_download_is_exit_1_with_the_reason_and_leaves_nothing(capsys, monkeypatch):
    monkeypatch.delenv("NETBUILDER_OFFLINE")
    assert main(["data", "download", "fashion-mnist"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("netbuilder data download: the download failed (") and "blocks the network" in err
    assert not [p for p in cache_dir().rglob("*") if p.is_file()]
