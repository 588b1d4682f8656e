"""Pen strokes: the skeleton, polylines and round pen the pen-style data is drawn with."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.core.digits.pen_glyphs import SYNTHETIC_LABELS, synthetic_glyph
from gui_app.core.digits.pen_strokes import (
    digit_strokes,
    render,
    sample_along,
    sample_in_time,
    simplify,
    skeletonise,
    trace,
    writing_order,
)
from gui_app.core.digits.pen_styles import PenStyle, pen_digit, pen_picture
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


def test_a_skeleton_is_written_from_its_top_end_in_one_continuing_path() -> None:
    # a 7 traced in pieces, in no order: the top stroke right to left, the stem bottom up
    stem = np.array([[12.0, 24.0], [16.0, 12.0], [18.0, 5.0]], dtype=np.float32)
    top = np.array([[18.0, 5.0], [6.0, 5.0]], dtype=np.float32)
    first, second = writing_order([stem, top])
    assert first[0].tolist() == [6.0, 5.0] and first[-1].tolist() == [18.0, 5.0]  # top-left end first
    assert second[0].tolist() == [18.0, 5.0] and second[-1].tolist() == [12.0, 24.0]  # entered at the pen


def test_a_tablet_keeps_evenly_spaced_points_of_the_path_pen_moves_included() -> None:
    stroke = np.array([[0.0, 0.0], [0.0, 10.0]], dtype=np.float32)
    bar = np.array([[10.0, 10.0], [10.0, 0.0]], dtype=np.float32)  # 10 away: the pen's move is part of the path
    (path,) = sample_along([stroke, bar], 7)
    assert len(path) == 7
    steps = np.hypot(*np.diff(path, axis=0).T)
    assert np.allclose(steps, 5.0, atol=1e-5)  # 30 units of path in 6 equal steps
    assert path[0].tolist() == [0.0, 0.0] and path[-1].tolist() == [10.0, 0.0]
    apart = sample_along([stroke, bar], 8, pen_up=False)
    assert [len(line) for line in apart] == [4, 4] and apart[1][0].tolist() == [10.0, 10.0]


def test_a_clocked_tablet_keeps_the_corner_and_the_pen_lifts() -> None:
    # an L: 20 down, a right-angled corner, 8 across; then a separate short bar
    ell = np.array([[0.0, 0.0], [0.0, 20.0], [8.0, 20.0]], dtype=np.float32)
    bar = np.array([[12.0, 5.0], [20.0, 5.0]], dtype=np.float32)
    recorded = sample_in_time([ell, bar], 16)
    assert len(recorded) == 2  # the recording knows the pen was lifted: nothing joins the strokes
    assert recorded[0][0].tolist() == [0.0, 0.0] and recorded[1][0].tolist() == [12.0, 5.0]
    assert 14 <= sum(len(line) for line in recorded) <= 18
    path = recorded[0]
    gaps = np.hypot(*np.diff(path, axis=0).T)
    at_corner = int(np.argmin(np.hypot(*(path - [0.0, 20.0]).T)))
    assert np.hypot(*(path[at_corner] - [0.0, 20.0])) < 1.0  # the pen slows there, so a report lands near it
    middle = path[:, 1] < 15  # the fast straight down-stroke: reports far apart
    assert gaps[middle[:-1]].max() > 2 * gaps[max(0, at_corner - 1) : at_corner + 1].min()


def test_a_clocked_tablet_records_a_dot_as_a_dot() -> None:
    dot = np.array([[3.0, 4.0], [3.0, 4.0]], dtype=np.float32)  # the pen put down and lifted
    recorded = sample_in_time([dot, dot[:1]], 12)
    assert [line.tolist() for line in recorded] == [[[3.0, 4.0]], [[3.0, 4.0]]]


def test_a_sampled_pen_digit_is_a_few_straight_segments() -> None:
    glyph = synthetic_glyph(3, np.random.default_rng(1))
    style = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0, wobble=(0.0, 0.0))
    (line,), size, pen = pen_digit(glyph, 3, np.random.default_rng(2), style)
    assert len(line) == 8
    picture = pen_picture([line], size, pen)
    assert 0.01 < (picture < 128).mean() < 0.3


def test_a_normalised_tablet_recording_stretches_a_thin_1_to_fill_its_box() -> None:
    # a slightly leaning upright stroke, five times as tall as it is wide
    one = [np.array([[10.0, 2.0], [11.0, 14.0], [12.0, 26.0]], dtype=np.float32)]
    still = {"rotation": 0.0, "shear": 0.0, "wobble": (0.0, 0.0), "wide": 0.0}
    for box, aspect in ((0.0, 1 / 12), (1.0, 1.0)):
        style = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0, box=box, **still)
        placed, _size, _pen = pen_digit(one, 1, np.random.default_rng(4), style, variants=False)
        width, height = np.ptp(np.concatenate(placed), axis=0)
        assert width / height == pytest.approx(aspect, rel=0.1)


@pytest.mark.parametrize("stroke", [[(10.0, 2.0), (10.0, 26.0)], [(2.0, 14.0), (26.0, 14.0)]], ids=["upright", "flat"])
def test_a_straight_stroke_stretched_to_its_box_stays_a_line_in_the_picture(stroke) -> None:
    # no width (or no height) to stretch: the stroke stays a line, drawn, with no NaN or inf
    style = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0, box=1.0, rotation=0.0, shear=0.0, wobble=(0.0, 0.0))
    placed, size, pen = pen_digit(
        [np.array(stroke, dtype=np.float32)], 1, np.random.default_rng(5), style, variants=False
    )
    points = np.concatenate(placed)
    assert np.isfinite(points).all()
    assert (points >= 0).all() and (points[:, 0] <= size[1]).all() and (points[:, 1] <= size[0]).all()
    assert np.ptp(points, axis=0).min() < 1e-3  # still one straight line
    assert 0.005 < (pen_picture(placed, size, pen) < 128).mean() < 0.2


def test_the_committed_tablet_box_part_is_square_recordings_of_eight_points() -> None:
    part = [d for d in load_pen_set(PEN_SET) if d.source == "tablet-box"]
    assert len(part) == 1500 and sorted({d.label for d in part}) == list(range(10))
    for digit in part:
        (line,) = digit.lines  # the whole path joined, pen moves included
        assert len(line) == 8 and digit.size[0] == digit.size[1]
        width, height = np.ptp(line, axis=0)
        assert 0.85 < width / height < 1.15


def test_at_a_junction_the_pen_goes_straight_on_and_lifts_for_the_next_stroke() -> None:
    # an open 4 traced in pieces that meet where the bar crosses the stem (at x 14, y 16)
    arm = np.array([[4.0, 4.0], [4.0, 10.0], [4.0, 16.0], [9.0, 16.0], [14.0, 16.0]], dtype=np.float32)
    bar_end = np.array([[14.0, 16.0], [17.0, 16.0], [20.0, 16.0]], dtype=np.float32)
    stem_top = np.array([[14.0, 16.0], [14.0, 10.0], [14.0, 4.0]], dtype=np.float32)
    stem_foot = np.array([[14.0, 16.0], [14.0, 20.0], [14.0, 24.0]], dtype=np.float32)
    order = writing_order([stem_foot, stem_top, bar_end, arm])
    assert [line[0].tolist() for line in order] == [[4.0, 4.0], [14.0, 16.0], [14.0, 4.0], [14.0, 16.0]]
    assert order[1][-1].tolist() == [20.0, 16.0]  # along the bar, not up or down the stem
    assert order[3][-1].tolist() == [14.0, 24.0]  # the stem from its top, straight down through the bar


@pytest.mark.parametrize("label", SYNTHETIC_LABELS)
def test_a_digit_from_scratch_is_written_from_its_upper_half(label: int) -> None:
    # writers start a digit at its top; a stroke traced backwards (a 6 from its loop, a 9 from its
    # tail) would put a tablet's pen moves where no writer makes them
    rng = np.random.default_rng(label)
    for _ in range(50):
        glyph = synthetic_glyph(label, rng)
        ys = np.concatenate(glyph)[:, 1]
        assert glyph[0][0, 1] < 0.5 * (ys.min() + ys.max())


def test_a_flagged_one_reaches_no_further_left_than_a_seven_top() -> None:
    rng = np.random.default_rng(0)
    ones = [synthetic_glyph(1, rng)[0] for _ in range(300)]
    reach = np.array([stroke[:, 0].max() - stroke[:, 0].min() for stroke in ones])
    assert reach.max() <= 0.42 + 0.04 + 1e-6 and (reach > 0.35).any()  # flag, plus the stem's lean
    sevens = [synthetic_glyph(7, rng)[0] for _ in range(300)]
    assert min(float(s[:, 0].max() - s[:, 0].min()) for s in sevens) >= 0.45


def test_there_is_no_glyph_for_a_non_digit() -> None:
    with pytest.raises(ValueError, match="no synthetic glyph for 10"):
        synthetic_glyph(10, np.random.default_rng(0))
