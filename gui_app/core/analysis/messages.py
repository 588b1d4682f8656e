"""How every message names a layer: the one place that turns a layer's index into words.

The canvas labels the first block after Input ``#1``, so a message, the CLI's table, the status
bar and the training panel all count from 1 too: a user reading "block 2 (Linear)" in a terminal
finds the block the canvas marks ``#2``. The index passed in is the 0-based position in
``NetworkSpec.layers`` (what the compiler and the JSON output use).
"""

from __future__ import annotations

from typing import Protocol


class NamedLayerError(Protocol):
    """What a message needs of a compiler result: where the layer is, its type and its error."""

    index: int
    type: str
    error: str | None


def layer_number(index: int) -> int:
    """The number the canvas shows for the layer at 0-based ``index``."""
    return index + 1


def block_name(index: int) -> str:
    """``block 2`` for the layer at index 1: a layer named without its type."""
    return f"block {layer_number(index)}"


def layer_label(index: int, type_name: str) -> str:
    """``block 2 (Linear)``: a layer named by its canvas number and type."""
    return f"{block_name(index)} ({type_name})"


def layer_message(index: int, type_name: str, text: str, *, sentence: bool = False) -> str:
    """``block 2 (Linear): text``; with ``sentence`` it starts with a capital, as a status line does."""
    message = f"{layer_label(index, type_name)}: {text}"
    return message[0].upper() + message[1:] if sentence else message


def error_message(result: NamedLayerError, *, sentence: bool = False) -> str:
    """The one line for a compiler result that has an error."""
    return layer_message(result.index, result.type, result.error or "", sentence=sentence)
