"""Every run remembered: a :class:`RunRecorder` writes each run beside its project, and
:func:`list_runs` reads them back, validated, for the runs table and ``netbuilder runs``.

A project ``NAME.json`` keeps its runs in ``NAME.runs/``, one folder per run named by the time it
started (``2025-05-01_14-03-22``)::

    network.json     the network and settings it trained: a project file (File ▸ Open reads it)
    run.json         how it went: status, seconds, the best epoch, one row per epoch
    last.pt          the checkpoint after its last completed epoch (resumable)
    best-epoch-K.pt  the checkpoint of its best epoch K (lowest validation loss, see best_weights.py)

Every file is written atomically after every epoch (checkpoints first, ``run.json`` last), so a
crash loses at most the epoch in progress and ``run.json`` never lists an epoch whose checkpoint is
not on disk. The best checkpoint is named by its epoch and the one it replaces is removed only once
``run.json`` names the new one, so a crash between the two writes cannot leave ``run.json`` saying
"best: epoch 1" beside a file holding epoch 2 (it may leave the newer file beside it, which nothing
reads; records written before kept ``best.pt``, which still reads). The folder is made when the
first epoch ends: a run that never completed one leaves nothing. A run folder that cannot be read
is listed as broken with the reason, never raised, so one damaged folder does not hide the others.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.costs import network_costs
from gui_app.core.files.reading import MODEL_LIMIT, PROJECT_LIMIT, FileReadError, check_regular_file, read_bounded
from gui_app.core.files.strict_json import JsonTextError, load_json_text
from gui_app.core.files.writing import write_atomic
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec, ProjectFileError, load_spec_file, save_spec
from gui_app.core.text.numbers import format_count
from gui_app.core.text.printable import short_repr, type_phrase
from gui_app.core.training.best_weights import KeepBestWeights
from gui_app.core.training.callbacks import Callback, RunningTrainer
from gui_app.core.training.checkpoints import save_checkpoint, validated_history
from gui_app.core.training.events import EpochEvent, ErrorEvent, FitStatus
from gui_app.core.training.results import FitResult
from gui_app.core.training.trained_model import ModelFileError

RUNS_SUFFIX = ".runs"
RUN_FORMAT = "netbuilder-run"
RUN_VERSION = 1
RUN_FILE, NETWORK_FILE, LAST_FILE = "run.json", "network.json", "last.pt"
#: where records written before the best checkpoint was named by its epoch kept it
LEGACY_BEST_FILE = "best.pt"
_BEST_PREFIX = "best-epoch-"
#: ``run.json``'s status while the run trains; a run killed mid-way keeps it (listed as interrupted)
RUNNING = "running"
INTERRUPTED = "interrupted"
STATUSES = (RUNNING, *(str(s) for s in FitStatus))
#: The newest this many run folders are read; older ones are counted, not read.
MAX_RUNS = 1000
_TIME_FORMAT = "%Y-%m-%d_%H-%M-%S"
#: The largest process id ``os.kill`` takes (a C ``int``); a larger one is a damaged record.
MAX_PID = 2**31 - 1
_RUN_KEYS = {"format", "version", "started", "status", "error", "seconds", "pid", "host", "best_epoch", "history"}


class RunFileError(ValueError):
    """A run folder that cannot be read; ``str()`` names the folder and what is wrong, in one line."""


def best_file_name(epoch: int) -> str:
    """``best-epoch-3.pt``: the file of a run's best checkpoint, named by the epoch it holds."""
    return f"{_BEST_PREFIX}{epoch}.pt"


def runs_folder_for(project: str | os.PathLike[str]) -> Path:
    """Where the runs of the project file ``project`` are kept: ``NAME.runs`` beside ``NAME.json``."""
    path = Path(project)
    return path.with_name(path.stem + RUNS_SUFFIX)


# ---------------------------------------------------------------------- recording


class _RecordedTrainer(RunningTrainer, Protocol):
    spec: NetworkSpec
    best_weights: KeepBestWeights


