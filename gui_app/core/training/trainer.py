"""The Trainer: a network and a run's settings in, events out. No Qt, no plots.

Callbacks receive hooks (:class:`Callback`); the GUI's worker is one callback, the command
line's printer another. Stop and pause are ``threading.Event`` flags read at every batch, so any
thread may set them. Loss and accuracy are summed on the device and read back only when an
event goes out (at most every ``event_interval`` seconds and at each epoch's end), so the loop
never waits on the device just to report. Failures (a NaN loss, GPU memory, missing data, a
network that does not fit the data) end the run with an error event; ``fit`` does not raise.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import asdict
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
from gui_app.core.training.checkpoints import Checkpoint, save_checkpoint
from gui_app.core.training.device_data import DeviceData, ShapeMismatchError, check_network_fits
from gui_app.core.training.devices import DeviceError, resolve_device
from gui_app.core.training.events import BatchEvent, Callback, EpochEvent, ErrorEvent, FitResult
from gui_app.core.training.optimisation import ConfigError, current_lr, make_loss, make_optimizer, make_scheduler
from gui_app.core.training.trained_model import TrainedModel

__all__ = ["BatchEvent", "Callback", "EpochEvent", "ErrorEvent", "FitResult", "Trainer", "divergence_warning"]

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


class Trainer:
    """Train ``spec``'s network with ``config``; see the module docstring.

    ``dataset`` skips loading (tests, benchmarks); ``resume`` continues a checkpointed run;
    ``checkpoint_path`` saves a checkpoint after every epoch.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        config: TrainingConfig | None = None,
        callbacks: Iterable[Callback] = (),
        *,
        dataset: LoadedDataset | None = None,
        resume: Checkpoint | None = None,
        checkpoint_path: str | None = None,
        download: bool = True,
        event_interval: float = 0.05,
    ) -> None:
        self.spec = spec.copy()
        self.config = config or spec.training
        self.callbacks = list(callbacks)
        self.dataset = dataset
        self.resume_from = resume
        self.checkpoint_path = checkpoint_path
        self.download = download
        self.event_interval = event_interval
        self.device: torch.device | None = None
        self.model: nn.Module | None = None
        self.step = 0
        #: the loss of this run's first batch, the reference for :func:`divergence_warning`
        self.first_loss: float | None = None
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
        self.history: list[EpochEvent] = []
        try:
            self._setup()
            if self.should_stop:  # stopped while the data loaded: do not start at all
                status = "stopped"
            else:
                self._emit("on_fit_start")
                status = self._train_epochs()
        except DownloadCancelledError:  # Stop pressed while the data downloaded
            status = "stopped"
        except _NonFiniteLossError as exc:
            return self._fail(
                start,
                ErrorEvent(
                    f"the loss became {exc.value} at step {exc.step}; training stopped. Try a lower learning "
                    f"rate, a different loss or normalised inputs",
                    "nan",
                    exc.step,
                ),
            )
        except torch.OutOfMemoryError:
            self._release()
            return self._fail(
                start,
                ErrorEvent(
                    f"the GPU ran out of memory at step {self.step} with batch size {self.config.batch_size}; "
                    "try a smaller batch size or a smaller network",
                    "oom",
                    self.step,
                ),
            )
        except (DatasetError, ShapeMismatchError, DeviceError, ConfigError, CompileError) as exc:
            kind = {DatasetError: "dataset", ShapeMismatchError: "shape", DeviceError: "device"}.get(
                type(exc), "config"
            )
            return self._fail(start, ErrorEvent(str(exc), kind))
        except Exception as exc:  # a run must end as an event, never take the app down
            traceback.print_exc()
            return self._fail(start, ErrorEvent(f"training failed: {type(exc).__name__}: {exc}", "internal", self.step))
        result = FitResult(
            status,
            len(self.history),
            time.perf_counter() - start,
            list(self.history),
            self._trained_model() if self.history else None,
        )
        if self.history and self.first_loss is not None:
            warning = divergence_warning(self.first_loss, self.history[-1].train_loss, self.config.lr)
            result.warnings += [warning] if warning else []
        self._emit("on_fit_end", result)
        return result

    def _fail(self, start: float, error: ErrorEvent) -> FitResult:
        self._emit("on_error", error)
        model = self._trained_model() if self.history else None
        result = FitResult("error", len(self.history), time.perf_counter() - start, list(self.history), model, error)
        self._emit("on_fit_end", result)
        return result

    def _emit(self, hook: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(self, *args)

    def _release(self) -> None:
        self.data = None
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.empty_cache()

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
            progress=lambda progress: self._emit("on_download", progress),
            cancelled=self._stop.is_set,
        )
        self.dataset = dataset
        check_network_fits(self.spec.input_shape, compiled.output_shape, dataset, cfg.loss)
        self.mean, self.std = normalization_for(dataset, cfg.normalization)
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
        self.loss_fn = make_loss(cfg.loss)
        self.optimizer = make_optimizer(cfg, self.model.parameters())
        self.steps_per_epoch = math.ceil(self.data.n_train / cfg.batch_size)
        self.scheduler, self.scheduler_when = make_scheduler(cfg, self.optimizer, self.steps_per_epoch)
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.mixed_precision)
        if self.amp_dtype is not None and self.device.type == "cpu" and self.amp_dtype == torch.float16:
            raise ConfigError("fp16 mixed precision needs a GPU; choose bf16 or turn mixed precision off")
        use_scaler = self.amp_dtype == torch.float16 and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if use_scaler else None
        self.start_epoch = 0
        self.best_val = math.inf
        self.bad_epochs = 0
        if self.resume_from is not None:
            self._restore(self.resume_from)

    def _restore(self, ckpt: Checkpoint) -> None:
        schedule = self.config.scheduler
        if schedule in ("OneCycleLR", "CosineAnnealingLR") and self.config.epochs != ckpt.config.epochs:
            # Their state holds the schedule's length; a different one would run past its end.
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
        self.best_val = ckpt.early_stopping.get("best_val_loss", math.inf)
        self.bad_epochs = int(ckpt.early_stopping.get("bad_epochs", 0))

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _train_epochs(self) -> str:
        cfg = self.config
        for epoch in range(self.start_epoch, cfg.epochs):
            # Seeded per epoch, so a resumed run draws what the uninterrupted run would have.
            torch.manual_seed(cfg.seed * 100_003 + epoch)
            epoch_start = time.perf_counter()
            train_loss, train_acc, n_seen, busy = self._train_one_epoch(epoch)
            if n_seen < self.data.n_train:
                return "stopped"
            val_loss, val_acc = self.evaluate()
            if self.scheduler is not None and self.scheduler_when == "epoch":
                self.scheduler.step()
            elif self.scheduler is not None and self.scheduler_when == "val_loss":
                self.scheduler.step(val_loss)
            event = EpochEvent(
                epoch + 1,
                cfg.epochs,
                train_loss,
                train_acc,
                val_loss,
                val_acc,
                current_lr(self.optimizer),
                time.perf_counter() - epoch_start,
                n_seen / max(busy, 1e-9),
            )
            self.history.append(event)
            stop_early = self._early_stopping(val_loss)
            if self.checkpoint_path:
                save_checkpoint(self.checkpoint(), self.checkpoint_path)
            self._emit("on_epoch_end", event)
            if stop_early:
                return "early_stopped"
            if self.should_stop:
                return "stopped"
        return "completed"

    def _early_stopping(self, val_loss: float) -> bool:
        if val_loss < self.best_val:
            self.best_val, self.bad_epochs = val_loss, 0
        else:
            self.bad_epochs += 1
        patience = self.config.early_stopping_patience
        return bool(patience) and self.bad_epochs >= patience

    def _train_one_epoch(self, epoch: int) -> tuple[float, float | None, int, float]:
        """(mean loss, accuracy, samples trained, seconds spent training) of one epoch."""
        cfg, data, model, optimizer = self.config, self.data, self.model, self.optimizer
        bs, steps = cfg.batch_size, self.steps_per_epoch
        generator = torch.Generator().manual_seed(cfg.seed * 1_000_003 + epoch)
        xs, ys = data.shuffled(generator)
        model.train()
        classify = not data.regression
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        window_losses = torch.empty(steps, device=self.device)
        per_batch_scheduler = self.scheduler if self.scheduler_when == "batch" else None
        reported = reported_samples = 0  # batches/samples already in an event
        epoch_loss = 0.0
        epoch_correct = 0
        n_seen = 0
        busy = 0.0
        last_emit = time.perf_counter()
        for b in range(steps):
            if self._stop.is_set():
                break
            if not self._unpaused.is_set():
                busy += time.perf_counter() - last_emit
                self._wait_while_paused()
                last_emit = time.perf_counter()
                if self._stop.is_set():
                    break
            x, target = data.prepare(xs[b * bs : (b + 1) * bs], ys[b * bs : (b + 1) * bs])
            with self._autocast():
                out = model(x)
                loss = self.loss_fn(out.float(), target)
            optimizer.zero_grad(set_to_none=True)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(optimizer)
                self.scaler.update()
            else:
                loss.backward()
                optimizer.step()
            if per_batch_scheduler is not None:
                per_batch_scheduler.step()
            n = len(x)
            n_seen += n
            self.step += 1
            detached = loss.detach()
            window_losses[b] = detached
            loss_sum += detached * n
            if classify:
                correct += (out.argmax(1) == ys[b * bs : (b + 1) * bs].to(self.device, non_blocking=True)).sum()
            now = time.perf_counter()
            if now - last_emit >= self.event_interval or b == steps - 1:
                busy += now - last_emit
                # The one point per event where the loop waits for the device.
                loss_total, correct_total = loss_sum.item(), int(correct.item()) if classify else 0
                window_n = n_seen - reported_samples
                window_loss = (loss_total - epoch_loss) / window_n
                if not math.isfinite(window_loss):
                    bad = torch.nonzero(~torch.isfinite(window_losses[reported : b + 1]))
                    first = reported + int(bad[0]) if len(bad) else b
                    value = float(window_losses[first])
                    raise _NonFiniteLossError(self.step - (b - first), value)
                accuracy = (correct_total - epoch_correct) / window_n if classify else None
                batch_losses = window_losses[reported : b + 1].tolist()
                if self.first_loss is None:
                    self.first_loss = batch_losses[0]
                event = BatchEvent(
                    epoch + 1,
                    b + 1,
                    steps,
                    self.step,
                    steps * cfg.epochs,
                    window_loss,
                    accuracy,
                    window_n / max(now - last_emit, 1e-9) if window_n else 0.0,
                    current_lr(optimizer),
                    batch_losses,
                )
                epoch_loss, epoch_correct = loss_total, correct_total
                reported, reported_samples = b + 1, n_seen
                self._emit("on_batch_end", event)
                last_emit = time.perf_counter()
        if n_seen == 0:
            return math.nan, None, 0, busy
        if reported_samples < n_seen:  # stopped mid-window: the tail still counts
            epoch_loss = loss_sum.item()
            epoch_correct = int(correct.item()) if classify else 0
        return epoch_loss / n_seen, (epoch_correct / n_seen if classify else None), n_seen, busy

    def _wait_while_paused(self) -> None:
        while not self._unpaused.wait(0.05):
            if self._stop.is_set():
                return

    @torch.no_grad()
    def evaluate(self) -> tuple[float, float | None]:
        """(mean loss, accuracy) on the validation data (the test split unless ``val_split``)."""
        model, data = self.model, self.data
        model.eval()
        total = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        count = 0
        for x, target, labels in data.val_batches(max(self.config.batch_size, 1000)):
            with self._autocast():
                out = model(x).float()
            total += self.loss_fn(out, target) * len(x)
            if labels is not None:
                correct += (out.argmax(1) == labels).sum()
            count += len(x)
        if count == 0:
            return math.nan, None
        accuracy = int(correct.item()) / count if not data.regression else None
        return total.item() / count, accuracy

    # ------------------------------------------------------------------ results
    def _trained_model(self) -> TrainedModel:
        last = self.history[-1]
        metrics = {k: v for k, v in asdict(last).items() if isinstance(v, float) and k != "seconds"}
        metrics["epochs"] = float(len(self.history))
        state = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in self.model.state_dict().items()}
        return TrainedModel(self.spec.copy(), state, tuple(self.mean), tuple(self.std), "trained this session", metrics)

    @property
    def at_epoch_boundary(self) -> bool:
        """True when no batch has run since the last completed epoch (a checkpoint is exact)."""
        return bool(self.history) and self.step == len(self.history) * self.steps_per_epoch

    def checkpoint(self) -> Checkpoint:
        """The run as it stands after the last completed epoch; see :attr:`at_epoch_boundary`."""
        return Checkpoint(
            self._trained_model(),
            self.config,
            len(self.history),
            self.optimizer.state_dict(),
            self.scheduler.state_dict() if self.scheduler is not None else None,
            [asdict(e) for e in self.history],
            {"best_val_loss": self.best_val, "bad_epochs": float(self.bad_epochs)},
        )
