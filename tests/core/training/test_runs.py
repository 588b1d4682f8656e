"""Runs recorded beside the project after every epoch, listed with what changed, broken folders named."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.costs import network_costs
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.spec import load_spec_file
from gui_app.core.training.checkpoints import load_checkpoint
from gui_app.core.training.runs import (
    INTERRUPTED,
    RunFileError,
    RunRecorder,
    delete_run,
    list_runs,
    run_rows,
    runs_folder_for,
)
from gui_app.core.training.trainer import Callback, Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def data():
    return mnist_slice(256, 100)


class ListAfterEachEpoch(Callback):
    """What ``list_runs`` shows after each epoch, read while the run goes on."""

    def __init__(self, folder) -> None:
        self.folder, self.seen = folder, []

    def on_epoch_end(self, trainer, event):
        run = list_runs(self.folder).runs[-1]
        self.seen.append((len(run.history), run.state, load_checkpoint(run.last_path).epoch))


def _record(folder, data, **settings):
    recorder = RunRecorder(folder)
    result = Trainer(mlp_spec(hidden=16), config(**settings), [recorder], dataset=data).fit()
    return recorder, result


def test_runs_folder_is_beside_the_project(tmp_path):
    assert runs_folder_for(tmp_path / "net.json") == tmp_path / "net.runs"
    assert runs_folder_for(tmp_path / "a.b.json") == tmp_path / "a.b.runs"


def test_a_run_is_recorded_after_every_epoch(tmp_path, data):
    folder = tmp_path / "net.runs"
    watcher = ListAfterEachEpoch(folder)
    recorder = RunRecorder(folder)
    result = Trainer(mlp_spec(hidden=16), config(epochs=3, lr=0.05), [recorder, watcher], dataset=data).fit()
    assert watcher.seen == [(1, "running", 1), (2, "running", 2), (3, "running", 3)]
    (run,) = list_runs(folder).runs
    assert run.folder == recorder.folder and run.state == "completed"
    assert [e.val_accuracy for e in run.history] == [e.val_accuracy for e in result.history]
    assert run.best_epoch == result.best.epoch and load_checkpoint(run.best_path).epoch == result.best.epoch
    network = load_spec_file(run.folder / "network.json")
    assert (
        network.training == config(epochs=3, lr=0.05)
        and network.to_dict()["layers"] == mlp_spec(16).to_dict()["layers"]
    )
    compiled = compile_network(network)
    assert (run.parameters, run.macs) == (compiled.total_params, network_costs(compiled).total_macs)


def test_a_crash_between_the_best_checkpoint_and_run_json_leaves_them_agreeing(tmp_path, data, monkeypatch):
    """Killed after epoch 2's best checkpoint, before its run.json: run.json's best still loads as itself."""
    from gui_app.core.training import runs

    writes = []

    def crash_on_second_record(path, text):
        writes.append(path)
        if len(writes) == 2:
            raise OSError(28, "No space left on device")
        return write_atomic(path, text)

    monkeypatch.setattr(runs, "write_atomic", crash_on_second_record)
    _recorder, result = _record(tmp_path / "net.runs", data, epochs=2, lr=0.05)
    assert result.best.epoch == 2  # the second epoch was a new best: its checkpoint was written
    (run,) = list_runs(tmp_path / "net.runs").runs
    assert run.best_epoch == 1 and load_checkpoint(run.best_path).epoch == 1


def test_a_finished_run_keeps_one_best_checkpoint(tmp_path, data):
    recorder, result = _record(tmp_path / "net.runs", data, epochs=3, lr=0.05)
    assert result.best.epoch > 1  # a best replaced during the run
    best = sorted(p.name for p in recorder.folder.glob("best*.pt"))
    assert best == [f"best-epoch-{result.best.epoch}.pt"]


def test_a_replaced_best_that_cannot_be_removed_does_not_stop_the_record(tmp_path, data, monkeypatch):
    """Windows refuses to remove a file another program holds open: the run is recorded on."""
    real_unlink = Path.unlink

    def held_open(path, missing_ok=False):
        if path.name.startswith("best-epoch-"):
            raise PermissionError(13, "The process cannot access the file", str(path))
        return real_unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", held_open)
    recorder, result = _record(tmp_path / "net.runs", data, epochs=3, lr=0.05)
    assert recorder.failure is None
    (run,) = list_runs(tmp_path / "net.runs").runs
    assert (run.state, len(run.history), run.best_epoch) == ("completed", 3, result.best.epoch)
    assert load_checkpoint(run.best_path).epoch == result.best.epoch


def test_a_record_written_with_best_pt_still_gives_its_best_weights(tmp_path, data):
    recorder, result = _record(tmp_path / "net.runs", data, epochs=2, lr=0.05)
    (named,) = recorder.folder.glob("best-epoch-*.pt")
    named.rename(recorder.folder / "best.pt")
    (run,) = list_runs(tmp_path / "net.runs").runs
    assert run.best_path.name == "best.pt" and load_checkpoint(run.best_path).epoch == result.best.epoch


def test_a_resumed_run_whose_best_is_the_epoch_it_resumed_from_records_it(tmp_path, data):
    """Resumed on validation labels shifted by one: no later epoch beats the checkpoint's own loss."""
    _first, done = _record(tmp_path / "a.runs", data, epochs=2, lr=0.05)
    shifted = replace(data, test_y=(data.test_y + 1) % 10)
    recorder = RunRecorder(tmp_path / "b.runs")
    Trainer(mlp_spec(hidden=16), config(epochs=3, lr=0.05), [recorder], dataset=shifted, resume=done.checkpoint).fit()
    (run,) = list_runs(tmp_path / "b.runs").runs
    assert run.best_epoch == 2 and load_checkpoint(run.best_path).epoch == 2


