"""The one strict reader of JSON text from outside: project files and run records both pass it.

``json.loads`` alone refuses a UTF-8 byte order mark, keeps the last of duplicate keys silently,
and converts integers of any length (slowly; past 4,300 digits it raises a bare ``ValueError``).
:func:`load_json_text` allows the mark, finds duplicate keys in one pass over each object's keys,
refuses long integers before converting them, and says what is wrong in one line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gui_app.core.text.printable import short_repr

#: Longer integers are refused before they are converted: no value NetBuilder reads needs more, and
#: ``int()`` of thousands of digits is slow (Python refuses past 4,300 with a bare ValueError).
MAX_INT_DIGITS = 40


class JsonTextError(ValueError):
    """JSON text that is refused; ``str()`` says why in one line (the caller adds the file's name)."""


class JsonObject(dict):
    """A JSON object that remembers the keys it held more than once (``duplicates``).

    For a reader that reports a duplicate with its path in the document, which the parser's hook
    cannot know.
    """

    __slots__ = ("duplicates",)

    duplicates: list[str]


def repeated_keys(keys: Iterable[str]) -> list[str]:
    """Each key that occurs more than once, once, in the order of its second occurrence."""
    seen: set[str] = set()
    repeated: dict[str, None] = {}  # a dict, not a list: membership in constant time, order kept
    for key in keys:
        if key in seen:
            repeated[key] = None
        seen.add(key)
    return list(repeated)


def load_json_text(text: str | bytes, label: str, *, keep_duplicates: bool = False) -> Any:
    """Parse ``text`` (bytes are UTF-8, a byte order mark allowed); :class:`JsonTextError` otherwise.

    ``label`` names what the text should be (``"project file"``), for "not a project file: …".
    A repeated key is refused unless ``keep_duplicates``: then every object is a :class:`JsonObject`
    holding its ``duplicates``, for the caller to report with the path to it.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JsonTextError("not a text file (it is not UTF-8)") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise JsonTextError("the file is empty")

    def parse_int(digits: str) -> int:
        count = len(digits.lstrip("-"))
        if count > MAX_INT_DIGITS:
            raise JsonTextError(
                f"not a {label}: it holds an integer of {count:,} digits (at most {MAX_INT_DIGITS} are read)"
            )
        return int(digits)

    try:
        return json.loads(text, object_pairs_hook=_marked if keep_duplicates else _refused, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise JsonTextError(f"not a {label}: the JSON is nested too deeply") from None


def _marked(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    obj.duplicates = [] if len(obj) == len(pairs) else repeated_keys(key for key, _ in pairs)
    return obj


def _refused(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise JsonTextError(f"the key {short_repr(repeated_keys(key for key, _ in pairs)[0])} appears twice")
    return obj
