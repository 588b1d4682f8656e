"""Sanity checks of a run's first batches, and the one-batch "can this network learn?" check."""

from __future__ import annotations

import copy

import pytest
import torch

from gui_app.core.project.presets import load_preset
from gui_app.core.project.spec import LayerSpec
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.probing import prepared, restored
from gui_app.core.training.sanity import (
    LearnCheck,
    SanityChecks,
    Verdict,
    first_loss_message,
    learn_one_batch,
    verdict_of,
)
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


class HugeLastBias(Callback):
    """Before the first batch, one class gets a bias of 50: the network starts confidently wrong."""

    def on_fit_start(self, trainer):
        with torch.no_grad():
            trainer.model[-1].bias[3] = 50.0


def _checked(spec, cfg, *before: Callback) -> tuple[SanityChecks, list]:
    reported = []
    checks = SanityChecks(reported.append)
    result = Trainer(spec, cfg, [*before, checks], dataset=mnist_slice(1024)).fit()
    assert result.error is None
    return checks, reported


def test_a_healthy_run_gets_no_message():
    checks, reported = _checked(mlp_spec(), config(lr=0.05))
    assert checks.messages == [] and reported == []


def test_a_first_loss_far_above_ln_classes_is_reported_once_saying_what_it_means():
    checks, reported = _checked(mlp_spec(), config(lr=0.05), HugeLastBias())
    assert [m.check for m in reported] == ["first_loss"]
    text = reported[0].text
    assert "far above ln(10) = 2.30" in text and "not normalised" in text and "huge weights or bias" in text
    assert checks.messages == reported


def test_a_loss_that_does_not_fall_over_the_first_samples_is_reported():
    _checks, reported = _checked(mlp_spec(), config(lr=1e-7))
    assert [m.check for m in reported] == ["not_falling"]
    assert reported[0].text.startswith("After 640 samples the loss has not fallen")
    assert "Find Learning Rate" in reported[0].text and "Can This Network Learn?" in reported[0].text


def test_nll_loss_without_log_softmax_is_named():
    checks, _ = _checked(mlp_spec(), config(lr=0.05, loss="NLLLoss"))
    assert [m.check for m in checks.messages][:1] == ["first_loss"]
    assert "LogSoftmax" in checks.messages[0].text


def test_a_resumed_run_is_not_checked(tmp_path):
    first = Trainer(mlp_spec(), config(lr=0.05, epochs=1), dataset=mnist_slice(1024)).fit()
    checks = SanityChecks()
    resumed = Trainer(
        mlp_spec(), config(lr=1e-7, epochs=2), [checks], dataset=mnist_slice(1024), resume=first.checkpoint
    ).fit()
    assert resumed.error is None and checks.messages == []


@pytest.mark.parametrize(
    ("first", "classes", "expected"),
    [(2.31, 10, None), (2.9, 10, None), (3.6, 10, "above"), (0.9, 10, "below"), (0.69, 2, None), (45.0, 2, "above")],
)
def test_the_first_loss_is_judged_against_ln_classes(first, classes, expected):
    message = first_loss_message(first, classes, "CrossEntropyLoss")
    assert (message is None) == (expected is None)
    if message is not None:
        assert f"far {expected} ln({classes})" in message.text


def test_the_mlp_preset_learns_one_batch():
    spec = load_preset()
    check = LearnCheck(spec, spec.training.replace(device="cpu"), dataset=mnist_slice())
    seen = []
    result = check.run(seen.append)
    assert result.verdict == Verdict.LEARNED and result.learned
    assert result.accuracy == 1.0 and result.final_loss < 0.1 * result.losses[0]
    assert result.samples == 64 and result.steps == 100 and len(seen) == 100
    assert result.describe().startswith("Yes: on one batch of 64 samples the loss fell from 2.3")


def test_a_rate_too_small_to_learn_fails_the_check():
    result = LearnCheck(mlp_spec(), config(lr=1e-8), dataset=mnist_slice()).run()
    assert result.verdict == Verdict.STUCK and not result.learned
    assert result.describe().startswith("No: on one batch of 32 samples the loss went only from 2.")


def test_a_network_of_dead_relus_fails_the_check_and_gets_its_weights_back():
    trainer = Trainer(mlp_spec(), config(lr=0.05), dataset=mnist_slice())
    with prepared(trainer):
        with torch.no_grad():
            trainer.model[1].bias.fill_(-1e4)  # every hidden ReLU is 0 for every input: no gradient reaches it
        dead = copy.deepcopy(trainer.model.state_dict())
        with restored(trainer):
            result = learn_one_batch(trainer)
        assert result.verdict == Verdict.STUCK and result.accuracy < 1.0
        after = trainer.model.state_dict()
        assert all(torch.equal(after[k], dead[k]) for k in dead)


def test_a_rate_far_too_high_is_named():
    result = LearnCheck(mlp_spec(), config(lr=5.0, momentum=0.9), dataset=mnist_slice()).run()
    assert result.verdict == Verdict.DIVERGED and "far too high" in result.describe()
    assert result.to_dict()["verdict"] == "diverged"


def test_a_network_with_dropout_of_one_cannot_learn():
    spec = mlp_spec()
    spec.layers.insert(3, LayerSpec("Dropout", {"p": 1.0}))
    result = LearnCheck(spec, config(lr=0.05), dataset=mnist_slice()).run()
    assert not result.learned


@pytest.mark.parametrize(
    ("losses", "final", "accuracy", "stopped", "verdict"),
    [
        ([2.3, 1.0, 0.1], 0.05, 1.0, False, Verdict.LEARNED),
        ([2.3, 1.5, 0.9], 0.8, 0.9, False, Verdict.SLOW),
        ([2.3, 2.2, 2.1], 2.0, 0.3, False, Verdict.STUCK),
        ([2.3, 50.0, 3.0], 2.2, 0.2, False, Verdict.DIVERGED),
        ([2.3, float("nan")], float("nan"), 0.1, False, Verdict.DIVERGED),
        ([2.3, 1.0], 0.9, 0.5, True, Verdict.STOPPED),
        ([1.0, 0.5, 0.05], 0.05, None, False, Verdict.LEARNED),  # regression: a tenth of the first
        ([1.0, 0.5, 0.3], 0.3, None, False, Verdict.SLOW),
        # NLLLoss on raw outputs: -10 is "more than 4 × -0.05", which is no blow-up
        ([-0.05, -1.0, -10.0], -20.0, 1.0, False, Verdict.BELOW_ZERO),
        ([0.2, -5.0, -float("inf")], -float("inf"), 0.1, False, Verdict.BELOW_ZERO),
    ],
)
def test_the_one_batch_verdict(losses, final, accuracy, stopped, verdict):
    assert verdict_of(losses, final, accuracy, stopped) == verdict


def test_nll_loss_on_raw_outputs_is_named_not_called_a_rate_too_high():
    result = LearnCheck(mlp_spec(), config(lr=0.05, loss="NLLLoss"), dataset=mnist_slice()).run()
    assert result.verdict == Verdict.BELOW_ZERO and not result.learned and min(result.losses) < 0
    assert result.describe().startswith("No: the loss went below 0: NLLLoss needs LogSoftmax before it")
    assert result.to_dict()["verdict"] == "below_zero"


@pytest.mark.parametrize("first", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_first_loss_that_is_not_a_number_is_said_so_not_called_a_leak(first):
    text = first_loss_message(first, 10, "CrossEntropyLoss").text
    assert text.startswith(f"The first loss was not a number ({first}): usually the inputs hold NaN or infinite")
    assert "ln(10)" not in text and "leak" not in text
