"""The GUI worker with live plots against the headless Trainer, side by side in one run.

The same run (MNIST, the 784-512-10 MLP, batch 64, SGD, one epoch) goes alternately through
the bare ``Trainer`` and through the ``TrainingPanel`` (worker thread, signals, live plots,
offscreen). While the panel trains, a 10 ms timer on the UI thread records how late each tick
comes: the event loop's latency. Prints samples/s, the ratio GUI / headless and the UI stalls.
A last latency round has the block view open beside the panel, showing the first Linear layer's
output and refreshing at every epoch's end with the weights the worker copies then.

    python benchmarks/bench_gui_training.py --data-dir /work/data [--rounds 2] [--threads N]

``--threads`` defaults to what the app uses (``cores - 1``, at least 1), for both runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from PySide6.QtCore import QElapsedTimer, QTimer

    from gui_app.core.project.run_config import TrainingConfig
    from gui_app.core.project.spec import NetworkSpec
    from gui_app.ui.inspecting.block_view import BlockView
    from gui_app.ui.training.panel import TrainingPanel

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

TICK_MS = 10


def _parse_args() -> argparse.Namespace:
    """The command line: data folder, rounds, epochs per run and torch's threads."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/work/data")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    return parser.parse_args()


def _mnist_mlp_run(args: argparse.Namespace) -> tuple[NetworkSpec, TrainingConfig]:
    """The one run both sides train, with MNIST loaded up front so neither pays for loading it."""
    from gui_app.core.data.datasets import load_dataset
    from gui_app.core.project.spec import load_spec_file
    from gui_app.core.resources import resources_dir

    spec = load_spec_file(resources_dir() / "presets" / "mnist_mlp_784_512_10.json")
    config = spec.training.replace(data_dir=args.data_dir, device="cpu", epochs=args.epochs)
    spec.set_training(config)
    load_dataset("mnist", args.data_dir, download=False)  # both runs start from the loaded tensors
    return spec, config


def _shown_panel(spec: NetworkSpec, config: TrainingConfig) -> TrainingPanel:
    """The training panel on screen with its plots tab in front, so the live plots really draw."""
    from gui_app.ui.training.panel import TrainingPanel

    panel = TrainingPanel(spec.copy)
    panel.resize(1280, 300)
    panel.set_config(config)
    panel.show()
    panel.tabs.setCurrentWidget(panel.plots)
    return panel


def _open_block_view(panel: TrainingPanel, spec: NetworkSpec) -> BlockView:
    """The block view on screen, wired to the run as the window wires it, showing block 2 (Linear)."""
    from gui_app.ui.inspecting.block_view import BlockView

    view = BlockView(lambda: spec.copy(keep_uids=True))
    view.resize(400, 500)
    view.show()
    view.show_block(spec.layers[1].uid)
    worker = panel.runner.worker
    worker.weights_at_epoch.connect(view.set_epoch_weights)
    worker.wants_weights.set()
    return view


def _headless(spec: NetworkSpec, config: TrainingConfig) -> float:
    """One run through the bare Trainer: the mean of its epochs' samples/s."""
    from gui_app.core.training.trainer import Trainer

    result = Trainer(spec, config, download=False).fit()
    return statistics.mean(e.samples_per_s for e in result.history)


