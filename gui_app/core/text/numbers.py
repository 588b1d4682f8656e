"""Numbers as people read them on a block, in the status bar and in ``netbuilder summary``."""

from __future__ import annotations


def format_shape(shape: tuple[int, ...] | None) -> str:
    """``(16, 12, 12)`` -> ``16×12×12``; None (unknown) -> empty."""
    return "×".join(str(d) for d in shape) if shape is not None else ""


def format_count(n: int) -> str:
    """Parameter counts: 1,234 / 101.8k / 11.2M."""
    if n < 10_000:
        return f"{n:,}"
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def format_bytes(n: float) -> str:
    """Sizes in binary units: 512 B / 325.1 KB / 1.5 MB / 8.0 GB."""
    for unit in ("B", "KB", "MB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def format_macs(n: int) -> str:
    """Multiply-accumulates in decimal units: 1,280 / 101.8k / 2.3M / 1.82G."""
    if n < 1_000_000_000:
        return format_count(n)
    return f"{n / 1_000_000_000:.2f}G"
