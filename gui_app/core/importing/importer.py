"""``import_model(path)``: one entry point for every kind of model file, chosen by its suffix.

- ``.py``: a NetBuilder Python export, read without running it
  (:mod:`gui_app.core.importing.python_export`); any other Python file only with
  ``trust_code`` (:mod:`gui_app.core.importing.trusted_code`), because importing it runs it.
- ``.onnx``: an ONNX model (:mod:`gui_app.core.importing.onnx_graph`).
- ``.pt2``: a ``torch.export`` program (:mod:`gui_app.core.importing.torch_graphs`).

Every file passes the bounded reader first. The input shape comes from the file, or from
``input_shape`` when given (which then wins).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gui_app.core.files.reading import MODEL_LIMIT, FileReadError, read_bounded
from gui_app.core.importing.assemble import assemble, checked_input_shape, project_name
from gui_app.core.importing.blocks import Item
from gui_app.core.importing.branches import ContainerBuilder, place
from gui_app.core.importing.containers import CORE_CONTAINERS
from gui_app.core.importing.graph import Graph, GraphShapeError, chain_of, take_normalisation
from gui_app.core.importing.program_files import load_program
from gui_app.core.importing.report import ImportFileError, ImportReport, ImportResult, InputShapeNeededError
from gui_app.core.importing.torch_graphs import TraceError, program_graph
from gui_app.core.text.printable import first_line

#: Suffixes ``import_model`` reads, for the file dialog and the command line's help.
IMPORT_SUFFIXES = (".onnx", ".pt2", ".py")


@dataclass(frozen=True)
class ImportOptions:
    """What the user said: the input shape (None: the file's), and whether a Python file may run.

    ``containers`` makes merged branches into blocks (the core's Residual and Parallel; None: the
    main branch only, the rest reported).
    """

    input_shape: tuple[int, ...] | None = None
    trust_code: bool = False
    containers: ContainerBuilder | None = CORE_CONTAINERS


def parse_input_shape(text: str) -> tuple[int, ...]:
    """``1,28,28`` (or ``1x28x28``) -> ``(1, 28, 28)``; :class:`ValueError` saying what it must be."""
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise ValueError(f"must look like 1,28,28, not {text!r}") from None
    if any(d < 1 for d in shape):
        raise ValueError(f"must be positive whole numbers, not {text!r}")
    return shape


def import_model(path: str | os.PathLike[str], options: ImportOptions | None = None) -> ImportResult:
    """The project a model file maps onto, its weights and its report; :class:`ImportFileError` if none."""
    path = Path(path)
    options = options or ImportOptions()
    suffix = path.suffix.lower()
    if suffix == ".py":
        from gui_app.core.importing.python_export import import_python

        return import_python(path, options)
    if suffix == ".onnx":
        from gui_app.core.importing.onnx_graph import onnx_file_graph

        return import_graph(path, onnx_file_graph(path), options)
    if suffix == ".pt2":
        return import_graph(path, _program_file_graph(path), options)
    raise ImportFileError(f"{path.name}: cannot import a {suffix or 'suffix-less'} file (it reads .onnx, .pt2, .py)")


def import_graph(path: Path, graph: Graph, options: ImportOptions, name: str | None = None) -> ImportResult:
    """A read graph as a project: the input scaling taken out, the chain walked, the blocks placed."""
    shape = options.input_shape or graph.input_shape
    if shape is None:
        raise InputShapeNeededError(
            f"{path.name}: the file does not say its input shape; give it with --input-shape C,H,W"
        )
    input_shape = checked_input_shape(shape, path.name)
    graph.input_shape = input_shape
    normalisation = take_normalisation(graph)
    try:
        items: list[Item] = chain_of(graph)
    except GraphShapeError as exc:
        raise ImportFileError(f"{path.name}: {exc}") from None
    report = ImportReport()
    layers = place(items, report, options.containers)
    return assemble(
        layers, input_shape, project_name(name, path.stem), report, normalisation=normalisation, source=path.name
    )


def _program_file_graph(path: Path) -> Graph:
    """A ``.pt2`` file's graph; the bytes are read bounded, and loading unpickles nothing but tensors."""
    try:
        raw = read_bounded(path, MODEL_LIMIT)
    except FileReadError as exc:
        raise ImportFileError(str(exc)) from None
    try:
        program = load_program(raw)
    except Exception as exc:  # torch.export.load raises many types for a damaged archive; all mean "not one"
        raise ImportFileError(f"{path.name}: not a readable torch.export program ({first_line(exc)})") from None
    try:
        return program_graph(program)
    except TraceError as exc:
        raise ImportFileError(f"{path.name}: {exc}") from None
