"""scripts/evaluate_tablet_styles.py: the 8-point measures docs/digit-model.md compares models by."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gui_app.core.digits.reader import bundled_model_path
from scripts import evaluate_tablet_styles


def test_the_script_reports_every_measure_for_the_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    # without MNIST (not in a fresh clone): the hand-made glyphs and the drawn 1s and 6s
    assert evaluate_tablet_styles.main([str(bundled_model_path()), "--per-digit", "0", "--clocked"]) == 0
    out = capsys.readouterr().out
    shares = {name: float(share) / 100 for name, share in re.findall(r"^  (\S.*?)\s{2,}([\d.]+)% of", out, re.M)}
    assert set(shares) == {"8 points", "flag grid", "glyph 1s", "narrow", "wide", "small-loop 6s"} | {
        "clocked 10-16",
        "clocked 17-30",
    }
    # the hand-made glyphs at a tablet's 8 points: the bundled model reads nearly all (step 1: 90%)
    assert shares["8 points"] >= 0.98, out
    # and recorded in time, strokes apart, where even step 1 reads them all: no pen's move to mislead
    assert min(shares["clocked 10-16"], shares["clocked 17-30"]) >= 0.98, out
    assert "per digit" in out


def test_leaving_mnist_out_draws_every_other_picture_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # MNIST's test split is not in a fresh clone: two hand-made glyphs stand in for its digits
    monkeypatch.setattr(evaluate_tablet_styles, "mnist_digits", lambda _dir, n: evaluate_tablet_styles.hand_made(1)[:n])
    with_mnist = evaluate_tablet_styles.measures(None, per_digit=2)
    without = evaluate_tablet_styles.measures(None, per_digit=0)
    assert with_mnist.keys() == without.keys()
    labels, pictures = with_mnist["8 points"]
    with_mnist["8 points"] = labels[2:], pictures[2:]  # the stand-ins come first, then the glyphs
    for name, (labels, pictures) in with_mnist.items():
        labels_without, pictures_without = without[name]
        assert labels == labels_without and len(pictures) == len(pictures_without), name
        assert all(map(np.array_equal, pictures, pictures_without)), name


def test_paired_counts_the_pictures_only_one_model_reads_right() -> None:
    labels = [1, 1, 1, 7, 7, 4]
    first = [1, 7, 1, 7, 2, 4]  # misreads the second 1 and the second 7
    other = [1, 1, None, 2, 7, 4]  # refuses the third 1, misreads the first 7
    assert evaluate_tablet_styles.paired(labels, first, other) == (
        "right only with the first 2, only with this 2, z +0.00"
    )
    better = [1, 1, 1, 7, 7, 4]
    assert evaluate_tablet_styles.paired(labels, first, better).endswith("only with this 2, z +1.41")
    assert evaluate_tablet_styles.paired(labels, better, first).endswith("only with this 0, z -1.41")
    assert evaluate_tablet_styles.paired(labels, first, first).endswith("z +0.00")  # no split: no evidence either way


def test_the_pen_set_parts_hold_the_whole_pen_style_set() -> None:
    parts = evaluate_tablet_styles.pen_set_measures()
    assert {name: len(labels) for name, (labels, _pics) in parts.items()} == {
        "pen set pen strokes": 2000,
        "pen set tablet": 1500,
        "pen set tablet-box": 1500,
    }
    labels, pics = parts["pen set tablet"]
    assert len(pics) == len(labels) and pics[0].dtype == np.uint8 and pics[0].ndim == 2


def test_two_models_are_compared_picture_by_picture(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    few = evaluate_tablet_styles._drawn(
        1, lambda _rng: evaluate_tablet_styles.hand_made(1), evaluate_tablet_styles.EIGHT_POINTS
    )
    monkeypatch.setattr(evaluate_tablet_styles, "measures", lambda _dir, _n: {"8 points": few})
    model = str(bundled_model_path())
    assert evaluate_tablet_styles.main([model, model, "--per-digit", "0"]) == 0
    out = capsys.readouterr().out
    assert f"{model} against {model}" in out
    # one model against itself: every picture read the same, so neither reads any right alone
    assert re.search(r"^  8 points\s+right only with the first 0, only with this 0, z \+0\.00$", out, re.M), out
