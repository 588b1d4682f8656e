"""A picture of a network's design as SVG text, made from the spec and the compiler's shapes.

It needs no Qt, so ``netbuilder draw`` works on a headless machine, and the window's
File ▸ Export ▸ Picture… writes the same SVG. Input, blocks and output are drawn top to bottom as
the canvas draws them: each block with its number, type, key settings, output shape and
parameter count, in its category's colour; a block with an error in red, with the message.

Every string that comes from the project (the name above all) is made printable and escaped for
XML: a name such as ``</text><script>`` is text in the picture, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from gui_app.core.analysis.compiler import CompiledNetwork, LayerResult, compile_network
from gui_app.core.analysis.messages import layer_number
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.layers.colours import CATEGORY_COLOURS, FALLBACK_COLOUR
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.numbers import format_count, format_shape
from gui_app.core.text.printable import printable

_END_COLOUR = CATEGORY_COLOURS["Input"]
_ERROR_COLOUR = "#D7263D"
_TEXT, _MUTED, _PAPER = "#1F2328", "#5F6B7A", "#FFFFFF"


@dataclass(frozen=True)
class Layout:
    """Sizes in SVG user units (pixels at 100 %)."""

    width: int = 360
    block_height: int = 58
    end_height: int = 40
    gap: int = 22
    margin: int = 24
    title_height: int = 46


def network_svg(spec: NetworkSpec, layout: Layout | None = None) -> str:
    """The network drawn as a standalone SVG document."""
    layout = layout or Layout()
    compiled = compile_network(spec)
    parts: list[str] = []
    y = layout.margin + layout.title_height
    parts.append(_end_box(layout, y, "Input", format_shape(spec.input_shape)))
    y += layout.end_height
    for result in compiled.layers:
        parts.append(_arrow(layout, y))
        y += layout.gap
        parts.append(_block(layout, y, result))
        y += layout.block_height
    parts.append(_arrow(layout, y))
    y += layout.gap
    parts.append(_end_box(layout, y, "Output", _output_text(compiled)))
    y += layout.end_height + layout.margin
    width = layout.width + 2 * layout.margin
    header = _title(layout, spec, compiled)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y}" viewBox="0 0 {width} {y}" '
        'font-family="DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif">\n'
        f"<title>{_text(spec.name)}</title>\n"
        f'<rect x="0" y="0" width="{width}" height="{y}" fill="{_PAPER}"/>\n'
        f"{header}\n" + "\n".join(parts) + "\n</svg>\n"
    )


def _text(value: str, limit: int = 200) -> str:
    """Project text as SVG character data: printable (XML forbids control characters), escaped, cut."""
    shown = printable(value)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return escape(shown)


def _title(layout: Layout, spec: NetworkSpec, compiled: CompiledNetwork) -> str:
    totals = f"{format_count(compiled.total_params)} parameters"
    x = layout.margin
    return (
        f'<text x="{x}" y="{layout.margin + 14}" font-size="15" font-weight="bold" fill="{_TEXT}">'
        f"{_text(spec.name, 60)}</text>\n"
        f'<text x="{x}" y="{layout.margin + 30}" font-size="11" fill="{_MUTED}">{_text(totals)}</text>'
    )


def _end_box(layout: Layout, y: int, label: str, detail: str) -> str:
    x = layout.margin
    return (
        f'<g class="end"><rect x="{x}" y="{y}" width="{layout.width}" height="{layout.end_height}" rx="8" '
        f'fill="{_END_COLOUR}"/>'
        f'<text x="{x + 14}" y="{y + 25}" font-size="13" font-weight="bold" fill="#FFFFFF">{_text(label)}</text>'
        f'<text x="{x + layout.width - 14}" y="{y + 25}" font-size="12" fill="#FFFFFF" text-anchor="end">'
        f"{_text(detail)}</text></g>"
    )


def _block(layout: Layout, y: int, result: LayerResult) -> str:
    entry = CATALOGUE[result.type]
    colour = CATEGORY_COLOURS.get(entry.category, FALLBACK_COLOUR)
    border = _ERROR_COLOUR if result.error else colour
    x, width = layout.margin, layout.width
    heading = f"#{layer_number(result.index)}  {result.type}"
    count = ""
    if result.error:
        detail, detail_colour = result.error, _ERROR_COLOUR
    else:
        shape = format_shape(result.output_shape) if result.output_shape is not None else "?"
        detail, detail_colour = f"→ {shape}", _MUTED
        count = f"{format_count(result.params)} params"
    return (
        f'<g class="block" data-type={quoteattr(result.type)}>'
        f'<rect x="{x}" y="{y}" width="{width}" height="{layout.block_height}" rx="8" fill="{_PAPER}" '
        f'stroke="{border}" stroke-width="2"/>'
        f'<rect x="{x}" y="{y}" width="8" height="{layout.block_height}" rx="4" fill="{colour}"/>'
        f'<text x="{x + 18}" y="{y + 20}" font-size="13" font-weight="bold" fill="{_TEXT}">{_text(heading)}</text>'
        f'<text x="{x + width - 12}" y="{y + 20}" font-size="11" fill="{_MUTED}" text-anchor="end">'
        f"{_text(result.summary, 40)}</text>"
        f'<text x="{x + 18}" y="{y + 44}" font-size="11" fill="{detail_colour}">{_text(detail, 60)}</text>'
        f'<text x="{x + width - 12}" y="{y + 44}" font-size="11" fill="{_MUTED}" text-anchor="end">'
        f"{_text(count)}</text></g>"
    )


def _arrow(layout: Layout, y: int) -> str:
    cx = layout.margin + layout.width // 2
    end = y + layout.gap - 2
    return (
        f'<path d="M {cx} {y + 2} L {cx} {end - 6}" stroke="{_MUTED}" stroke-width="2" fill="none"/>'
        f'<path d="M {cx - 5} {end - 7} L {cx + 5} {end - 7} L {cx} {end} Z" fill="{_MUTED}"/>'
    )


def _output_text(compiled: CompiledNetwork) -> str:
    shape = compiled.output_shape
    return format_shape(shape) if shape is not None else "— (the network has errors)"
