"""Pen strokes: the skeleton, polylines and round pen the pen-style data is drawn with."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.core.digits.pen_strokes import digit_strokes, render, simplify, skeletonise, trace
from gui_app.core.digits.pen_styles import SYNTHETIC_LABELS, PenStyle, pen_digit, pen_picture, synthetic_glyph
from scripts.make_pen_test_set import GLYPH_SEED, glyph_digits
from tests.data.handwriting.pen_digits import PEN_SET, load_pen_set


def test_a_thick_bar_thins_to_one_line_down_its_middle() -> None:
    bar = np.zeros((1, 40, 30), dtype=bool)
    bar[0, 5:35, 10:17] = True  # 7 px wide, centre column 13
    skeleton = skeletonise(bar)[0]
    rows, cols = np.nonzero(skeleton)
    assert set(cols.tolist()) <= {12, 13, 14}
    assert rows.max() - rows.min() >= 22  # nearly the bar's length, less its round ends
    lines = trace(skeleton)
    assert len(lines) == 1 and len(lines[0]) == len(rows)


def test_a_ring_traces_as_one_closed_line_and_simplifies_to_a_polygon() -> None:
    ys, xs = np.mgrid[0:40, 0:40]
    radius = np.hypot(ys - 19.5, xs - 19.5)
    ring = ((radius > 12) & (radius < 16))[None]
    lines = trace(skeletonise(ring)[0])
    assert len(lines) == 1
    line = lines[0]
    assert np.abs(np.hypot(line[:, 0] - 19.5, line[:, 1] - 19.5) - 14).max() < 1.5
    polygon = simplify(line, 0.8)
    assert 6 <= len(polygon) < len(line) / 4
    # every skeleton point stays within the tolerance of the polygon's edges
    edges = np.stack([polygon[:-1], polygon[1:]], 1)
    a, b = edges[:, 0][None], edges[:, 1][None]
    t = np.clip(((line[:, None] - a) * (b - a)).sum(-1) / ((b - a) ** 2).sum(-1), 0, 1)
    distance = np.hypot(*(line[:, None] - (a + t[..., None] * (b - a))).transpose(2, 0, 1)).min(1)
    assert distance.max() <= 0.8 + 1e-5


def test_the_pen_is_as_wide_as_asked_and_round_at_the_ends() -> None:
    ink = render([np.array([[20.0, 50.0], [80.0, 50.0]], dtype=np.float32)], (100, 100), pen=10)
    assert ink[:, 50].sum() == pytest.approx(10, abs=0.6)  # across the stroke
    assert ink[50, :].sum() == pytest.approx(60 + 10, abs=1.0)  # along it, with a half-pen cap at each end
    assert ink.max() == 1 and ink[0].max() == 0


def test_an_mnist_like_digit_becomes_strokes_in_its_own_coordinates() -> None:
    image = np.zeros((1, 28, 28), dtype=np.float32)
    image[0, 4:24, 13:16] = 1.0  # a 1: a 3 px upright
    (lines,) = digit_strokes(image)
    points = np.concatenate(lines)
    assert np.abs(points[:, 0] - 14).max() < 1.0
    assert points[:, 1].min() < 6 and points[:, 1].max() > 21


@pytest.mark.parametrize("label", SYNTHETIC_LABELS)
def test_pen_pictures_are_dark_strokes_on_white_of_the_chosen_width(label: int) -> None:
    style = PenStyle()
    glyph = synthetic_glyph(label, np.random.default_rng(label))
    lines, size, pen = pen_digit(glyph, label, np.random.default_rng(0), style)
    picture = pen_picture(lines, size, pen)
    assert picture.shape == size and picture.dtype == np.uint8
    assert style.side[0] <= min(size) <= style.side[1]
    assert style.pen[0] * min(size) <= pen <= style.pen[1] * min(size)
    assert picture[0].min() == 255 and picture[:, 0].min() == 255  # the digit stays inside
    assert 0.01 < (picture < 128).mean() < 0.3


def test_the_same_seed_draws_the_same_digit() -> None:
    glyph = synthetic_glyph(4, np.random.default_rng(3))
    first = pen_digit(glyph, 4, np.random.default_rng(9), PenStyle())
    again = pen_digit(glyph, 4, np.random.default_rng(9), PenStyle())
    assert np.array_equal(pen_picture(*first), pen_picture(*again))


def test_the_committed_pen_set_is_what_the_script_makes() -> None:
    # the hand-made glyphs' half needs no MNIST: make it again and compare, point for point
    committed = [d for d in load_pen_set(PEN_SET) if d.source == "glyphs"]
    made = glyph_digits(20, np.random.default_rng(GLYPH_SEED))
    assert len(committed) == len(made) == 500
    for old, new in zip(committed, made, strict=True):
        assert (old.label, old.size) == (new.label, new.size) and old.pen == pytest.approx(new.pen)
        for a, b in zip(old.lines, new.lines, strict=True):
            assert np.abs(a - b).max() <= 0.051  # stored to a tenth of a pixel
    assert PEN_SET.stat().st_size < 1_000_000
    assert sorted({d.label for d in load_pen_set(PEN_SET)}) == list(range(10))
