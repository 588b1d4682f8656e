"""Read digits as a tablet that keeps 8 points records them, with one or more digit models, side by side.

The issue's held-out set (3,498 digits by 14 writers, the size of UCI's pen-based digits test
set, whose recordings keep 8 evenly spaced points of each digit's path) is not in the project.
These are the measures docs/digit-model.md compares models by at that tablet's 8 joined points,
aspect kept, each a seeded draw (so that they can be made again) of pictures the training never
saw, though the glyph 1s are new draws of the training's own glyphs:

- ``8 points``: 400 MNIST test digits of each class (after the 350 the pen-style test set uses)
  redrawn as pen strokes, and 40 copies of each hand-made glyph (tests/data/handwriting);
- ``flag grid``: 1s with a flag 20-70° from the vertical and 20-60% of the height (30 cells,
  30 pictures each), read as 1: the long flat flags are a 7's top;
- ``glyph 1s``: 300 of the training's own 1 glyphs (``pen_glyphs``), a quarter in a wide picture;
- ``narrow`` and ``wide``: the hand-made glyphs at half and 1.4 times their width;
- ``small-loop 6s``: 6s whose loop is a fifth to a quarter of the height;
- with ``--pen-set``, the project's pen-style test set too, by part;
- with ``--clocked``, MNIST's digits and the glyphs as a tablet that reports the pen's place at
  fixed time intervals records them, strokes apart (10-16 and 17-30 reports a digit).

Given two or more models, it also compares each with the first picture by picture: how many
each reads right that the first does not, and whether that difference is beyond chance (a
paired sign test's z; two runs of one recipe differ by the noise this shows).

    .venv/bin/python scripts/evaluate_tablet_styles.py resources/models/mnist_cnn.pt other.pt
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gui_app.core.digits.pen_glyphs import synthetic_glyph  # noqa: E402
from gui_app.core.digits.pen_strokes import Polyline  # noqa: E402
from gui_app.core.digits.pen_styles import PenStyle, ellipse_arc, pen_digit, pen_picture, polyline  # noqa: E402
from gui_app.core.digits.reader import DigitReader  # noqa: E402
from scripts.make_pen_test_set import USED_PER_DIGIT, mnist_test_split, mnist_test_strokes  # noqa: E402
from tests.data.handwriting.pen_digits import PARTS, load_pen_set, part_of  # noqa: E402
from tests.data.handwriting.pen_digits import pictures as pen_set_pictures  # noqa: E402
from tests.data.handwriting.stroke_digits import GLYPHS  # noqa: E402

#: A tablet that keeps 8 evenly spaced points of the whole path, the pen's moves drawn; square pictures.
EIGHT_POINTS = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0, wide=0.0)
#: The same with a quarter of the pictures wide and the writing stretched to fill them, as in training.
EIGHT_POINTS_WIDE = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0)
#: A tablet that reports the pen's place at fixed time intervals, strokes apart (UCI's recorded every
#: 100 ms before its 8 points were resampled): corners kept, fast straight strokes cut short.
CLOCKED = {
    "clocked 10-16": PenStyle(sampled=1.0, points=(10, 16), timed=1.0, wide=0.0),
    "clocked 17-30": PenStyle(sampled=1.0, points=(17, 30), timed=1.0, wide=0.0),
}
SEED = 3141

Digit = tuple[int, list[Polyline]]  # a label and its strokes, in the glyphs' 0.6 × 1 box or MNIST's pixels


def hand_made(copies: int, squeeze: float = 1.0) -> list[Digit]:
    """Each hand-made glyph ``copies`` times, its x scaled by ``squeeze``."""
    scale = np.array([squeeze, 1.0], dtype=np.float32)
    glyphs = [(label, [np.array(s, dtype=np.float32) * scale for s in strokes]) for label, strokes in GLYPHS.values()]
    return [glyph for glyph in glyphs for _ in range(copies)]


def mnist_digits(data_dir: Path | None, per_digit: int) -> list[Digit]:
    """``per_digit`` MNIST test digits of each class not in the pen-style test set, as pen strokes."""
    split = mnist_test_split(data_dir)
    if min(np.bincount(split[1], minlength=10)) < USED_PER_DIGIT + per_digit:  # the parts are split by count
        raise SystemExit(f"--per-digit {per_digit}: MNIST's test split has too few of a digit after {USED_PER_DIGIT}")
    return mnist_test_strokes(split, per_digit, USED_PER_DIGIT)


def flagged_ones(
    tries: int,
    rng: np.random.Generator,
    angles: tuple[float, ...] = (20, 30, 40, 50, 60, 70),
    lengths: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5, 0.6),
) -> list[Digit]:
    """1s with a straight flag up to the top of the stem, ``tries`` of each angle (degrees from
    the vertical) and length (share of the height); the stem's foot a little left or right."""
    ones = []
    for angle, length in itertools.product(np.radians(angles), lengths):
        flag = (0.3 - length * np.sin(angle), length * np.cos(angle))
        ones += [(1, [polyline(flag, (0.3, 0.0), (0.3 + rng.uniform(-0.05, 0.05), 1.0))]) for _ in range(tries)]
    return ones


