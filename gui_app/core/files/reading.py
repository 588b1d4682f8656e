"""Reading files from outside, in bounded memory: the one gate every file the app reads passes.

Projects, checkpoints, model files, pictures and dataset files all come from users or the
network, so none is trusted to be small or even to be a file: ``/dev/zero``, a FIFO or a 20 GB
"project" must be refused before a byte is parsed. Everything here raises :class:`FileReadError`,
whose text names the file and what is wrong, so callers can show it as it is.
"""

from __future__ import annotations

import gzip
import os
import stat
import zlib
from pathlib import Path
from typing import BinaryIO

from gui_app.core.text.numbers import format_bytes

MIB = 2**20

#: Limits per kind of file. Generous for real files of each kind, far below what hurts.
PROJECT_LIMIT = 16 * MIB
MODEL_LIMIT = 1024 * MIB
PICTURE_LIMIT = 256 * MIB
DATA_LIMIT = 2048 * MIB
_CHUNK = 1 * MIB


class FileReadError(ValueError):
    """A file that cannot be read safely; ``str()`` names the file and the reason."""


def check_regular_file(path: str | os.PathLike[str], limit: int) -> int:
    """Return the size of ``path`` after refusing what is not a regular file of at most ``limit`` bytes.

    ``stat`` follows symlinks, so a link to a regular file is fine and a link to ``/dev/zero`` is not.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileReadError(f"{path}: no such file") from None
    except OSError as exc:
        raise FileReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise FileReadError(f"{path}: is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise FileReadError(f"{path}: not a regular file (a device, pipe or socket cannot be read)")
    if info.st_size > limit:
        raise FileReadError(f"{path}: the file is larger than {format_bytes(limit)} ({format_bytes(info.st_size)})")
    return info.st_size


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (also if it grows while being read)."""
    path = Path(path)
    check_regular_file(path, limit)
    try:
        with open(path, "rb") as handle:
            return _read_stream(handle, limit, path)
    except OSError as exc:
        raise FileReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def read_maybe_gzip(path: str | os.PathLike[str], limit: int) -> bytes:
    """Like :func:`read_bounded`, decompressing ``.gz`` files; ``limit`` bounds the *decompressed* size.

    A gzip bomb (a few KB that inflate to gigabytes) stops at the limit instead of filling memory.
    """
    path = Path(path)
    if path.suffix != ".gz":
        return read_bounded(path, limit)
    check_regular_file(path, limit)
    try:
        with gzip.open(path, "rb") as handle:
            return _read_stream(handle, limit, path, decompressed=True)
    except (OSError, EOFError, zlib.error) as exc:  # zlib.error: a damaged compressed stream
        raise FileReadError(f"{path}: not a readable gzip file ({exc})") from None


def _read_stream(handle: BinaryIO, limit: int, path: Path, *, decompressed: bool = False) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = handle.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            what = "decompresses to more" if decompressed else "is larger"
            raise FileReadError(f"{path}: the file {what} than {format_bytes(limit)}")
