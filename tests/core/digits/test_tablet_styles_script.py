"""scripts/evaluate_tablet_styles.py: the 8-point measures docs/digit-model.md compares models by."""

from __future__ import annotations

import re

import numpy as np
import pytest

from gui_app.core.digits.reader import bundled_model_path
from scripts import evaluate_tablet_styles


def test_the_script_reports_every_measure_for_the_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    # without MNIST (not in a fresh clone): the hand-made glyphs and the drawn 1s and 6s
    assert evaluate_tablet_styles.main([str(bundled_model_path()), "--per-digit", "0"]) == 0
    out = capsys.readouterr().out
    shares = {name: float(share) / 100 for name, share in re.findall(r"^  (\S.*?)\s{2,}([\d.]+)% of", out, re.M)}
    assert set(shares) == {"8 points", "flag grid", "glyph 1s", "narrow", "wide", "small-loop 6s"}
    # the hand-made glyphs at a tablet's 8 points: the bundled model reads nearly all (step 1: 90%)
    assert shares["8 points"] >= 0.98, out
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
