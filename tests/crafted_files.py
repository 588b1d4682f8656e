"""Hostile files the tests write themselves (shared by the picture, predict and dataset tests)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def png_bomb(path: Path, side: int = 20_000) -> Path:
    """A valid 1-bit PNG of side × side pixels: a few tens of KB for hundreds of millions of pixels."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path
