"""Checks that step a network before a run: the learning-rate finder and the one-batch check.

A probe prepares its network, data and optimiser exactly as Start (or ``netbuilder train``)
would, through the run's own :class:`Trainer`, steps them itself with ``Trainer.train_step``,
and puts everything it stepped back as it found it: the weights, the optimiser's state, the
gradient scaler and the random number generators. So a probe never changes what a run does.
"""

from __future__ import annotations

import contextlib
import copy
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

import torch

from gui_app.core.analysis.compiler import CompileError
from gui_app.core.data.dataset_types import DatasetError, LoadedDataset
from gui_app.core.data.downloads import DownloadCancelledError
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.device_data import ShapeMismatchError
from gui_app.core.training.devices import DeviceError
from gui_app.core.training.optimisation import ConfigError
from gui_app.core.training.trainer import Trainer

#: The mistakes a user can fix; ``str()`` of each already says what and how (as ``fit`` reports them).
USER_ERRORS = (DatasetError, ShapeMismatchError, DeviceError, ConfigError, CompileError)

ResultT = TypeVar("ResultT")
ProgressT = TypeVar("ProgressT")


class ProbeError(Exception):
    """A probe could not run; ``str()`` is one line saying why, for the user."""


class ProbeStoppedError(ProbeError):
    """The probe was stopped before it could step (while its data downloaded)."""


@contextlib.contextmanager
def prepared(trainer: Trainer) -> Iterator[Trainer]:
    """``trainer`` with its network, data and optimiser on the device; let go of afterwards.

    The errors ``fit`` would report as events come out as one :class:`ProbeError` (an unexpected
    one too, with its traceback on stderr, as ``fit`` reports an internal error).
    """
    try:
        trainer.prepare()
        yield trainer
    except DownloadCancelledError:
        raise ProbeStoppedError("stopped while the dataset downloaded") from None
    except torch.OutOfMemoryError:
        raise ProbeError(
            f"the GPU ran out of memory with batch size {trainer.config.batch_size}; "
            "try a smaller batch size or a smaller network"
        ) from None
    except USER_ERRORS as exc:
        raise ProbeError(str(exc)) from None
    except ProbeError:
        raise
    except Exception as exc:  # as in ``fit``: a check must end with a message, never take the app down
        traceback.print_exc()
        detail = str(exc).splitlines()[0] if str(exc) else "no message"
        raise ProbeError(f"the check failed: {type(exc).__name__}: {detail}") from None
    finally:
        trainer.release()


@contextlib.contextmanager
def restored(trainer: Trainer) -> Iterator[None]:
    """Put the prepared ``trainer``'s weights, optimiser, scaler and random state back on exit."""
    model, optimizer, scaler = trainer.model, trainer.optimizer, trainer.scaler
    weights = {name: value.detach().clone() for name, value in model.state_dict().items()}
    optimizer_state = copy.deepcopy(optimizer.state_dict())
    scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
    was_training = model.training
    devices = [trainer.device] if trainer.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        try:
            yield
        finally:
            model.load_state_dict(weights)
            optimizer.load_state_dict(optimizer_state)
            if scaler is not None:
                scaler.load_state_dict(scaler_state)
            model.train(was_training)


def batches(trainer: Trainer, count: int) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``count`` prepared training batches of the run's size, reshuffled each pass (seeded)."""
    data, size = trainer.data, trainer.config.batch_size
    made, epoch = 0, 0
    while made < count:
        generator = torch.Generator().manual_seed(trainer.config.seed * 1_000_003 + epoch)
        xs, ys = data.shuffled(generator)
        for start in range(0, data.n_train, size):
            if made == count:
                return
            yield data.prepare(xs[start : start + size], ys[start : start + size])
            made += 1
        epoch += 1


class Probe(ABC, Generic[ResultT, ProgressT]):
    """A check run on the network and settings of a run; :meth:`stop` from any thread.

    Subclasses implement :meth:`_probe`, which gets the prepared trainer (its state is restored
    afterwards) and a progress function to call after each step.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        config: TrainingConfig | None = None,
        *,
        dataset: LoadedDataset | None = None,
        download: bool = True,
        callbacks: Iterable[Callback] = (),
    ) -> None:
        #: the run this probe prepares (``on_download`` reaches ``callbacks`` while data loads)
        self.trainer = Trainer(spec, config, callbacks, dataset=dataset, download=download)

    def stop(self) -> None:
        """End the probe before its next step (or cancel the download)."""
        self.trainer.stop()

    @property
    def stopped(self) -> bool:
        return self.trainer.should_stop

    def run(self, progress: Callable[[ProgressT], None] | None = None) -> ResultT:
        """Prepare, probe and restore; raises :class:`ProbeError` for what the user must fix."""
        with prepared(self.trainer) as trainer, restored(trainer):
            return self._probe(trainer, progress or (lambda _step: None))

    @abstractmethod
    def _probe(self, trainer: Trainer, progress: Callable[[ProgressT], None]) -> ResultT:
        """The check itself, on the prepared run (its state is put back afterwards)."""
