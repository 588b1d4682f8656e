"""Peak memory of ``netbuilder predict`` reading one 12000×12000 picture, before and after issue 12.

"before" is how predict read a picture until issue 12 (decode at full size, convert to grey,
hand the full-size array to the MNIST preprocessing); "after" is :func:`pictures.read_grey`
(JPEG decoded at 1/8 scale, other formats reduced to 1024 px right after decoding). Each read
runs in a fresh subprocess after torch, the preprocessing and the bundled model are loaded; the
table shows that baseline, the process's peak resident memory (``ru_maxrss``) and the digit read.

    python benchmarks/bench_picture_memory.py
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SIDE = 12_000


def picture(mode: str) -> Image.Image:
    """A 7 drawn in a stroke of 1/12 of the side, dark on white paper."""
    image = Image.new(mode, (SIDE, SIDE), 255 if mode == "L" else (255, 255, 255))
    ink = 0 if mode == "L" else (20, 20, 20)
    points = [(SIDE * 0.25, SIDE * 0.2), (SIDE * 0.75, SIDE * 0.2), (SIDE * 0.45, SIDE * 0.85)]
    ImageDraw.Draw(image).line(points, fill=ink, width=SIDE // 12, joint="curve")
    return image


def make_files(folder: Path) -> list[Path]:
    rgb = picture("RGB")
    rgb.save(folder / "rgb.png", compress_level=1)
    rgb.save(folder / "rgb.jpg", quality=90)
    del rgb
    grey = np.asarray(picture("L"), dtype=np.uint16) * 257
    Image.fromarray(grey).save(folder / "grey16.png", compress_level=1)
    return [folder / "rgb.png", folder / "rgb.jpg", folder / "grey16.png"]


def read_before(path: Path) -> np.ndarray:
    """What predict's reader did before issue 12 (kept here, for the comparison only)."""
    with Image.open(path) as image:
        image.load()
        return np.asarray(image.convert("L"))


def child(how: str, path: Path) -> None:
    from gui_app.core.data.pictures import read_grey
    from gui_app.core.digits.reader import DigitReader

    reader = DigitReader.from_file(None)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grey = read_before(path) if how == "before" else read_grey(path)
    prediction = reader.read_many([grey])[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    digit = None if prediction is None else prediction.digit
    print(json.dumps({"baseline_mb": baseline / 1024, "peak_mb": peak / 1024, "digit": digit}))


def measure(how: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", how, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        files = make_files(Path(folder))
        print(f"{SIDE}×{SIDE} pictures; memory in MB (peak resident set of the reading process)")
        print(
            f"{'file':<12} {'size MB':>8} | {'baseline':>8} | {'before':>7} {'(+read)':>8} {'digit':>5} |"
            f" {'after':>7} {'(+read)':>8} {'digit':>5}"
        )
        for path in files:
            before, after = measure("before", path), measure("after", path)
            size = path.stat().st_size / 2**20
            print(f"{path.name:<12} {size:>8.1f} | {after['baseline_mb']:>8.0f} | {_cells(before)} | {_cells(after)}")


def _cells(result: dict) -> str:
    """Peak, what reading added to the baseline, and the digit read."""
    added = result["peak_mb"] - result["baseline_mb"]
    return f"{result['peak_mb']:>7.0f} {added:>+8.0f} {result['digit']!s:>5}"


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
