"""Writing a file whole or not at all, and leaving it the way the user had it.

Every save (projects, autosaves, models, checkpoints, exports) goes through :func:`write_atomic`:
the data goes to a temporary file beside the target, is flushed to disk, and then replaces the
target in one rename, so a crash or a full disk never leaves half a file. Around that rename the
file stays what it was to the user: a symlink keeps pointing where it did (the target behind it is
written), an existing file keeps its permissions, and a new one gets the umask's, not the 0600
that private temporary files are made with. A device or pipe (``/dev/null``, ``/dev/full``) is
written straight into, since it cannot be replaced by a rename.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

#: A temporary file untouched for this long belongs to a save that died (a write in progress
#: touches its file all the time, and the rename that ends it follows at once).
STALE_TEMP_SECONDS = 600


def _umask_by_setting() -> int:
    # Setting the umask to read it is racy while other threads create files, so it is done once,
    # at import (start-up), and only where the kernel cannot tell us.
    old = os.umask(0o022)
    os.umask(old)
    return old


def _umask_from_proc() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        return None  # no /proc (macOS, Windows) or an old kernel without the line
    return None


_UMASK_AT_START = _umask_from_proc()
if _UMASK_AT_START is None:
    _UMASK_AT_START = _umask_by_setting()


def current_umask() -> int:
    """The process's umask, read without changing it where the OS allows."""
    umask = _umask_from_proc()
    return _UMASK_AT_START if umask is None else umask


def new_file_mode() -> int:
    """The permissions an ordinary new file gets: ``0o666`` less the umask."""
    return 0o666 & ~current_umask()


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a save to ``path`` must write: a symlink's (final) target, never the link."""
    target = Path(os.path.realpath(path))
    if target.is_symlink():  # realpath gives up on a loop and leaves a link in place
        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), str(path))
    return target


def _temp_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{12}}\.tmp")


def remove_stale_temps(target: Path) -> list[Path]:
    """Delete temporary files that a killed save of ``target`` left beside it; returns them."""
    pattern, cutoff, removed = _temp_pattern(target), time.time() - STALE_TEMP_SECONDS, []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed  # the save itself will report an unreadable folder
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to delete: it is ignored, as any other file
    return removed


def _open_temp(target: Path) -> tuple[int, Path]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue


def _write_in_place(target: Path, payload: bytes) -> None:
    with open(target, "wb") as handle:
        handle.write(payload)
        handle.flush()


def _mode_for(target: Path, path: str | os.PathLike[str]) -> int | None:
    """The mode the saved file must have; None for a device or pipe, which is written in place."""
    try:
        st_mode = os.stat(target).st_mode
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, f"there is no folder {target.parent}", str(path)) from None
        return new_file_mode()
    if stat.S_ISDIR(st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", str(path))
    return stat.S_IMODE(st_mode) if stat.S_ISREG(st_mode) else None


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    A crash mid-write leaves the old file intact, never a half-written one. Raises ``OSError``
    (``IsADirectoryError`` for a folder, ``FileNotFoundError`` for a missing folder, ``ENOSPC``
    for a full disk) with the temporary file already removed.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    target = resolve_target(path)
    mode = _mode_for(target, path)
    if mode is None:
        _write_in_place(target, payload)
        return
    remove_stale_temps(target)
    fd, temp = _open_temp(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def place_file(staged: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Put ``staged``, a finished file a library had to write itself, at ``path`` as a save would.

    Stage it on ``path``'s file system (in its folder, say) and the rename is atomic; the link,
    mode and umask rules of :func:`write_atomic` apply. Onto a device, or through a link into
    another file system, it is copied.
    """
    staged, target = Path(staged), resolve_target(path)
    mode = _mode_for(target, path)
    if mode is None:
        _write_in_place(target, staged.read_bytes())
        return
    os.chmod(staged, mode)
    try:
        os.replace(staged, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        write_atomic(target, staged.read_bytes())
