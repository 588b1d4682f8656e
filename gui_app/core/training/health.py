"""Layer health: what each block of a training network does to a fixed batch of validation images.

A :class:`HealthProbe` is a training callback. Every ``every`` steps (and at each epoch's last
step; on a device so fast that this would cost more than ``max_share`` of the training time,
less often) it runs the network's blocks one by one, in eval mode and without gradients, on a probe
batch drawn once at the start of the run, and measures per block: the output's mean and
standard deviation, the share of dead units (ReLU-like activations only), the share of saturated
outputs (Sigmoid and Tanh), the norm of the gradient the last step left on the block's weights,
and the update-to-weight ratio of that step. :data:`RULES` turn the figures into a verdict per
block, with reasons a learner can read; the figures go out as a
:class:`~gui_app.core.training.events.HealthEvent` to every callback's ``on_health``.

The probe never changes the run: eval mode draws no random numbers (Dropout is off) and updates
no BatchNorm statistics, and gradients and weights are only read. Its cost is one forward pass of
``probe_size`` images, a few norms and one copy of the weights (taken only at the step before a
probe), read back from the device in one transfer.
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
from torch import nn

from gui_app.core.analysis.messages import layer_number
from gui_app.core.training.callbacks import Callback, RunningTrainer
from gui_app.core.training.events import BlockHealth, HealthEvent, Verdict

#: Probe every this many optimiser steps (why 50: docs/training.md, Benchmarks; bench_health.py).
DEFAULT_EVERY = 50
#: ...but never spend more than this share of the training time on it (a fast GPU's short steps).
DEFAULT_MAX_SHARE = 0.02
#: Validation images in the probe batch: enough that a unit alive for one image in ten is all but
#: certain to show (0.9 ** 64 ≈ 0.1 %), few enough that the forward pass costs a fraction of a step.
DEFAULT_PROBE_SIZE = 64
#: An output this close to a Sigmoid's or Tanh's bound counts as saturated (its slope is < 0.02).
SATURATION_MARGIN = 0.02

#: Activations whose units can die: their output is exactly zero for every negative input.
#: LeakyReLU, ELU, GELU and SiLU let a slope or a value through below zero, so they never die.
DYING_ACTIVATIONS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)
#: Bounded activations and their (low, high) bounds.
SATURATING_ACTIVATIONS: dict[type[nn.Module], tuple[float, float]] = {nn.Sigmoid: (0.0, 1.0), nn.Tanh: (-1.0, 1.0)}

#: The figure a rule about non-finite numbers looks at: all of them.
ANY_FIGURE = "any"
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {">": operator.gt, "=": operator.eq, "<": operator.lt}
_SEVERITY = {Verdict.HEALTHY: 0, Verdict.SUSPICIOUS: 1, Verdict.BROKEN: 2}
_FIGURES = ("mean", "std", "dead", "saturated", "grad_norm", "update_ratio")


@dataclass(frozen=True)
class HealthRule:
    """One rule: a block whose ``figure`` compares with ``threshold`` as ``comparison`` says breaks it.

    ``explanation`` is the one line the canvas's tooltip shows; ``advice`` says what to try.
    ``needs_lr_share``: the rule holds only while the learning rate is at least this share of the
    one set (a schedule that anneals it makes small steps on purpose).
    """

    name: str
    figure: str
    comparison: str
    threshold: float
    verdict: Verdict
    explanation: str
    advice: str
    needs_lr_share: float | None = None

    @property
    def condition(self) -> str:
        """The rule's test in words a table or tooltip shows: ``grad_norm < 1e-7``."""
        if self.figure == ANY_FIGURE:
            return "any figure NaN or infinite"
        return f"{self.figure} {self.comparison} {_short_number(self.threshold)}"

    def broken_by(self, figures: dict[str, float | None], lr_share: float) -> bool:
        """Whether a block with ``figures`` breaks this rule at ``lr_share`` of the set rate."""
        if self.figure == ANY_FIGURE:
            return any(value is not None and not math.isfinite(value) for value in figures.values())
        value = figures.get(self.figure)
        if value is None or not math.isfinite(value):
            return False
        if self.needs_lr_share is not None and lr_share < self.needs_lr_share:
            return False
        return _COMPARISONS[self.comparison](value, self.threshold)


