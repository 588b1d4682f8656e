"""The learning-rate finder: a short sweep of exponentially growing rates, and a suggested rate.

It trains the run's own network (see :mod:`probing`: built as Start builds it, and put back
afterwards) for about 100 batches while the rate grows from ``start_lr`` to ``end_lr`` by the
same factor each step, recording each batch's loss and a smoothed loss. The smoothed loss is an
exponential moving average with bias correction (so its first values are not pulled towards 0).
The sweep stops early once the smoothed loss exceeds ``divergence`` times the lowest it reached,
or the loss is not a number: beyond that point the rates only blow the network up. It stops at
once, suggesting nothing, at a loss below 0 (NLLLoss without LogSoftmax), which no rate cures.

The suggested rate is a tenth of the rate at which the smoothed loss was lowest. At that rate
the loss is about to turn upwards, so it is the edge of stability, not a rate to train at; a
tenth of it lies on the falling part of the curve, where every step still lowers the loss. This
rule (fastai's ``lr_min``) is chosen over "where the loss fell fastest" because the steepest
point of a 100-point curve moves with the noise of single batches, while the minimum of the
smoothed curve barely does. When the loss never fell by at least :data:`MIN_FALL` of where it
started there is no suggestion: no rate helped, and the network itself needs a look.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from gui_app.core.project.run_config import TRAINING_PARAMS
from gui_app.core.training.optimisation import ConfigError
from gui_app.core.training.probing import Probe, batches
from gui_app.core.training.sanity import below_zero_text, rose_past
from gui_app.core.training.trainer import Trainer

#: The fraction by which the smoothed loss must fall below its start for a rate to be suggested.
MIN_FALL = 0.05
#: Fewer points than this say nothing about where the loss turns.
MIN_POINTS = 10
_LR_PARAM = next(p for p in TRAINING_PARAMS if p.name == "lr")


class SweepEnd(StrEnum):
    """How a sweep ended."""

    COMPLETED = "completed"
    DIVERGED = "diverged"
    #: a loss below 0 (NLLLoss without LogSoftmax): the note says why, no rate is suggested
    BELOW_ZERO = "below_zero"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LRFinderSettings:
    """The sweep: rates from ``start_lr`` to ``end_lr`` over ``steps`` batches."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    steps: int = 100
    #: the weight of the past in the smoothed loss (0: no smoothing)
    smoothing: float = 0.9
    #: stop once the smoothed loss is this many times the lowest so far (judged by the rise; see rose_past)
    divergence: float = 4.0

    def __post_init__(self) -> None:
        if not (0 < self.start_lr < self.end_lr and math.isfinite(self.end_lr)):
            raise ConfigError(f"the sweep needs 0 < start rate < end rate, not {self.start_lr:g} to {self.end_lr:g}")
        if not MIN_POINTS <= self.steps <= 100_000:
            raise ConfigError(f"the sweep needs {MIN_POINTS} to 100000 steps, not {self.steps}")
        if not 0 <= self.smoothing < 1:
            raise ConfigError(f"the smoothing must be at least 0 and below 1, not {self.smoothing:g}")
        if not self.divergence > 1:
            raise ConfigError(f"the divergence factor must be above 1, not {self.divergence:g}")

    def rate(self, step: int) -> float:
        """The rate of step ``step`` (from 0): the same factor from each step to the next."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (step / (self.steps - 1))


@dataclass(frozen=True)
class LRPoint:
    """One step of the sweep: its rate, its batch's loss and the smoothed loss up to it."""

    lr: float
    loss: float
    smoothed: float


@dataclass(frozen=True)
class LRStep:
    """Progress: step ``step`` of at most ``steps`` has run, giving ``point``."""

    step: int
    steps: int
    point: LRPoint


