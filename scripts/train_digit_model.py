"""Train the bundled digit model (resources/models/mnist_cnn.pt) on full MNIST, pen digits and letters.

Reproducible (seeded) and cheap enough for a 2-core CPU: the 70,000 images are loaded once into
tensors, and augmentation is done a whole batch at a time with ``affine_grid``/``grid_sample``
and max-pool morphology rather than per image in PIL. The augmentation imitates how people draw
on the pad: random affine (rotation, scale, shear, translation), elastic distortion, thinner and
thicker strokes, and then the same MNIST normalisation the app applies to a drawing (ink box
scaled to 20 px, centre of mass at the centre), so the network learns from what it will see.
Each batch also holds MNIST redrawn as pen strokes and as a tablet's few sampled points
(scripts/pen_training_set.py) and letter-like shapes to be unsure of (scripts/letter_training_set.py;
``--scribbles`` adds scribbles to them, and ``--ema`` saves a moving average of the weights; both
measured and not used: docs/digit-model.md).
``--device cuda`` trains the network on a GPU, the augmentation still drawn on the CPU from its
seeded generator: for comparing recipes on many seeds fast (docs/digit-model.md).
The defaults are the bundled model's recipe, two threads included (docs/digit-model.md; the thread
count changes how sums round, so ``--threads 1`` gives another model of it):

    nice -n 10 .venv/bin/python scripts/train_digit_model.py --seed 0 2>&1 | tee train.log

MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0.
"""

from __future__ import annotations

import argparse
import collections
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F  # noqa: N812 (the usual torch spelling)
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gui_app.core.analysis.compiler import build_model  # noqa: E402
from gui_app.core.data.datasets import IDX_FILES  # noqa: E402
from gui_app.core.data.idx_files import find_idx_file, read_idx  # noqa: E402
from gui_app.core.digits.preprocessing import BOX, CENTRE, INK_THRESHOLD, MNIST_MEAN, MNIST_STD  # noqa: E402
from gui_app.core.project.spec import LayerSpec, NetworkSpec  # noqa: E402
from gui_app.core.training.devices import DeviceError, resolve_device  # noqa: E402
from gui_app.core.training.trained_model import TrainedModel, load_trained_model, save_trained_model  # noqa: E402
from scripts import letter_training_set, pen_training_set  # noqa: E402
from tests.data.handwriting.pen_digits import PARTS, load_pen_set, part_of, pictures  # noqa: E402

if TYPE_CHECKING:
    from gui_app.core.digits.reader import DigitReader

DATA_DIRS = (Path("/work/data/MNIST/raw"), REPO.parent / "shared" / "data" / "mnist")


def digit_network_spec(width: float = 1.0) -> NetworkSpec:
    """A small VGG-style CNN (about 150k parameters; ``width`` scales every layer's channels)
    made only of catalogue layers."""

    def conv(channels: int) -> list[LayerSpec]:
        return [
            LayerSpec(
                "Conv2d", {"out_channels": round(channels * width), "kernel_size": 3, "padding": 1, "bias": False}
            ),
            LayerSpec("BatchNorm2d", {}),
            LayerSpec("ReLU", {}),
        ]

    pool = [LayerSpec("MaxPool2d", {"kernel_size": 2})]
    layers = [
        *conv(32),
        *conv(32),
        *pool,  # 28 -> 14
        *conv(64),
        *conv(64),
        *pool,  # 14 -> 7
        *conv(128),
        *pool,  # 7 -> 3
        LayerSpec("Flatten", {}),
        LayerSpec("Dropout", {"p": 0.3}),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), name="MNIST digit reader")


# ----------------------------------------------------------------------------- data


def load_mnist(data_dir: Path | None) -> tuple[torch.Tensor, ...]:
    """(train images, train labels, test images, test labels); images float in [0, 1], N×1×28×28."""
    dirs = [data_dir] if data_dir else list(DATA_DIRS)
    for folder in dirs:
        found = [find_idx_file([folder], stem) for stem in IDX_FILES]
        if all(found):
            xtr, ytr, xte, yte = (read_idx(p) for p in found)
            print(f"MNIST from {folder}: {len(xtr)} train, {len(xte)} test", flush=True)
            return (xtr.float().div(255).unsqueeze(1), ytr.long(), xte.float().div(255).unsqueeze(1), yte.long())
    raise SystemExit(f"MNIST not found in {', '.join(map(str, dirs))}")


