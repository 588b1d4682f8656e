"""How every message names a layer: the one place that turns a layer's index into words.

The canvas labels the first block after Input ``#1``, so a message, the CLI's table, the status
bar and the training panel all count from 1 too: a user reading "block 2 (Linear)" in a terminal
finds the block the canvas marks ``#2``. The index passed in is the 0-based position in
``NetworkSpec.layers`` (what the compiler and the JSON output use).

A block inside a container is named by its address (:data:`gui_app.core.project.blocks.Address`):
the top-level number, then each lane's name and the block's number in that lane, all counted from
1, joined by dots: "block 3.body.2" is the second block of the body of the Residual that is block 3,
"block 4.lane2.1.shortcut.1" the first block of the shortcut of the Residual that opens the second
lane of the Parallel that is block 4. The canvas labels inner blocks the same way.
"""

from __future__ import annotations

from typing import Protocol

#: A block's place: its top-level 0-based index, or its whole address (index, lane name, index, ...).
Where = int | tuple[int | str, ...]


class NamedLayerError(Protocol):
    """What a message needs of a compiler result: where the layer is, its type and its error.

    A result may also have an ``address`` (where it is nested) and a ``fault``, the inner
    result whose error a container's error is; the message then names that inner block.
    """

    index: int
    type: str
    error: str | None


def layer_number(index: int) -> int:
    """The number the canvas shows for the layer at 0-based ``index``."""
    return index + 1


def block_number(where: Where) -> str:
    """``2`` for the top-level layer at index 1, ``3.body.2`` for the address ``(2, "body", 1)``."""
    if isinstance(where, int):
        return str(layer_number(where))
    return ".".join(str(layer_number(step)) if isinstance(step, int) else step for step in where)


def block_name(where: Where) -> str:
    """``block 2`` for the layer at index 1 (``block 3.body.2`` for an address): named without its type."""
    return f"block {block_number(where)}"


def layer_label(where: Where, type_name: str) -> str:
    """``block 2 (Linear)``: a layer named by its canvas number and type."""
    return f"{block_name(where)} ({type_name})"


def layer_message(where: Where, type_name: str, text: str, *, sentence: bool = False) -> str:
    """``block 2 (Linear): text``; with ``sentence`` it starts with a capital, as a status line does."""
    message = f"{layer_label(where, type_name)}: {text}"
    return message[0].upper() + message[1:] if sentence else message


def error_message(result: NamedLayerError, *, sentence: bool = False) -> str:
    """The one line for a compiler result that has an error; a container's names the inner block at fault."""
    while getattr(result, "fault", None) is not None:
        result = result.fault  # type: ignore[attr-defined]
    where = getattr(result, "address", None) or result.index
    return layer_message(where, result.type, result.error or "", sentence=sentence)
