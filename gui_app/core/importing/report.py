"""What an import found: the network it could map, its weights, and the import report.

MATLAB's importers list every layer they could not bring over with the reason, and still give
the rest; so does this. An :class:`ImportReport` line names the part of the file (a module path,
an ONNX node, a call in the source) and says why it did not map, in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.printable import printable


class ImportFileError(ValueError):
    """A file that cannot be imported at all (unreadable, refused, not a model); ``str()`` names it."""


class InputShapeNeededError(ImportFileError):
    """The file does not say what input its model takes; the user must give the shape."""


@dataclass(frozen=True)
class Unmapped:
    """One part of the file that is not in the imported network, and why."""

    layer: str
    reason: str

    def line(self) -> str:
        return printable(f"{self.layer}: {self.reason}")


@dataclass
class ImportReport:
    """The parts that did not map, and notes on what the import changed or left out on purpose."""

    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, layer: str, reason: str) -> None:
        self.unmapped.append(Unmapped(layer, reason))

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def complete(self) -> bool:
        """True when every part of the file mapped onto a block."""
        return not self.unmapped

    def lines(self) -> list[str]:
        """The report as a command line prints it and the window lists it."""
        return [entry.line() for entry in self.unmapped]


@dataclass
class ImportResult:
    """An imported network: the spec, its weights (None when the file had none) and its input scaling.

    ``state_dict`` fits ``spec`` exactly when it is not None (the importer checks it); ``mean`` and
    ``std`` are the normalisation found in the file, or None when it had none.
    """

    spec: NetworkSpec
    report: ImportReport
    state_dict: dict[str, torch.Tensor] | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    source: str = ""
