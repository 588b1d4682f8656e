"""Reading one picture file safely and small: the digits ``netbuilder predict`` reads and the
images of an image folder.

Pictures come from phones, scanners and other programs: 16-bit and palette PNGs, photos stored
sideways with an EXIF orientation, 12000×12000 scans, and files that only claim to be pictures
(a FIFO named ``x.png``, a 20000×20000 PNG of a few KB). One reader handles them all, so every
failure is a :class:`PictureError` naming the file, and a big picture is decoded reduced (JPEG)
or reduced right after decoding, before any copy of it is made: the digit model reads 28×28 and
training images are rarely bigger than a few hundred pixels, so nothing needs more than
:data:`MAX_SIDE` pixels a side.
"""

from __future__ import annotations

import math
import os
import struct
import warnings
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

from gui_app.core.files.reading import PICTURE_LIMIT, FileReadError, check_regular_file

#: Pictures with more pixels are refused before decoding (a 12000×12000 scan, 144 million, is read).
MAX_PICTURE_PIXELS = 150_000_000
#: The long side a picture is reduced to at most, right after decoding.
MAX_SIDE = 1024
#: The file names that are pictures when a folder is searched.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})
#: The decoders tried, matching :data:`IMAGE_SUFFIXES` (JPEG opens the MPO files some cameras write too).
#: Limiting them keeps Pillow's other plugins (EPS runs Ghostscript) away from files named ``.png``.
_FORMATS = ("PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP", "PPM")
#: EXIF orientation -> the transpose that shows the picture as the camera's screen did.
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION = 0x0112
#: Modes that are reduced as they are; every other mode is converted first.
_REDUCIBLE = ("L", "LA", "RGB", "RGBA")
#: Grey modes holding 16-bit values (PNG, TIFF, PGM): ``convert("L")`` would clip them at 255.
_SIXTEEN_BIT = ("I", "I;16", "I;16L", "I;16B", "I;16N")
#: Pixels per strip when 16-bit values are scaled, so the scaling needs no full-size copy.
_STRIP_PIXELS = 4_000_000
_TOO_LARGE = f"too large to read: more than {MAX_PICTURE_PIXELS // 1_000_000} million pixels (a decompression bomb?)"
#: What Pillow raises for a damaged or truncated file: they all mean "not a readable picture".
_DECODE_ERRORS = (OSError, ValueError, EOFError, SyntaxError, struct.error, zlib.error)


class PictureError(ValueError):
    """A picture that cannot be read; ``str()`` is ``"PATH: reason"``, ``reason`` the part after it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_picture(path: str | os.PathLike[str], mode: str = "L", max_side: int = MAX_SIDE) -> Image.Image:
    """The picture at ``path`` in ``mode`` ("L" or "RGB"), upright, transparency laid on white
    paper (as a drawing program shows it), its long side at most about ``max_side`` pixels.

    Raises :class:`PictureError` for anything that is not a readable picture of at most
    :data:`MAX_PICTURE_PIXELS` pixels in a regular file of at most ``PICTURE_LIMIT`` bytes.
    """
    path = Path(path)
    try:
        check_regular_file(path, PICTURE_LIMIT)  # a FIFO or /dev/zero would hang or fill memory
    except FileReadError as exc:
        raise PictureError(path, str(exc).removeprefix(f"{path}: ")) from None
    try:
        with open(path, "rb") as handle, _open_checked(handle, path) as image:
            return _decode_small(image, mode, max_side)
    except PictureError:
        raise
    except Image.DecompressionBombError:
        raise PictureError(path, _TOO_LARGE) from None
    except UnidentifiedImageError:
        raise PictureError(
            path, "not a readable image: not a PNG, JPEG, BMP, GIF, TIFF, WebP or PPM/PGM file"
        ) from None
    except _DECODE_ERRORS as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PictureError(path, f"not a readable image: {detail}") from None


def read_grey(path: str | os.PathLike[str]) -> np.ndarray:
    """The picture at ``path`` as an 8-bit grey array (H×W), as :func:`read_picture` reads it."""
    return np.asarray(read_picture(path, "L"))


def _open_checked(handle: BinaryIO, path: Path) -> Image.Image:
    """Open (not decode) the picture, refusing one with more than :data:`MAX_PICTURE_PIXELS`."""
    with warnings.catch_warnings():
        # Pillow warns above its own limit (89 million pixels) and refuses above twice that; our
        # limit, checked below, lies between, so its warning would only repeat what we decide.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(handle, formats=_FORMATS)
    width, height = image.size
    if width * height > MAX_PICTURE_PIXELS:
        image.close()
        raise PictureError(path, f"{width}×{height} pixels, {_TOO_LARGE}")
    return image


def _decode_small(image: Image.Image, mode: str, max_side: int) -> Image.Image:
    """Decode ``image`` reduced to about ``max_side``, then make it upright, opaque and ``mode``."""
    image.draft(mode, (max_side, max_side))  # JPEG decodes at 1/2, 1/4 or 1/8 scale: never full size
    orientation = image.getexif().get(_EXIF_ORIENTATION)
    image.load()
    if image.mode not in _REDUCIBLE:
        image = _eight_bit(image, mode)
    factor = math.ceil(max(image.size) / max_side)
    if factor > 1:
        image = image.reduce(factor)  # premultiplies alpha, so hidden colours do not bleed in
    if orientation in _ORIENTATION:
        image = image.transpose(_ORIENTATION[orientation])
    if image.mode in ("LA", "RGBA"):
        paper = Image.new(image.mode, image.size, (255,) * len(image.mode))
        image = Image.alpha_composite(paper, image)
    return image.convert(mode)


def _eight_bit(image: Image.Image, mode: str) -> Image.Image:
    """``image`` in ``mode``, or ``mode`` with alpha when it has transparency, 16-bit grey scaled
    by its range (65535) rather than clipped."""
    if image.mode in _SIXTEEN_BIT:
        return _scaled_sixteen_bit(image)
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return image.convert(mode + "A" if has_alpha else mode)  # LA or RGBA


def _scaled_sixteen_bit(image: Image.Image) -> Image.Image:
    """16-bit grey as 8-bit ``L`` (v × 255 / 65535, rounded), a strip at a time."""
    width, height = image.size
    grey = np.empty((height, width), dtype=np.uint8)
    rows = max(1, _STRIP_PIXELS // max(1, width))
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        strip = np.asarray(image.crop((0, top, width, bottom)), dtype=np.int64).reshape(bottom - top, width)
        grey[top:bottom] = (np.clip(strip, 0, 65535) * 255 + 32767) // 65535
    return Image.fromarray(grey)