# ----------------------------------------------------------------------------- augmentation


def _smooth_noise(n: int, gen: torch.Generator, coarse: int = 5) -> torch.Tensor:
    """A smooth random displacement field (N×28×28×2) for elastic distortion, in pixels."""
    field = torch.randn(n, 2, coarse, coarse, generator=gen)
    return F.interpolate(field, size=(28, 28), mode="bicubic", align_corners=True).permute(0, 2, 3, 1)


def _pixel_grid() -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    return torch.stack([xs, ys], dim=-1)  # 28×28×2, (x, y) in pixel indices


def _sample(x: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Sample ``x`` at pixel coordinates ``coords`` (N×28×28×2, x then y)."""
    grid = coords / 13.5 - 1.0  # align_corners=True: index 0 -> -1, index 27 -> +1
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def _thickness(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random thinner (erosion) and thicker (dilation) strokes, chosen per image."""
    dilated = F.max_pool2d(x, 3, 1, 1)
    bolder = torch.maximum(dilated, 0.6 * F.max_pool2d(dilated, 3, 1, 1))
    eroded = -F.max_pool2d(-x, 3, 1, 1)
    choice = torch.rand(x.shape[0], 1, 1, 1, generator=gen)
    out = torch.where(choice < 0.2, dilated, x)
    out = torch.where((choice >= 0.2) & (choice < 0.3), 0.5 * (x + dilated), out)
    out = torch.where((choice >= 0.3) & (choice < 0.4), bolder, out)
    # erosion wipes out thin strokes entirely, so blend rather than replace
    out = torch.where((choice >= 0.4) & (choice < 0.6), 0.3 * x + 0.7 * eroded, out)
    return out


def renormalise(x: torch.Tensor) -> torch.Tensor:
    """The app's MNIST preprocessing, batched: ink box to 20 px, centre of mass to (14, 14)."""
    ink = x > INK_THRESHOLD  # the same ink box as gui_app.core.digits.preprocessing.mnist_image
    rows, cols = ink.any(dim=3).squeeze(1), ink.any(dim=2).squeeze(1)
    idx = torch.arange(28)
    top = torch.where(rows, idx, 99).amin(1)
    bottom = torch.where(rows, idx, -1).amax(1)
    left = torch.where(cols, idx, 99).amin(1)
    right = torch.where(cols, idx, -1).amax(1)
    size = torch.maximum(bottom - top, right - left).float().add(1).clamp(min=1)
    scale = (size / BOX).view(-1, 1, 1, 1)
    mass = x.sum((1, 2, 3)).clamp(min=1e-6)
    grid = _pixel_grid()
    cx = (x[:, 0] * grid[..., 0]).sum((1, 2)) / mass
    cy = (x[:, 0] * grid[..., 1]).sum((1, 2)) / mass
    centre = torch.stack([cx, cy], dim=-1).view(-1, 1, 1, 2)
    out = _sample(x, centre + (grid - CENTRE) * scale).clamp(0, 1)
    # the app stretches the brightest ink to 1, so faint thin strokes do not stay faint
    return out / out.amax((1, 2, 3), keepdim=True).clamp(min=1e-6)


def _segments(x: torch.Tensor, start: torch.Tensor, end: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Draw one antialiased line segment per image (N×2 pixel start and end points) onto ``x``."""
    p = _pixel_grid().view(1, 28, 28, 2)
    a, b = start.view(-1, 1, 1, 2), end.view(-1, 1, 1, 2)
    ab = b - a
    t = (((p - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp(min=1e-6)).clamp(0, 1)
    distance = (p - (a + t.unsqueeze(-1) * ab)).norm(dim=-1)
    ink = (width.view(-1, 1, 1) / 2 + 0.5 - distance).clamp(0, 1)
    return torch.maximum(x, ink.unsqueeze(1))


def add_serifs(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Give some 1s the flag (and sometimes the foot) that many people write but MNIST rarely has.

    Without this, a 1 written with a long flag reads as 7: MNIST's 1s are nearly all bare strokes.
    """
    ones = (y == 1) & (torch.rand(len(y), generator=gen) < 0.5)
    if not bool(ones.any()):
        return x
    sel = x[ones]
    n = sel.shape[0]
    ink = sel[:, 0] > 0.3
    rows = ink.any(2)
    idx = torch.arange(28)
    top = torch.where(rows, idx, 99).amin(1).clamp(max=27)
    bottom = torch.where(rows, idx, -1).amax(1).clamp(min=0)
    top_row = ink[torch.arange(n), top].float()
    x_top = (top_row * idx).sum(1) / top_row.sum(1).clamp(min=1)
    bottom_row = ink[torch.arange(n), bottom].float()
    x_bottom = (bottom_row * idx).sum(1) / bottom_row.sum(1).clamp(min=1)
    height = (bottom - top).float().clamp(min=4)
    rnd = lambda lo, hi: torch.rand(n, generator=gen) * (hi - lo) + lo  # noqa: E731
    length = height * rnd(0.15, 0.4)
    angle = rnd(30, 60) * math.pi / 180  # from the vertical, pointing down-left (steeper reads as 7)
    start = torch.stack([x_top, top.float()], -1)
    end = start + torch.stack([-length * torch.sin(angle), length * torch.cos(angle)], -1)
    width = rnd(1.5, 3.0)
    sel = _segments(sel, start, end, width)
    foot = torch.rand(n, generator=gen) < 0.3
    if bool(foot.any()):
        half = (height * rnd(0.15, 0.3))[foot]
        centre = torch.stack([x_bottom, bottom.float()], -1)[foot]
        offset = torch.stack([half, torch.zeros_like(half)], -1)
        sel[foot] = _segments(sel[foot], centre - offset, centre + offset, width[foot])
    out = x.clone()
    out[ones] = sel
    return out


def augment(x: torch.Tensor, gen: torch.Generator, thickness: bool = True) -> torch.Tensor:
    """Random affine + elastic distortion in one resampling, stroke width, then renormalisation.

    ``thickness=False`` for pen-drawn digits: their uniform pen width is what is being learnt.
    """
    n = x.shape[0]
    rnd = lambda lo, hi: torch.rand(n, generator=gen) * (hi - lo) + lo  # noqa: E731
    angle = rnd(-18, 18) * math.pi / 180
    shear = rnd(-0.35, 0.35)
    sx = rnd(0.75, 1.15)
    sy = sx * rnd(0.8, 1.25)  # aspect changes: narrow and wide writers
    cos, sin = torch.cos(angle), torch.sin(angle)
    # output -> input map: rotate, shear, scale (inverse scale: sample wider to shrink)
    a = torch.stack(
        [torch.stack([cos / sx, (-sin + shear * cos) / sx], -1), torch.stack([sin / sy, (cos + shear * sin) / sy], -1)],
        1,
    )  # N×2×2
    shift = torch.stack([rnd(-2, 2), rnd(-2, 2)], -1)
    grid = _pixel_grid() - CENTRE  # 28×28×2
    coords = torch.einsum("nij,hwj->nhwi", a, grid) + CENTRE + shift.view(n, 1, 1, 2)
    strength = rnd(0.0, 1.6).view(n, 1, 1, 1)
    coords = coords + _smooth_noise(n, gen) * strength
    out = _sample(x, coords)
    if thickness:
        out = _thickness(out, gen)
    return renormalise(out)


# ----------------------------------------------------------------------------- training


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = ((x[i : i + batch] - MNIST_MEAN) / MNIST_STD).to(device)
            correct += int((model(xb).argmax(1).cpu() == y[i : i + batch]).sum())
    return correct / len(x)


def evaluate_file(path: Path, data_dir: Path | None, threads: int) -> int:
    """Print a saved model's accuracy on the 10,000 MNIST test images."""
    from gui_app.core.digits.reader import DigitReader

    torch.set_num_threads(threads)
    model = load_trained_model(path)
    *_, xte, yte = load_mnist(data_dir)
    network = model.build()
    direct = evaluate(network, xte, yte)
    reader = DigitReader(model)
    predictions = reader.read_many(list((xte[:, 0] * 255).round().to(torch.uint8)), invert=False)
    through_app = sum(p is not None and p.digit == int(y) for p, y in zip(predictions, yte, strict=True)) / len(yte)
    print(
        f"{path.name}: MNIST test accuracy {direct:.2%} on the images as they are, "
        f"{through_app:.2%} through the app's preprocessing (gui_app.core.digits.preprocessing.mnist_image)"
    )
    _evaluate_pen_set(reader)
    return 0


def _evaluate_pen_set(reader: DigitReader) -> None:
    """The project's pen-style test set (tests/data/handwriting/pen_digits.npz), per part and digit."""
    digits = load_pen_set()
    predictions = reader.read_many(list(pictures(digits)), invert=None)
    read = [p.answer if p is not None else None for p in predictions]
    right: dict[str, list[bool]] = {}
    for digit, got in zip(digits, read, strict=True):
        right.setdefault(digit.source, []).append(got == digit.label)
    every = [ok for oks in right.values() for ok in oks]
    parts = ", ".join(f"{source} {sum(oks) / len(oks):.2%} of {len(oks)}" for source, oks in right.items())
    print(f"pen-style test set: {sum(every) / len(every):.2%} of {len(every)} ({parts})")
    print("  per digit, pen strokes / tablet / tablet-box, then the commonest misreadings (tablet; tablet-box):")
    readings = [(d.label, d.source, got) for d, got in zip(digits, read, strict=True)]
    for label in range(10):
        print(f"  {label}: {_digit_line(label, [(source, got) for d, source, got in readings if d == label])}")


def _digit_line(label: int, readings: list[tuple[str, int | None]]) -> str:
    """One digit's share read right in each part, and what its tablet pictures were misread as."""
    shares, mistakes = [], []
    for name in PARTS:
        got = [digit for source, digit in readings if part_of(source) == name]
        shares.append(f"{sum(d == label for d in got) / max(len(got), 1):.1%}")
        if name != "pen strokes":
            wrong = collections.Counter("no digit" if d is None else str(d) for d in got if d != label)
            mistakes.append(", ".join(f"{d} ({n})" for d, n in wrong.most_common(2)) or "-")
    return f"{' / '.join(shares)}  ({'; '.join(mistakes)})"


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: the training run's settings, or ``--evaluate`` for a saved model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--width", type=float, default=1.5, help="channels of every layer, times the 150k-parameter base network's"
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="part of the recipe: another count rounds sums otherwise, another model"
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the network trains (e.g. cuda: for comparing recipes fast; the augmentation stays on the CPU, "
        "drawn from the same seeded generator; the bundled model is trained on the CPU, which is reproducible)",
    )
    parser.add_argument(
        "--clean-fraction", type=float, default=0.2, help="share of each batch left un-augmented (MNIST as it is)"
    )
    parser.add_argument(
        "--pen-per-batch",
        type=int,
        default=128,
        help="pen-drawn digits (scripts/pen_training_set.py) added to each batch of MNIST images; 0: none",
    )
    parser.add_argument(
        "--synthetic", type=int, default=3000, help="of each digit, drawn from scratch (pen_glyphs), in the pen set"
    )
    parser.add_argument(
        "--pen-digits", type=int, default=0, help="redraw this many training images as pen strokes (0: all)"
    )
    parser.add_argument("--pen-cache", type=Path, default=pen_training_set.CACHE_DIR)
    parser.add_argument(
        "--letters-per-batch",
        type=int,
        default=16,
        help="not-a-digit shapes (scripts/letter_training_set.py) added to each batch, target: equal scores; 0: none",
    )
    parser.add_argument("--letters", type=int, default=500, help="pictures of each letter-like shape")
    parser.add_argument(
        "--scribbles",
        type=int,
        default=0,
        help="pictures of each kind of scribble among them (docs/digit-model.md: measured, not used)",
    )
    parser.add_argument(
        "--letter-weight", type=float, default=0.5, help="weight of the equal-scores loss on the not-a-digit shapes"
    )
    parser.add_argument(
        "--init", type=Path, metavar="MODEL", help="start from this saved model's weights (fine-tuning) instead of anew"
    )
    parser.add_argument(
        "--steps-per-epoch", type=int, default=0, help="optimiser steps per epoch (0: one pass over MNIST)"
    )
    parser.add_argument(
        "--ema",
        type=float,
        default=0.0,
        metavar="DECAY",
        help="keep a moving average of the weights (and BatchNorm's statistics) with this decay per step, "
        "and save it instead of the last weights (0: off)",
    )
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=0, help="use only this many training images (smoke test)")
    parser.add_argument("--out", type=Path, default=REPO / "resources/models/mnist_cnn.pt")
    parser.add_argument(
        "--evaluate",
        type=Path,
        metavar="MODEL",
        help="only report MODEL's MNIST test accuracy, "
        "on the test images as they are and after the app's preprocessing",
    )
    return parser.parse_args(argv)


@dataclass
class _Run:
    """One training run's state, handed from epoch to epoch (``gen`` drives every augmentation draw)."""

    args: argparse.Namespace
    spec: NetworkSpec
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loss_fn: nn.Module
    gen: torch.Generator
    data: tuple[torch.Tensor, ...]  # train images, train labels, test images, test labels
    pen: tuple[torch.Tensor, torch.Tensor]  # pen-drawn training digits and their labels
    letters: torch.Tensor  # not-a-digit shapes, to be given equal scores
    steps: int
    device: torch.device  # where the network and each batch are; the augmentation is always on the CPU
    average: AveragedModel | None = None  # the weights' moving average (``--ema``), saved instead of the model

    @property
    def saved(self) -> nn.Module:
        """The network that is evaluated and written: the moving average when there is one."""
        return self.average.module if self.average is not None else self.model


def _start_run(args: argparse.Namespace) -> _Run:
    """Seed, load the data, build the network and its optimiser: in this order, for a reproducible model."""
    try:
        device = resolve_device(args.device)
    except DeviceError as error:
        raise SystemExit(f"--device: {error}") from None
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    xtr, ytr, xte, yte = load_mnist(args.data_dir)
    if args.limit:
        xtr, ytr = xtr[: args.limit], ytr[: args.limit]
    pen = (xtr[:0], ytr[:0])
    if args.pen_per_batch:
        count = args.pen_digits or len(xtr)
        pen = pen_training_set.cached(xtr[:count], ytr[:count], args.seed, args.synthetic, args.pen_cache)
    letters = letter_training_set.build(args.letters, args.seed, args.scribbles) if args.letters_per_batch else xtr[:0]

    spec = digit_network_spec(args.width)
    model = build_model(spec, seed=args.seed)
    if args.init:
        model.load_state_dict(load_trained_model(args.init).state_dict)
        print(f"starting from {args.init}", flush=True)
    model = model.to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"network: {n_params:,} parameters, {len(spec.layers)} layers", flush=True)
    full_pass = math.ceil(len(xtr) / args.batch_size)
    steps = min(args.steps_per_epoch, full_pass) if args.steps_per_epoch else full_pass
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=args.epochs * steps, pct_start=0.2
    )
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    average = None
    if args.ema:
        average = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(args.ema), use_buffers=True)
    data = (xtr, ytr, xte, yte)
    return _Run(args, spec, model, optimizer, scheduler, loss_fn, gen, data, pen, letters, steps, device, average)


