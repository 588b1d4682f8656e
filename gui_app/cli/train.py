"""``netbuilder train FILE``: the GUI's Trainer without a window.

Prints a progress bar on stderr, writes one JSON line per epoch with ``--log`` (and one per
layer-health probe, ``"kind": "health"``) and a checkpoint
after every epoch with ``--out``, and records the run beside the project (``NAME.runs/``, see
``core/training/runs.py``) unless ``--no-record``. When early stopping ends the run, ``--out``
is left holding the best epoch's checkpoint, the weights early stopping restores. Ctrl+C or
SIGTERM stops at the next batch, keeping the last checkpoint (exit 130). Output paths are checked
before anything trains (exit 2); a file that cannot be written during the run (a full disk) ends
it with the reason (exit 1).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from gui_app.cli import HELP
from gui_app.cli.data import ProgressBar
from gui_app.core.project.run_config import DATASETS, OPTIMIZERS, SCHEDULERS, TrainingConfig
from gui_app.core.text.printable import printable
from gui_app.core.training.callbacks import Callback, SaveCheckpoints
from gui_app.core.training.checkpoints import save_checkpoint
from gui_app.core.training.events import FitStatus, HealthEvent
from gui_app.core.training.health import HealthProbe, health_record
from gui_app.core.training.runs import RunRecorder, runs_folder_for

#: The signals that stop a run at the next batch, with the name the user is told.
STOP_SIGNALS = {signal.SIGINT: "Ctrl+C", signal.SIGTERM: "SIGTERM"}
LOG_KEYS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "lr",
    "seconds",
    "samples_per_s",
    "per_class_accuracy",
)


def log_record(event: Any) -> dict[str, Any]:
    """An epoch's ``--log`` line; a class with no validation sample has ``null`` accuracy
    (JSON has no NaN), and a regression run's per-class accuracy is ``null`` as a whole."""
    record = {k: getattr(event, k) for k in LOG_KEYS}
    per_class = record["per_class_accuracy"]
    if per_class is not None:
        record["per_class_accuracy"] = [None if math.isnan(a) else a for a in per_class]
    return record


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help=HELP["train"],
        description="Train the network of a project file with its training settings; options override them.",
    )
    add_settings_options(parser)
    parser.add_argument("--out", metavar="CHECKPOINT", help="write a checkpoint here after every epoch")
    parser.add_argument(
        "--log", metavar="METRICS.jsonl", help="append one JSON line per epoch and per layer-health probe"
    )
    parser.add_argument("--resume", metavar="CHECKPOINT", help="continue the run saved in this checkpoint")
    parser.add_argument("--threads", type=at_least_one, metavar="N", help="CPU threads for torch (default: torch's)")
    parser.add_argument("--no-download", action="store_true", help="never download datasets")
    parser.add_argument("--no-record", action="store_true", help="do not record the run in the project's NAME.runs/")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--nproc",
        type=int,
        metavar="N",
        help="train on N processes with torchrun and DistributedDataParallel (e.g. one per GPU)",
    )


