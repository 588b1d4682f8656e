"""``netbuilder runs`` lists what ``netbuilder train`` recorded; a run killed with SIGKILL keeps its epochs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from gui_app.cli import main
from gui_app.core.project.spec import save_spec
from gui_app.core.training.checkpoints import load_checkpoint
from gui_app.core.training.runs import INTERRUPTED, list_runs
from tests.core.training_fixtures import DATA, mlp_spec

TRAIN = ["--data-dir", str(DATA), "--no-download", "--quiet", "--threads", "1"]


def _project(tmp_path, **settings):
    spec = mlp_spec(hidden=32)
    spec.set_training(spec.training.replace(**{"device": "cpu", "batch_size": 100, "lr": 0.05, **settings}))
    path = tmp_path / "net.json"
    save_spec(spec, path)
    return path


def test_train_records_and_runs_lists_what_changed(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["train", str(project), "--epochs", "1", *TRAIN]) == 0
    assert main(["train", str(project), "--epochs", "2", "--lr", "0.1", *TRAIN]) == 0
    capsys.readouterr()
    assert main(["runs", str(project)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "status", "epochs", "best", "last", "parameters", "MACs", "seconds", "changes"]
    assert len(lines) == 3 and lines[1].endswith("first run") and lines[2].endswith("lr 0.05 → 0.1, epochs 1 → 2")
    assert "completed" in lines[2] and "25.4k" in lines[2]  # 784·32 + 32·10 multiply-accumulates
    assert main(["runs", str(project), "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    first, second = listing["runs"]
    assert (first["epochs"], second["epochs"], second["best_epoch"]) == (1, 2, 2)
    assert second["parameters"] == 784 * 32 + 32 + 32 * 10 + 10 and second["macs"] == 784 * 32 + 32 * 10
    assert second["last_val_accuracy"] > 0.5 and listing["broken"] == []


def test_no_record_leaves_no_runs_folder(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["train", str(project), "--epochs", "1", "--no-record", *TRAIN]) == 0
    assert not (tmp_path / "net.runs").exists()
    capsys.readouterr()
    assert main(["runs", str(project)]) == 0
    assert capsys.readouterr().out == f"no runs recorded yet in {tmp_path / 'net.runs'}\n"


def test_runs_lists_a_broken_folder_after_the_good_ones(tmp_path, capsys):
    project = _project(tmp_path)
    assert main(["train", str(project), "--epochs", "1", *TRAIN]) == 0
    (tmp_path / "net.runs" / "2020-01-01_00-00-00").mkdir()
    capsys.readouterr()
    assert main(["runs", str(tmp_path / "net.runs")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "broken: 2020-01-01_00-00-00: run.json: no such file" and len(out) == 3


@pytest.mark.parametrize(("name", "message"), [("missing.json", "no such file"), ("folder", "is a folder, not a file")])
def test_runs_of_a_project_that_cannot_be_read_is_exit_2(tmp_path, capsys, name, message):
    (tmp_path / "folder").mkdir()
    assert main(["runs", str(tmp_path / name)]) == 2
    assert capsys.readouterr().err == f"netbuilder runs: {tmp_path / name}: {message}\n"


def test_early_stopping_leaves_the_best_checkpoint_in_out(tmp_path, capsys):
    # lr 0.1 on the 2,000-image slice: the validation loss is lowest at epoch 3 and rises at 4.
    project = _project(tmp_path, lr=0.1, batch_size=32, early_stopping_patience=1)
    out = tmp_path / "run.pt"
    assert main(["train", str(project), "--epochs", "6", "--out", str(out), *TRAIN]) == 0
    stdout = capsys.readouterr().out
    assert stdout.startswith("early_stopped: 4 epoch(s)")
    assert "early stopping restored the best weights: epoch 3 (validation loss" in stdout
    assert load_checkpoint(out).epoch == 3
    (run,) = list_runs(tmp_path / "net.runs").runs
    assert (run.status, run.best_epoch, load_checkpoint(run.last_path).epoch) == ("early_stopped", 3, 4)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_run_killed_with_sigkill_keeps_its_finished_epochs(tmp_path):
    project = _project(tmp_path)
    command = [sys.executable, "-m", "gui_app", "train", str(project), "--epochs", "200", *TRAIN]
    run = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": os.getcwd()}, stderr=subprocess.DEVNULL)
    runs = tmp_path / "net.runs"
    try:
        deadline = time.monotonic() + 240  # a generous bound on start-up, not a measurement
        while not (list_runs(runs).runs and list_runs(runs).runs[0].history):
            assert run.poll() is None, "the run ended before its first epoch was recorded"
            assert time.monotonic() < deadline, "no epoch was recorded"
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait(30)
    finally:
        run.kill()
    listing = list_runs(runs)
    assert listing.broken == []
    (record,) = listing.runs
    assert record.state == INTERRUPTED and len(record.history) >= 1
    checkpoint = load_checkpoint(record.last_path)  # the checkpoint is written before run.json lists its epoch
    assert checkpoint.epoch >= len(record.history) and checkpoint.epoch < 200
    assert load_checkpoint(record.best_path).epoch == record.best_epoch


def test_a_bundled_preset_trains_without_recording_into_the_app(capsys):
    from gui_app.core.resources import resources_dir

    preset = resources_dir() / "presets" / "mnist_mlp_784_128_64_10.json"
    assert (
        main(["train", str(preset), "--epochs", "1", "--data-dir", str(DATA), "--no-download", "--threads", "1"]) == 0
    )
    assert not preset.with_suffix(".runs").exists()
    assert "not recorded: a bundled preset keeps no runs; save a copy to keep them" in capsys.readouterr().err


def _hand_written_run(runs, name, **record):
    """A run folder written by hand (no training): an untrained network and a record of no epochs."""
    folder = runs / name
    folder.mkdir(parents=True)
    save_spec(mlp_spec(hidden=8), folder / "network.json")
    content = {
        "format": "netbuilder-run",
        "version": 1,
        "started": "2025-05-01T14:03:22",
        "status": "completed",
        "error": None,
        "seconds": 1.0,
        "pid": 1,
        "host": "elsewhere",
        "best_epoch": None,
        "history": [],
        **record,
    }
    (folder / "run.json").write_text(json.dumps(content))


@pytest.mark.parametrize("as_json", [[], ["--json"]], ids=["table", "json"])
def test_runs_lists_odd_records_as_broken_without_a_traceback(tmp_path, capsys, as_json):
    runs = tmp_path / "net.runs"
    _hand_written_run(runs, "good")
    _hand_written_run(runs, "zoned", started="2025-05-01T14:03:22+00:00")
    _hand_written_run(runs, "huge-pid", status="running", host=socket.gethostname(), pid=2**40)
    _hand_written_run(runs, "year-one", started="0001-01-01T00:00:00")
    assert main(["runs", str(runs), *as_json]) == 0
    out = capsys.readouterr().out
    assert "zoned: run.json: started '2025-05-01T14:03:22+00:00' carries a time zone" in out
    assert "huge-pid: run.json: pid and host must name the process that recorded it" in out
    assert "Traceback" not in out
    if as_json:
        assert [run["name"] for run in json.loads(out)["runs"]] == ["year-one", "good"]