def _train_batch(run: _Run, idx: torch.Tensor) -> torch.Tensor:
    """One optimiser step on the images ``idx``: the first share as they are, the rest augmented,
    plus ``--pen-per-batch`` pen-drawn digits (turned and distorted, but keeping their pen width)
    and ``--letters-per-batch`` not-a-digit shapes, whose loss is the cross-entropy to equal scores."""
    xtr, ytr = run.data[0], run.data[1]
    xb, yb = xtr[idx], ytr[idx]
    n_clean = int(len(idx) * run.args.clean_fraction)
    drawn = add_serifs(xb[n_clean:], yb[n_clean:], run.gen)
    parts = [xb[:n_clean], augment(drawn, run.gen)]
    if len(run.pen[1]):
        pick = torch.randint(len(run.pen[1]), (run.args.pen_per_batch,), generator=run.gen)
        parts.append(augment(run.pen[0][pick], run.gen, thickness=False))
        yb = torch.cat([yb, run.pen[1][pick]])
    if len(run.letters):
        pick = torch.randint(len(run.letters), (run.args.letters_per_batch,), generator=run.gen)
        parts.append(augment(run.letters[pick], run.gen, thickness=False))
    xb, yb = torch.cat(parts).to(run.device), yb.to(run.device)
    logits = run.model((xb - MNIST_MEAN) / MNIST_STD)
    loss = run.loss_fn(logits[: len(yb)], yb)
    if len(run.letters):
        # cross-entropy to equal scores, less its floor ln(10): 0 when the model is as unsure as can be
        shapes = logits[len(yb) :]
        unsure = (-F.log_softmax(shapes, dim=1).mean(1) - math.log(shapes.shape[1])).mean()
        loss = loss + run.args.letter_weight * unsure
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    run.optimizer.step()
    run.scheduler.step()
    if run.average is not None:
        run.average.update_parameters(run.model)
    return loss