def add_settings_options(parser: argparse.ArgumentParser, schedule: bool = True) -> None:
    """The project file and the options over its training settings (read by :func:`run_settings`).

    Without ``schedule`` (``lr-find``, which sweeps the rate itself) there is no ``--epochs``,
    ``--lr`` or ``--scheduler``, and no ``--resume``.
    """
    parser.add_argument("file", help="project file (.json)")
    parser.add_argument("--dataset", choices=DATASETS)
    parser.add_argument("--data-dir", metavar="DIR", help="folder holding the dataset files")
    if schedule:
        parser.add_argument("--epochs", type=int, metavar="N")
    parser.add_argument("--batch-size", type=int, metavar="B")
    if schedule:
        parser.add_argument("--lr", type=float, metavar="LR")
    parser.add_argument("--device", metavar="DEV", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--optimizer", choices=OPTIMIZERS)
    if schedule:
        parser.add_argument("--scheduler", choices=SCHEDULERS)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--val-split", type=float, metavar="F", help="hold out this fraction of the training set")
    if not schedule:
        parser.set_defaults(epochs=None, lr=None, scheduler=None, resume=None)


def at_least_one(text: str) -> int:
    """An argparse type: a whole number of 1 or more (argparse turns the error into exit 2)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def output_problem(option: str, value: str | None) -> str | None:
    """Why the file ``option`` names cannot be written, in one line; None when it can."""
    if value is None:
        return None
    target = Path(os.path.realpath(value))  # a symlink is written through to its target
    if target.is_dir():
        return f"{option} {value}: is a folder; name a file (inside it, for example)"
    if not target.parent.is_dir():
        return f"{option} {value}: there is no folder {target.parent}"
    if not os.access(target if target.exists() else target.parent, os.W_OK):
        return f"{option} {value}: cannot be written (permission denied)"
    return None


def data_note(data: Any) -> str:
    """What the user must know about the data a run uses, with how to get the full set."""
    lines = [data.note]
    if data.detail:
        lines.append(data.detail)
    if data.origin == "sample":
        lines.append(
            "Get it: netbuilder data download mnist, or point --data-dir (or netbuilder data folder) "
            "at a folder that holds it."
        )
    return "\n".join(lines)


class ProgressPrinter(Callback):
    """A Trainer callback: a one-line progress bar on a terminal, epoch lines otherwise."""

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self.stream, self.quiet = stream, quiet
        self.tty = stream.isatty()
        self.started = time.perf_counter()
        self.download_bar = ProgressBar(stream, quiet)

    def on_download(self, trainer: Any, progress: Any) -> None:
        self.download_bar.update(progress)

    def on_fit_start(self, trainer: Any) -> None:
        self.download_bar.finish()
        cfg, data = trainer.config, trainer.dataset
        if data.note:  # never a silent switch: this goes out even with --quiet
            print(data_note(data), file=self.stream)
        if not self.quiet:
            print(
                f"Training on {data.name} ({data.source}) with {trainer.device}: {trainer.data.n_train:,} "
                f"samples, {trainer.steps_per_epoch} batches of {cfg.batch_size}, {cfg.epochs} epochs",
                file=self.stream,
            )

    def on_batch_end(self, trainer: Any, event: Any) -> None:
        if self.quiet or not self.tty:
            return
        done = event.step / max(event.total_steps, 1)
        bar = "#" * int(done * 30)
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done - elapsed if done > 0 else 0.0
        acc = f" acc {event.accuracy:.3f}" if event.accuracy is not None else ""
        self.stream.write(
            f"\repoch {event.epoch}/{trainer.config.epochs} [{bar:<30}] {done:4.0%} "
            f"loss {event.loss:.4f}{acc} {event.samples_per_s:,.0f}/s ETA {eta:4.0f}s "
        )
        self.stream.flush()

    def on_epoch_end(self, trainer: Any, event: Any) -> None:
        if self.quiet:
            return
        acc = lambda a: f"{a:.2%}" if a is not None else "-"  # noqa: E731
        prefix = "\r" if self.tty else ""
        print(
            f"{prefix}epoch {event.epoch}/{event.epochs}: train loss {event.train_loss:.4f} acc "
            f"{acc(event.train_accuracy)} | val loss {event.val_loss:.4f} acc {acc(event.val_accuracy)} | "
            f"lr {event.lr:.3g} | {event.seconds:.1f} s, {event.samples_per_s:,.0f} samples/s" + " " * 8,
            file=self.stream,
        )

    def on_error(self, trainer: Any, error: Any) -> None:
        self.download_bar.finish()
        if self.tty and not self.quiet:
            self.stream.write("\n")

    def on_fit_end(self, trainer: Any, result: Any) -> None:
        """Nothing: ``run`` prints the outcome."""


class RunFiles(Callback):
    """Writes ``--out``'s checkpoint and ``--log``'s line after every epoch, and a line per health probe.

    A file that cannot be written (a full disk) stops the run there, with the reason in
    ``failure``, rather than training on without the checkpoint the user asked for.
    """

    def __init__(self, out: str | None, log: str | None) -> None:
        self.log_path, self.failure = log, None
        self.checkpoints = SaveCheckpoints(out) if out else None
        self.log = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115 - closed by close()

    def on_epoch_end(self, trainer: Any, event: Any) -> None:
        if self.checkpoints is not None:
            self.checkpoints.on_epoch_end(trainer, event)
            if self.checkpoints.failure:
                self._fail(trainer, self.checkpoints.failure)
                return
        self._write_line(trainer, log_record(event))

    def on_health(self, trainer: Any, event: HealthEvent) -> None:
        if self.failure is None:
            self._write_line(trainer, health_record(event))

    def _write_line(self, trainer: Any, row: dict[str, Any]) -> None:
        try:
            if self.log is not None:
                self.log.write(json.dumps(row) + "\n")
                self.log.flush()
        except OSError as exc:
            self._fail(trainer, f"{self.log_path}: cannot write the log ({exc.strerror or exc})")

    def keep_restored_best(self, result: Any) -> None:
        """After early stopping, ``--out`` holds the best epoch's checkpoint, as the run's result does."""
        if self.checkpoints is None or not result.restored_best or result.best.epoch == len(result.history):
            return
        try:
            save_checkpoint(result.best, self.checkpoints.path)
        except OSError as exc:
            self.failure = f"{self.checkpoints.path}: cannot write the best epoch's checkpoint ({exc.strerror or exc})"

    def _fail(self, trainer: Any, reason: str) -> None:
        self.failure = self.failure or f"{reason}; training stopped after epoch {len(trainer.history)}"
        trainer.stop()

    def close(self) -> None:
        if self.log is None:
            return
        try:
            self.log.close()  # closes the file even when its last flush fails
        except OSError as exc:
            self.failure = self.failure or f"{self.log_path}: cannot write the log ({exc.strerror or exc})"


class StopOnSignals:
    """While a run trains, Ctrl+C and SIGTERM stop it at the next batch, as the Stop button does."""

    def __init__(self, trainer: Any) -> None:
        self.trainer, self.received, self._previous = trainer, None, {}

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may set handlers; the caller stops the run itself
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._stop)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        # Only a flag: printing here could re-enter a print the signal interrupted.
        self.received = STOP_SIGNALS.get(signum, str(signum))
        self.trainer.stop()


def run(args: argparse.Namespace) -> int:
    problem = output_problem("--out", args.out) or output_problem("--log", args.log)
    if problem:  # before torch loads and anything trains
        print(f"netbuilder train: {problem}", file=sys.stderr)
        return 2
    import torch

    from gui_app.core.layers.catalogue import ParamError
    from gui_app.core.project.spec import ProjectFileError
    from gui_app.core.training.trained_model import ModelFileError

    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        spec, config, resume = run_settings(args)
    except (ProjectFileError, ModelFileError, ParamError, OSError) as exc:
        print(f"netbuilder train: {printable(str(exc))}", file=sys.stderr)
        return 2
    if args.nproc is not None:
        return run_distributed(spec, config, args)
    return run_here(spec, config, resume, args)


def run_settings(args: argparse.Namespace) -> tuple[Any, TrainingConfig, Any]:
    """(network, settings, checkpoint or None) of the run: the project's (or the checkpoint's)
    settings with the options over them, and a resumed run's epochs by the core's one rule."""
    from gui_app.core.project.spec import load_spec_file
    from gui_app.core.training.checkpoints import check_same_network, load_checkpoint, resumed_length

    spec = load_spec_file(args.file)
    resume = load_checkpoint(args.resume) if args.resume else None
    if resume is not None:
        check_same_network(resume, spec, Path(args.file).name)
    config = resume.config if resume else spec.training
    overrides = {
        "dataset": args.dataset,
        "data_dir": args.data_dir,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "device": args.device,
        "seed": args.seed,
        "val_split": args.val_split,
        "optimizer": args.optimizer,
        "scheduler": args.scheduler,
    }
    config = config.replace(**{k: v for k, v in overrides.items() if v is not None})
    if resume is None:
        return spec, config, None
    length = resumed_length(resume, config.epochs)
    if length.note:
        print(f"netbuilder train: {length.note}; resuming for {length.epochs} in all", file=sys.stderr)
    return resume.model.spec, config.replace(epochs=length.epochs), resume


def run_here(spec: Any, config: TrainingConfig, resume: Any, args: argparse.Namespace) -> int:
    """Train in this process, with the progress printer and ``--out``/``--log`` callbacks."""
    from gui_app.core.training.trainer import Trainer

    try:
        files = RunFiles(args.out, args.log)
    except OSError as exc:
        print(f"netbuilder train: --log {args.log}: cannot be opened ({exc.strerror or exc})", file=sys.stderr)
        return 2
    printer = ProgressPrinter(sys.stderr, args.quiet)
    bundled = is_bundled(args.file)
    recorder = None if args.no_record or bundled else RunRecorder(runs_folder_for(args.file))
    probe = [HealthProbe()] if args.log else []  # its figures go only into the log
    callbacks = [files, printer, *([recorder] if recorder else []), *probe]
    trainer = Trainer(spec, config, callbacks, resume=resume, download=not args.no_download)
    with StopOnSignals(trainer) as signals:
        try:
            result = trainer.fit()
            files.keep_restored_best(result)
        finally:
            files.close()
    if files.failure:
        print(f"netbuilder train: {files.failure}", file=sys.stderr)
        return 1
    if recorder is not None and recorder.failure:
        print(f"netbuilder train: warning: {printable(recorder.failure)} (--no-record skips it)", file=sys.stderr)
    elif recorder is not None and recorder.folder is not None and not args.quiet:
        print(f"run recorded: {recorder.folder}", file=sys.stderr)
    elif bundled and not args.no_record and not args.quiet:
        print(
            "netbuilder train: not recorded: a bundled preset keeps no runs; save a copy to keep them", file=sys.stderr
        )
    if signals.received and result.status == FitStatus.STOPPED:
        print(f"netbuilder train: {signals.received} received: stopped at the next batch", file=sys.stderr)
    return report(result, config, args.out)


def is_bundled(project: str) -> bool:
    """True for a file of NetBuilder's own resources (a preset): runs are not recorded into the app."""
    from gui_app.core.resources import resources_dir

    return Path(os.path.realpath(project)).is_relative_to(Path(os.path.realpath(resources_dir())))