#: Worst first; per figure only the first rule a block breaks is reported (all dead, not also most).
RULES: tuple[HealthRule, ...] = (
    HealthRule(
        "not_finite",
        ANY_FIGURE,
        "",
        math.inf,
        Verdict.BROKEN,
        "its outputs, gradients or weights are NaN or infinite",
        "lower the learning rate; normalise the inputs; check the loss fits the output",
    ),
    HealthRule(
        "all_dead",
        "dead",
        "=",
        1.0,
        Verdict.BROKEN,
        "every unit outputs zero for every probe image: no signal gets through",
        "lower the learning rate; use LeakyReLU or ELU; put BatchNorm before the activation",
    ),
    HealthRule(
        "mostly_dead",
        "dead",
        ">",
        0.5,
        Verdict.SUSPICIOUS,
        "more than half the units output zero for every probe image (dead ReLUs)",
        "lower the learning rate; use LeakyReLU or ELU; put BatchNorm before the activation",
    ),
    HealthRule(
        "vanishing_gradient",
        "grad_norm",
        "<",
        1e-7,
        Verdict.BROKEN,
        "its gradient norm is below 1e-7: the weights have all but stopped learning",
        "use ReLU instead of Sigmoid or Tanh in deep stacks; add BatchNorm; make the network shallower",
    ),
    HealthRule(
        "exploding_gradient",
        "grad_norm",
        ">",
        1e3,
        Verdict.BROKEN,
        "its gradient norm is above 1e3: the steps are out of control",
        "lower the learning rate; add BatchNorm; normalise the inputs",
    ),
    HealthRule(
        "update_too_large",
        "update_ratio",
        ">",
        1e-1,
        Verdict.SUSPICIOUS,
        "one step changes its weights by more than 10% (a healthy step is around 0.1%)",
        "lower the learning rate",
    ),
    HealthRule(
        "update_too_small",
        "update_ratio",
        "<",
        1e-5,
        Verdict.SUSPICIOUS,
        "one step changes its weights by less than 0.001%: it learns very slowly",
        "raise the learning rate (this rule rests while a schedule holds the rate below 1% of the set one)",
        needs_lr_share=0.01,
    ),
    HealthRule(
        "saturated",
        "saturated",
        ">",
        0.5,
        Verdict.SUSPICIOUS,
        "more than half its outputs sit at the Sigmoid's or Tanh's bounds, where the slope is almost zero",
        "lower the learning rate; put BatchNorm before it; use ReLU",
    ),
)
RULES_BY_NAME: dict[str, HealthRule] = {rule.name: rule for rule in RULES}


def judge(figures: dict[str, float | None], lr_share: float = 1.0) -> tuple[Verdict, tuple[str, ...]]:
    """The verdict for one block's ``figures`` and the names of the rules it breaks, worst first."""
    reasons: list[str] = []
    judged: set[str] = set()
    for rule in RULES:
        if rule.figure in judged or not rule.broken_by(figures, lr_share):
            continue
        reasons.append(rule.name)
        judged.add(rule.figure)
        if rule.figure == ANY_FIGURE:
            break  # NaN everywhere: the other rules have nothing to say
    worst = max((RULES_BY_NAME[name].verdict for name in reasons), key=_SEVERITY.__getitem__, default=Verdict.HEALTHY)
    return worst, tuple(sorted(reasons, key=lambda name: -_SEVERITY[RULES_BY_NAME[name].verdict]))


class ProbedTrainer(RunningTrainer, Protocol):
    """What the probe reads of the Trainer, beyond what every callback may."""

    model: nn.Module | None
    data: Any
    optimizer: torch.optim.Optimizer | None
    steps_per_epoch: int

    def emit(self, hook: str, *args: Any) -> None: ...


