"""Layer health on hand-built broken networks, trained on the real MNIST sample: dead ReLUs, a huge
learning rate, vanishing gradients and saturated Sigmoids are flagged; a healthy MLP is not; the
probe runs every N steps and leaves the run exactly as it would have been without it."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import torch

from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.events import BlockHealth, HealthEvent, Verdict
from gui_app.core.training.health import RULES, HealthProbe, health_record, judge
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice

DOCS = Path(__file__).resolve().parents[3] / "docs" / "training.md"


class HealthLog(Callback):
    """Every health event of a run."""

    def __init__(self) -> None:
        self.events = []

    def on_health(self, trainer, event):
        self.events.append(event)


class SetBias(Callback):
    """At the start of the run, sets the bias of block ``index`` (0-based) to ``value``."""

    def __init__(self, index: int, value: float) -> None:
        self.index, self.value = index, value

    def on_fit_start(self, trainer):
        with torch.no_grad():
            trainer.model[self.index].bias.fill_(self.value)


def _train(spec, callbacks=(), every=4, samples=256, **settings):
    """Train ``spec`` on the sample with a probe every ``every`` steps; (result, health events)."""
    log = HealthLog()
    probe = HealthProbe(every=every, probe_size=64, max_share=None)
    result = Trainer(spec, config(**settings), [*callbacks, probe, log], dataset=mnist_slice(samples, 100)).fit()
    return result, log.events


def _layers(*types_and_params) -> NetworkSpec:
    layers = [LayerSpec(t, dict(p)) for t, p in types_and_params]
    return NetworkSpec([LayerSpec("Flatten", {}), *layers], (1, 28, 28), "test")


def test_a_relu_after_a_linear_with_bias_minus_100_is_all_dead_and_broken():
    result, events = _train(mlp_spec(hidden=32), [SetBias(1, -100.0)])
    assert result.error is None and events
    for event in events:
        relu = event.blocks[2]
        assert relu.type == "ReLU" and relu.dead == 1.0
        assert relu.verdict == Verdict.BROKEN and relu.reasons == ("all_dead",)
        # nothing flows back through a dead ReLU either: the Linear before it stops learning
        linear = event.blocks[1]
        assert linear.grad_norm == 0.0 and "vanishing_gradient" in linear.reasons
        assert linear.verdict == Verdict.BROKEN


def test_a_huge_learning_rate_is_flagged_for_its_update_ratio():
    _result, events = _train(mlp_spec(hidden=32), every=1, optimizer="SGD", lr=10.0, momentum=0.0)
    first = events[0]
    assert first.step == 1
    linears = [block for block in first.blocks if block.type == "Linear"]
    assert all(block.update_ratio > 0.1 for block in linears)
    assert all("update_too_large" in block.reasons and block.verdict != Verdict.HEALTHY for block in linears)


def test_a_small_mlp_training_normally_on_mnist_is_healthy_throughout():
    result, events = _train(mlp_spec(hidden=64), samples=512, epochs=2, optimizer="Adam", lr=1e-3)
    assert result.error is None and result.history[-1].val_accuracy > 0.6
    assert len(events) >= 8
    for event in events:
        assert [block.verdict for block in event.blocks] == [Verdict.HEALTHY] * 4, event
        linear, relu = event.blocks[1], event.blocks[2]
        assert 1e-5 < linear.update_ratio < 1e-1 and 1e-7 < linear.grad_norm < 1e3
        assert relu.dead < 0.5


def test_vanishing_gradients_in_a_deep_sigmoid_chain_are_flagged():
    chain = [("Linear", {"out_features": 32}), ("Sigmoid", {})] * 14
    spec = _layers(*chain, ("Linear", {"out_features": 10}))
    _result, events = _train(spec, every=2, optimizer="SGD", lr=0.01, momentum=0.0)
    first_linear = events[0].blocks[1]
    assert first_linear.type == "Linear" and first_linear.grad_norm < 1e-7
    assert first_linear.verdict == Verdict.BROKEN and "vanishing_gradient" in first_linear.reasons
    last_linear = events[0].blocks[-1]
    assert last_linear.grad_norm > 1e-7 and "vanishing_gradient" not in last_linear.reasons


def test_a_sigmoid_pinned_at_its_bound_is_flagged_as_saturated():
    spec = _layers(("Linear", {"out_features": 32}), ("Sigmoid", {}), ("Linear", {"out_features": 10}))
    _result, events = _train(spec, [SetBias(1, 50.0)])
    sigmoid = events[0].blocks[2]
    assert sigmoid.saturated == 1.0 and sigmoid.reasons == ("saturated",)
    assert sigmoid.verdict == Verdict.SUSPICIOUS


def test_the_probe_runs_every_n_steps_and_at_each_epochs_end():
    # 128 samples in batches of 32: 4 steps an epoch, 8 in two epochs
    _result, events = _train(mlp_spec(), every=3, samples=128, epochs=2)
    assert [(e.step, e.epoch, e.batch) for e in events] == [(3, 1, 3), (4, 1, 4), (6, 2, 2), (8, 2, 4)]


def test_on_a_fast_device_the_probe_keeps_to_its_share_of_the_time():
    ticks = iter(range(1000))  # a clock that moves one second each time it is read
    probe = HealthProbe(every=1, probe_size=16, max_share=0.25, clock=lambda: next(ticks))
    log = HealthLog()
    Trainer(mlp_spec(), config(epochs=2), [probe, log], dataset=mnist_slice(128, 50)).fit()
    # a probe costs one tick, so the next may start three ticks after it; each epoch's end is probed
    assert [event.step for event in log.events] == [1, 4, 7, 8]


def test_the_probe_leaves_the_run_exactly_as_it_was():
    # Dropout and BatchNorm would change the run if the probe ran them in training mode
    spec = _layers(
        ("Linear", {"out_features": 32}),
        ("BatchNorm1d", {}),
        ("ReLU", {}),
        ("Dropout", {"p": 0.5}),
        ("Linear", {"out_features": 10}),
    )
    probed, events = _train(spec, every=1)
    plain = Trainer(spec, config(), dataset=mnist_slice(256, 100)).fit()
    assert len(events) == 8
    for key, value in plain.model.state_dict.items():
        assert torch.equal(probed.model.state_dict[key], value), key


def test_nan_figures_are_one_broken_reason_and_null_in_the_record():
    verdict, reasons = judge({"mean": math.nan, "std": 1.0, "grad_norm": 1e9})
    assert verdict == Verdict.BROKEN and reasons == ("not_finite",)
    block = BlockHealth(0, "Linear", math.nan, math.inf, None, None, 1.0, 1e-3, verdict, reasons)
    record = health_record(HealthEvent(1, 5, 10, 5, (block,)))
    assert json.loads(json.dumps(record, allow_nan=False)) == record
    assert record["blocks"][0]["mean"] is None and record["blocks"][0]["std"] is None
    assert record["blocks"][0]["grad_norm"] == 1.0 and record["blocks"][0]["reasons"] == ["not_finite"]


def test_the_record_numbers_blocks_from_1_and_says_none_where_a_figure_does_not_apply():
    _result, events = _train(mlp_spec(hidden=32), [SetBias(1, -100.0)], every=2)
    record = health_record(events[0])
    assert record["kind"] == "health" and record["step"] == 2
    assert [block["index"] for block in record["blocks"]] == [1, 2, 3, 4]
    assert record["blocks"][2] | {"mean": 0} == {
        "index": 3,
        "type": "ReLU",
        "mean": 0,
        "std": 0.0,
        "dead": 1.0,
        "saturated": None,
        "grad_norm": None,
        "update_ratio": None,
        "verdict": "broken",
        "reasons": ["all_dead"],
    }


def test_the_docs_list_every_rule_with_its_threshold():
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Layer health") :]
    for rule in RULES:
        row = re.search(rf"^\|\s*`{rule.name}`.*$", section, re.MULTILINE)
        assert row, f"docs/training.md lists no rule {rule.name}"
        assert rule.condition in row.group(0), rule.name


@pytest.mark.parametrize(("every", "size", "share"), [(0, 64, None), (10, 0, None), (10, 64, 0.0), (10, 64, 2.0)])
def test_a_probe_of_nothing_is_refused(every, size, share):
    with pytest.raises(ValueError, match=r"at least 1|above 0"):
        HealthProbe(every, size, share)
