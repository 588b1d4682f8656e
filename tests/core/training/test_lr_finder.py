"""The learning-rate finder: a real sweep on the MLP preset, the rate it suggests, and what it leaves behind."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from gui_app.core.project.presets import load_preset
from gui_app.core.training.lr_finder import LRFinder, LRFinderSettings, LRPoint, SweepEnd, suggest, sweep
from gui_app.core.training.optimisation import ConfigError
from gui_app.core.training.probing import ProbeError, batches, prepared, restored
from gui_app.core.training.trainer import Trainer
from tests.core.training_fixtures import config, mlp_spec, mnist_slice


def _one_epoch_accuracy(spec, cfg) -> float:
    result = Trainer(spec, cfg, download=False).fit()
    assert result.error is None
    return result.history[-1].val_accuracy


def test_the_suggested_rate_trains_the_mlp_preset_at_least_as_well_as_its_own():
    """The MLP preset on the bundled MNIST sample: one epoch at the suggestion vs at the preset's 0.01."""
    spec = load_preset()
    cfg = spec.training.replace(device="cpu", epochs=1)
    result = LRFinder(spec, cfg, download=False).run()
    assert result.suggested_lr is not None, result.note
    assert result.points[0].lr == pytest.approx(1e-7) and result.suggested_lr != cfg.lr
    own = _one_epoch_accuracy(spec, cfg)
    suggested = _one_epoch_accuracy(spec, cfg.replace(lr=result.suggested_lr))
    print(f"preset lr {cfg.lr}: {own:.2%}; suggested lr {result.suggested_lr}: {suggested:.2%}")
    assert suggested >= own, f"lr {result.suggested_lr}: {suggested:.2%} < lr {cfg.lr}: {own:.2%}"


def test_the_weights_and_the_optimiser_state_are_as_before_the_sweep():
    trainer = Trainer(mlp_spec(), config(optimizer="Adam", lr=1e-3), dataset=mnist_slice())
    with prepared(trainer):
        for x, target, _labels in batches(trainer, 3):  # an optimiser with state to keep
            trainer.train_step(x, target)
        weights = copy.deepcopy(trainer.model.state_dict())
        optimiser = copy.deepcopy(trainer.optimizer.state_dict())
        random_state = torch.get_rng_state()
        with restored(trainer):
            result = sweep(trainer, LRFinderSettings(steps=30), lambda _step: None)
            moved = not torch.equal(trainer.model.state_dict()["1.weight"], weights["1.weight"])
        assert moved and len(result.points) >= 10  # the sweep did train the network
        after = trainer.model.state_dict()
        assert after.keys() == weights.keys()
        assert all(torch.equal(after[k], weights[k]) for k in weights)
        state = trainer.optimizer.state_dict()
        assert state["param_groups"] == optimiser["param_groups"]  # the rate is 1e-3 again
        for key, values in optimiser["state"].items():
            assert all(torch.equal(state["state"][key][name], value) for name, value in values.items())
        assert torch.equal(torch.get_rng_state(), random_state)


def test_a_run_after_the_finder_trains_exactly_as_one_without_it():
    spec, cfg, data = mlp_spec(), config(lr=0.05), mnist_slice()
    alone = Trainer(spec, cfg, dataset=data).fit()
    LRFinder(spec, cfg, dataset=data).run()
    after = Trainer(spec, cfg, dataset=data).fit()
    assert after.history[-1].val_loss == alone.history[-1].val_loss
    assert all(torch.equal(after.model.state_dict[k], alone.model.state_dict[k]) for k in alone.model.state_dict)


def test_the_sweep_stops_when_the_loss_diverges_and_the_rates_grow_by_one_factor():
    result = LRFinder(mlp_spec(), config(lr=0.01, momentum=0.9), dataset=mnist_slice()).run()
    assert result.ended == SweepEnd.DIVERGED
    assert 10 <= len(result.points) < 100
    lowest = min(p.smoothed for p in result.points)
    assert result.points[-1].smoothed > 4 * lowest  # the step that crossed the line is the last
    assert all(p.smoothed <= 4 * lowest for p in result.points[:-1]) or not math.isfinite(result.points[-1].loss)
    ratios = {round(b.lr / a.lr, 9) for a, b in zip(result.points, result.points[1:], strict=False)}
    assert len(ratios) == 1 and ratios.pop() == pytest.approx((10 / 1e-7) ** (1 / 99))