def run_distributed(spec: Any, config: TrainingConfig, args: argparse.Namespace) -> int:
    """Export the project as a training script and run it on ``--nproc`` processes with torchrun.

    The script is the same one File ▸ Export ▸ Training script writes, so what runs here also runs
    on a cluster. It reads MNIST or Fashion-MNIST IDX files from the folder a run here would use.
    """
    import tempfile

    from gui_app.core.data.dataset_types import DatasetError
    from gui_app.core.data.datasets import IDX_DATASETS, load_dataset
    from gui_app.core.data.downloads import DownloadCancelledError
    from gui_app.core.export.output_files import ExportError
    from gui_app.core.export.training_script import export_training_script, launch_torchrun

    if args.nproc < 1:
        print("netbuilder train: --nproc must be at least 1", file=sys.stderr)
        return 2
    if getattr(sys, "frozen", False):
        print(
            "netbuilder train: --nproc needs a Python installation with torch (pip install netbuilder); "
            "the desktop app cannot start torchrun",
            file=sys.stderr,
        )
        return 2
    if args.resume:
        print("netbuilder train: --resume cannot be combined with --nproc", file=sys.stderr)
        return 2
    spec = spec.copy()
    spec.set_training(config)
    data_dir = Path(config.data_dir or ".")
    if config.dataset in IDX_DATASETS:  # the script reads IDX files: find them as a run here would
        try:
            dataset = load_dataset(config.dataset, config.data_dir, download=not args.no_download)
        except (DatasetError, DownloadCancelledError) as exc:
            print(f"netbuilder train: {exc}", file=sys.stderr)
            return 1
        data_dir = Path(dataset.source)
        if dataset.note:
            print(data_note(dataset), file=sys.stderr)
    script_args = script_arguments(config, data_dir, args)
    with tempfile.TemporaryDirectory(prefix="netbuilder-ddp-") as folder:
        script = Path(folder) / "train_ddp.py"
        try:
            export_training_script(spec, script)
        except ExportError as exc:
            print(f"netbuilder train: {exc}", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"Starting {args.nproc} processes with torchrun (data: {data_dir})", file=sys.stderr)
        return launch_torchrun(script, args.nproc, script_args)


