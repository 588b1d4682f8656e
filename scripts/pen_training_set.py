"""The pen-written copy of MNIST's training split that scripts/train_digit_model.py mixes in.

Every training digit is redrawn once as pen strokes (gui_app/core/digits/pen_strokes.py: skeleton,
polylines, straight segments, a uniform round pen 4-8% of the picture), with the stroke variants
pen writers use (flags and feet on 1s, bars and hooks on 7s), plus digits of every class made
from scratch in the order people write them and in styles MNIST has few of (open 4s, 9s with
straight and curled tails, 1s with long flags, crossed 7s, 8s in one stroke or two rings, 5s
with the bar first or last: gui_app/core/digits/pen_glyphs.py). Six in ten of them are drawn as a
tablet records them: 6-12 evenly spaced points of the pen's path, the strokes in writing order and
mostly joined by the pen's move between them, half of those stretched along each axis to fill
their box as normalised tablet recordings are. Each picture then goes through the app's own
preprocessing (``mnist_image``), exactly as ``netbuilder predict`` and the pad do.

Redrawing takes a few minutes on one core, so the result is cached (in /tmp by default, never in
git), keyed by the seed, the number of digits and the source of the modules that draw them.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np
import torch

from gui_app.core.digits import pen_glyphs, pen_strokes, pen_styles, preprocessing
from gui_app.core.digits.pen_glyphs import SYNTHETIC_LABELS, synthetic_glyph
from gui_app.core.digits.pen_strokes import digit_strokes
from gui_app.core.digits.pen_styles import PenStyle, pen_digit, pen_picture
from gui_app.core.digits.preprocessing import mnist_image

#: Smaller pictures than a user's 200-400 px draw the same 28×28 image after preprocessing,
#: three times faster: the pen width, as a share of the picture, is what matters. Six digits in ten
#: are a tablet's few evenly spaced points of the pen's path (6-12, strokes mostly joined), and
#: half of those are stretched to fill their box along each axis, as normalised recordings are.
TRAINING_STYLE = PenStyle(side=(96, 160), sampled=0.6, points=(6, 12), box=0.5)
CACHE_DIR = Path("/tmp/netbuilder-pen-cache")


def _cache_key(n_digits: int, seed: int, synthetic: int) -> str:
    sources = b"".join(Path(m.__file__).read_bytes() for m in (pen_strokes, pen_styles, pen_glyphs, preprocessing))
    sources += Path(__file__).read_bytes()
    return hashlib.sha256(sources + f"{n_digits}/{seed}/{synthetic}".encode()).hexdigest()[:16]


def _preprocessed(lines: list, label: int, rng: np.random.Generator, variants: bool = True) -> torch.Tensor:
    """One pen picture of ``lines`` as the app sees it; ``variants=False`` for glyphs that have theirs."""
    placed, size, pen = pen_digit(lines, label, rng, TRAINING_STYLE, variants=variants)
    image = mnist_image(pen_picture(placed, size, pen), invert=True)
    return image if image is not None else torch.zeros(28, 28)


def build(images: torch.Tensor, labels: torch.Tensor, seed: int, synthetic: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N×1×28×28 float, N labels): the pen copy of ``images`` plus ``synthetic`` made of each digit."""
    rng = np.random.default_rng(seed + 10_000)  # apart from the training's own torch generator
    out, out_labels = [], []
    start = time.perf_counter()
    chunk = 2000
    for first in range(0, len(images), chunk):
        strokes = digit_strokes(images[first : first + chunk, 0].numpy())
        for lines, label in zip(strokes, labels[first : first + chunk].tolist(), strict=True):
            out.append(_preprocessed(lines, label, rng))
            out_labels.append(label)
        print(f"  pen copy: {first + len(strokes)}/{len(images)} ({time.perf_counter() - start:.0f}s)", flush=True)
    for label in SYNTHETIC_LABELS:
        for _ in range(synthetic):
            out.append(_preprocessed(synthetic_glyph(label, rng), label, rng, variants=False))
            out_labels.append(label)
    return torch.stack(out).unsqueeze(1), torch.tensor(out_labels, dtype=torch.long)


def cached(
    images: torch.Tensor, labels: torch.Tensor, seed: int, synthetic: int, cache_dir: Path = CACHE_DIR
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`build`, read from ``cache_dir`` when it was made before from the same inputs and code."""
    path = cache_dir / f"pen-{_cache_key(len(images), seed, synthetic)}.pt"
    if path.is_file():
        data = torch.load(path, weights_only=True)
        print(f"pen copy from {path}: {len(data['labels'])} digits", flush=True)
        return data["images"].float().div(255), data["labels"]
    pen_images, pen_labels = build(images, labels, seed, synthetic)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # stored as uint8: a quarter of the size, and finer steps than the antialiasing anyway
    torch.save({"images": (pen_images * 255).round().to(torch.uint8), "labels": pen_labels}, path)
    print(f"pen copy written to {path}: {len(pen_labels)} digits", flush=True)
    return (pen_images * 255).round().div(255), pen_labels
