"""The Trainer: a network and a run's settings in, events out. No Qt, no plots.

Callbacks receive hooks (:class:`Callback`); the GUI's worker is one callback, the command
line's printer another, and early stopping and per-epoch checkpoints are callbacks too. Stop and
pause are ``threading.Event`` flags read at every batch, so any thread may set them. Loss and
accuracy are summed on the device and read back only when an event goes out (at most every
``event_interval`` seconds and at each epoch's end), so the loop never waits on the device just
to report. Failures (a NaN loss, GPU memory, missing data, a
network that does not fit the data) end the run with an error event; ``fit`` does not raise.
At the end of a run the network, optimiser and device data are let go (device memory freed);
what outlives the run (the weights, a checkpoint) is a CPU copy taken at its end.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from gui_app.core.analysis.compiler import CompileError, build_model, compile_network
from gui_app.core.analysis.messages import error_message
from gui_app.core.data.dataset_types import DatasetError, LoadedDataset
from gui_app.core.data.datasets import load_dataset, normalization_for
from gui_app.core.data.downloads import DownloadCancelledError
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.best_weights import KeepBestWeights
from gui_app.core.training.callbacks import Callback, EarlyStopping, RunningTrainer, SaveCheckpoints
from gui_app.core.training.checkpoints import FIXED_LENGTH_SCHEDULERS, Checkpoint
from gui_app.core.training.class_tally import ClassTally
from gui_app.core.training.device_data import DeviceData, ShapeMismatchError, check_network_fits
from gui_app.core.training.devices import DeviceError, memory_in_use, release_cached_memory, resolve_device
from gui_app.core.training.events import BatchEvent, EpochEvent, ErrorEvent, ErrorKind, FitStatus, RunInfo
from gui_app.core.training.optimisation import ConfigError, current_lr, make_loss, make_optimizer, make_scheduler
from gui_app.core.training.results import FitResult
from gui_app.core.training.trained_model import TrainedModel

__all__ = [
    "BatchEvent",
    "Callback",
    "EarlyStopping",
    "EpochEvent",
    "ErrorEvent",
    "ErrorKind",
    "FitResult",
    "FitStatus",
    "RunInfo",
    "RunningTrainer",
    "SaveCheckpoints",
    "Trainer",
    "divergence_warning",
]

#: The error kind of each failure a user can fix; any other ValueError of the run is "config".
_ERROR_KINDS: dict[type[Exception], ErrorKind] = {
    DatasetError: ErrorKind.DATASET,
    ShapeMismatchError: ErrorKind.SHAPE,
    DeviceError: ErrorKind.DEVICE,
}

#: A run whose last epoch's mean training loss is more than this many times the loss of its first
#: batch has diverged, even when no value became NaN (an untrained classifier starts near ln(classes);
#: ending at twice that means the steps made the network worse, typically a learning rate too high).
DIVERGENCE_FACTOR = 2.0


def divergence_warning(first_loss: float | None, final_loss: float, lr: float) -> str | None:
    """The warning for a loss that ended far above where it started, or None."""
    if first_loss is None or not (first_loss > 0 and math.isfinite(first_loss)) or not math.isfinite(final_loss):
        return None
    if final_loss <= DIVERGENCE_FACTOR * first_loss:
        return None
    final = f"{final_loss:,.0f}" if final_loss >= 1000 else f"{final_loss:.4g}"
    return (
        f"the loss diverged: it ended at {final}, {final_loss / first_loss:,.0f}× the {first_loss:.4g} of the "
        f"first batch; try a lower learning rate (this run used {lr:g})"
    )


class _NonFiniteLossError(Exception):
    def __init__(self, step: int, value: float) -> None:
        super().__init__(step, value)
        self.step, self.value = step, value


class _EpochTally:
    """One epoch's losses and correct answers, summed on the device.

    They are read back only when an event goes out (:meth:`window`), so the loop never waits on
    the device just to report; ``reported_*`` mark what earlier events already covered.
    """

    def __init__(self, steps: int, device: torch.device, classify: bool) -> None:
        self.classify = classify
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.batch_losses = torch.empty(steps, device=device)
        self.samples = 0
        self.reported_batches = self.reported_samples = 0
        self.read_loss, self.read_correct = 0.0, 0

    def add(self, batch: int, loss: torch.Tensor, n: int, correct: torch.Tensor | None) -> None:
        self.batch_losses[batch] = loss
        self.loss_sum += loss * n
        if correct is not None:
            self.correct += correct
        self.samples += n

    def window(self, batch: int, step: int) -> tuple[float, float | None, list[float], int]:
        """(mean loss, accuracy, each batch's loss, samples) since the last event, up to ``batch``.

        The one point per event where the loop waits for the device. A loss that is not finite
        raises :class:`_NonFiniteLossError` naming the first step whose loss was not.
        """
        loss_total = self.loss_sum.item()
        correct_total = int(self.correct.item()) if self.classify else 0
        n = self.samples - self.reported_samples
        loss = (loss_total - self.read_loss) / n
        losses = self.batch_losses[self.reported_batches : batch + 1]
        if not math.isfinite(loss):
            bad = torch.nonzero(~torch.isfinite(losses))
            first = self.reported_batches + int(bad[0]) if len(bad) else batch
            raise _NonFiniteLossError(step - (batch - first), float(self.batch_losses[first]))
        accuracy = (correct_total - self.read_correct) / n if self.classify else None
        self.read_loss, self.read_correct = loss_total, correct_total
        self.reported_batches, self.reported_samples = batch + 1, self.samples
        return loss, accuracy, losses.tolist(), n

    def means(self) -> tuple[float, float | None]:
        """The epoch's mean loss and accuracy over the samples it trained."""
        if self.samples == 0:
            return math.nan, None
        if self.reported_samples < self.samples:  # stopped mid-window: the tail still counts
            self.read_loss = self.loss_sum.item()
            self.read_correct = int(self.correct.item()) if self.classify else 0
        accuracy = self.read_correct / self.samples if self.classify else None
        return self.read_loss / self.samples, accuracy


@dataclass
class _Stopwatch:
    """Seconds spent training in an epoch (pauses excluded), and the time of the last event."""

    busy: float = 0.0
    since: float = 0.0

    def __post_init__(self) -> None:
        self.since = time.perf_counter()

    def lap(self) -> float:
        """Count the time since the last lap as training; the seconds it was."""
        now = time.perf_counter()
        seconds = now - self.since
        self.busy += seconds
        self.since = now
        return seconds

    def restart(self) -> None:
        """After a pause or an event: the time until now is not training."""
        self.since = time.perf_counter()


class Trainer:
    """Train ``spec``'s network with ``config``; see the module docstring.

    ``dataset`` skips loading (tests, benchmarks); ``resume`` continues a checkpointed run. The
    Trainer's own :class:`EarlyStopping` and :class:`KeepBestWeights` are its first callbacks, so
    the others (a :class:`SaveCheckpoints`, a run recorder) see the epoch's count and best. When
    early stopping ends a run, the result's model and checkpoint are the best epoch's.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        config: TrainingConfig | None = None,
        callbacks: Iterable[Callback] = (),
        *,
        dataset: LoadedDataset | None = None,
        resume: Checkpoint | None = None,
        download: bool = True,
        event_interval: float = 0.05,
    ) -> None:
        self.spec = spec.copy()
        self.config = config or spec.training
        self.early_stopping = EarlyStopping(self.config.early_stopping_patience)
        self.best_weights = KeepBestWeights()
        self.callbacks: list[Callback] = [self.early_stopping, self.best_weights, *callbacks]
        self.dataset = dataset
        self.resume_from = resume
        self.download = download
        self.event_interval = event_interval
        self.device: torch.device | None = None
        self.model: nn.Module | None = None
        self.data: DeviceData | None = None
        self.optimizer: torch.optim.Optimizer | None = None
        self.scheduler: Any = None
        self.step = 0
        self.steps_per_epoch = 0
        self.start_epoch = 0
        self.history: list[EpochEvent] = []
        self.run_info: RunInfo | None = None
        #: the loss of this run's first batch, the reference for :func:`divergence_warning`
        self.first_loss: float | None = None
        #: the run's checkpoint once it has ended (a CPU copy), for :meth:`checkpoint`
        self._final_checkpoint: Checkpoint | None = None
        self._early_stop = False
        self._stop = threading.Event()
        self._unpaused = threading.Event()
        self._unpaused.set()

    # ------------------------------------------------------------------ control (any thread)
    @property
    def should_stop(self) -> bool:
        return self._stop.is_set()

    @should_stop.setter
    def should_stop(self, value: bool) -> None:
        if value:
            self._stop.set()
        else:
            self._stop.clear()

    def stop(self) -> None:
        """End the run before the next batch (also wakes a paused run)."""
        self._stop.set()
        self._unpaused.set()

    def stop_early(self) -> None:
        """End the run after the epoch that is ending (from an ``on_epoch_end`` hook)."""
        self._early_stop = True

    def pause(self) -> None:
        self._unpaused.clear()

    def unpause(self) -> None:
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    # ------------------------------------------------------------------ the run
    def fit(self) -> FitResult:
        """Train; never raises for a user's mistake or a failed run (see :class:`FitResult`)."""
        start = time.perf_counter()
        self.history = []
        status, error = self._run()
        if error is not None:
            self.emit("on_error", error)
        result = self._result(status, error, time.perf_counter() - start)
        self._release()
        self.emit("on_fit_end", result)
        return result

    def _run(self) -> tuple[FitStatus, ErrorEvent | None]:
        """Set up and train; how it ended, with the error event of a failed run."""
        try:
            self._setup()
            if self.should_stop:  # stopped while the data loaded: do not start at all
                return FitStatus.STOPPED, None
            self.run_info = self._run_info()
            self.emit("on_fit_start")
            return self._train_epochs(), None
        except DownloadCancelledError:  # Stop pressed while the data downloaded
            return FitStatus.STOPPED, None
        except _NonFiniteLossError as exc:
            message = (
                f"the loss became {exc.value} at step {exc.step}; training stopped. Try a lower learning "
                f"rate, a different loss or normalised inputs"
            )
            return FitStatus.ERROR, ErrorEvent(message, ErrorKind.NAN, exc.step)
        except torch.OutOfMemoryError:
            self.data = None  # room for the CPU copy of the weights
            release_cached_memory(self.device)
            message = (
                f"the GPU ran out of memory at step {self.step} with batch size {self.config.batch_size}; "
                "try a smaller batch size or a smaller network"
            )
            return FitStatus.ERROR, ErrorEvent(message, ErrorKind.OOM, self.step)
        except (DatasetError, ShapeMismatchError, DeviceError, ConfigError, CompileError) as exc:
            return FitStatus.ERROR, ErrorEvent(str(exc), _ERROR_KINDS.get(type(exc), ErrorKind.CONFIG))
        except Exception as exc:  # a run must end as an event, never take the app down
            traceback.print_exc()
            message = f"training failed: {type(exc).__name__}: {exc}"
            return FitStatus.ERROR, ErrorEvent(message, ErrorKind.INTERNAL, self.step)

    def _result(self, status: FitStatus, error: ErrorEvent | None, seconds: float) -> FitResult:
        """The run's result, with CPU copies of its weights and (at an epoch's end) its checkpoint."""
        model = self._trained_model() if self.history else None
        exact = model is not None and error is None and self.at_epoch_boundary
        self._final_checkpoint = self._checkpoint_of(model) if exact else None
        best = self.best_weights.checkpoint
        if status == FitStatus.EARLY_STOPPED and best is not None:  # early stopping restores the best weights
            model, self._final_checkpoint = best.model, best
        result = FitResult(
            status,
            len(self.history),
            seconds,
            list(self.history),
            model,
            error,
            checkpoint=self._final_checkpoint,
            best=best,
        )
        if error is None and self.history and self.first_loss is not None:
            warning = divergence_warning(self.first_loss, self.history[-1].train_loss, self.config.lr)
            result.warnings += [warning] if warning else []
        return result

    def emit(self, hook: str, *args: Any) -> None:
        """Call ``hook`` on every callback in order (a callback with news of its own, as the
        health probe has, sends it to the others through this)."""
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def prepare(self) -> None:
        """Build the run's network, data, loss and optimiser on its device without training.

        For checks that step the network themselves (the learning-rate finder, the one-batch
        check) through :meth:`train_step`; :meth:`release` lets it all go. Raises the errors
        ``fit`` turns into error events (a dataset, shape, device, settings or compile error).
        """
        self._setup()

    def release(self) -> None:
        """Let go of what :meth:`prepare` placed on the device."""
        self._release()

    def _release(self) -> None:
        """Let go of everything the run kept on its device, and give the memory back."""
        self.model = self.optimizer = self.scheduler = self.scaler = self.data = self.loss_fn = None
        release_cached_memory(self.device)

    def _setup(self) -> None:
        cfg = self.config
        self.device = resolve_device(cfg.device)
        compiled = compile_network(self.spec)
        if not compiled.ok:
            first = compiled.errors[0]
            raise CompileError(error_message(first))
        dataset = self.dataset or load_dataset(
            cfg.dataset,
            cfg.data_dir,
            input_shape=self.spec.input_shape,
            output_shape=compiled.output_shape,
            seed=cfg.seed,
            download=self.download,
            val_split=cfg.val_split,
            progress=lambda progress: self.emit("on_download", progress),
            cancelled=self._stop.is_set,
        )
        self.dataset = dataset
        check_network_fits(self.spec.input_shape, compiled.output_shape, dataset, cfg.loss)
        self.mean, self.std = normalization_for(dataset, cfg.normalization)
        self._place(dataset)
        self._make_optimisation()
        self.start_epoch = 0
        self.early_stopping.reset()
        self._early_stop = False
        if self.resume_from is not None:
            self._restore(self.resume_from)

    def _place(self, dataset: LoadedDataset) -> None:
        """The network and the data on the device (channels-last for a convolutional net on a GPU)."""
        cfg = self.config
        self.model = build_model(self.spec, seed=cfg.seed)
        convolutional = any(isinstance(m, nn.Conv2d) for m in self.model.modules())
        channels_last = self.device.type == "cuda" and convolutional
        self.model.to(self.device)
        if channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.data = DeviceData.place(
            dataset,
            self.device,
            normalization=cfg.normalization,
            val_split=cfg.val_split,
            seed=cfg.seed,
            net_shape=tuple(self.spec.input_shape),
            loss=cfg.loss,
            channels_last=channels_last,
        )
        if self.data.n_train == 0:
            raise DatasetError(f"{dataset.name}: no training samples")

    def _make_optimisation(self) -> None:
        """Loss, optimiser, schedule and mixed precision, from the settings."""
        cfg = self.config
        self.loss_fn = make_loss(cfg.loss)
        self.optimizer = make_optimizer(cfg, self.model.parameters())
        self.steps_per_epoch = math.ceil(self.data.n_train / cfg.batch_size)
        self.scheduler, self.scheduler_when = make_scheduler(cfg, self.optimizer, self.steps_per_epoch)
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.mixed_precision)
        if self.amp_dtype is not None and self.device.type == "cpu" and self.amp_dtype == torch.float16:
            raise ConfigError("fp16 mixed precision needs a GPU; choose bf16 or turn mixed precision off")
        use_scaler = self.amp_dtype == torch.float16 and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None

    def _restore(self, ckpt: Checkpoint) -> None:
        schedule = self.config.scheduler
        if schedule in FIXED_LENGTH_SCHEDULERS and self.config.epochs != ckpt.config.epochs:
            # Their state holds the schedule's length; a different one would run past its end
            # (callers that ask for a length get it from checkpoints.resumed_length).
            raise ConfigError(
                f"this checkpoint's {schedule} schedule was planned for {ckpt.config.epochs} epochs; "
                f"resume with {ckpt.config.epochs} epochs, or start a new run for {self.config.epochs}"
            )
        if self.config.optimizer != ckpt.config.optimizer:
            # Another optimiser's state loads without complaint and fails in the first step.
            raise ConfigError(
                f"this checkpoint was trained with {ckpt.config.optimizer}; resume with {ckpt.config.optimizer}, "
                f"or start a new run with {self.config.optimizer}"
            )
        try:
            self.model.load_state_dict(ckpt.model.state_dict)
            self.optimizer.load_state_dict(ckpt.optimizer_state)
            if self.scheduler is not None and ckpt.scheduler_state:
                self.scheduler.load_state_dict(ckpt.scheduler_state)
        except (ValueError, RuntimeError, KeyError, TypeError) as exc:  # torch's checks, in all their types
            name = ckpt.model.source or "the checkpoint"
            raise ConfigError(f"{name}: its training state does not fit this run: {str(exc).splitlines()[0]}") from None
        self.start_epoch = ckpt.epoch
        self.step = ckpt.epoch * self.steps_per_epoch
        self.history = [EpochEvent(**row) for row in ckpt.history]
        self.early_stopping.load_state_dict(ckpt.early_stopping)

    def _run_info(self) -> RunInfo:
        data = self.dataset
        return RunInfo(
            data.name,
            data.source,
            data.origin,
            data.note,
            data.detail,
            str(self.device),
            self.data.n_train,
            self.steps_per_epoch,
            self.config.epochs,
            self.start_epoch,
            data.task == "classification",
            tuple(data.class_names) if data.task == "classification" else (),
        )

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _train_epochs(self) -> FitStatus:
        for epoch in range(self.start_epoch, self.config.epochs):
            # Seeded per epoch, so a resumed run draws what the uninterrupted run would have.
            torch.manual_seed(self.config.seed * 100_003 + epoch)
            event = self._run_epoch(epoch)
            if event is None:
                return FitStatus.STOPPED
            self.history.append(event)
            self.emit("on_epoch_end", event)
            if self._early_stop:
                return FitStatus.EARLY_STOPPED
            if self.should_stop:
                return FitStatus.STOPPED
        return FitStatus.COMPLETED

    def _run_epoch(self, epoch: int) -> EpochEvent | None:
        """Train and validate one epoch; None when the run stopped before the epoch ended."""
        epoch_start = time.perf_counter()
        tally, busy = self._train_one_epoch(epoch)
        if tally.samples < self.data.n_train:
            return None
        train_loss, train_acc = tally.means()
        val_loss, val_acc, per_class = self.evaluate()
        if self.scheduler is not None and self.scheduler_when == "epoch":
            self.scheduler.step()
        elif self.scheduler is not None and self.scheduler_when == "val_loss":
            self.scheduler.step(val_loss)
        return EpochEvent(
            epoch + 1,
            self.config.epochs,
            train_loss,
            train_acc,
            val_loss,
            val_acc,
            current_lr(self.optimizer),
            time.perf_counter() - epoch_start,
            tally.samples / max(busy, 1e-9),
            per_class,
        )

    def _train_one_epoch(self, epoch: int) -> tuple[_EpochTally, float]:
        """The epoch's tally and the seconds spent training it (pauses excluded)."""
        cfg, data, steps = self.config, self.data, self.steps_per_epoch
        generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)
        xs, ys = data.shuffled(generator)
        self.model.train()
        tally = _EpochTally(steps, self.device, classify=not data.regression)
        clock = _Stopwatch()
        for b in range(steps):
            if not self._may_go_on(clock):
                break
            self._train_batch(xs, ys, b, tally)
            if time.perf_counter() - clock.since >= self.event_interval or b == steps - 1:
                self._report(epoch, b, tally, clock)
        return tally, clock.busy

    def _may_go_on(self, clock: _Stopwatch) -> bool:
        """False once the run is stopped; waits while it is paused (not counted as training)."""
        if self._stop.is_set():
            return False
        if not self._unpaused.is_set():
            clock.lap()
            self._wait_while_paused()
            clock.restart()
        return not self._stop.is_set()

    def _train_batch(self, xs: torch.Tensor, ys: torch.Tensor, b: int, tally: _EpochTally) -> None:
        bs = self.config.batch_size
        x, target, labels = self.data.prepare(xs[b * bs : (b + 1) * bs], ys[b * bs : (b + 1) * bs])
        out, loss = self.train_step(x, target)
        if self.scheduler_when == "batch" and self.scheduler is not None:
            self.scheduler.step()
        self.step += 1
        self.emit("on_step_end")  # before the next zero_grad: a health probe reads the gradients
        correct = None
        if tally.classify:
            correct = (out.argmax(1) == labels).sum()
        tally.add(b, loss.detach(), len(x), correct)

    def train_step(self, x: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimiser step on a prepared batch: (output, loss), with the run's mixed precision.

        No schedule step and no counting: the learning-rate finder steps through this too.
        """
        optimizer = self.optimizer
        with self._autocast():
            out = self.model(x)
            loss = self.loss_fn(out.float(), target)
        optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()
        else:
            loss.backward()
            optimizer.step()
        return out, loss

    def _report(self, epoch: int, b: int, tally: _EpochTally, clock: _Stopwatch) -> None:
        """Send the batch event of the window that ends with batch ``b``."""
        seconds = clock.lap()
        loss, accuracy, batch_losses, n = tally.window(b, self.step)
        if self.first_loss is None:
            self.first_loss = batch_losses[0]
        steps = self.steps_per_epoch
        event = BatchEvent(
            epoch + 1,
            b + 1,
            steps,
            self.step,
            steps * self.config.epochs,
            loss,
            accuracy,
            n / max(seconds, 1e-9) if n else 0.0,
            current_lr(self.optimizer),
            batch_losses,
            memory_in_use(self.device),
        )
        self.emit("on_batch_end", event)
        clock.restart()

    def _wait_while_paused(self) -> None:
        while not self._unpaused.wait(0.05):
            if self._stop.is_set():
                return

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float | None, tuple[float, ...] | None]:
        """(mean loss, accuracy, per-class accuracy) on the validation data (the test split
        unless ``val_split``); the accuracies are None for a regression run."""
        model, data = self.model, self.data
        model.eval()
        total = torch.zeros((), device=self.device)
        tally: ClassTally | None = None
        count = 0
        for x, target, labels in data.val_batches(max(self.config.batch_size, 1000)):
            with self._autocast():
                out = model(x).float()
            total += self.loss_fn(out, target) * len(x)
            if labels is not None:
                tally = tally or ClassTally(out.shape[1], self.device)
                tally.add(out, labels)
            count += len(x)
        if count == 0:
            return math.nan, None, None
        if tally is None:
            return total.item() / count, None, None
        correct, per_class = tally.read()
        return total.item() / count, correct / count, per_class

    # ------------------------------------------------------------------ results
    def _trained_model(self) -> TrainedModel:
        last = self.history[-1]
        metrics = {k: v for k, v in asdict(last).items() if isinstance(v, float) and k != "seconds"}
        metrics["epochs"] = float(len(self.history))
        return self.snapshot("trained this session", metrics)

    def snapshot(self, source: str, metrics: dict[str, float] | None = None) -> TrainedModel:
        """A CPU copy of the network as it is now, with its input scaling (take it between two
        steps, from the training thread: training on does not change the copy)."""
        state = _on_cpu(self.model.state_dict())
        return TrainedModel(self.spec.copy(), state, tuple(self.mean), tuple(self.std), source, dict(metrics or {}))

    @property
    def at_epoch_boundary(self) -> bool:
        """True when no batch has run since the last completed epoch (a checkpoint is exact)."""
        return bool(self.history) and self.step == len(self.history) * self.steps_per_epoch

    def checkpoint(self) -> Checkpoint:
        """The run as it stands after the last completed epoch; see :attr:`at_epoch_boundary`.

        After ``fit`` it is the CPU copy taken when the run ended (``FitResult.checkpoint``);
        a run that ended mid-epoch or failed has none (RuntimeError).
        """
        if self.model is not None:
            return self._checkpoint_of(self._trained_model())
        if self._final_checkpoint is None:
            raise RuntimeError("no checkpoint: the run did not end after a completed epoch")
        return self._final_checkpoint

    def _checkpoint_of(self, model: TrainedModel) -> Checkpoint:
        """``model`` with a CPU copy of the optimiser's, schedule's and early stopping's state."""
        return Checkpoint(
            model,
            self.config,
            len(self.history),
            _on_cpu(self.optimizer.state_dict()),
            _on_cpu(self.scheduler.state_dict()) if self.scheduler is not None else None,
            [e.checkpoint_row() for e in self.history],
            self.early_stopping.state_dict(),
        )


def _on_cpu(state: Any) -> Any:
    """``state`` with every tensor copied to the CPU (a copy: training on would change the original)."""
    if isinstance(state, torch.Tensor):
        return state.detach().to("cpu", copy=True).contiguous()
    if isinstance(state, dict):
        return {k: _on_cpu(v) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_on_cpu(v) for v in state)
    return state