@dataclass(frozen=True)
class LRFinderResult:
    """The curve, how the sweep ended, and the suggested rate (None when there is none)."""

    points: tuple[LRPoint, ...]
    ended: SweepEnd
    suggested_lr: float | None
    #: the rate at which the smoothed loss was lowest
    min_loss_lr: float | None
    #: one line: why this rate, or why there is none
    note: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (``netbuilder lr-find --json``)."""
        data = asdict(self)
        data["ended"] = str(self.ended)
        data["points"] = [asdict(p) for p in self.points]
        return data


def suggest(points: tuple[LRPoint, ...]) -> tuple[float | None, float | None, str]:
    """(suggested rate, rate of the lowest smoothed loss, why): see the module docstring."""
    if len(points) < MIN_POINTS:
        return None, None, f"the sweep ended after {len(points)} steps, too few to suggest a rate"
    lowest = min(range(len(points)), key=lambda i: points[i].smoothed)
    first, low = points[0].smoothed, points[lowest].smoothed
    if not low < (1 - MIN_FALL) * first:
        return (
            None,
            None,
            f"the loss did not fall below {first:.4g} at any rate from {points[0].lr:.2g} to "
            f"{points[-1].lr:.2g}: check that this network can learn (Can This Network Learn?)",
        )
    min_lr = points[lowest].lr
    suggested = min(max(float(f"{min_lr / 10:.2g}"), _LR_PARAM.minimum), _LR_PARAM.maximum)
    note = f"a tenth of {min_lr:.2g}, the rate at which the smoothed loss was lowest ({low:.4g})"
    if lowest == len(points) - 1:
        note += "; the loss was still falling when the sweep ended"
    return suggested, min_lr, note


class LRFinder(Probe[LRFinderResult, LRStep]):
    """The sweep on a run's network and settings; ``run(progress)`` returns :class:`LRFinderResult`.

    ``progress`` is called after every step with an :class:`LRStep`, from the thread that runs
    it; :meth:`stop` (any thread) ends the sweep before its next step, keeping what it has.
    """

    def __init__(self, *args: Any, settings: LRFinderSettings | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings or LRFinderSettings()

    def _probe(self, trainer: Trainer, progress: Callable[[LRStep], None]) -> LRFinderResult:
        return sweep(trainer, self.settings, progress)


def sweep(trainer: Trainer, settings: LRFinderSettings, progress: Callable[[LRStep], None]) -> LRFinderResult:
    """Run the sweep on a prepared ``trainer`` (the caller restores its state)."""
    beta = settings.smoothing
    points: list[LRPoint] = []
    average, best, ended = 0.0, math.inf, SweepEnd.COMPLETED
    trainer.model.train()
    for step, (x, target, _labels) in enumerate(batches(trainer, settings.steps)):
        if trainer.should_stop:
            ended = SweepEnd.STOPPED
            break
        lr = settings.rate(step)
        for group in trainer.optimizer.param_groups:
            group["lr"] = lr
        _out, loss = trainer.train_step(x, target)
        value = float(loss.item())
        if value < 0:  # no rate makes such a curve mean anything: the loss does not fit the outputs
            if math.isfinite(value):
                points.append(LRPoint(lr, value, value))
                progress(LRStep(step + 1, settings.steps, points[-1]))
            ended = SweepEnd.BELOW_ZERO
            break
        if not math.isfinite(value):
            ended = SweepEnd.DIVERGED
            break
        average = beta * average + (1 - beta) * value
        smoothed = average / (1 - beta ** (step + 1))
        points.append(LRPoint(lr, value, smoothed))
        progress(LRStep(step + 1, settings.steps, points[-1]))
        best = min(best, smoothed)
        if rose_past(smoothed, best, settings.divergence):
            ended = SweepEnd.DIVERGED
            break
    if ended == SweepEnd.BELOW_ZERO:
        return LRFinderResult(tuple(points), ended, None, None, below_zero_text(trainer.config.loss))
    suggested, min_lr, note = suggest(tuple(points))
    return LRFinderResult(tuple(points), ended, suggested, min_lr, note)
