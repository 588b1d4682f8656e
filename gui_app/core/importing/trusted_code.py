"""A Python file that defines a model, imported only after the user said it may run.

Importing such a file runs its code with the user's rights: it can read, change or send any of
their files. NetBuilder never does it unless asked (``--trust-code``, or yes in the window's
question naming the file), and even then not in its own process: a child Python
(:mod:`gui_app.core.importing.trusted_child`) runs the file, maps the model it defines and writes
plain data (a project file, a JSON report, a weights-only tensor file), which this process reads
back through the same validated loaders as any file. A crash, a hang (stopped after
:data:`TIMEOUT_SECONDS`) or an ``exit()`` in the code cannot take the window with it. The child is
not a sandbox: trust is still the user's decision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import gui_app
from gui_app.core.files.reading import PROJECT_LIMIT, FileReadError, read_bounded
from gui_app.core.importing.assemble import validated_weights
from gui_app.core.importing.report import ImportFileError, ImportReport, ImportResult, InputShapeNeededError
from gui_app.core.project.spec import ProjectFileError, load_spec_file
from gui_app.core.text.printable import printable
from gui_app.core.training.trained_model import ModelFileError, load_payload

TIMEOUT_SECONDS = 300
#: The child's files in its output folder.
PROJECT_FILE, REPORT_FILE, WEIGHTS_FILE = "project.json", "report.json", "weights.pt"
#: The child's exit status when the file does not say its input shape.
NO_SHAPE = 3


def import_trusted(path: Path, options: Any) -> ImportResult:
    """Run ``path`` in a child Python and read back the model it defines."""
    if getattr(sys, "frozen", False):
        raise ImportFileError(
            f"{path.name}: running a model's code needs a Python installation with torch (pip install netbuilder); "
            "the desktop app imports NetBuilder exports, ONNX and .pt2 files only"
        )
    with tempfile.TemporaryDirectory(prefix="netbuilder-import-") as folder:
        _run_child(path, Path(folder), options.input_shape)
        return _read_back(Path(folder), path)


def _run_child(path: Path, folder: Path, input_shape: tuple[int, ...] | None) -> None:
    command = [sys.executable, "-m", "gui_app.core.importing.trusted_child", str(path.resolve()), str(folder)]
    if input_shape is not None:
        command += ["--input-shape", ",".join(map(str, input_shape))]
    package_root = str(Path(gui_app.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run(
            command, cwd=path.parent, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise ImportFileError(f"{path.name}: its code ran for more than {TIMEOUT_SECONDS} s and was stopped") from None
    except OSError as exc:
        raise ImportFileError(f"{path.name}: cannot start Python to run it ({exc.strerror or exc})") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"it ended with exit status {done.returncode}"
        error = InputShapeNeededError if done.returncode == NO_SHAPE else ImportFileError
        raise error(printable(f"{path.name}: {reason}")[:400])


def _read_back(folder: Path, path: Path) -> ImportResult:
    """The child's output, through the loaders every file from outside passes."""
    try:
        spec = load_spec_file(folder / PROJECT_FILE)
        data = json.loads(read_bounded(folder / REPORT_FILE, PROJECT_LIMIT).decode("utf-8"))
    except (ProjectFileError, FileReadError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(f"{path.name}: the model it defines could not be read back ({exc})") from None
    report, normalisation = _report_of(data)
    state = None
    if (folder / WEIGHTS_FILE).exists():
        try:
            weights = load_payload(folder / WEIGHTS_FILE)
        except ModelFileError as exc:
            raise ImportFileError(f"{path.name}: its weights could not be read back ({exc})") from None
        state = validated_weights(spec, weights, normalisation, path.name, report)
    mean, std = normalisation if normalisation is not None else (None, None)
    return ImportResult(spec, report, state, mean, std, path.name)


def _report_of(data: Any) -> tuple[ImportReport, tuple[tuple[float, ...], tuple[float, ...]] | None]:
    report = ImportReport()
    if not isinstance(data, dict):
        return report, None
    for entry in data.get("unmapped", []):
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(v, str) for v in entry):
            report.add(entry[0][:300], entry[1][:300])
    report.notes += [note[:500] for note in data.get("notes", []) if isinstance(note, str)]
    mean, std = data.get("mean"), data.get("std")
    if isinstance(mean, list) and isinstance(std, list) and all(isinstance(v, float | int) for v in mean + std):
        return report, (tuple(float(v) for v in mean), tuple(float(v) for v in std))
    return report, None