def small_loop_sixes(copies: int) -> list[Digit]:
    """6s down a straight or curved stem into a loop 0.2-0.26 of the height across, nearly closed."""
    sixes = []
    for radius, width, curved in itertools.product((0.1, 0.13), (0.8, 1.1), (False, True)):
        centre = 1.0 - radius
        if curved:
            stem = ellipse_arc(0.3 + radius * width, centre, 2 * radius * width, centre, -90, -180, 10)
        else:
            stem = polyline((0.45, 0.0), (0.3 - radius, centre))
        loop = ellipse_arc(0.3, centre, radius * width, radius, 180, -170, 16)
        sixes.append((6, [np.concatenate([stem, loop[1:]])]))
    return [six for six in sixes for _ in range(copies)]


def pictures(digits: list[Digit], style: PenStyle, rng: np.random.Generator) -> list[np.ndarray]:
    """Each digit as a black-on-white picture, recorded as ``style`` says (no added flags or bars)."""
    return [pen_picture(*pen_digit(lines, label, rng, style, variants=False)) for label, lines in digits]


def measures(data_dir: Path | None, per_digit: int = 400) -> dict[str, tuple[list[int], list[np.ndarray]]]:
    """Every measure's labels and pictures, drawn once (seeded) and read by every model.

    ``per_digit=0`` leaves MNIST out (the other measures need nothing outside the project). Each
    measure, and each part of the 8-point set, draws from a generator of its own, so leaving MNIST
    out (or changing one measure) draws every other picture exactly as before.
    """
    mnist = _drawn(0, lambda _rng: mnist_digits(data_dir, per_digit) if per_digit else [], EIGHT_POINTS)
    glyphs = _drawn(1, lambda _rng: hand_made(40), EIGHT_POINTS)
    return {
        "8 points": (mnist[0] + glyphs[0], mnist[1] + glyphs[1]),
        "flag grid": _drawn(2, lambda rng: flagged_ones(30, rng), EIGHT_POINTS),
        "glyph 1s": _drawn(3, lambda rng: [(1, synthetic_glyph(1, rng)) for _ in range(300)], EIGHT_POINTS_WIDE),
        "narrow": _drawn(4, lambda _rng: hand_made(12, 0.5), EIGHT_POINTS),
        "wide": _drawn(5, lambda _rng: hand_made(12, 1.4), EIGHT_POINTS),
        "small-loop 6s": _drawn(6, lambda _rng: small_loop_sixes(30), EIGHT_POINTS),
    }


def clocked_measures(data_dir: Path | None, per_digit: int = 100) -> dict[str, tuple[list[int], list[np.ndarray]]]:
    """MNIST's digits (the first ``per_digit`` of the 8-point set's) and 20 copies of each glyph, clocked."""
    drawn = {}
    for stream, (name, style) in enumerate(CLOCKED.items(), start=7):
        mnist = _drawn(stream, lambda _rng: mnist_digits(data_dir, per_digit) if per_digit else [], style)
        glyphs = _drawn(stream + 10, lambda _rng: hand_made(20), style)
        drawn[name] = (mnist[0] + glyphs[0], mnist[1] + glyphs[1])
    return drawn


def pen_set_measures() -> dict[str, tuple[list[int], list[np.ndarray]]]:
    """The pen-style test set's parts (tests/data/handwriting/pen_digits.npz), as the tests read them."""
    digits = load_pen_set()
    parts: dict[str, tuple[list[int], list[np.ndarray]]] = {f"pen set {part}": ([], []) for part in PARTS}
    for digit, picture in zip(digits, pen_set_pictures(digits), strict=True):
        labels, pics = parts[f"pen set {part_of(digit.source)}"]
        labels.append(digit.label)
        pics.append(picture)
    return parts


def _drawn(
    stream: int, make: Callable[[np.random.Generator], list[Digit]], style: PenStyle
) -> tuple[list[int], list[np.ndarray]]:
    """The labels and pictures of the digits ``make`` gives, drawn from generator ``stream`` of SEED."""
    rng = np.random.default_rng((SEED, stream))
    digits = make(rng)
    return [label for label, _ in digits], pictures(digits, style, rng)


