"""A class's name for the user: the dataset's, else its number (a folder dataset may name fewer
classes than a network outputs, and a regression names none)."""

from __future__ import annotations

from collections.abc import Sequence


def class_name(names: Sequence[str], index: int) -> str:
    """``names[index]``, or ``str(index)`` when the names do not reach it (or it is negative,
    which would otherwise name a class from the end)."""
    return names[index] if 0 <= index < len(names) else str(index)
