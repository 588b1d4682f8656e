"""scripts/evaluate_tablet_styles.py: the 8-point measures docs/digit-model.md compares models by."""

from __future__ import annotations

import re

import pytest

from gui_app.core.digits.reader import bundled_model_path
from scripts import evaluate_tablet_styles


def test_the_script_reports_every_measure_for_the_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    # without MNIST (not in a fresh clone): the hand-made glyphs and the drawn 1s and 6s
    assert evaluate_tablet_styles.main([str(bundled_model_path()), "--per-digit", "0"]) == 0
    out = capsys.readouterr().out
    shares = {name: float(share) / 100 for name, share in re.findall(r"^  (\S.*?)\s{2,}([\d.]+)% of", out, re.M)}
    assert set(shares) == {"8 points", "flag grid", "glyph 1s", "narrow", "wide", "small-loop 6s"}
    # the hand-made glyphs at a tablet's 8 points: the bundled model reads all of them
    assert shares["8 points"] >= 0.98, out
    assert "per digit" in out