Reading = int | None  # the digit read, or None where the reader answered "not a digit"


def read_all(reader: DigitReader, pictures: list[np.ndarray]) -> list[Reading]:
    """What ``reader`` reads in each picture, once: every figure of a measure comes from this."""
    return [p.answer if p is not None else None for p in reader.read_many(pictures)]


def report(labels: list[int], read: list[Reading]) -> str:
    """The share read right (a refusal counts as wrong), then the commonest misreadings."""
    wrong = collections.Counter((label, got) for label, got in zip(labels, read, strict=True) if got != label)
    right = 1 - sum(wrong.values()) / len(labels)
    mistakes = ", ".join(f"{label}→{'-' if got is None else got} {n}" for (label, got), n in wrong.most_common(5))
    return f"{right:.2%} of {len(labels)}" + (f"  ({mistakes})" if mistakes else "")


def per_digit(labels: list[int], read: list[Reading]) -> str:
    """Each class's share read right."""
    right: dict[int, list[bool]] = collections.defaultdict(list)
    for label, got in zip(labels, read, strict=True):
        right[label].append(got == label)
    return " ".join(f"{d}: {np.mean(oks):.1%}" for d, oks in sorted(right.items()))


def paired(labels: list[int], base: list[Reading], other: list[Reading]) -> str:
    """How many pictures only ``base`` reads right and only ``other`` does, and the sign test's z.

    The pictures both read right or both wrong say nothing about which model is better; of the
    rest, each would fall either way with even odds if the two were equally good.
    """
    only_base = sum(b == label != o for label, b, o in zip(labels, base, other, strict=True))
    only_other = sum(o == label != b for label, b, o in zip(labels, base, other, strict=True))
    split = only_base + only_other
    z = (only_other - only_base) / np.sqrt(split) if split else 0.0
    return f"right only with the first {only_base}, only with this {only_other}, z {z:+.2f}"


Readings = dict[str, list[Reading]]  # what one model read in each measure's pictures


def print_model(
    reader: DigitReader, drawn: dict[str, tuple[list[int], list[np.ndarray]]], mnist_counts: dict[str, int]
) -> Readings:
    """Every measure for one model; those in ``mnist_counts`` also by their MNIST part, glyphs and digit."""
    readings: Readings = {}
    for name, (labels, pics) in drawn.items():
        read = readings[name] = read_all(reader, pics)
        print(f"  {name:20s} {report(labels, read)}")
        if name not in mnist_counts:
            continue
        mnist_count = mnist_counts[name]
        if mnist_count:
            print(f"    {'MNIST':12s} {report(labels[:mnist_count], read[:mnist_count])}")
            print(f"    {'glyphs':12s} {report(labels[mnist_count:], read[mnist_count:])}")
        print(f"    {'per digit':12s} {per_digit(labels, read)}")
    return readings


def print_pairs(
    paths: list[Path], drawn: dict[str, tuple[list[int], list[np.ndarray]]], readings: list[Readings]
) -> None:
    """Each model after the first, against it, measure by measure."""
    for path, read in zip(paths[1:], readings[1:], strict=True):
        print(f"{path} against {paths[0]}")
        for name, (labels, _pics) in drawn.items():
            print(f"  {name:20s} {paired(labels, readings[0][name], read[name])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", type=Path, nargs="+", help="digit model files (TrainedModel)")
    parser.add_argument("--data-dir", type=Path, default=None, help="where MNIST's test split is")
    parser.add_argument("--per-digit", type=int, default=400, help="MNIST test digits of each class (0: none)")
    parser.add_argument("--pen-set", action="store_true", help="also read the pen-style test set, by part")
    parser.add_argument("--clocked", action="store_true", help="also read MNIST and the glyphs recorded in time")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    args = parser.parse_args(argv)
    if args.threads:  # only when asked: a test calls main() in the suite's own process
        torch.set_num_threads(args.threads)
    drawn = measures(args.data_dir, args.per_digit) | (pen_set_measures() if args.pen_set else {})
    counts = {"8 points": 10 * args.per_digit}
    if args.clocked:
        clocked_per_digit = min(100, args.per_digit)
        drawn |= clocked_measures(args.data_dir, clocked_per_digit)
        counts |= dict.fromkeys(CLOCKED, 10 * clocked_per_digit)
    readings = []
    for path in args.models:
        print(path)
        readings.append(print_model(DigitReader.from_file(path), drawn, counts))
    print_pairs(args.models, drawn, readings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
