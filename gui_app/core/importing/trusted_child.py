"""The child process that runs a trusted Python file: ``python -m gui_app.core.importing.trusted_child FILE OUT``.

It runs FILE (as a module named ``__netbuilder_import__``, so its ``if __name__ == "__main__"``
part does not run), finds the model it defines, maps it (:func:`import_module`) and writes the
project, the report and the weights into the folder OUT for the parent to read back. Only the
parent (:mod:`gui_app.core.importing.trusted_code`) starts it, after the user trusted FILE.
A failure is one line on stderr and exit status 2 (3: the input shape is needed).

The model is, in this order: what ``build_model()``, ``get_model()``, ``create_model()`` or
``make_model()`` returns; the module in a variable ``model``, ``net`` or ``network``; the one
``nn.Module`` class the file defines that needs no arguments.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import runpy
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app.core.importing.live_module import import_module
from gui_app.core.importing.report import ImportFileError
from gui_app.core.importing.trusted_code import NO_SHAPE, PROJECT_FILE, REPORT_FILE, WEIGHTS_FILE
from gui_app.core.text.printable import first_line

RUN_NAME = "__netbuilder_import__"
_FACTORIES = ("build_model", "get_model", "create_model", "make_model")
_VARIABLES = ("model", "net", "network")


class NoModelError(ValueError):
    """The file defines nothing NetBuilder can take as its model."""


def find_model(namespace: dict[str, Any]) -> nn.Module:
    """The model a file defines (see the module docstring for the order)."""
    for name in _FACTORIES:
        factory = namespace.get(name)
        if callable(factory) and not isinstance(factory, type):
            made = factory()
            if isinstance(made, nn.Module):
                return made
    for name in _VARIABLES:
        if isinstance(namespace.get(name), nn.Module):
            return namespace[name]
    classes = [
        value
        for value in namespace.values()
        if isinstance(value, type) and issubclass(value, nn.Module) and value.__module__ == RUN_NAME
    ]
    ready = [cls for cls in classes if _needs_no_arguments(cls)]
    if len(ready) == 1:
        return ready[0]()
    if ready:
        names = ", ".join(cls.__name__ for cls in ready)
        raise NoModelError(f"it defines several models ({names}); add a build_model() that returns the one to import")
    raise NoModelError(
        "it defines no model (no build_model(), no model variable, no nn.Module class without arguments)"
    )


def _needs_no_arguments(cls: type) -> bool:
    try:
        parameters = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters
    )


def _shape(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(","))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="trusted_child")
    parser.add_argument("file")
    parser.add_argument("out")
    parser.add_argument("--input-shape", type=_shape)
    args = parser.parse_args(argv)
    path, out = Path(args.file), Path(args.out)
    sys.path.insert(0, str(path.parent))
    try:
        namespace = runpy.run_path(str(path), run_name=RUN_NAME)
        model = find_model(namespace)
    except NoModelError as exc:
        return _fail(str(exc))
    except BaseException as exc:  # the file's own code may raise anything, SystemExit included
        return _fail(f"running it failed: {type(exc).__name__}: {first_line(exc)}")
    shape = args.input_shape or namespace.get("INPUT_SHAPE")
    if shape is None:
        return _fail("it has no INPUT_SHAPE; give the shape with --input-shape C,H,W", NO_SHAPE)
    name = namespace.get("NAME") if isinstance(namespace.get("NAME"), str) else path.stem
    try:
        result = import_module(model, tuple(shape), name, path.name)
    except ImportFileError as exc:
        return _fail(str(exc))
    except (TypeError, ValueError) as exc:  # an INPUT_SHAPE that is not a list of whole numbers
        return _fail(f"its model cannot be read ({first_line(exc)})")
    _write(out, result)
    return 0


def _write(out: Path, result: Any) -> None:
    (out / PROJECT_FILE).write_text(result.spec.to_json(), encoding="utf-8")
    report = {
        "unmapped": [[entry.layer, entry.reason] for entry in result.report.unmapped],
        "notes": result.report.notes,
        "mean": list(result.mean) if result.mean is not None else None,
        "std": list(result.std) if result.std is not None else None,
    }
    (out / REPORT_FILE).write_text(json.dumps(report), encoding="utf-8")
    if result.state_dict is not None:
        buffer = io.BytesIO()
        torch.save(result.state_dict, buffer)
        (out / WEIGHTS_FILE).write_bytes(buffer.getvalue())


def _fail(message: str, status: int = 2) -> int:
    print(message, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
