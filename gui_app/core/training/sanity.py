"""Sanity checks of a run: what its first batches say, and whether the network can learn at all.

:class:`SanityChecks` is a Trainer callback that reads the first batch events of a new run:

- the first loss of a classifier against ln(classes), where an untrained network starts (its
  outputs are nearly equal, so each class gets about 1/classes: 2.30 for 10 classes);
- whether the loss fell at all over the first few hundred samples.

It stays silent for a healthy run and says what a failed check usually means otherwise.
:class:`LearnCheck` is the on-demand check "can this network learn at all?": it trains on one
batch for 100 steps, which any network that can learn the data fits to 100% (Karpathy's "overfit
one batch"); the weights it stepped are put back afterwards (see :mod:`probing`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import torch

from gui_app.core.training.callbacks import Callback
from gui_app.core.training.device_data import INDEX_LOSSES
from gui_app.core.training.events import BatchEvent
from gui_app.core.training.probing import Probe, batches
from gui_app.core.training.trainer import Trainer

#: A first loss above this many times ln(classes) means outputs that start large and wrong.
FIRST_LOSS_HIGH = 1.5
#: A first loss below this many times ln(classes) means a network that knows before it learnt.
FIRST_LOSS_LOW = 0.5
#: The loss must have fallen after this many samples ("a few hundred": 10 batches of 64).
FALL_SAMPLES = 640
#: ... by at least this fraction, from the first quarter of those batches to the last.
MIN_FALL = 0.02
#: The fewest batches the fall is judged on (a tiny dataset's first epoch may hold fewer).
MIN_FALL_BATCHES = 4
#: Steps of the one-batch check.
LEARN_STEPS = 100
#: A regression network has learnt one batch when its loss fell below this fraction of the first.
LEARNED_LOSS = 0.1
#: A network whose loss fell below this fraction of the first, without fitting the batch, learns slowly.
SLOW_LOSS = 0.5
#: A loss above this many times the first has blown up.
DIVERGED_LOSS = 4.0


def rose_past(loss: float, lowest: float, factor: float) -> bool:
    """Whether ``loss`` rose more than ``factor`` times ``lowest`` would be, judged by the difference.

    ``loss > factor * lowest`` is true of every loss once ``lowest`` is below 0 (-1 > 4 × -10);
    the rise ``loss - lowest`` against ``(factor - 1) × |lowest|`` reads the same either side of 0.
    """
    return loss - lowest > (factor - 1) * abs(lowest)


def below_zero_text(loss: str) -> str:
    """Why a loss went below 0, which no loss NetBuilder offers does when used as meant."""
    if loss == "NLLLoss":
        return "the loss went below 0: NLLLoss needs LogSoftmax before it (or use CrossEntropyLoss)"
    return f"the loss went below 0, which {loss or 'the loss'} does only for targets outside its range"


@dataclass(frozen=True)
class SanityMessage:
    """One failed check: which (``first_loss`` or ``not_falling``) and what it usually means."""

    check: str
    text: str


def first_loss_message(first: float, classes: int, loss: str) -> SanityMessage | None:
    """The message for a classifier whose first loss is far from ln(classes) or not a number, or None."""
    if not math.isfinite(first):  # NaN compares false both ways: it would read as "far below"
        return SanityMessage(
            "first_loss",
            f"The first loss was not a number ({first}): usually the inputs hold NaN or infinite values, or "
            "a layer's weights do (a checkpoint or an initialisation gone wrong).",
        )
    expected = math.log(classes)
    if FIRST_LOSS_LOW * expected <= first <= FIRST_LOSS_HIGH * expected:
        return None
    start = (
        f"The first loss was {first:.3g}, far {{}} ln({classes}) = {expected:.2f}, where an untrained {classes}-class"
    )
    if first > expected:
        text = (
            f"{start.format('above')} classifier starts: its outputs start large and confidently wrong. "
            "Usually the inputs are not normalised or a layer starts with huge weights or bias; "
            "the first steps go into undoing that."
        )
    elif loss == "NLLLoss":
        text = (
            f"{start.format('below')} classifier starts: NLLLoss needs log-probabilities, so end the "
            "network with LogSoftmax (or use CrossEntropyLoss)."
        )
    else:
        text = (
            f"{start.format('below')} classifier starts: it seems to know the answers before training. "
            "Usually the labels leak into the inputs, or the network was not freshly initialised."
        )
    return SanityMessage("first_loss", text)


def not_falling_message(losses: list[float], samples: int) -> SanityMessage | None:
    """The message when the loss did not fall over ``losses`` (each batch's, in order), or None."""
    quarter = max(1, len(losses) // 4)
    before = sum(losses[:quarter]) / quarter
    after = sum(losses[-quarter:]) / quarter
    if after < (1 - MIN_FALL) * before:
        return None
    return SanityMessage(
        "not_falling",
        f"After {samples:,} samples the loss has not fallen ({before:.4g} over the first batches, {after:.4g} over "
        "the last): the learning rate may be too low or too high (Training ▸ Find Learning Rate), or the "
        "gradients do not reach the weights (Training ▸ Can This Network Learn?).",
    )


class SanityChecks(Callback):
    """Checks the first batches of a new run; each failed check goes to ``report`` and ``messages``.

    ``report`` is called from the thread that runs the Trainer. A resumed run is not checked:
    it starts from trained weights, whose loss is neither ln(classes) nor bound to fall.
    """

    def __init__(self, report: Callable[[SanityMessage], None] | None = None, samples: int = FALL_SAMPLES) -> None:
        self.report = report
        self.samples = samples
        self.messages: list[SanityMessage] = []
        self._losses: list[float] = []
        self._needed = 0
        self._batch_size = 1
        self._classes: int | None = None
        self._loss = ""

    def on_fit_start(self, trainer: Trainer) -> None:
        self.messages, self._losses = [], []
        info = trainer.run_info
        batch_size = trainer.config.batch_size
        wanted = max(MIN_FALL_BATCHES, math.ceil(self.samples / batch_size))
        fresh = info.start_epoch == 0
        self._needed = min(wanted, info.batches) if fresh and info.batches >= MIN_FALL_BATCHES else 0
        self._loss = trainer.config.loss
        index_loss = info.classification and self._loss in INDEX_LOSSES
        self._classes = trainer.dataset.num_classes if fresh and index_loss else None
        self._batch_size = batch_size

    def on_batch_end(self, trainer: Trainer, event: BatchEvent) -> None:
        if self._classes is not None and not self._losses and event.batch_losses:
            self._send(first_loss_message(event.batch_losses[0], self._classes, self._loss))
            self._classes = None
        if len(self._losses) >= self._needed:
            return
        self._losses += event.batch_losses
        if len(self._losses) >= self._needed:
            judged = self._losses[: self._needed]
            samples = min(len(judged) * self._batch_size, trainer.run_info.samples)
            self._send(not_falling_message(judged, samples))

    def _send(self, message: SanityMessage | None) -> None:
        if message is None:
            return
        self.messages.append(message)
        if self.report is not None:
            self.report(message)


@dataclass(frozen=True)
class LearnStep:
    """Progress of the one-batch check: step ``step`` of ``steps`` gave ``loss``."""

    step: int
    steps: int
    loss: float


class Verdict(StrEnum):
    """The answer of the one-batch check."""

    LEARNED = "learned"
    #: the loss fell by more than half but the batch was not fitted: learning, but slowly
    SLOW = "slow"
    STUCK = "stuck"
    #: the loss rose far above where it started, or stopped being a number
    DIVERGED = "diverged"
    #: the loss went below 0: the loss function does not fit the network's outputs
    BELOW_ZERO = "below_zero"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LearnCheckResult:
    """What training on one batch gave; ``verdict`` answers "can this network learn at all?"."""

    samples: int
    steps: int
    losses: tuple[float, ...]
    #: the loss and accuracy on the batch after the last step, in evaluation mode
    final_loss: float
    accuracy: float | None
    verdict: Verdict
    #: the loss function's name, for what a loss below 0 means
    loss: str = ""

    @property
    def learned(self) -> bool:
        return self.verdict == Verdict.LEARNED

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; a loss that is not a number is null (JSON has no NaN)."""
        finite = lambda v: v if math.isfinite(v) else None  # noqa: E731
        return {
            "verdict": str(self.verdict),
            "learned": self.learned,
            "samples": self.samples,
            "steps": self.steps,
            "first_loss": finite(self.losses[0]) if self.losses else None,
            "final_loss": finite(self.final_loss),
            "accuracy": self.accuracy,
            "losses": [finite(v) for v in self.losses],
            "message": self.describe(),
        }

    def describe(self) -> str:
        """One or two sentences for the user."""
        if not self.losses:
            return "Stopped before the first step."
        batch = f"one batch of {self.samples} samples"
        change = f"from {self.losses[0]:.3g} to {self.final_loss:.3g} in {self.steps} steps"
        accuracy = f", accuracy {self.accuracy:.0%}" if self.accuracy is not None else ""
        texts = {
            Verdict.STOPPED: f"Stopped: on {batch} the loss went {change}{accuracy}.",
            Verdict.LEARNED: (
                f"Yes: on {batch} the loss fell {change}{accuracy}. This network and its settings can learn."
            ),
            Verdict.SLOW: (
                f"Slowly: on {batch} the loss fell {change}{accuracy}, but the batch is not learnt yet. The network "
                "can learn; the learning rate is probably too low (Training ▸ Find Learning Rate)."
            ),
            Verdict.DIVERGED: (
                f"No: on {batch} the loss blew up (highest {max(self.losses):.3g}, from {self.losses[0]:.3g}) in "
                f"{self.steps} steps{accuracy}. The learning rate is far too high (Training ▸ Find Learning Rate)."
            ),
            Verdict.BELOW_ZERO: f"No: {below_zero_text(self.loss)}; on {batch} it went {change}{accuracy}.",
            Verdict.STUCK: (
                f"No: on {batch} the loss went only {change}{accuracy}. A network that cannot fit {self.samples} "
                "samples cannot learn the dataset: look for a learning rate far too low, dead ReLUs (a huge "
                "negative bias), a Dropout of 1, or labels that do not match the inputs."
            ),
        }
        return texts[self.verdict]


def verdict_of(losses: list[float], final_loss: float, accuracy: float | None, stopped: bool) -> Verdict:
    """The one-batch check's answer from its losses and the batch's final loss and accuracy."""
    first = losses[0] if losses else math.nan
    if stopped:
        return Verdict.STOPPED
    if any(v < 0 for v in (*losses, final_loss)):  # first: a loss falling to -inf is not a rate too high
        return Verdict.BELOW_ZERO
    if not all(math.isfinite(v) for v in (*losses, final_loss)):
        return Verdict.DIVERGED
    if rose_past(max(losses), first, DIVERGED_LOSS):
        return Verdict.DIVERGED
    fitted = accuracy == 1.0 if accuracy is not None else final_loss <= LEARNED_LOSS * first
    if fitted:
        return Verdict.LEARNED
    return Verdict.SLOW if final_loss < SLOW_LOSS * first else Verdict.STUCK


class LearnCheck(Probe[LearnCheckResult, LearnStep]):
    """The one-batch check on a run's network and settings; ``run(progress)`` -> :class:`LearnCheckResult`."""

    def _probe(self, trainer: Trainer, progress: Callable[[LearnStep], None]) -> LearnCheckResult:
        return learn_one_batch(trainer, LEARN_STEPS, progress)


def learn_one_batch(
    trainer: Trainer, steps: int = LEARN_STEPS, progress: Callable[[LearnStep], None] | None = None
) -> LearnCheckResult:
    """Train a prepared ``trainer`` on its first batch ``steps`` times (the caller restores it)."""
    x, target, labels = next(batches(trainer, 1))
    trainer.model.train()
    losses: list[float] = []
    for step in range(steps):
        if trainer.should_stop:
            break
        _out, loss = trainer.train_step(x, target)
        value = float(loss.item())
        losses.append(value)
        if progress is not None:
            progress(LearnStep(step + 1, steps, value))
        if not math.isfinite(value):
            break
    final_loss, accuracy = _on_batch(trainer, x, target, None if trainer.data.regression else labels)
    stopped = trainer.should_stop and len(losses) < steps
    verdict = verdict_of(losses, final_loss, accuracy, stopped or not losses)
    return LearnCheckResult(len(x), len(losses), tuple(losses), final_loss, accuracy, verdict, trainer.config.loss)


@torch.no_grad()
def _on_batch(
    trainer: Trainer, x: torch.Tensor, target: torch.Tensor, labels: torch.Tensor | None
) -> tuple[float, float | None]:
    """(loss, accuracy) of the network on the batch, in evaluation mode (Dropout off)."""
    trainer.model.eval()
    out = trainer.model(x).float()
    loss = float(trainer.loss_fn(out, target))
    accuracy = float((out.argmax(1) == labels).float().mean()) if labels is not None else None
    return loss, accuracy
