"""Draw pad latency: from the end of a stroke (mouse release) to the updated prediction on screen.

Replays stroke digits on a shown DrawPanel with real mouse events and times the release event
until its handler has rendered the pad, preprocessed it, run the model and updated the labels
and bars. The parts are timed side by side in the same run, and ``netbuilder predict``'s batched
throughput is measured on pictures for comparison.

    QT_QPA_PLATFORM=offscreen OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_draw_latency.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402  (before Qt, as the app does)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from gui_app.core.digits.reader import DigitReader
    from gui_app.ui.drawing.panel import DrawPanel
    from tests.data.handwriting.stroke_digits import StrokeDigit

BUDGET_MS = 30.0


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(samples) * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms"


def _parse_args() -> argparse.Namespace:
    """The command line: how many digits and pictures, and torch's threads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=120, help="stroke digits to replay")
    parser.add_argument("--pictures", type=int, default=2000, help="pictures for the batched CLI path")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app leaves one core to Qt)")
    parser.add_argument(
        "--compare", type=Path, metavar="MODEL", help="also time this model's forward pass beside the bundled one's"
    )
    return parser.parse_args()


@dataclass
class _Timings:
    """Seconds per digit for the whole release handler and for each of its parts."""

    end_to_end: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)
    preprocess: list[float] = field(default_factory=list)
    model: list[float] = field(default_factory=list)


def _time_release(app: QApplication, panel: DrawPanel, digit: StrokeDigit) -> float:
    """Draw ``digit`` up to its last release, then time that release until its handler is done."""
    from PySide6.QtCore import QEvent

    from tests.data.handwriting.replay import LEFT, NO_BUTTON, replay_stroke, send_mouse, widget_point

    panel.pad.clear()
    panel.pad.set_pen_ratio(digit.pen_ratio)
    for stroke in digit.strokes[:-1]:
        replay_stroke(panel.pad, stroke)
    last = digit.strokes[-1]
    replay_stroke(panel.pad, last, release=False)
    panel.last_prediction = None
    start = time.perf_counter()
    send_mouse(panel.pad, QEvent.Type.MouseButtonRelease, widget_point(panel.pad, last[-1]), LEFT, NO_BUTTON)
    app.processEvents()
    elapsed = time.perf_counter() - start
    assert panel.last_prediction is not None
    return elapsed


def _time_parts(panel: DrawPanel, timings: _Timings) -> DigitReader:
    """Time the handler's parts (render, preprocessing, model) one after another on the same pad."""
    from gui_app.core.digits.preprocessing import mnist_image

    reader = panel._reader()
    assert reader is not None
    t0 = time.perf_counter()
    picture = panel.pad.render_image()
    t1 = time.perf_counter()
    image = mnist_image(picture, invert=False)
    t2 = time.perf_counter()
    reader.probabilities(image)
    t3 = time.perf_counter()
    timings.render.append(t1 - t0)
    timings.preprocess.append(t2 - t1)
    timings.model.append(t3 - t2)
    return reader


def _print_latency(timings: _Timings, n_digits: int) -> None:
    """The pad's latency report: the whole handler, its parts, and the share of the budget."""
    print(f"CPU threads for torch: {torch.get_num_threads()}, {n_digits} stroke digits")
    print(f"end of stroke -> prediction shown   {_ms(timings.end_to_end)}")
    print(f"  render strokes to 280x280         {_ms(timings.render)}")
    print(f"  MNIST preprocessing               {_ms(timings.preprocess)}")
    print(f"  model forward (1 image)           {_ms(timings.model)}")
    median = statistics.median(timings.end_to_end) * 1000
    print(f"median latency / {BUDGET_MS:.0f} ms budget = {median / BUDGET_MS:.2f}")


def _time_batched(reader: DigitReader, count: int) -> None:
    """The command line's batched path, for the same digits drawn as dark-on-white pictures."""
    from tests.data.handwriting.stroke_digits import render_picture, variants

    sizes = ((64, 64), (200, 200), (120, 300))
    pictures = [
        render_picture(d, sizes[i % len(sizes)])
        for i, d in enumerate((variants() * (count // len(variants()) + 1))[:count])
    ]
    start = time.perf_counter()
    results = reader.read_many(pictures)
    batched = time.perf_counter() - start
    start = time.perf_counter()
    for picture in pictures[:200]:
        reader.read(picture)
    one_by_one = (time.perf_counter() - start) / 200 * len(pictures)
    print(
        f"{len(pictures)} pictures read in batches: {batched:.2f} s ({len(pictures) / batched:.0f}/s); "
        f"one at a time would take {one_by_one:.2f} s (x{one_by_one / batched:.1f})"
    )
    assert all(r is not None for r in results)


def _compare_models(reader: DigitReader, other: Path, images: list[torch.Tensor]) -> None:
    """The bundled model's forward pass and ``other``'s, interleaved on the same pad images."""
    from gui_app.core.digits.reader import DigitReader

    second = DigitReader.from_file(other)
    second.warm_up()
    times: dict[str, list[float]] = {"bundled": [], other.name: []}
    for _ in range(5):
        for image in images:
            for name, each in (("bundled", reader), (other.name, second)):
                start = time.perf_counter()
                each.probabilities(image)
                times[name].append(time.perf_counter() - start)
    for name, values in times.items():
        print(f"model forward (1 image), {name:<20} {_ms(values)}")
    ratio = statistics.median(times[other.name]) / statistics.median(times["bundled"])
    print(f"forward {other.name} / bundled = {ratio:.2f}")


def main() -> int:
    args = _parse_args()
    torch.set_num_threads(args.threads)

    from PySide6.QtWidgets import QApplication

    from gui_app.ui.drawing.panel import DrawPanel
    from tests.data.handwriting.stroke_digits import variants

    app = QApplication([])
    panel = DrawPanel()
    panel.resize(760, 420)
    panel.show()
    app.processEvents()
    digits = variants()[:: max(1, len(variants()) // args.digits)][: args.digits]

    timings = _Timings()
    images = []
    for digit in digits:
        timings.end_to_end.append(_time_release(app, panel, digit))
        reader = _time_parts(panel, timings)
        images.append(panel.last_prediction.image)

    _print_latency(timings, len(digits))
    if args.compare:
        _compare_models(reader, args.compare, images)
    _time_batched(reader, args.pictures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
