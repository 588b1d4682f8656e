"""Text from files and file names, made safe to show: no terminal escapes, no unprintable halves.

A project name or a file name is the user's (or an attacker's) text. Printed raw, ``ESC [ 2 J``
clears a terminal and a lone surrogate (which ``json.loads`` makes from ``"\\ud800"``) makes
``print`` raise :class:`UnicodeEncodeError`. The loaders refuse such characters in the text they
keep; the command line passes every message through :func:`printable` before it prints it.
"""

from __future__ import annotations

import re
import reprlib

#: C0 controls, DEL, C1 controls, lone surrogates, and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def first_unsafe_character(text: str) -> tuple[int, str] | None:
    """(position, character) of the first character :func:`printable` would escape, or None."""
    found = _UNSAFE.search(text)
    return None if found is None else (found.start(), found.group())


def escaped(character: str) -> str:
    """``\\x1b``, ``\\ud800``: one character as Python writes it in a string literal."""
    return ascii(character)[1:-1]


def printable(text: str) -> str:
    """``text`` with every control character and lone surrogate written as its escape."""
    return _UNSAFE.sub(lambda found: escaped(found.group()), text)


#: ``repr`` that stops early: a crafted value may be a list of millions of items.
_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxlist, _BRIEF.maxtuple, _BRIEF.maxdict = 2, 6, 6, 4
_BRIEF.maxstring = _BRIEF.maxother = 60


def short_repr(value: object, limit: int = 60) -> str:
    """A value from a file as a message shows it: its ``repr`` (so escaped), at most ``limit`` characters."""
    text = _BRIEF.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_phrase(value: object) -> str:
    """``a list``, ``an int``: what a value from a file is, for "must be X, not Y"."""
    name = type(value).__name__
    return f"an {name}" if name[:1] in "aeiou" else f"a {name}"


def first_line(exc: BaseException, limit: int = 200) -> str:
    """The first non-blank line of an exception's text, cut at ``limit`` (its type when it has none).

    Libraries (torch, Pillow, onnx) raise long, multi-line texts; a user's message wants one line.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:limit]