class RunRecorder(Callback):
    """Records the run it is given to into a new folder of ``runs_folder`` (see the module docstring).

    A record that cannot be written (a read-only folder, a full disk) does not stop the run: the
    recorder stops writing and says why in ``failure``, which the window and ``train`` report.
    """

    def __init__(self, runs_folder: str | os.PathLike[str]) -> None:
        self.runs_folder = Path(runs_folder)
        #: this run's folder, once its first epoch has ended
        self.folder: Path | None = None
        self.failure: str | None = None
        self._started = datetime.now()
        self._clock = time.perf_counter()
        self._error: str | None = None
        self._made_runs_folder = False

    def on_fit_start(self, trainer: RunningTrainer) -> None:
        self._started, self._clock = datetime.now().replace(microsecond=0), time.perf_counter()

    def on_epoch_end(self, trainer: _RecordedTrainer, event: EpochEvent) -> None:
        best = trainer.best_weights
        self._write(trainer, RUNNING, lambda: self._save_checkpoints(trainer, best.improved_at(event)))

    def on_error(self, trainer: RunningTrainer, error: ErrorEvent) -> None:
        self._error = error.message

    def on_fit_end(self, trainer: _RecordedTrainer, result: FitResult) -> None:
        if self.folder is not None:
            self._write(trainer, str(result.status), lambda: None, seconds=result.seconds)

    def _write(
        self, trainer: _RecordedTrainer, status: str, save: Callable[[], None], seconds: float | None = None
    ) -> None:
        if self.failure is not None:
            return
        new = self.folder is None
        try:
            if new:
                self.folder = self._make_folder()
                spec = trainer.spec.copy()
                spec.set_training(trainer.config)
                save_spec(spec, self.folder / NETWORK_FILE)
            save()
            elapsed = time.perf_counter() - self._clock if seconds is None else seconds
            write_atomic(self.folder / RUN_FILE, self._run_json(trainer, status, elapsed))
            self._remove_replaced_best(trainer.best_weights.epoch)
        except OSError as exc:
            where = self.folder or self.runs_folder
            self.failure = f"{where}: cannot record the run ({exc.strerror or exc}); it trains on unrecorded"
            if new:
                self._remove_unfinished()

    def _remove_unfinished(self) -> None:
        """A record that failed at its first epoch leaves nothing behind: no half-written run folder."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
        if self._made_runs_folder:
            with contextlib.suppress(OSError):  # not empty (another run wrote there meanwhile): it stays
                self.runs_folder.rmdir()

    def _save_checkpoints(self, trainer: _RecordedTrainer, improved: bool) -> None:
        best = trainer.best_weights.checkpoint
        last = best if improved and best is not None else trainer.checkpoint()
        save_checkpoint(last, self.folder / LAST_FILE)
        if best is not None:
            # a new best, or (resumed) the epoch the run resumed from, whose weights no epoch wrote here
            path = self.folder / best_file_name(best.epoch)
            if not path.exists():
                save_checkpoint(best, path)

    def _remove_replaced_best(self, best_epoch: int | None) -> None:
        """Best checkpoints ``run.json`` no longer names (it names the new one by now).

        One that cannot be removed yet (held open elsewhere, as Windows refuses) is tried again
        after the next epoch; it is ignored meanwhile, so it does not stop the recording.
        """
        keep = best_file_name(best_epoch) if best_epoch else None
        for path in self.folder.glob(f"{_BEST_PREFIX}*.pt"):
            if path.name != keep:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)

    def _make_folder(self) -> Path:
        """A new folder named by the start time (``_2``, ``_3``… when two runs start in one second)."""
        self._made_runs_folder = not self.runs_folder.exists()
        self.runs_folder.mkdir(parents=True, exist_ok=True)
        stem = self._started.strftime(_TIME_FORMAT)
        for n in range(1, 1000):
            folder = self.runs_folder / (stem if n == 1 else f"{stem}_{n}")
            try:
                folder.mkdir()
            except FileExistsError:
                continue
            return folder
        raise FileExistsError(f"{self.runs_folder}: 999 runs started at {stem}")

    def _run_json(self, trainer: _RecordedTrainer, status: str, seconds: float) -> str:
        data = {
            "format": RUN_FORMAT,
            "version": RUN_VERSION,
            "started": self._started.isoformat(),
            "status": status,
            "error": self._error,
            "seconds": round(seconds, 3),
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "best_epoch": trainer.best_weights.epoch,
            "history": [event.checkpoint_row() for event in trainer.history],
        }
        return json.dumps(data, indent=1) + "\n"


# ---------------------------------------------------------------------- reading


@dataclass
class RunRecord:
    """One recorded run, read and validated; ``spec.training`` holds its settings."""

    folder: Path
    started: datetime
    status: str
    error: str | None
    seconds: float
    best_epoch: int | None
    history: list[EpochEvent]
    spec: NetworkSpec
    parameters: int
    macs: int
    #: the recorder's process is gone while the record says it runs (killed, crashed)
    interrupted: bool = False

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def config(self) -> TrainingConfig:
        return self.spec.training

    @property
    def state(self) -> str:
        """The status a user sees: ``interrupted`` for a run whose process died mid-way."""
        return INTERRUPTED if self.interrupted else self.status

    @property
    def label(self) -> str:
        return self.started.strftime("%Y-%m-%d %H:%M:%S")

    @property
    def best(self) -> EpochEvent | None:
        return self.history[self.best_epoch - 1] if self.best_epoch else None

    @property
    def last(self) -> EpochEvent | None:
        return self.history[-1] if self.history else None

    @property
    def best_path(self) -> Path | None:
        """The best epoch's checkpoint (``best.pt`` in a record written before they were named by
        epoch); None when no epoch was best (no validation loss). It may be gone by the time it is
        read: a run still training removes a best file when a new one replaces it."""
        if self.best_epoch is None:
            return None
        named, legacy = self.folder / best_file_name(self.best_epoch), self.folder / LEGACY_BEST_FILE
        return legacy if not named.exists() and legacy.exists() else named

    @property
    def last_path(self) -> Path:
        return self.folder / LAST_FILE


@dataclass(frozen=True)
class BrokenRun:
    """A folder in the runs folder that is not a readable run, and why."""

    folder: Path
    reason: str

    @property
    def name(self) -> str:
        return self.folder.name


@dataclass
class RunListing:
    """The runs of a project, oldest first, the broken folders, and how many were not read."""

    folder: Path
    runs: list[RunRecord] = field(default_factory=list)
    broken: list[BrokenRun] = field(default_factory=list)
    left_out: int = 0


def list_runs(runs_folder: str | os.PathLike[str]) -> RunListing:
    """Every run folder of ``runs_folder`` (no folder: no runs); files and links beside them are ignored."""
    listing = RunListing(Path(runs_folder))
    try:
        entries = [e for e in os.scandir(listing.folder) if e.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return listing
    except OSError as exc:
        listing.broken.append(BrokenRun(listing.folder, f"{listing.folder}: cannot be read ({exc.strerror or exc})"))
        return listing
    entries.sort(key=lambda e: e.name)
    listing.left_out = max(0, len(entries) - MAX_RUNS)
    for entry in entries[listing.left_out :]:
        try:
            listing.runs.append(read_run(entry.path))
        except RunFileError as exc:
            listing.broken.append(BrokenRun(Path(entry.path), str(exc)))
    listing.runs.sort(key=lambda run: (run.started, run.name))
    return listing


def read_run(folder: str | os.PathLike[str]) -> RunRecord:
    """Read and validate one run folder; :class:`RunFileError` naming it and the fault otherwise."""
    folder = Path(folder)
    try:
        data = _load_json(read_bounded(folder / RUN_FILE, PROJECT_LIMIT))
        spec = load_spec_file(folder / NETWORK_FILE)
        return _record(folder, data, spec)
    except FileReadError as exc:
        raise RunFileError(f"{folder.name}: {_without_folder(str(exc), folder)}") from None
    except (ProjectFileError, ModelFileError, ValueError) as exc:
        raise RunFileError(f"{folder.name}: {exc}") from None


def _without_folder(message: str, folder: Path) -> str:
    """``/long/path/NAME.runs/RUN/run.json: no such file`` as ``run.json: no such file``."""
    return message.removeprefix(f"{folder}{os.sep}")


def _record(folder: Path, data: dict[str, Any], spec: NetworkSpec) -> RunRecord:
    """The one check of ``run.json``'s content (``network.json`` is checked by the project loader)."""
    unknown = sorted(set(data) - _RUN_KEYS)
    if unknown:
        raise ValueError(f"{RUN_FILE}: unknown key {short_repr(unknown[0])}")
    if data.get("format") != RUN_FORMAT or data.get("version") != RUN_VERSION:
        raise ValueError(f"{RUN_FILE}: not a version-{RUN_VERSION} NetBuilder run record")
    status = data.get("status")
    if status not in STATUSES:
        raise ValueError(f"{RUN_FILE}: status {short_repr(status)} is not one of {', '.join(STATUSES)}")
    history = [EpochEvent(**row) for row in _history(data.get("history"))]
    best_epoch = data.get("best_epoch")
    if best_epoch is not None and not (_whole(best_epoch) and 1 <= best_epoch <= len(history)):
        raise ValueError(f"{RUN_FILE}: best_epoch {short_repr(best_epoch)} is not one of its {len(history)} epochs")
    seconds = data.get("seconds")
    if not _number(seconds) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{RUN_FILE}: seconds {short_repr(seconds)} is not a duration")
    pid, host = data.get("pid"), data.get("host")
    if not (_whole(pid) and 0 < pid <= MAX_PID and isinstance(host, str) and len(host) <= 255):
        raise ValueError(f"{RUN_FILE}: pid and host must name the process that recorded it")
    compiled = compile_network(spec)
    if not compiled.ok:
        raise ValueError(f"{NETWORK_FILE}: the network does not compile ({compiled.errors[0].error})")
    return RunRecord(
        folder,
        _started(data.get("started")),
        status,
        _text_or_none(data.get("error"), "error"),
        float(seconds),
        best_epoch,
        history,
        spec,
        compiled.total_params,
        network_costs(compiled).total_macs,
        interrupted=status == RUNNING and not _alive(pid, host),
    )