def _train_epoch(run: _Run, epoch: int) -> float:
    """One pass over the training images in a fresh random order; returns the test accuracy after it."""
    args, steps = run.args, run.steps
    run.model.train()
    start = time.perf_counter()
    order = torch.randperm(len(run.data[0]), generator=run.gen)
    total_loss = 0.0
    for step in range(steps):
        loss = _train_batch(run, order[step * args.batch_size : (step + 1) * args.batch_size])
        total_loss += float(loss.detach())
        if step % 100 == 0:
            print(
                f"  epoch {epoch} step {step}/{steps} loss {float(loss.detach()):.4f} "
                f"({time.perf_counter() - start:.0f}s)",
                flush=True,
            )
    accuracy = evaluate(run.saved, run.data[2], run.data[3])
    last = ""
    if run.average is not None:
        last = f" (the last weights {evaluate(run.model, run.data[2], run.data[3]):.4%})"
    print(
        f"epoch {epoch}/{args.epochs}: train loss {total_loss / steps:.4f}, "
        f"MNIST test accuracy {accuracy:.4%}{last} ({time.perf_counter() - start:.0f}s)",
        flush=True,
    )
    return accuracy


def _save(run: _Run, epoch: int, accuracy: float) -> None:
    """Write the model as it is after ``epoch`` to ``--out``, so a stopped run still leaves one."""
    trained = TrainedModel(
        run.spec,
        {k: v.detach().cpu().clone() for k, v in run.saved.state_dict().items()},
        (MNIST_MEAN,),
        (MNIST_STD,),
        "bundled",
        {"mnist_test_accuracy": accuracy, "epochs": float(epoch)},
    )
    run.args.out.parent.mkdir(parents=True, exist_ok=True)
    save_trained_model(trained, run.args.out, seed=run.args.seed, epochs_planned=run.args.epochs)


def train(args: argparse.Namespace) -> int:
    """Train the digit model for ``args.epochs`` epochs, saving it after each one."""
    run = _start_run(args)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        accuracy = _train_epoch(run, epoch)
        _save(run, epoch, accuracy)
    size = args.out.stat().st_size
    print(f"saved {args.out} ({size / 1024:.0f} KiB), MNIST test accuracy {accuracy:.4%}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.evaluate:
        return evaluate_file(args.evaluate, args.data_dir, args.threads)
    return train(args)


if __name__ == "__main__":
    raise SystemExit(main())
