"""Which files an export writes and how: the one-line export error, the files beside an export,
refusing to overwrite an input, and the atomic write every export ends with."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gui_app.core.project.spec import write_atomic

#: The Python export's weights file: ``NAME.py`` -> ``NAME.weights.pt`` (never another export's name).
WEIGHTS_SUFFIX = ".weights.pt"


class ExportError(ValueError):
    """An export that cannot be made; ``str()`` is a one-line reason for the user."""


class WeightsMismatchError(ExportError):
    """The given weights do not fit the network (a bad input file rather than a bad network)."""


def weights_path(path: str | os.PathLike[str]) -> Path:
    """Where the Python export ``path`` keeps its weights: ``NAME.py`` -> ``NAME.weights.pt``."""
    return Path(path).with_suffix(WEIGHTS_SUFFIX)


def existing_outputs(outputs: Iterable[Path]) -> list[Path]:
    """The outputs that are already there, so an export would replace them."""
    return [p for p in outputs if p.exists() or p.is_symlink()]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name one file (through symlinks and hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where each would be
        return Path(a).resolve() == Path(b).resolve()


def refuse_inputs(outputs: Iterable[Path], inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """:class:`ExportError` when an output is one of the export's own input files.

    No confirmation or ``--force`` overrides this: the export would destroy what it reads.
    """
    sources = [Path(s) for s in inputs if s is not None]
    for out in outputs:
        for source in sources:
            if same_file(out, source):
                raise ExportError(f"{out}: is an input of this export ({source}); choose another output name")


def write_export(path: str | os.PathLike[str], data: str | bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise ExportError(f"{path}: cannot be written ({exc.strerror or exc})") from None
