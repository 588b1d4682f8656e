"""Saving leaves a file the way the user had it: links kept, modes kept, umask honoured, no debris."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.formats import export_onnx, export_python
from gui_app.core.files.writing import STALE_TEMP_SECONDS, place_file, write_atomic
from gui_app.core.project.spec import NetworkSpec, load_spec_file, save_spec
from gui_app.core.training.trained_model import TrainedModel, save_trained_model
from tests.core.training_fixtures import mlp_spec

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes, umask and symlinks")


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _temps(folder: Path) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".tmp"))


@pytest.fixture
def umask():
    """Set the umask for one test and put the old one back."""
    old = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(old)


def _save_project(path: Path) -> None:
    save_spec(mlp_spec(), path)


def _save_model(path: Path) -> None:
    spec = mlp_spec(hidden=4)
    save_trained_model(TrainedModel(spec, build_model(spec).state_dict()), path)


def _export_python(path: Path) -> None:
    export_python(mlp_spec(), path)


def _export_onnx(path: Path) -> None:
    pytest.importorskip("onnx")
    export_onnx(mlp_spec(hidden=4), path)  # the exporter writes its own file, then it is placed


WRITERS = {
    "project": (_save_project, "p.json"),
    "model": (_save_model, "m.pt"),
    "export": (_export_python, "n.py"),
    "onnx": (_export_onnx, "n.onnx"),
}


@posix_only
@pytest.mark.parametrize("writer", WRITERS)
def test_saving_through_a_symlink_writes_the_target_and_keeps_the_link(tmp_path, writer):
    write, name = WRITERS[writer]
    real = tmp_path / "real" / name
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / name
    link.symlink_to(Path("real") / name)  # relative, as `ln -s` users make them
    write(link)
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / name)
    assert real.read_bytes() != b"old"  # the target is up to date, not stale
    assert _temps(tmp_path) == [] and _temps(real.parent) == []


@posix_only
def test_a_chain_of_links_and_a_dangling_link_are_followed(tmp_path):
    real = tmp_path / "real.json"
    (tmp_path / "b.json").symlink_to(real)  # dangling: the target does not exist yet
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    save_spec(mlp_spec(), tmp_path / "a.json")
    assert (tmp_path / "a.json").is_symlink() and (tmp_path / "b.json").is_symlink()
    assert load_spec_file(real).to_dict() == mlp_spec().to_dict()


@posix_only
def test_a_symlink_loop_is_refused_with_a_reason(tmp_path):
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    with pytest.raises(OSError) as caught:
        save_spec(mlp_spec(), tmp_path / "a.json")
    assert caught.value.errno == errno.ELOOP
    assert (tmp_path / "a.json").is_symlink() and _temps(tmp_path) == []


@posix_only
@pytest.mark.parametrize("writer", WRITERS)
def test_every_writer_keeps_the_mode_of_the_file_it_replaces(tmp_path, writer, umask):
    umask(0o077)
    write, name = WRITERS[writer]
    (tmp_path / name).write_text("old")
    os.chmod(tmp_path / name, 0o644)
    write(tmp_path / name)
    assert _mode(tmp_path / name) == 0o644 and (tmp_path / name).read_bytes() != b"old"


@posix_only
def test_a_placed_file_crosses_file_systems_by_copy(tmp_path, monkeypatch, umask):
    umask(0o022)
    staged = tmp_path / "staged.bin"
    staged.write_bytes(b"model")
    real_replace = os.replace

    def other_file_system(src, dst):
        if Path(src) == staged:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", other_file_system)
    place_file(staged, tmp_path / "model.onnx")
    assert (tmp_path / "model.onnx").read_bytes() == b"model" and _mode(tmp_path / "model.onnx") == 0o644


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664, 0o600])
def test_saving_over_a_file_keeps_its_mode(tmp_path, mode, umask):
    umask(0o077)  # the umask is for new files only
    path = tmp_path / "p.json"
    path.write_text("{}")
    os.chmod(path, mode)
    save_spec(mlp_spec(), path)
    assert _mode(path) == mode
    assert load_spec_file(path).to_dict() == mlp_spec().to_dict()


@posix_only
@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_honours_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    write_atomic(tmp_path / "new.json", "{}")
    assert _mode(tmp_path / "new.json") == expected


_KILLED_SAVE = """
import os, signal, sys
from gui_app.core.project.spec import save_spec
from tests.core.training_fixtures import mlp_spec
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed once the data is written
save_spec(mlp_spec(), sys.argv[1])
"""


@posix_only
def test_a_temp_file_left_by_a_killed_save_is_removed_by_the_next_save(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("old")
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    killed = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(path)], env=env, timeout=120, check=False)
    assert killed.returncode == -9
    left = _temps(tmp_path)
    assert len(left) == 1 and path.read_text() == "old"  # the kill lost nothing, left one temp
    a_while_ago = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(tmp_path / left[0], (a_while_ago, a_while_ago))
    in_flight = tmp_path / ".p.json.0123456789ab.tmp"  # another save, just now: not touched
    in_flight.write_text("partial")
    other = tmp_path / ".other.json.0123456789ab.tmp"  # some other file's temp: not touched
    other.write_text("partial")
    os.utime(other, (a_while_ago, a_while_ago))
    save_spec(mlp_spec(), path)
    assert _temps(tmp_path) == sorted([in_flight.name, other.name])
    assert load_spec_file(path).to_dict() == mlp_spec().to_dict()


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    save_spec(NetworkSpec(name="before"), path)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_spec(mlp_spec(), path)
    assert load_spec_file(path).name == "before"
    assert os.listdir(tmp_path) == ["p.json"]


@posix_only
def test_a_link_to_a_pipe_writes_into_it_and_never_replaces_it(tmp_path):
    # A pipe stands in for /dev/null or /dev/full: a rename onto a device would replace it.
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "run.json"
    link.symlink_to(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    write_atomic(link, b"through the pipe")
    reader.join(timeout=60)
    assert received == [b"through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink() and _temps(tmp_path) == []


def test_a_folder_or_a_missing_folder_is_refused_with_a_reason(tmp_path):
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        write_atomic(tmp_path, "{}")
    with pytest.raises(FileNotFoundError, match="there is no folder"):
        write_atomic(tmp_path / "missing" / "p.json", "{}")
    assert os.listdir(tmp_path) == []
