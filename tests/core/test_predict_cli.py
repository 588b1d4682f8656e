"""``netbuilder predict``: pictures from "another drawing program" of any size and pen width."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui_app.cli import main
from gui_app.core.digit_reader import bundled_model_path
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place, render_picture, variants

#: (height, width) of the pictures, cycled over the digits: tiny to large, square and not.
SIZES = ((28, 28), (64, 64), (120, 300), (400, 250), (900, 900), (200, 200))


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["predict", *args])
    out, err = capsys.readouterr()
    return code, [line for line in out.splitlines() if line], err


def _save(picture: np.ndarray, path: Path) -> Path:
    Image.fromarray(picture).save(path)
    return path


def _digit(name: str) -> StrokeDigit:
    label, strokes = GLYPHS[name]
    return StrokeDigit(name, label, place(strokes, 0.7), 1 / 12)


def test_pictures_of_any_size_and_pen_width_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digits = variants()[1::9]
    files, labels = [], []
    for i, digit in enumerate(digits):
        size = SIZES[i % len(SIZES)]
        # pen widths from 2 px to a sixth of the picture, whatever the pad used
        pen = [2.0, None, min(size) / 6][i % 3]
        files.append(str(_save(render_picture(digit, size, pen), tmp_path / f"{i:03d}.png")))
        labels.append(digit.label)
    code, lines, err = _run(capsys, *files, "--json")
    assert code == 0, err
    records = [json.loads(line) for line in lines]
    assert [r["file"] for r in records] == files
    for record in records:
        assert set(record) == {"file", "digit", "probabilities"}
        assert len(record["probabilities"]) == 10
        assert sum(record["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert record["digit"] == int(np.argmax(record["probabilities"]))
    correct = sum(r["digit"] == y for r, y in zip(records, labels, strict=True))
    print(f"pictures read: {correct}/{len(labels)}")
    assert correct / len(labels) >= 0.97


def test_light_on_dark_grey_paper_and_transparency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paper = render_picture(_digit("3-flat"), (150, 150))
    inverted = _save(255 - paper, tmp_path / "chalk.png")
    grey = _save((paper * 0.6 + 80).astype(np.uint8), tmp_path / "grey-paper.jpg")
    rgba = np.zeros((150, 150, 4), dtype=np.uint8)
    rgba[..., 3] = 255 - render_picture(_digit("6-curve"), (150, 150))  # black ink, transparent paper
    transparent = _save(rgba, tmp_path / "transparent.png")
    code, lines, _ = _run(capsys, str(inverted), str(grey), str(transparent), "--json")
    assert code == 0
    assert [json.loads(line)["digit"] for line in lines] == [3, 3, 6]


def test_blank_and_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = _save(np.full((50, 80), 255, np.uint8), tmp_path / "blank.png")
    good = _save(render_picture(_digit("7-plain"), (100, 100)), tmp_path / "seven.png")
    junk = tmp_path / "junk.png"
    junk.write_text("not a picture")
    code, lines, err = _run(capsys, str(blank), str(tmp_path / "missing.png"), str(junk), str(good), "--json")
    assert code == 1
    records = [json.loads(line) for line in lines]
    assert records[0] == {"file": str(blank), "digit": None, "probabilities": None}
    assert records[1]["error"] == "no such file" and records[2]["error"].startswith("not a readable image")
    assert records[3]["digit"] == 7
    assert "missing.png: no such file" in err and "Traceback" not in err


def test_plain_output_folders_and_small_batches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "digits"
    folder.mkdir()
    names = ["0-oval", "1-flag", "2-round", "4-closed", "5-two", "8-rings", "9-stick"]
    for name in names:
        _save(render_picture(_digit(name), (90, 90)), folder / f"{name}.png")
    (folder / "notes.txt").write_text("ignored: not an image")
    code, lines, _ = _run(capsys, str(folder), "--batch-size", "3")
    assert code == 0
    assert len(lines) == len(names)
    for name, line in zip(names, lines, strict=True):
        assert line.startswith(f"{folder / name}.png: {GLYPHS[name][0]} (") and line.endswith("%)")


def test_model_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    picture = _save(render_picture(_digit("4-open"), (100, 100)), tmp_path / "four.png")
    copy = tmp_path / "model.pt"
    shutil.copy(bundled_model_path(), copy)
    code, lines, _ = _run(capsys, str(picture), "--model", str(copy), "--json")
    assert code == 0 and json.loads(lines[0])["digit"] == 4

    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00 not torch")
    code, lines, err = _run(capsys, str(picture), "--model", str(bad))
    assert code == 2 and not lines
    assert err.startswith("netbuilder predict: bad.pt") and len(err.strip().splitlines()) == 1