def _history(rows: Any) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        raise ValueError(f"{RUN_FILE}: history must be a list of epoch rows, not {type_phrase(rows)}")
    try:
        checked = validated_history(rows, len(rows))
    except ModelFileError as exc:
        raise ValueError(f"{RUN_FILE}: {exc}") from None
    if [row["epoch"] for row in checked] != list(range(1, len(checked) + 1)):
        raise ValueError(f"{RUN_FILE}: history must hold epochs 1, 2, 3… in order")
    return checked


def _started(value: Any) -> datetime:
    """The recorder writes local time without a zone; one with a zone could not be sorted beside it."""
    try:
        started = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError(f"{RUN_FILE}: started {short_repr(value)} is not a date and time") from None
    if started.tzinfo is not None:
        raise ValueError(
            f"{RUN_FILE}: started {short_repr(value)} carries a time zone; a run records local time without one"
        )
    return started


def _text_or_none(value: Any, key: str) -> str | None:
    if value is None or (isinstance(value, str) and len(value) <= 10_000):
        return value
    raise ValueError(f"{RUN_FILE}: {key} must be a message or null, not {type_phrase(value)}")


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _alive(pid: int, host: str) -> bool:
    """Whether the process that wrote a "running" record may still be running it.

    Only a process on this computer can be looked for; one elsewhere (a shared drive) counts as alive.
    """
    if host != socket.gethostname() or pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows: assume alive
        return True
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # OverflowError: a number no process can have
        return False
    except PermissionError:  # another user's process holds the number: alive
        return True
    return True


