"""The one picture reader (``netbuilder predict`` and image folders): odd encodings read like their
plain copies, big pictures come out small, and files that are not pictures are one PictureError."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui_app.core.data.pictures import MAX_SIDE, PictureError, read_grey, read_picture
from gui_app.core.files.reading import PICTURE_LIMIT
from tests.crafted_files import png_bomb


@pytest.fixture
def grey() -> np.ndarray:
    """A smooth grey picture with every level from 20 to 235: clipping or a wrong scale shows."""
    rows, cols = np.mgrid[0:90, 0:120]
    return (20 + (rows * 120 + cols) * 215 // (90 * 120 - 1)).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".pgm"])
def test_16_bit_grey_reads_like_its_8_bit_copy(tmp_path: Path, grey: np.ndarray, suffix: str) -> None:
    path = tmp_path / f"sixteen{suffix}"
    Image.fromarray(grey.astype(np.uint16) * 257).save(path)  # 8-bit level k is 257·k in 16 bits
    assert np.array_equal(read_grey(path), grey)


def test_palette_pngs_read_like_their_8_bit_copy(tmp_path: Path, grey: np.ndarray) -> None:
    Image.fromarray(grey).convert("P").save(tmp_path / "palette.png")
    assert np.array_equal(read_grey(tmp_path / "palette.png"), grey)
    # transparent palette entries are white paper, as in a drawing program
    Image.fromarray(grey).convert("P").save(tmp_path / "clear.png", transparency=int(grey[0, 0]))
    read = read_grey(tmp_path / "clear.png")
    assert read[0, 0] == 255 and np.array_equal(read[grey != grey[0, 0]], grey[grey != grey[0, 0]])


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_exif_orientation_is_applied(tmp_path: Path, grey: np.ndarray, mode: str) -> None:
    upright = Image.fromarray(grey).convert(mode)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned left: turn it right to display
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "photo.png", exif=exif)
    assert read_picture(tmp_path / "photo.png", mode).size == upright.size
    assert np.array_equal(np.asarray(read_picture(tmp_path / "photo.png", mode)), np.asarray(upright))


@pytest.mark.parametrize(("suffix", "size"), [(".png", (3000, 2000)), (".jpg", (2000, 3000)), (".png", (900, 40))])
def test_big_pictures_come_out_at_most_max_side(tmp_path: Path, suffix: str, size: tuple[int, int]) -> None:
    path = tmp_path / f"big{suffix}"
    Image.new("RGB", size, (200, 30, 30)).save(path)
    read = read_picture(path, "RGB")
    width, height = read.size
    assert max(read.size) <= MAX_SIDE and (width >= height) == (size[0] >= size[1])
    if max(size) <= MAX_SIDE:
        assert read.size == size  # small pictures are not touched
    assert np.abs(np.asarray(read, dtype=int) - (200, 30, 30)).max() <= 3


def test_hidden_colours_under_transparency_do_not_bleed_when_reduced(tmp_path: Path) -> None:
    rgba = np.random.default_rng(0).integers(0, 256, (2400, 2400, 4), dtype=np.uint8)
    rgba[..., 3] = 0  # invisible noise, as editors leave it under erased paper
    rgba[800:1600, 800:1600] = (0, 0, 0, 255)  # one black square of ink
    Image.fromarray(rgba).save(tmp_path / "clear.png")
    read = read_grey(tmp_path / "clear.png")
    assert read.shape == (800, 800)
    assert read[:250].min() == 255 and read[300:500, 300:500].max() == 0


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    for side in (20_000, 12_500):  # above Pillow's own limit, and between it and ours
        bomb = png_bomb(tmp_path / f"bomb-{side}.png", side)
        assert bomb.stat().st_size < 200_000
        with pytest.raises(PictureError) as info:
            read_grey(bomb)
        assert str(info.value).startswith(f"{bomb}: ") and "decompression bomb" in info.value.reason
    assert "12500×12500 pixels" in str(info.value)


@pytest.mark.timeout(60)  # opening a FIFO blocks for ever: fail instead
def test_what_is_not_a_picture_file_is_one_error_naming_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.png")
    (tmp_path / "folder.png").mkdir()
    (tmp_path / "words.png").write_text("not a picture")
    (tmp_path / "script.png").write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with open(tmp_path / "huge.png", "wb") as handle:
        handle.truncate(PICTURE_LIMIT + 1)  # sparse: no disk used
    expected = {
        "fifo.png": "not a regular file",
        "folder.png": "is a folder",
        "words.png": "not a readable image",
        "script.png": "not a readable image",  # EPS is not handed to Ghostscript
        "huge.png": "larger than",
        "missing.png": "no such file",
    }
    for name, reason in expected.items():
        with pytest.raises(PictureError) as info:
            read_grey(tmp_path / name)
        assert str(info.value).startswith(f"{tmp_path / name}: ") and reason in info.value.reason
        assert "\n" not in str(info.value)
    with pytest.raises(PictureError, match="not a regular file"):
        read_grey("/dev/zero")