def _ticking(gaps: list[float]) -> tuple[QTimer, QElapsedTimer]:
    """Start a precise TICK_MS timer on the UI thread that appends each tick's gap (ms) to ``gaps``."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    clock = QElapsedTimer()
    ticker = QTimer()
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.setInterval(TICK_MS)

    def tick() -> None:
        gaps.append(clock.nsecsElapsed() / 1e6)
        clock.restart()

    ticker.timeout.connect(tick)
    clock.start()
    ticker.start()
    return ticker, clock


def _idle_baseline(seconds: float) -> list[float]:
    """The same ticks with nothing training: what this (shared) machine does to any thread."""
    from PySide6.QtCore import QEventLoop, QTimer

    gaps: list[float] = []
    loop = QEventLoop()
    ticker, _clock = _ticking(gaps)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    ticker.stop()
    return gaps


def _gui(panel: TrainingPanel, ui_share: list[float], *, measure_latency: bool) -> tuple[float, list[float], int]:
    """One run through the panel: (mean samples/s, tick gaps, plotted batch points).

    Appends the UI thread's share of one core during the run to ``ui_share``.
    """
    from PySide6.QtCore import QEventLoop

    gaps: list[float] = []
    loop = QEventLoop()
    panel.run_finished.connect(loop.quit)
    panel.start()
    # The ticker wakes the UI thread 100 times a second and so slows training a little
    # itself: it runs only in the latency round, not in the throughput rounds.
    ticker = _ticking(gaps)[0] if measure_latency else None
    cpu, wall = time.thread_time(), time.perf_counter()
    loop.exec()  # the real event loop, as in the app: no polling
    ui_share.append((time.thread_time() - cpu) / (time.perf_counter() - wall))
    if ticker is not None:
        ticker.stop()
    panel.run_finished.disconnect(loop.quit)
    history = panel.last_result.history
    points = panel.plots.loss.series["train (batch)"].n
    return statistics.mean(e.samples_per_s for e in history), gaps, points


def _throughput_rounds(
    rounds: int, spec: NetworkSpec, config: TrainingConfig, panel: TrainingPanel, ui_share: list[float]
) -> dict[str, list[float]]:
    """Alternate headless and GUI runs (no ticker), printing each round; samples/s per side."""
    rates: dict[str, list[float]] = {"headless": [], "gui": []}
    for round_ in range(rounds):
        rates["headless"].append(_headless(spec, config))
        rate, _gaps, points = _gui(panel, ui_share, measure_latency=False)
        rates["gui"].append(rate)
        print(
            f"round {round_ + 1}: headless {rates['headless'][-1]:,.0f} samples/s, "
            f"GUI {rate:,.0f} samples/s, ratio {rate / rates['headless'][-1]:.3f} ({points} plotted batch points)"
        )
    return rates


def _print_summary(rates: dict[str, list[float]], idle: list[float], gaps: list[float], ui_share: list[float]) -> None:
    """The totals: both sides' samples/s and their ratio, then the idle and training tick lateness."""
    headless_rate, gui_rate = statistics.mean(rates["headless"]), statistics.mean(rates["gui"])
    print(f"headless Trainer   {headless_rate:10,.0f} samples/s")
    print(f"GUI worker + plots {gui_rate:10,.0f} samples/s")
    ratios = [g / h for g, h in zip(rates["gui"], rates["headless"], strict=True)]
    print(
        f"ratio GUI / headless: {gui_rate / headless_rate:.3f} (means); median of the rounds' ratios "
        f"{statistics.median(ratios):.3f}"
    )
    print(
        f"idle UI, nothing training (the machine's own noise): lateness max {idle[-1]:.1f} ms, "
        f"p99 {idle[int(0.99 * (len(idle) - 1))]:.1f} ms, median {statistics.median(idle):.2f} ms"
    )
    print(f"UI thread CPU while training: {statistics.mean(ui_share):.1%} of one core")
    _print_lateness("UI event loop during training", gaps)


def _print_lateness(what: str, gaps: list[float]) -> None:
    lateness = sorted(max(0.0, g - TICK_MS) for g in gaps)
    p99 = lateness[int(0.99 * (len(lateness) - 1))] if lateness else 0.0
    print(
        f"{what}: {len(gaps)} ticks of {TICK_MS} ms; lateness max "
        f"{lateness[-1] if lateness else 0:.1f} ms, p99 {p99:.1f} ms, median {statistics.median(lateness):.2f} ms"
    )


def main() -> int:
    args = _parse_args()
    torch.set_num_threads(args.threads)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    spec, config = _mnist_mlp_run(args)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), MNIST 784-512-10, batch 64, "
        f"{args.epochs} epoch(s), Qt platform {app.platformName()}"
    )
    panel = _shown_panel(spec, config)

    ui_share: list[float] = []
    idle = sorted(max(0.0, g - TICK_MS) for g in _idle_baseline(5.0))
    rates = _throughput_rounds(args.rounds, spec, config, panel, ui_share)
    _rate, gaps, _points = _gui(panel, ui_share, measure_latency=True)
    view = _open_block_view(panel, spec)
    _rate, view_gaps, _points = _gui(panel, [], measure_latency=True)
    assert panel.stop_and_wait(10_000)
    _print_summary(rates, idle, gaps, ui_share)
    shown = view.info.text()
    assert view.shown_output is not None and f"after epoch {args.epochs} of {args.epochs}" in shown, shown
    _print_lateness(f"the same with the block view open ({args.epochs} epoch refresh(es))", view_gaps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