def script_arguments(config: TrainingConfig, data_dir: Path, args: argparse.Namespace) -> list[str]:
    """The exported training script's options for this run's settings."""
    script_args = [
        "--data-dir",
        str(data_dir),
        "--epochs",
        str(config.epochs),
        "--batch-size",
        str(config.batch_size),
        "--lr",
        str(config.lr),
        "--seed",
        str(config.seed),
        "--out",
        args.out or "model.pt",
        "--device",
        config.device if config.device in ("auto", "cpu", "cuda") else "auto",
    ]
    if args.log:
        script_args += ["--metrics-log", args.log]
    return script_args


def report(result: Any, config: TrainingConfig, out: str | None) -> int:
    """Print the outcome on stdout; the exit status: 0 done, 1 failed, 130 stopped."""
    if result.error is not None:
        print(f"netbuilder train: {printable(result.error.message)}", file=sys.stderr)
        return 1
    last = result.history[-1] if result.history else None
    split = "validation split" if config.val_split > 0 else "test split"
    if last is not None and last.val_accuracy is not None:
        print(
            f"{result.status}: {len(result.history)} epoch(s), {split} accuracy {last.val_accuracy:.2%}, "
            f"loss {last.val_loss:.4f}, {result.seconds:.1f} s"
        )
    elif last is not None:
        print(
            f"{result.status}: {len(result.history)} epoch(s), {split} loss {last.val_loss:.4f}, {result.seconds:.1f} s"
        )
    else:
        print(f"{result.status} before the first epoch ended")
    if result.restored_best and result.best.epoch < len(result.history):
        best = result.history[result.best.epoch - 1]
        print(
            f"early stopping restored the best weights: epoch {best.epoch} "
            f"(validation loss {best.val_loss:.4f}{_accuracy_text(best.val_accuracy)})"
        )
    if out and last is not None:
        print(f"checkpoint: {out}")
    for warning in result.warnings:  # the run completed, so the exit status stays 0
        print(f"netbuilder train: warning: {warning}", file=sys.stderr)
    return 130 if result.status == FitStatus.STOPPED else 0


def _accuracy_text(accuracy: float | None) -> str:
    return f", accuracy {accuracy:.2%}" if accuracy is not None else ""