def _load_json(raw: bytes) -> dict[str, Any]:
    """``run.json``'s object, through the project file's gate (see :mod:`~gui_app.core.files.strict_json`)."""
    try:
        data = load_json_text(raw, "run record")
    except JsonTextError as exc:
        raise ValueError(f"{RUN_FILE}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{RUN_FILE}: must hold a JSON object, not {type_phrase(data)}")
    return data


# ---------------------------------------------------------------------- comparing and deleting

#: Settings shown by name when they change; the rest are compared too.
_SETTING_NAMES = {f.name: f.name for f in fields(TrainingConfig)} | {
    "batch_size": "batch",
    "early_stopping_patience": "patience",
}


def settings_changes(previous: RunRecord, run: RunRecord) -> list[str]:
    """What ``run`` changed from ``previous``: ``["network (109.4k → 25.8k params)", "lr 0.01 → 0.1"]``."""
    changes = []
    if not previous.spec.same_network(run.spec):
        size = f"{format_count(previous.parameters)} → {format_count(run.parameters)} params"
        changes.append(f"network ({size})" if previous.parameters != run.parameters else "network")
    old, new = previous.config.to_dict(), run.config.to_dict()
    for key, name in _SETTING_NAMES.items():
        if old[key] != new[key]:
            changes.append(f"{name} {_setting(old[key])} → {_setting(new[key])}")
    return changes


