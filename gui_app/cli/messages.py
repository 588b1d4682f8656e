"""How a subcommand reports a failure: one line on stderr, named for the command, and an exit status."""

from __future__ import annotations

import sys

from gui_app.core.text.printable import printable


def fail(command: str, message: str, status: int = 2) -> int:
    """Print ``netbuilder COMMAND: MESSAGE`` to stderr and return ``status`` for the command to exit with.

    The message often quotes a file's name or contents: control characters are made visible, so a
    hostile name cannot rewrite the terminal.
    """
    print(f"netbuilder {command}: {printable(message)}", file=sys.stderr)
    return status
