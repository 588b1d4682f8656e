"""Training throughput with the layer-health probe on and off, side by side in one process.

The MLP preset (784-128-128-10, batch 64, SGD) and the small CNN preset (two conv blocks, batch
128, Adam + OneCycle) train alternately with and without a :class:`HealthProbe`, in interleaved
pairs (off, on, off, on, ...) so that a noisy machine slows both sides alike. Each run trains on
the same loaded data. Two figures per run, both of the training loop only (validation excluded;
the probe runs inside the loop, so its cost is counted):

- samples/s, the Trainer's own figure (wall clock);
- CPU seconds per sample (``time.process_time`` between steps), which a machine shared with
  other work disturbs far less than the wall clock: on a CPU it is the figure to trust there.

A third figure, the least disturbed of all, is the probe's own CPU time (measurements, weight
copies, the per-step check) as a share of the training loop's: on/off = 1 - that share.

Prints each pair's ratios on/off, the medians per preset, and the probe's own time per call.

    python benchmarks/bench_health.py [--data-dir DIR] [--rounds 5] [--device cpu] [--threads N]
        [--every 50] [--probe-size 64] [--max-share 0.02] [--epochs 2] [--cnn-samples 2560]

Without ``--data-dir`` it trains on the bundled MNIST sample (10,000 training images).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace

import torch

from gui_app.core.data.dataset_types import LoadedDataset
from gui_app.core.data.datasets import load_dataset
from gui_app.core.project.presets import load_preset
from gui_app.core.training.callbacks import Callback
from gui_app.core.training.health import DEFAULT_EVERY, DEFAULT_MAX_SHARE, DEFAULT_PROBE_SIZE, HealthProbe
from gui_app.core.training.trainer import Trainer

PRESETS = {"MLP": "mnist_mlp_784_128_128_10", "CNN": "mnist_cnn_small"}


class TimedProbe(HealthProbe):
    """The probe, timing each measurement (the device is synchronised by its one read-back) and
    the CPU time of all its work: measurements, weight copies and the per-step check."""

    def __init__(self, every: int, probe_size: int, max_share: float | None) -> None:
        super().__init__(every, probe_size, max_share)
        self.seconds: list[float] = []
        self.cpu_seconds = 0.0

    def measure(self, trainer):
        start = time.perf_counter()
        event = super().measure(trainer)
        self.seconds.append(time.perf_counter() - start)
        return event

    def on_step_end(self, trainer) -> None:
        start = time.process_time()
        super().on_step_end(trainer)
        self.cpu_seconds += time.process_time() - start


class CpuClock(Callback):
    """CPU seconds of the training steps: the time between step ends within an epoch.

    Listed after the probe, so a probe's cost falls in the step it follows; the stretch across
    an epoch's end (validation) is left out, on both sides alike.
    """

    def __init__(self) -> None:
        self.seconds, self.steps, self._last = 0.0, 0, None

    def on_step_end(self, trainer) -> None:
        now = time.process_time()
        if self._last is not None and (trainer.step - 1) % trainer.steps_per_epoch != 0:
            self.seconds += now - self._last
            self.steps += 1
        self._last = now


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: the bundled sample)")
    parser.add_argument("--rounds", type=int, default=5, help="off/on pairs per preset")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--every", type=int, default=DEFAULT_EVERY)
    parser.add_argument("--probe-size", type=int, default=DEFAULT_PROBE_SIZE)
    parser.add_argument(
        "--max-share", type=float, default=DEFAULT_MAX_SHARE, help="the probe's time cap (0: none, every N steps)"
    )
    parser.add_argument("--mlp-samples", type=int, default=0, help="train the MLP on this many images (0: all)")
    parser.add_argument("--cnn-samples", type=int, default=0, help="train the CNN on this many images (0: all)")
    parser.add_argument("--epochs", type=int, default=2)
    return parser.parse_args()


def _one_run(key: str, data: LoadedDataset, args: argparse.Namespace, probe: TimedProbe | None) -> tuple[float, float]:
    """(samples/s, CPU seconds per step) of one run of preset ``key``."""
    spec = load_preset(key)
    config = spec.training.replace(device=args.device, epochs=args.epochs, data_dir=args.data_dir)
    clock = CpuClock()
    result = Trainer(spec, config, [*([probe] if probe else []), clock], dataset=data).fit()
    if result.status != "completed":
        sys.exit(f"{key}: the run failed: {result.error.message if result.error else result.status}")
    if probe is not None:
        probe.share = probe.cpu_seconds / clock.seconds
    return statistics.mean(epoch.samples_per_s for epoch in result.history), clock.seconds / max(clock.steps, 1)


def _sliced(data: LoadedDataset, samples: int) -> LoadedDataset:
    return data if samples <= 0 else replace(data, train_x=data.train_x[:samples], train_y=data.train_y[:samples])


def _pairs(key: str, data: LoadedDataset, args: argparse.Namespace) -> tuple[list[float], ...]:
    """Per pair: wall-clock and CPU ratio on/off (throughput), the probe's share of the CPU time;
    and every probe's seconds."""
    _one_run(key, data, args, None)  # warm-up: first-call costs (kernels, allocator) hit neither side
    wall, cpu, shares, probe_seconds = [], [], [], []
    for _ in range(args.rounds):
        probe = TimedProbe(args.every, args.probe_size, args.max_share or None)
        off_rate, off_cpu = _one_run(key, data, args, None)
        on_rate, on_cpu = _one_run(key, data, args, probe)
        wall.append(on_rate / off_rate)
        cpu.append(off_cpu / on_cpu)
        shares.append(probe.share)
        probe_seconds += probe.seconds
    return wall, cpu, shares, probe_seconds


def main() -> int:
    args = _parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_dataset("mnist", args.data_dir, download=False)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, {data.source}; "
        f"probe every {args.every} steps on {args.probe_size} images (time cap {args.max_share or 'none'}), "
        f"{args.rounds} pairs per preset, {args.epochs} epochs a run",
        flush=True,
    )
    sizes = {"MLP": args.mlp_samples, "CNN": args.cnn_samples}
    for name, key in PRESETS.items():
        wall, cpu, shares, probe_seconds = _pairs(key, _sliced(data, sizes[name]), args)
        per_probe = statistics.median(probe_seconds) * 1000 if probe_seconds else float("nan")
        print(
            f"{name}: throughput on/off, median of {args.rounds} pairs: wall clock {statistics.median(wall):.3f} "
            f"(pairs {', '.join(f'{r:.2f}' for r in wall)}), CPU time {statistics.median(cpu):.3f} "
            f"(pairs {', '.join(f'{r:.3f}' for r in cpu)}); the probe's own share of the training CPU time "
            f"{statistics.median(shares):.2%} (so on/off = {1 - statistics.median(shares):.3f}); "
            f"{len(probe_seconds) / args.rounds:.1f} probes a run, {per_probe:.2f} ms each",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
