"""Text from a project reaches generated source only as a Python literal that evaluates back to it.

Hostile strings (quotes, triple quotes, backslashes, newlines, CR, NUL, lone surrogates, code)
in every text field a project accepts: every generated file parses, each string round-trips,
and running the files creates no file but the ones they should.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.formats import export_python
from gui_app.core.export.python_source import python_literal, python_source
from gui_app.core.export.training_script import export_training_script, training_script_source
from gui_app.core.project.spec import NetworkSpec, load_spec
from gui_app.core.training.trained_model import TrainedModel

INJECTION = "\"\";open('pwned', 'w').close();r\"\""
FRAGMENTS = (
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\\\",
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\ud800",
    "\udfff",
    "\u2028",
    "\x85",
    "{",
    "}",
    "{name}",
    "#",
    "\\N{BULLET}",
    "\\x00",
    "r'''",
    INJECTION,
    "\t",
    "é",
    "😀",
)
hostile_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=8).map("".join)


def project(name: str, data_dir: str | None = None, device: str = "auto") -> NetworkSpec:
    """A spec holding these texts. The project loader refuses control characters and lone
    surrogates, but the generators must not rely on that: the texts are set directly."""
    data = {
        "name": "Network",
        "input_shape": [1, 28, 28],
        "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}],
    }
    spec = load_spec(json.dumps(data))
    spec.name = name
    spec.training = dataclasses.replace(spec.training, data_dir=data_dir, device=device)
    return spec


def _assigned(tree: ast.Module, name: str):
    """The value a module-level ``name = <literal>`` assigns."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned")


def _docstring(source: str) -> str:
    """The module docstring, with the training script's file name (ASCII [a-z0-9_] only) masked."""
    return re.sub(r"train_[a-z0-9_]+\.py", "train_X.py", ast.get_docstring(ast.parse(source)) or "")


def _sources(spec, trained: TrainedModel) -> list[str]:
    return [
        python_source(spec),
        python_source(spec, trained),
        python_source(spec, trained, include_preprocessing=False),
        training_script_source(spec),
    ]


BENIGN = project("Network")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, data_dir=st.one_of(st.none(), hostile_text), device=hostile_text)
def test_every_text_field_reaches_generated_source_as_a_literal(name: str, data_dir: str | None, device: str) -> None:
    spec = project(name, data_dir, device)
    trained = TrainedModel(spec, build_model(spec).state_dict(), (0.1307,), (0.3081,))
    sources = _sources(spec, trained)
    benign = _sources(BENIGN, TrainedModel(BENIGN, trained.state_dict, trained.mean, trained.std))
    for source, reference in zip(sources, benign, strict=True):
        tree = ast.parse(source)
        assert _assigned(tree, "NAME") == spec.name
        assert _docstring(source) == _docstring(reference)  # no project text in any docstring
    tree = ast.parse(sources[-1])
    assert _assigned(tree, "SPEC_JSON") == spec.to_json()
    training = _assigned(tree, "TRAINING")
    assert training["data_dir"] == spec.training.data_dir and training["device"] == spec.training.device


#: Any character, lone surrogates included (``st.text`` leaves those out).
any_character = st.one_of(st.characters(), st.characters(categories=["Cs"]))


@given(value=st.lists(any_character, max_size=40).map("".join))
@settings(max_examples=200, deadline=None)
def test_python_literal_is_one_line_that_evaluates_to_the_string(value: str) -> None:
    literal = python_literal(value)
    assert "\n" not in literal and "\r" not in literal
    assert ast.literal_eval(literal) == value
    literal.encode("utf-8")  # lone surrogates come out escaped, so the file can be written


def test_the_reported_injection_stays_a_string(tmp_path: Path) -> None:
    spec = project(INJECTION)
    assert spec.name == INJECTION
    source = training_script_source(spec)
    assert _assigned(ast.parse(source), "NAME") == INJECTION
    assert ast.get_docstring(ast.parse(source)).startswith("Train a network on its own")


RUNNER = """
import runpy, sys
for path in sys.argv[1:]:
    script = path.endswith("_train.py")
    sys.argv = [path, "--data-dir", "no-such-folder", "--out", "never.pt"] if script else [path]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        assert exc.code == (2 if script else 0), (path, exc.code)
"""


@pytest.mark.parametrize(
    ("name", "data_dir"),
    [(INJECTION, "x\"\"\";open('pwned2', 'w').close();\"\"\"\nr'''\r\x00"), ("a\\\n'''\"\"\"\r\x00\ud800#", None)],
    ids=["injection", "quotes"],
)
def test_running_the_generated_files_creates_only_what_it_should(name: str, data_dir: str | None, tmp_path) -> None:
    """One interpreter runs the Python export (with weights) and the training script (which stops
    at the missing data folder) in an empty folder; afterwards the folder holds only the exports."""
    spec = project(name, data_dir)
    trained = TrainedModel(spec, build_model(spec).state_dict(), (0.1307,), (0.3081,))
    export_python(spec, tmp_path / "net.py", trained)
    export_python(spec, tmp_path / "bare.py")
    export_training_script(spec, tmp_path / "net_train.py")
    before = sorted(p.name for p in tmp_path.iterdir())
    assert before == ["bare.py", "net.py", "net.weights.pt", "net_train.py"]
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, "bare.py", "net.py", "net_train.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "error: train-images-idx3-ubyte not found" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert torch.load(tmp_path / "net.weights.pt", weights_only=True).keys() == trained.state_dict.keys()
