"""The GUI worker with live plots against the headless Trainer, side by side in one run.

The same run (MNIST, the 784-512-10 MLP, batch 64, SGD, one epoch) goes alternately through
the bare ``Trainer`` and through the ``TrainingPanel`` (worker thread, signals, live plots,
offscreen). While the panel trains, a 10 ms timer on the UI thread records how late each tick
comes: the event loop's latency. Prints samples/s, the ratio GUI / headless and the UI stalls.

    python benchmarks/bench_gui_training.py --data-dir /work/data [--rounds 2] [--threads N]

``--threads`` defaults to what the app uses (``cores - 1``, at least 1), for both runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

TICK_MS = 10


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/work/data")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from gui_app.core.data.datasets import load_dataset
    from gui_app.core.project.spec import load_spec_file
    from gui_app.core.resources import resources_dir
    from gui_app.core.training.trainer import Trainer
    from gui_app.ui.training.panel import TrainingPanel

    app = QApplication.instance() or QApplication([])
    spec = load_spec_file(resources_dir() / "presets" / "mnist_mlp_784_512_10.json")
    config = spec.training.replace(data_dir=args.data_dir, device="cpu", epochs=args.epochs)
    spec.set_training(config)
    load_dataset("mnist", args.data_dir, download=False)  # both runs start from the loaded tensors
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), MNIST 784-512-10, batch 64, "
        f"{args.epochs} epoch(s), Qt platform {app.platformName()}"
    )

    panel = TrainingPanel(spec.copy)
    panel.resize(1280, 300)
    panel.set_config(config)
    panel.show()
    panel.tabs.setCurrentWidget(panel.plots)

    def headless() -> float:
        result = Trainer(spec, config, download=False).fit()
        return statistics.mean(e.samples_per_s for e in result.history)

    def ticking(gaps: list[float]) -> tuple[QTimer, QElapsedTimer]:
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

    def idle_baseline(seconds: float) -> list[float]:
        """The same ticks with nothing training: what this (shared) machine does to any thread."""
        gaps: list[float] = []
        loop = QEventLoop()
        ticker, _clock = ticking(gaps)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        ticker.stop()
        return gaps

    def gui(measure_latency: bool) -> tuple[float, list[float], int]:
        gaps: list[float] = []
        loop = QEventLoop()
        panel.run_finished.connect(loop.quit)
        panel.start()
        # The ticker wakes the UI thread 100 times a second and so slows training a little
        # itself: it runs only in the latency round, not in the throughput rounds.
        ticker = ticking(gaps)[0] if measure_latency else None
        cpu, wall = time.thread_time(), time.perf_counter()
        loop.exec()  # the real event loop, as in the app: no polling
        ui_share.append((time.thread_time() - cpu) / (time.perf_counter() - wall))
        if ticker is not None:
            ticker.stop()
        panel.run_finished.disconnect(loop.quit)
        history = panel.last_result.history
        points = panel.plots.loss.series["train (batch)"].n
        return statistics.mean(e.samples_per_s for e in history), gaps, points

    ui_share: list[float] = []
    idle = sorted(max(0.0, g - TICK_MS) for g in idle_baseline(5.0))
    rates = {"headless": [], "gui": []}
    all_gaps: list[float] = []
    for round_ in range(args.rounds):
        rates["headless"].append(headless())
        rate, _gaps, points = gui(measure_latency=False)
        rates["gui"].append(rate)
        print(
            f"round {round_ + 1}: headless {rates['headless'][-1]:,.0f} samples/s, "
            f"GUI {rate:,.0f} samples/s, ratio {rate / rates['headless'][-1]:.3f} ({points} plotted batch points)"
        )
    _rate, all_gaps, _points = gui(measure_latency=True)
    assert panel.stop_and_wait(10_000)
    headless_rate, gui_rate = statistics.mean(rates["headless"]), statistics.mean(rates["gui"])
    lateness = sorted(max(0.0, g - TICK_MS) for g in all_gaps)
    p99 = lateness[int(0.99 * (len(lateness) - 1))] if lateness else 0.0
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
    print(
        f"UI event loop during training: {len(all_gaps)} ticks of {TICK_MS} ms; lateness max "
        f"{lateness[-1] if lateness else 0:.1f} ms, p99 {p99:.1f} ms, median {statistics.median(lateness):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