def _setting(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return "none" if value is None else str(value)


def delete_run(folder: str | os.PathLike[str]) -> None:
    """Delete a run folder (a broken one too); refuses anything that is not a folder in a ``.runs`` folder.

    Raises :class:`RunFileError` for a path that is not a run folder, ``OSError`` when it cannot
    be removed.
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        raise RunFileError(f"{folder}: not a run folder")
    if folder.parent.suffix != RUNS_SUFFIX:
        raise RunFileError(f"{folder}: not in a {RUNS_SUFFIX} folder, so not a recorded run")
    shutil.rmtree(folder)


def checkpoint_exists(path: Path) -> bool:
    """True when ``path`` is a checkpoint file that could be loaded (a regular file of a sane size)."""
    try:
        check_regular_file(path, MODEL_LIMIT)
    except FileReadError:
        return False
    return True


# ---------------------------------------------------------------------- one row per run


@dataclass(frozen=True)
class RunRow:
    """What the runs table and ``netbuilder runs`` show of a run (plain data; NaN figures as None)."""

    name: str
    started: str
    status: str
    epochs: int
    best_epoch: int | None
    best_val_accuracy: float | None
    best_val_loss: float | None
    last_val_accuracy: float | None
    last_val_loss: float | None
    parameters: int
    macs: int
    seconds: float
    #: the settings changed since the run before (None for the first run: nothing to compare)
    changes: list[str] | None
    error: str | None

    @property
    def best_figure(self) -> str:
        """The best epoch's figure: accuracy for a classifier, else loss."""
        return _figure_text(self.best_val_accuracy, self.best_val_loss) if self.best_epoch else "–"

    @property
    def best_text(self) -> str:
        return f"{self.best_figure} (epoch {self.best_epoch})" if self.best_epoch else "–"

    @property
    def last_text(self) -> str:
        return _figure_text(self.last_val_accuracy, self.last_val_loss) if self.epochs else "–"

    @property
    def changes_text(self) -> str:
        if self.changes is None:
            return "first run"
        return ", ".join(self.changes) or "no change"


def _figure_text(accuracy: float | None, loss: float | None) -> str:
    if accuracy is not None:
        return f"{accuracy:.2%}"
    return f"loss {loss:.4g}" if loss is not None else "–"


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def run_rows(listing: RunListing) -> list[RunRow]:
    """One row per readable run, oldest first, each with what changed since the run before it."""
    rows, previous = [], None
    for run in listing.runs:
        best, last = run.best, run.last
        rows.append(
            RunRow(
                run.name,
                run.label,
                run.state,
                len(run.history),
                run.best_epoch,
                _finite_or_none(best.val_accuracy) if best else None,
                _finite_or_none(best.val_loss) if best else None,
                _finite_or_none(last.val_accuracy) if last else None,
                _finite_or_none(last.val_loss) if last else None,
                run.parameters,
                run.macs,
                run.seconds,
                settings_changes(previous, run) if previous is not None else None,
                run.error,
            )
        )
        previous = run
    return rows