def test_a_sweep_of_rates_too_small_to_lower_the_loss_suggests_nothing():
    settings = LRFinderSettings(start_lr=1e-8, end_lr=1e-7, steps=20)
    result = LRFinder(mlp_spec(), config(), dataset=mnist_slice(), settings=settings).run()
    assert result.ended == SweepEnd.COMPLETED and len(result.points) == 20
    assert result.suggested_lr is None and "did not fall" in result.note and "Can This Network Learn?" in result.note


def test_stop_ends_the_sweep_before_its_next_step_and_keeps_its_points():
    finder = LRFinder(mlp_spec(), config(), dataset=mnist_slice())
    seen = []

    def progress(step):
        seen.append(step)
        if step.step == 12:
            finder.stop()  # as the dialog's Cancel does, from another thread

    result = finder.run(progress)
    assert result.ended == SweepEnd.STOPPED and len(result.points) == 12 == len(seen)
    assert [s.step for s in seen] == list(range(1, 13)) and all(s.steps == 100 for s in seen)
    assert seen[-1].point == result.points[-1]


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"start_lr": 1.0, "end_lr": 0.1}, "0 < start rate < end rate"),
        ({"start_lr": 0.0}, "0 < start rate < end rate"),
        ({"end_lr": math.inf}, "0 < start rate < end rate"),
        ({"steps": 3}, "10 to 100000 steps"),
        ({"smoothing": 1.0}, "smoothing"),
        ({"divergence": 1.0}, "divergence"),
    ],
)
def test_impossible_sweep_settings_are_refused_saying_why(settings, words):
    with pytest.raises(ConfigError) as error:
        LRFinderSettings(**settings)
    assert words in str(error.value)


def _curve(losses: list[float]) -> tuple[LRPoint, ...]:
    return tuple(LRPoint(10.0 ** (i - 5), loss, loss) for i, loss in enumerate(losses))


def test_the_rule_suggests_a_tenth_of_the_rate_of_the_lowest_smoothed_loss():
    losses = [2.3] * 4 + [2.2, 2.0, 1.5, 1.0, 0.8, 1.2, 3.0, 9.0]  # lowest at 10**3
    suggested, min_lr, note = suggest(_curve(losses))
    assert min_lr == 1000.0 and suggested == 10.0  # a tenth is 100, past the settings' largest rate
    assert "a tenth of 1e+03" in note
    suggested, min_lr, _ = suggest(_curve([2.3, 2.3, 2.2, 2.0, 1.7, 1.2, 1.5, 2.5, 4.0, 8.0]))
    assert min_lr == pytest.approx(1.0) and suggested == pytest.approx(0.1)


def test_the_rule_suggests_nothing_for_a_flat_curve_or_a_short_one():
    assert suggest(_curve([2.3] * 20))[0] is None
    assert suggest(_curve([2.3, 1.0, 0.5]))[0] is None
    assert "too few" in suggest(_curve([2.3, 1.0, 0.5]))[2]


def test_a_network_that_does_not_fit_the_data_is_refused_in_one_line():
    with pytest.raises(ProbeError) as error:
        LRFinder(mlp_spec(outputs=5), config(), dataset=mnist_slice()).run()
    assert "10 classes" in str(error.value) and "\n" not in str(error.value)


def test_an_unexpected_failure_ends_the_check_with_one_line_and_lets_go_of_the_network(monkeypatch, capsys):
    def fails(self, x, target):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied\nsecond line")

    monkeypatch.setattr(Trainer, "train_step", fails)
    finder = LRFinder(mlp_spec(), config(), dataset=mnist_slice())
    with pytest.raises(ProbeError) as error:
        finder.run()
    assert str(error.value) == "the check failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied"
    assert finder.trainer.model is None and finder.trainer.data is None  # released, as after a run
    assert "Traceback" in capsys.readouterr().err  # for a bug report, as fit() does


def test_a_loss_below_zero_ends_the_sweep_saying_nllloss_needs_logsoftmax():
    # The network ends with Linear: NLLLoss of raw outputs falls below 0 and on without bound.
    result = LRFinder(mlp_spec(), config(loss="NLLLoss"), dataset=mnist_slice()).run()
    assert result.ended == SweepEnd.BELOW_ZERO and result.suggested_lr is None
    assert result.note == "the loss went below 0: NLLLoss needs LogSoftmax before it (or use CrossEntropyLoss)"
    assert result.points[-1].loss < 0 and all(p.loss >= 0 for p in result.points[:-1])