def test_runs_are_listed_with_the_settings_they_changed(tmp_path, data):
    folder = tmp_path / "net.runs"
    _record(folder, data, lr=0.05)
    _record(folder, data, lr=0.05)
    _record(folder, data, lr=0.1, batch_size=64)
    rows = run_rows(list_runs(folder))
    assert [row.changes for row in rows] == [None, [], ["lr 0.05 → 0.1", "batch 32 → 64"]]
    assert [row.changes_text for row in rows] == ["first run", "no change", "lr 0.05 → 0.1, batch 32 → 64"]
    assert len({row.name for row in rows}) == 3  # runs started in the same second get their own folders
    assert all(row.best_text.endswith("(epoch 1)") and row.last_text.endswith("%") for row in rows)


def test_a_run_stopped_before_its_first_epoch_leaves_nothing(tmp_path, data):
    recorder = RunRecorder(tmp_path / "net.runs")
    trainer = Trainer(mlp_spec(hidden=16), config(), [recorder], dataset=data)
    trainer.stop()
    trainer.fit()
    assert recorder.folder is None and not (tmp_path / "net.runs").exists()


def test_a_record_that_cannot_be_written_does_not_stop_the_run(tmp_path, data):
    blocker = tmp_path / "net.runs"
    blocker.write_text("a file where the runs folder would go")
    recorder, result = _record(blocker, data, epochs=2)
    assert result.epochs_completed == 2 and result.error is None
    assert recorder.failure.startswith(f"{blocker}: cannot record the run")


def test_a_run_whose_process_died_is_listed_as_interrupted(tmp_path, data):
    folder = tmp_path / "net.runs"
    recorder, _ = _record(folder, data)
    record = recorder.folder / "run.json"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    content = json.loads(record.read_text())
    record.write_text(json.dumps({**content, "status": "running", "pid": int(dead.stdout)}))
    assert list_runs(folder).runs[0].state == INTERRUPTED


def _valid_run(folder, data):
    recorder, _ = _record(folder, data)
    return recorder.folder, json.loads((recorder.folder / "run.json").read_text())


