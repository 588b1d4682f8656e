"""``netbuilder predict``: pictures from "another drawing program" of any size and pen width."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui_app.cli import main
from gui_app.core.digits.pen_styles import pen_picture
from gui_app.core.digits.reader import bundled_model_path
from tests.crafted_files import png_bomb
from tests.data.handwriting.pen_digits import load_pen_set, part_of, pictures
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


# ------------------------------------------------------------------ odd and hostile picture files


def _grey_ink(name: str, size: int = 150) -> np.ndarray:
    """The digit in dark grey pencil (60) on light grey paper (200), so no pixel is pure black or white."""
    paper = render_picture(_digit(name), (size, size)).astype(np.float32) / 255
    return (60 + paper * 140).round().astype(np.uint8)


def _copies(eight_bit: np.ndarray, folder: Path) -> list[Path]:
    """The 8-bit picture, then its 16-bit, palette and palette-with-transparency copies."""
    base = _save(eight_bit, folder / "eight-bit.png")
    sixteen = _save(eight_bit.astype(np.uint16) * 257, folder / "sixteen-bit.png")  # 255 -> 65535
    palette = folder / "palette.png"
    Image.fromarray(eight_bit).convert("P").save(palette)
    transparent = folder / "palette-transparent.png"
    with_alpha = np.zeros((*eight_bit.shape, 4), dtype=np.uint8)
    with_alpha[..., 3] = 255 - eight_bit  # black ink whose opacity is the darkness, on nothing
    Image.fromarray(with_alpha).convert("P").save(transparent, transparency=0)
    return [base, sixteen, palette, transparent]


def test_16_bit_and_palette_pngs_read_like_their_8_bit_copy(tmp_path: Path, capsys) -> None:
    files = _copies(_grey_ink("2-round"), tmp_path)
    assert Image.open(files[1]).mode == "I;16" and Image.open(files[2]).mode == "P"
    code, lines, err = _run(capsys, *map(str, files), "--json")
    assert code == 0, err
    records = [json.loads(line) for line in lines]
    assert [r["digit"] for r in records] == [2, 2, 2, 2]
    for record in records[1:3]:  # the same pixels: the same probabilities
        assert record["probabilities"] == pytest.approx(records[0]["probabilities"], abs=1e-3)


@pytest.mark.parametrize(("orientation", "held"), [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_a_phone_photo_reads_as_displayed(tmp_path: Path, capsys, orientation, held) -> None:
    upright = Image.fromarray(render_picture(_digit("3-flat"), (160, 160)))
    stored = upright.transpose(held)  # what the sensor saw, the phone held sideways
    exif = Image.Exif()
    exif[0x0112] = orientation  # how to turn it to display it upright
    photo = tmp_path / "photo.jpg"
    stored.save(photo, exif=exif, quality=95)
    sideways = tmp_path / "sideways.jpg"
    stored.save(sideways, quality=95)
    code, lines, _ = _run(capsys, str(photo), str(sideways), "--json")
    digits = [json.loads(line)["digit"] for line in lines]
    assert code == 0 and digits[0] == 3 and digits[1] != 3  # sideways, a 3 reads as 7 or 4


def test_a_big_picture_reads_the_same_digit_as_a_small_copy(tmp_path: Path, capsys) -> None:
    names = ["4-open", "5-two", "8-rings"]
    big, small = [], []
    for name in names:
        big.append(str(_save(render_picture(_digit(name), (3000, 3000)), tmp_path / f"{name}-3000.png")))
        small.append(str(_save(render_picture(_digit(name), (300, 300)), tmp_path / f"{name}-300.png")))
    Image.open(big[0]).convert("RGB").save(tmp_path / "4-open-3000.jpg", quality=92)
    big.append(str(tmp_path / "4-open-3000.jpg"))
    code, lines, err = _run(capsys, *big, *small, "--json")
    assert code == 0, err
    digits = [json.loads(line)["digit"] for line in lines]
    assert digits == [4, 5, 8, 4, 4, 5, 8]


@pytest.mark.timeout(120)  # a FIFO that is opened blocks for ever: fail instead
def test_bad_files_in_a_batch_are_one_line_each_and_the_others_are_read(tmp_path: Path, capsys) -> None:
    good = _save(render_picture(_digit("3-round"), (120, 120)), tmp_path / "good.png")
    good2 = _save(render_picture(_digit("9-stick"), (120, 120)), tmp_path / "good2.png")
    bomb = png_bomb(tmp_path / "bomb.png")
    text = tmp_path / "notimage.txt"
    text.write_text("just words")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:300])
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    bad = [bomb, text, truncated, fifo, Path("/dev/zero")]
    code, lines, err = _run(capsys, str(good), *map(str, bad), str(good2))
    assert code == 1
    assert len(lines) == 2
    assert lines[0].startswith(f"{good}: 3 (") and lines[1].startswith(f"{good2}: 9 (")
    errors = err.strip().splitlines()
    assert len(errors) == len(bad) and "Traceback" not in err
    for path, line in zip(bad, errors, strict=True):
        assert line.startswith(f"netbuilder predict: {path}: ")
    assert "too large to read" in errors[0] and "decompression bomb" in errors[0]
    assert "not a readable image" in errors[1] and "not a readable image" in errors[2]
    assert "not a regular file" in errors[3] and "not a regular file" in errors[4]


def test_help_says_what_the_exit_status_means(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 all files read, 1 some files could not be read" in out


# ------------------------------------------------------------------ not a digit


def _paper(lines: list[list[tuple[float, float]]], side: int = 300, pen: float = 18.0) -> np.ndarray:
    """Black strokes (in 0..1 units of the picture) on white paper."""
    return pen_picture([np.array(line, dtype=np.float32) * side for line in lines], (side, side), pen)


def test_a_dot_a_dash_a_scribble_and_a_letter_are_no_digit_with_a_reason(tmp_path: Path, capsys) -> None:
    zigzag = [[(0.05 + 0.9 * (i % 2), 0.05 + 0.9 * i / 23) for i in range(24)]]
    pictures = {
        "dot": _paper([[(0.5, 0.5)]]),
        "dash": _paper([[(0.3, 0.5), (0.6, 0.52)]]),
        "scribble": _paper(zigzag),
        "one": _paper([[(0.5, 0.35), (0.49, 0.65)]], pen=12.0),  # short and thin: still a 1
        "H": _paper([[(0.3, 0.2), (0.3, 0.8)], [(0.7, 0.2), (0.7, 0.8)], [(0.3, 0.5), (0.7, 0.5)]]),
    }
    files = [str(_save(picture, tmp_path / f"{name}.png")) for name, picture in pictures.items()]
    code, lines, err = _run(capsys, *files, "--json")
    assert code == 0, err
    records = [json.loads(line) for line in lines]
    for record, reason in zip(records[:3], ("a dot", "a dash", "a scribble"), strict=True):
        assert record["digit"] is None and record["reason"].startswith(reason), record
        assert len(record["probabilities"]) == 10
    assert records[3]["digit"] == 1 and "reason" not in records[3]
    assert records[4]["digit"] is None and records[4]["reason"].startswith("not like any digit"), records[4]

    code, lines, _ = _run(capsys, *files)
    assert code == 0
    assert lines[0] == f"{files[0]}: no digit (a dot, not a digit)"
    assert lines[3].startswith(f"{files[3]}: 1 (")


# ------------------------------------------------------------------ the project's pen-style test set

#: The bundled model's share of each part of the pen set read right (measured: see
#: docs/digit-model.md), less a margin of a few digits, so a model that reads pen writing worse
#: fails here. The tablet part is harder for every model (a few sampled points of a path whose
#: order, for MNIST's digits, is guessed from a skeleton) and harder still when the recording is
#: stretched to fill its box: the model before pen training read them at 91.1% and 81.9%.
PEN_SET_ACCURACY = {"pen strokes": 0.97, "tablet": 0.94, "tablet-box": 0.88}


def test_the_bundled_model_reads_the_pen_style_test_set(tmp_path: Path, capsys) -> None:
    digits = load_pen_set()
    files = [str(_save(picture, tmp_path / f"{i:04d}.png")) for i, picture in enumerate(pictures(digits))]
    code, lines, err = _run(capsys, *files, "--json")
    assert code == 0, err
    read = [json.loads(line)["digit"] for line in lines]
    for part, floor in PEN_SET_ACCURACY.items():
        mine = [(digit, d) for digit, d in zip(read, digits, strict=True) if part_of(d.source) == part]
        correct = sum(digit == d.label for digit, d in mine)
        print(f"pen-style test set, {part}: {correct}/{len(mine)} = {correct / len(mine):.2%}")
        assert correct / len(mine) >= floor, part
