"""Draw the NetBuilder app icon once and write every format the platforms want.

The icon is a small layered network (three columns of nodes joined by edges) on a rounded tile.
One geometry feeds both the SVG and the Pillow drawings, so the PNG, ``.ico`` and ``.icns`` files
never drift from the SVG. Sizes of 32 px and below use a simpler, bolder variant: at 16 px the full
drawing's thin edges vanish. Run it after changing the drawing and commit the results:

    python packaging/make_icons.py            # writes resources/icons/app/
"""

from __future__ import annotations

import argparse
import io
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

#: Edge length of the drawing's coordinate system; every size is a scale of it.
UNIT = 512
#: PNG sizes shipped for the freedesktop hicolor theme and the window icon.
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
#: Sizes inside the Windows ``.ico`` (256 is the largest the format stores).
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: The ``.icns`` entry type that holds a PNG of each size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09"}
#: Largest size drawn with the simple variant.
SMALL_MAX = 32
#: File stem used for every icon file.
STEM = "netbuilder"

TILE = "#1f2a4d"
EDGE = "#8ea6ff"
NODE_IN = "#ffd166"
NODE_HIDDEN = "#ffffff"
NODE_OUT = "#06d6a0"


@dataclass(frozen=True)
class Drawing:
    """One variant of the icon in ``UNIT`` coordinates."""

    columns: tuple[tuple[float, tuple[float, ...]], ...]  # (x, node y positions) per layer
    node_radius: float
    edge_width: float
    corner_radius: float = 104
    margin: float = 16

    def nodes(self) -> list[tuple[float, float, str]]:
        """Every node as (x, y, colour); the first column is the input, the last the output."""
        colours = [NODE_IN] + [NODE_HIDDEN] * (len(self.columns) - 2) + [NODE_OUT]
        return [(x, y, colours[i]) for i, (x, ys) in enumerate(self.columns) for y in ys]

    def edges(self) -> list[tuple[float, float, float, float]]:
        """Every edge between neighbouring columns, fully connected like ``nn.Linear``."""
        lines = []
        for (x0, ys0), (x1, ys1) in zip(self.columns, self.columns[1:], strict=False):
            lines.extend((x0, y0, x1, y1) for y0 in ys0 for y1 in ys1)
        return lines


FULL = Drawing(
    columns=((124, (176, 256, 336)), (256, (128, 208, 304, 384)), (388, (208, 304))),
    node_radius=30,
    edge_width=10,
)
SMALL = Drawing(
    columns=((120, (176, 336)), (256, (136, 256, 376)), (392, (256,))),
    node_radius=54,
    edge_width=30,
    corner_radius=96,
    margin=0,
)


def svg_text(drawing: Drawing = FULL) -> str:
    """The drawing as a standalone SVG document."""
    m, size = drawing.margin, UNIT - 2 * drawing.margin
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{UNIT}" height="{UNIT}" viewBox="0 0 {UNIT} {UNIT}">',
        "  <title>NetBuilder</title>",
        f'  <rect x="{m:g}" y="{m:g}" width="{size:g}" height="{size:g}" '
        f'rx="{drawing.corner_radius:g}" fill="{TILE}"/>',
        f'  <g stroke="{EDGE}" stroke-width="{drawing.edge_width:g}" stroke-linecap="round">',
    ]
    parts += [f'    <line x1="{a:g}" y1="{b:g}" x2="{c:g}" y2="{d:g}"/>' for a, b, c, d in drawing.edges()]
    parts.append("  </g>")
    parts.append(f'  <g stroke="{TILE}" stroke-width="{drawing.edge_width / 2:g}">')
    parts += [
        f'    <circle cx="{x:g}" cy="{y:g}" r="{drawing.node_radius:g}" fill="{colour}"/>'
        for x, y, colour in drawing.nodes()
    ]
    parts += ["  </g>", "</svg>", ""]
    return "\n".join(parts)


def render(size: int) -> Image.Image:
    """The icon as an RGBA image of ``size`` pixels, drawn 4x larger and scaled down to smooth edges."""
    drawing = SMALL if size <= SMALL_MAX else FULL
    big = max(size * 4, 256)
    k = big / UNIT
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    m = drawing.margin * k
    draw.rounded_rectangle((m, m, big - m - 1, big - m - 1), radius=drawing.corner_radius * k, fill=TILE)
    width = max(1, round(drawing.edge_width * k))
    for a, b, c, d in drawing.edges():
        draw.line((a * k, b * k, c * k, d * k), fill=EDGE, width=width)
        for x, y in ((a, b), (c, d)):  # round caps, as in the SVG
            draw.ellipse((x * k - width / 2, y * k - width / 2, x * k + width / 2, y * k + width / 2), fill=EDGE)
    ring = max(1, round(drawing.edge_width / 2 * k))
    for x, y, colour in drawing.nodes():
        r = drawing.node_radius * k
        draw.ellipse((x * k - r, y * k - r, x * k + r, y * k + r), fill=colour, outline=TILE, width=ring)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def png_bytes(image: Image.Image) -> bytes:
    """The smaller of the RGBA and the 256-colour PNG encodings: flat artwork quantises well."""
    encodings = []
    for candidate in (image, image.quantize(255, method=Image.Quantize.FASTOCTREE)):
        buffer = io.BytesIO()
        candidate.save(buffer, "PNG", optimize=True)
        encodings.append(buffer.getvalue())
    return min(encodings, key=len)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ``.ico`` holding one PNG entry per size (Vista and later read PNG entries)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    directory, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + directory + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ``.icns`` holding one PNG entry per size; 1024 px is left out to keep it small."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for size, kind in ICNS_TYPES.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out: Path) -> list[Path]:
    """Write the SVG, one PNG per size, the ``.ico`` and the ``.icns`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    svg = out / f"{STEM}.svg"
    svg.write_text(svg_text(), encoding="utf-8")
    written = [svg]
    pngs = {size: png_bytes(render(size)) for size in PNG_SIZES}
    for size in PNG_SIZES:
        path = out / f"{STEM}-{size}.png"
        path.write_bytes(pngs[size])
        written.append(path)
    for path, data in (
        (out / f"{STEM}.ico", ico_bytes({s: pngs[s] for s in ICO_SIZES})),
        (out / f"{STEM}.icns", icns_bytes(pngs)),
    ):
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``make_icons.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent / "resources" / "icons" / "app"
    parser.add_argument("--out", type=Path, default=default, help=f"output folder (default: {default})")
    args = parser.parse_args(argv)
    for path in write_icons(args.out):
        print(f"{path.stat().st_size:>8,d}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