def _rewrite(key, value):
    def change(run, content):
        (run / "run.json").write_text(json.dumps({**content, key: value}))

    return change


def _rewrite_all(**changes):
    def change(run, content):
        (run / "run.json").write_text(json.dumps({**content, **changes}))

    return change


def _write(name, text):
    return lambda run, _content: (run / name).write_text(text)


BROKEN = {
    "no run.json": (lambda run, _c: (run / "run.json").unlink(), "run.json: no such file"),
    "not JSON": (_write("run.json", "{nope"), "run.json: not valid JSON"),
    "a duplicate key": (_write("run.json", '{"status": "completed", "status": "error"}'), "appears twice"),
    "an endless integer": (_write("run.json", '{"seconds": ' + "9" * 5000 + "}"), "5,000 digits"),
    "a list": (_write("run.json", "[]"), "must hold a JSON object"),
    "another format": (_rewrite("format", "other"), "not a version-1 NetBuilder run record"),
    "an unknown key": (_rewrite("colour", "red"), "unknown key 'colour'"),
    "an unknown status": (_rewrite("status", "great"), "status 'great' is not one of"),
    "a best epoch it lacks": (_rewrite("best_epoch", 7), "best_epoch 7 is not one of its 1 epochs"),
    "negative seconds": (_rewrite("seconds", -1), "seconds -1 is not a duration"),
    "a bad date": (_rewrite("started", "yesterday"), "started 'yesterday' is not a date"),
    # beside the good run's local time it could not be sorted (TypeError)
    "a date with a time zone": (_rewrite("started", "2025-05-01T14:03:22+00:00"), "carries a time zone"),
    # os.kill raised OverflowError looking for it
    "a running pid past a C int": (
        _rewrite_all(status="running", host=socket.gethostname(), pid=2**40),
        "pid and host must name the process",
    ),
    "a pid of 0": (_rewrite("pid", 0), "pid and host must name the process"),
    "a damaged epoch row": (_rewrite("history", [{"epoch": 1}]), "history[0]: no 'epochs'"),
    "epochs out of order": (
        lambda run, c: _rewrite("history", [{**c["history"][0], "epoch": 2}])(run, c),
        "epochs 1, 2, 3… in order",
    ),
    "a broken network": (_write("network.json", '{"input_shape": [0]}'), "network.json: input_shape"),
    "run.json a folder": (lambda run, _c: ((run / "run.json").unlink(), (run / "run.json").mkdir()), "is a folder"),
}


@pytest.mark.parametrize("damage", BROKEN, ids=list(BROKEN))
def test_a_broken_run_folder_is_listed_with_the_reason(tmp_path, data, damage):
    folder = tmp_path / "net.runs"
    good, _ = _valid_run(folder, data)
    bad, content = _valid_run(folder, data)
    corrupt, expected = BROKEN[damage]
    corrupt(bad, content)
    listing = list_runs(folder)
    assert [run.folder for run in listing.runs] == [good]
    (broken,) = listing.broken
    assert broken.folder == bad and broken.reason.startswith(f"{bad.name}: ") and expected in broken.reason
    assert "\n" not in broken.reason


def test_a_run_json_with_a_byte_order_mark_reads(tmp_path, data):
    run, content = _valid_run(tmp_path / "net.runs", data)
    (run / "run.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(content).encode())
    assert len(list_runs(tmp_path / "net.runs").runs) == 1


def test_delete_removes_a_run_and_refuses_other_folders(tmp_path, data):
    folder = tmp_path / "net.runs"
    run, _ = _valid_run(folder, data)
    other = tmp_path / "photos"
    other.mkdir()
    with pytest.raises(RunFileError, match=r"not in a \.runs folder"):
        delete_run(other)
    link = folder / "link"
    link.symlink_to(other)
    with pytest.raises(RunFileError, match="not a run folder"):
        delete_run(link)
    delete_run(run)
    assert not run.exists() and other.exists() and list_runs(folder).runs == []
