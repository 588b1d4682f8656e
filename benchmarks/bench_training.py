"""Trainer throughput against the seed article's loop, side by side in one run.

MNIST, the 784-512-10 MLP, batch 64, SGD (lr 0.01, momentum 0.9), one epoch each:

1. the seed article's loop: torchvision ``MNIST`` + ``ToTensor`` + ``Normalize`` through a
   ``DataLoader``, ``loss.item()`` every step;
2. a hand-written loop over preloaded tensors (the ceiling of what a plain loop does);
3. NetBuilder's ``Trainer``.

Prints samples/s, test accuracy and the ratios. Needs the full MNIST in torchvision layout::

    python benchmarks/bench_training.py --data-dir /work/data [--epochs 1] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from torch import nn

from gui_app.core.data.datasets import load_dataset
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trainer import Trainer

MEAN, STD = 0.1307, 0.3081


def mlp_spec() -> NetworkSpec:
    """The 784-512-10 preset: Flatten, Linear 512, ReLU, Linear 10."""
    layers = [
        LayerSpec("Flatten", {}),
        LayerSpec("Linear", {"out_features": 512}),
        LayerSpec("ReLU", {}),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), "MLP 784-512-10")


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))


@torch.no_grad()
def test_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


def seed_article_loop(data_dir: str, epochs: int, test: tuple[torch.Tensor, torch.Tensor]) -> tuple[float, float]:
    """The loop from the seed articles, as written there."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    train = datasets.MNIST(data_dir, train=True, download=False, transform=transform)
    loader = DataLoader(train, batch_size=64, shuffle=True)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    seen = 0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        running = 0.0
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item()
            seen += len(x)
    seconds = time.perf_counter() - start
    return seen / seconds, test_accuracy(model, *test)


def preloaded_loop(
    train_x: torch.Tensor, train_y: torch.Tensor, epochs: int, test: tuple[torch.Tensor, torch.Tensor]
) -> tuple[float, float]:
    """A plain loop over tensors loaded once (already normalised floats)."""
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    seen = 0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for i in range(0, len(train_x), 64):
            idx = order[i : i + 64]
            x, y = train_x[idx], train_y[idx]
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            seen += len(x)
    seconds = time.perf_counter() - start
    return seen / seconds, test_accuracy(model, *test)


def trainer_run(data_dir: str, epochs: int) -> tuple[float, float]:
    config = TrainingConfig(data_dir=data_dir, epochs=epochs, device="cpu", batch_size=64, lr=0.01, momentum=0.9)
    result = Trainer(mlp_spec(), config, download=False).fit()
    if result.status != "completed":
        sys.exit(f"Trainer run failed: {result.error.message if result.error else result.status}")
    # samples/s over the training loop only (validation excluded, as for the loops above)
    samples = sum(e.samples_per_s for e in result.history) / len(result.history)
    return samples, float(result.history[-1].val_accuracy)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/work/data")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the three loops this many times")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, MNIST 784-512-10, batch 64, SGD")

    dataset = load_dataset("mnist", args.data_dir, download=False)
    to_float = lambda x: (x.float() / 255.0 - MEAN) / STD  # noqa: E731
    test = (to_float(dataset.test_x), dataset.test_y)

    names = {
        "seed": "seed article loop (DataLoader)",
        "preloaded": "plain loop, preloaded tensors",
        "trainer": "NetBuilder Trainer",
    }
    runs: dict[str, list[tuple[float, float]]] = {key: [] for key in names}
    for round_ in range(args.rounds):
        runs["seed"].append(seed_article_loop(args.data_dir, args.epochs, test))
        runs["preloaded"].append(preloaded_loop(to_float(dataset.train_x), dataset.train_y, args.epochs, test))
        runs["trainer"].append(trainer_run(args.data_dir, args.epochs))
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1][0]:,.0f}/s" for k, v in runs.items()), flush=True)
    for key, label in names.items():
        rate = statistics.median(r for r, _ in runs[key])
        acc = runs[key][-1][1]
        print(f"{label:34s} {rate:10,.0f} samples/s   test accuracy {acc:.4f}")
    seed, pre, trainer = (statistics.median(r for r, _ in runs[k]) for k in ("seed", "preloaded", "trainer"))
    per_round = [t[0] / s[0] for t, s in zip(runs["trainer"], runs["seed"], strict=True)]
    print(
        f"ratio Trainer / seed loop      : {trainer / seed:5.2f}x  (per round: "
        f"{', '.join(f'{r:.2f}' for r in per_round)})"
    )
    print(f"ratio Trainer / preloaded loop : {trainer / pre:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