class HealthProbe(Callback):
    """Measures every block on a fixed probe batch every ``every`` steps; see the module docstring.

    ``max_share`` caps the probe's cost on a fast device, where ``every`` steps take little time:
    a probe due less than its own cost divided by ``max_share`` after the last one is skipped
    (the probe at an epoch's end always runs). None probes every ``every`` steps, whatever it costs.
    """

    def __init__(
        self,
        every: int = DEFAULT_EVERY,
        probe_size: int = DEFAULT_PROBE_SIZE,
        max_share: float | None = DEFAULT_MAX_SHARE,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if every < 1 or probe_size < 1:
            raise ValueError(f"every and probe_size must be at least 1, not {every} and {probe_size}")
        if max_share is not None and not 0 < max_share <= 1:
            raise ValueError(f"max_share must be above 0 and at most 1, not {max_share}")
        self.every, self.probe_size, self.max_share, self.clock = every, probe_size, max_share, clock
        self.probe_x: torch.Tensor | None = None
        self.blocks: list[tuple[int, nn.Module, list[nn.Parameter]]] = []
        self.weighted: list[int] = []
        self.params: list[nn.Parameter] = []
        self.param_slot = torch.zeros(0, dtype=torch.long)
        #: the weights before the step that is to be probed; None when the next step is not
        self._before: list[torch.Tensor] | None = None
        self._next_allowed = -math.inf

    def due(self, step: int, steps_per_epoch: int) -> bool:
        """Whether the probe runs after global step ``step`` (1-based): every N-th, and each epoch's last."""
        return step > 0 and (step % self.every == 0 or step % max(steps_per_epoch, 1) == 0)

    def on_fit_start(self, trainer: ProbedTrainer) -> None:
        self.probe_x = _probe_batch(trainer.data, self.probe_size, trainer.config.seed)
        self.blocks = [(index, module, list(module.parameters())) for index, module in enumerate(trainer.model)]
        #: the blocks with weights, every weight in block order, and each weight's place among those blocks
        self.weighted = [index for index, _, params in self.blocks if params]
        self.params = [p for _, _, params in self.blocks for p in params]
        slots = [slot for slot, index in enumerate(self.weighted) for _ in self.blocks[index][2]]
        device = self.params[0].device if self.params else None
        self.param_slot = torch.tensor(slots, dtype=torch.long, device=device)
        self._next_allowed = -math.inf
        self._plan_next_step(trainer)

    def on_step_end(self, trainer: ProbedTrainer) -> None:
        if self._before is not None:
            start = self.clock()
            event = self.measure(trainer)
            end = self.clock()
            if self.max_share is not None:
                self._next_allowed = end + (end - start) * (1 / self.max_share - 1)
            trainer.emit("on_health", event)
        self._plan_next_step(trainer)

    def on_fit_end(self, trainer: ProbedTrainer, result: object) -> None:
        self.probe_x, self.blocks, self.params, self._before = None, [], [], None  # device memory goes back

    def _plan_next_step(self, trainer: ProbedTrainer) -> None:
        """Copy the weights when the next step is to be probed: its update is their change."""
        step, per_epoch = trainer.step + 1, max(trainer.steps_per_epoch, 1)
        probe = self.probe_x is not None and self.due(step, per_epoch)
        if probe and step % per_epoch != 0:
            probe = self.clock() >= self._next_allowed
        self._before = [p.detach().clone() for p in self.params] if probe else None

    @torch.no_grad()
    def measure(self, trainer: ProbedTrainer) -> HealthEvent:
        """Every block's figures and verdict after the step just taken."""
        model = trainer.model
        training = model.training
        model.eval()
        try:
            keys, values = self._output_figures()
        finally:
            model.train(training)
        grad_keys, grad_values = self._weight_figures()
        tensors = [v.detach().float().reshape(-1) for v in (*values, *grad_values)]
        numbers = torch.cat(tensors).tolist() if tensors else []  # the one wait for the device
        figures: list[dict[str, float | None]] = [dict.fromkeys(_FIGURES) for _ in self.blocks]
        for (index, name), number in zip((*keys, *grad_keys), numbers, strict=True):
            figures[index][name] = number
        base_lr = trainer.config.lr
        lr_share = trainer.optimizer.param_groups[0]["lr"] / base_lr if base_lr > 0 else 1.0
        step, per_epoch = trainer.step, max(trainer.steps_per_epoch, 1)
        return HealthEvent(
            (step - 1) // per_epoch + 1,
            (step - 1) % per_epoch + 1,
            per_epoch,
            step,
            tuple(
                _block_health(index, type(module).__name__, figures[index], lr_share)
                for index, module, _ in self.blocks
            ),
        )

    def _output_figures(self) -> tuple[list[tuple[int, str]], list[torch.Tensor]]:
        """(block, figure) keys and 0-d tensors: each block's output on the probe batch, in turn.

        The blocks run one by one, as ``nn.Sequential`` runs them, so block k's output is the
        output of the first k + 1 modules (no hooks to register and remove).
        """
        keys: list[tuple[int, str]] = []
        values: list[torch.Tensor] = []
        x = self.probe_x
        for index, module, _ in self.blocks:
            x = module(x)
            if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.numel() == 0:
                continue
            # two calls: torch.std_mean over a whole tensor is 4x slower on a CPU (13 ms for a conv's output)
            out = x.float()
            keys += [(index, "mean"), (index, "std")]
            values += [out.mean(), out.std(correction=0)]
            if isinstance(module, DYING_ACTIVATIONS) and x.dim() >= 1:
                keys.append((index, "dead"))
                values.append(_dead_share(x))
            bounds = next((b for kind, b in SATURATING_ACTIVATIONS.items() if isinstance(module, kind)), None)
            if bounds is not None:
                low, high = bounds
                near = (x - low < SATURATION_MARGIN) | (high - x < SATURATION_MARGIN)
                keys.append((index, "saturated"))
                values.append(near.float().mean())
        return keys, values

    def _weight_figures(self) -> tuple[list[tuple[int, str]], list[torch.Tensor]]:
        """(block, figure) keys and a vector per figure: gradient norms and update ratios.

        ``torch._foreach_norm`` (what ``clip_grad_norm_`` uses) takes every parameter's norm in
        one call; ``index_add_`` sums their squares per block, so the cost hardly grows with depth.
        """
        params = self.params
        if not params:
            return [], []

        def per_block(tensors: list[torch.Tensor]) -> torch.Tensor:
            squares = torch.stack(torch._foreach_norm(tensors)).float().square()
            total = torch.zeros(len(self.weighted), device=squares.device)
            return total.index_add_(0, self.param_slot, squares).sqrt()

        # a parameter the loss did not reach has no gradient: it counts as zero
        grads = [p.grad if p.grad is not None else p.detach().new_zeros(0) for p in params]
        keys = [(index, "grad_norm") for index in self.weighted]
        values = [per_block(grads)]
        if self._before is not None:
            weights = [p.detach() for p in params]
            size = per_block(weights)
            change = per_block(torch._foreach_sub(weights, self._before))
            keys += [(index, "update_ratio") for index in self.weighted]
            # all-zero weights make any change infinitely large (inf, not NaN)
            values.append(torch.where(size > 0, change / size, torch.full_like(change, math.inf)))
        return keys, values


def _short_number(value: float) -> str:
    """``1e-07`` -> ``1e-7``, ``1000`` -> ``1e3``, ``0.5`` stays: how a learner writes thresholds."""
    if value != 0 and (abs(value) >= 1000 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.0e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return f"{value:g}"


def _block_health(index: int, type_name: str, figures: dict[str, float | None], lr_share: float) -> BlockHealth:
    verdict, reasons = judge(figures, lr_share)
    return BlockHealth(index, type_name, **figures, verdict=verdict, reasons=reasons)


def _dead_share(x: torch.Tensor) -> torch.Tensor:
    """Share of units at zero for every probe image: a unit is a feature (dim 1), or a channel."""
    dims = (0, *range(2, x.dim()))
    return (x.amax(dim=dims) <= 0).float().mean()


def _probe_batch(data: Any, size: int, seed: int) -> torch.Tensor | None:
    """``size`` validation images, drawn with the run's seed, normalised and on the device.

    A run without validation images probes its first training images instead; None without any.
    """
    xs, ys = (data.val_x, data.val_y) if len(data.val_x) else (data.train_x, data.train_y)
    if len(xs) == 0:
        return None
    generator = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(xs), generator=generator)[:size].sort().values.to(xs.device)
    x, _target, _labels = data.prepare(xs.index_select(0, chosen), ys.index_select(0, chosen))
    return x


def health_record(event: HealthEvent) -> dict[str, Any]:
    """One probe as plain JSON data, blocks numbered from 1 as on the canvas.

    A figure that does not apply is None, and so is a NaN or infinite one (strict JSON has no
    NaN): the block's reasons then name ``not_finite``.
    """

    def number(value: float | None) -> float | None:
        return value if value is not None and math.isfinite(value) else None

    blocks = [
        {
            "index": layer_number(block.index),
            "type": block.type,
            **{name: number(getattr(block, name)) for name in _FIGURES},
            "verdict": str(block.verdict),
            "reasons": list(block.reasons),
        }
        for block in event.blocks
    ]
    return {"kind": "health", "epoch": event.epoch, "batch": event.batch, "step": event.step, "blocks": blocks}
