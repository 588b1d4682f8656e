"""The one gate for files from outside: regular files only, bounded before they are read."""

from __future__ import annotations

import gzip
import os

import pytest

from gui_app.core.files.reading import FileReadError, read_bounded, read_maybe_gzip


def test_a_small_file_is_read_whole(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b"{}")
    assert read_bounded(path, 10) == b"{}"


@pytest.mark.parametrize("make", ["folder", "fifo", "missing", "too_big"])
def test_what_is_not_a_small_regular_file_is_refused_by_name(tmp_path, make):
    path = tmp_path / "thing"
    if make == "folder":
        path.mkdir()
    elif make == "fifo":
        os.mkfifo(path)
    elif make == "too_big":
        path.write_bytes(b"x" * 11)
    with pytest.raises(FileReadError, match="thing"):
        read_bounded(path, 10)


def test_a_device_is_refused_without_reading_it():
    with pytest.raises(FileReadError, match="not a regular file"):
        read_bounded("/dev/zero", 10)


def test_a_gzip_bomb_stops_at_the_decompressed_limit(tmp_path):
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(b"\0" * 5_000_000))
    assert path.stat().st_size < 100_000
    with pytest.raises(FileReadError, match="decompresses to more"):
        read_maybe_gzip(path, 1_000_000)
    assert len(read_maybe_gzip(path, 5_000_000)) == 5_000_000


def test_a_damaged_gzip_stream_is_one_message_naming_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    data = bytearray(gzip.compress(os.urandom(50_000)))
    data[len(data) // 2 : len(data) // 2 + 64] = b"\xff" * 64  # inside the deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(FileReadError, match=r"train-images-idx3-ubyte\.gz: not a readable gzip file"):
        read_maybe_gzip(path, 1_000_000)
