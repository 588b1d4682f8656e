"""Training throughput with the layer-health probe on and off, side by side in one process.

The MLP preset (784-128-128-10, batch 64, SGD) and the small CNN preset (two conv blocks, batch
128, Adam + OneCycle) train alternately with and without a :class:`HealthProbe`, in interleaved
pairs (off, on, off, on, ...) so that a noisy machine slows both sides alike. Each run trains on
the same loaded data; samples/s is the Trainer's own figure for its training loop (the probe runs
inside that loop, so its cost is counted; validation is not). Prints each pair's ratio on/off,
the median per preset, and the probe's own time per call.

    python benchmarks/bench_health.py [--data-dir DIR] [--rounds 5] [--device cpu] [--threads N]
        [--every 50] [--probe-size 64] [--cnn-samples 2560]

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
from gui_app.core.training.health import DEFAULT_EVERY, DEFAULT_PROBE_SIZE, HealthProbe
from gui_app.core.training.trainer import Trainer

PRESETS = {"MLP": "mnist_mlp_784_128_128_10", "CNN": "mnist_cnn_small"}


class TimedProbe(HealthProbe):
    """The probe, timing each measurement (the device is synchronised by its one read-back)."""

    def __init__(self, every: int, probe_size: int) -> None:
        super().__init__(every, probe_size)
        self.seconds: list[float] = []

    def measure(self, trainer):
        start = time.perf_counter()
        event = super().measure(trainer)
        self.seconds.append(time.perf_counter() - start)
        return event


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: the bundled sample)")
    parser.add_argument("--rounds", type=int, default=5, help="off/on pairs per preset")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--every", type=int, default=DEFAULT_EVERY)
    parser.add_argument("--probe-size", type=int, default=DEFAULT_PROBE_SIZE)
    parser.add_argument("--mlp-samples", type=int, default=0, help="train the MLP on this many images (0: all)")
    parser.add_argument("--cnn-samples", type=int, default=0, help="train the CNN on this many images (0: all)")
    parser.add_argument("--epochs", type=int, default=1)
    return parser.parse_args()


def _one_run(key: str, data: LoadedDataset, args: argparse.Namespace, probe: TimedProbe | None) -> float:
    """Samples/s of one run of preset ``key`` (mean over its epochs)."""
    spec = load_preset(key)
    config = spec.training.replace(device=args.device, epochs=args.epochs, data_dir=args.data_dir)
    result = Trainer(spec, config, [probe] if probe else [], dataset=data).fit()
    if result.status != "completed":
        sys.exit(f"{key}: the run failed: {result.error.message if result.error else result.status}")
    return statistics.mean(epoch.samples_per_s for epoch in result.history)


def _sliced(data: LoadedDataset, samples: int) -> LoadedDataset:
    return data if samples <= 0 else replace(data, train_x=data.train_x[:samples], train_y=data.train_y[:samples])


def main() -> int:
    args = _parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = load_dataset("mnist", args.data_dir, download=False)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, {data.source}; "
        f"probe every {args.every} steps on {args.probe_size} images, {args.rounds} pairs per preset",
        flush=True,
    )
    sizes = {"MLP": args.mlp_samples, "CNN": args.cnn_samples}
    for name, key in PRESETS.items():
        sliced = _sliced(data, sizes[name])
        _one_run(key, sliced, args, None)  # warm-up: first-call costs (kernels, allocator) hit neither side
        ratios, offs, ons, probe_seconds = [], [], [], []
        for _ in range(args.rounds):
            probe = TimedProbe(args.every, args.probe_size)
            off = _one_run(key, sliced, args, None)
            on = _one_run(key, sliced, args, probe)
            offs.append(off)
            ons.append(on)
            ratios.append(on / off)
            probe_seconds += probe.seconds
        per_probe = statistics.median(probe_seconds) * 1000 if probe_seconds else float("nan")
        print(
            f"{name}: off {statistics.median(offs):,.0f}/s, on {statistics.median(ons):,.0f}/s, "
            f"ratio on/off median {statistics.median(ratios):.3f} "
            f"(pairs: {', '.join(f'{r:.3f}' for r in ratios)}); "
            f"{len(probe_seconds) // args.rounds} probes a run, {per_probe:.2f} ms each",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
