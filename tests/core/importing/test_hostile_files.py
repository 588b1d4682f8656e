"""Files an import must refuse or read without harm: code that would run, damaged and huge files.

Every refusal is an :class:`ImportFileError` whose one line names the file and says what is wrong.
A marker file proves that code in a Python file never runs unless the user trusts it.
"""

from __future__ import annotations

import io
import os
import warnings
import zipfile
from pathlib import Path

import pytest
import torch
from onnx import TensorProto, helper

from gui_app.core.export.formats import export_to
from gui_app.core.files.reading import MODEL_LIMIT, PROJECT_LIMIT
from gui_app.core.importing.importer import ImportOptions, import_model
from gui_app.core.importing.python_export import CodeNotTrustedError
from gui_app.core.importing.report import ImportFileError
from gui_app.core.project.presets import load_preset


def _code_file(folder: Path, marker: Path) -> Path:
    path = folder / "their_model.py"
    path.write_text(
        "import pathlib\n"
        "from torch import nn\n"
        f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
        "INPUT_SHAPE = (4,)\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Linear(4, 2)\n"
        "    def forward(self, x):\n"
        "        return self.fc(x).relu()\n",
        encoding="utf-8",
    )
    return path


def test_a_python_file_that_would_run_code_is_refused_without_trust_and_never_runs(tmp_path):
    marker = tmp_path / "marker.txt"
    path = _code_file(tmp_path, marker)
    with pytest.raises(CodeNotTrustedError, match=r"their_model\.py: .*--trust-code"):
        import_model(path)
    assert not marker.exists()


def test_the_same_file_runs_once_the_user_trusts_it(tmp_path):
    marker = tmp_path / "marker.txt"
    result = import_model(_code_file(tmp_path, marker), ImportOptions(trust_code=True))
    assert marker.read_text() == "ran"  # the consent is what runs it, in a child process
    assert [layer.type for layer in result.spec.layers] == ["Linear", "ReLU"]
    assert result.state_dict is not None and result.report.complete


def test_code_inside_an_export_lookalike_is_read_as_text_and_never_runs(tmp_path):
    marker = tmp_path / "marker.txt"
    touch = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    path = tmp_path / "looks_exported.py"
    path.write_text(
        "from torch import nn\n"
        f"NAME = {touch}\n"
        "INPUT_SHAPE = (4,)\n"
        "def build_model():\n"
        f"    return nn.Sequential(nn.Linear(4, {touch}), nn.ReLU(), nn.Linear(in_features=4, out_features=3))\n",
        encoding="utf-8",
    )
    result = import_model(path)
    assert not marker.exists()
    assert [layer.type for layer in result.spec.layers] == ["ReLU", "Linear"]
    assert result.report.lines() == [
        "line 5: nn.Linear: its arguments are not all literals (only literals are read, nothing is run)"
    ]
    assert result.spec.name == "looks_exported"


CONTAINER_CALLS = [
    ("Residual(nn.Linear(4, 4), lanes=[])", "line 3: Residual: its arguments do not fit Residual(body, shortcut)"),
    ("Residual(shortcut=nn.Identity())", "line 3: Residual: a Residual without its body"),
    (
        "Parallel(lanes=[nn.Identity(), nn.Linear(4, 4)], merge=TOUCH)",
        "line 3: Parallel: a Parallel needs lanes=[...] and merge one of concat, sum",
    ),
    (
        "Parallel(lanes=lanes_from(TOUCH))",
        "line 3: Parallel: a Parallel needs lanes=[...] and merge one of concat, sum",
    ),
]


@pytest.mark.parametrize(("call", "line"), CONTAINER_CALLS)
def test_container_calls_that_are_not_an_exports_are_listed_and_never_run(tmp_path, call, line):
    marker = tmp_path / "marker.txt"
    touch = f"__import__('pathlib').Path({str(marker)!r}).write_text('ran')"
    path = tmp_path / "containers.py"
    path.write_text(
        "INPUT_SHAPE = (4,)\n"
        "def build_model():\n"
        f"    return nn.Sequential({call.replace('TOUCH', touch)}, nn.ReLU())\n",
        encoding="utf-8",
    )
    result = import_model(path)
    assert not marker.exists()
    assert [layer.type for layer in result.spec.layers] == ["ReLU"]
    assert result.report.lines() == [line]


def test_a_weights_file_that_would_run_code_is_not_loaded(tmp_path):
    marker = tmp_path / "marker.txt"
    spec = load_preset("linear_regression")
    export_to("python", spec, tmp_path / "net.py")

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"0.weight": Payload()}, tmp_path / "net.weights.pt")
    result = import_model(tmp_path / "net.py")
    assert not marker.exists()
    assert result.state_dict is None
    line = result.report.lines()[0]
    assert line.startswith("net.weights.pt: the weights are not read: net.weights.pt: not a readable model file")


def _onnx_bytes(tmp_path: Path) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_to("onnx", load_preset("mnist_mlp_784_512_10"), tmp_path / "real.onnx")
    return (tmp_path / "real.onnx").read_bytes()


def test_a_truncated_onnx_file_is_refused_in_one_line(tmp_path):
    raw = _onnx_bytes(tmp_path)
    path = tmp_path / "cut.onnx"
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ImportFileError, match=r"^cut\.onnx: not a (readable|valid) ONNX model") as caught:
        import_model(path)
    assert "\n" not in str(caught.value)


HUGE = [("huge.onnx", MODEL_LIMIT), ("huge.pt2", MODEL_LIMIT), ("huge.py", PROJECT_LIMIT)]


@pytest.mark.parametrize(("name", "limit"), HUGE)
def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path, name, limit):
    path = tmp_path / name
    with open(path, "wb") as handle:
        handle.truncate(limit + 1)  # sparse: nothing is written, nothing may be read
    with pytest.raises(ImportFileError, match=rf"{name}: the file is larger than"):
        import_model(path)


@pytest.mark.parametrize("content", [b"not a program at all", b""])
def test_a_pt2_that_is_not_one_is_refused(tmp_path, content):
    path = tmp_path / "fake.pt2"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=r"^fake\.pt2: not a readable torch.export program"):
        import_model(path)


def test_a_zip_that_is_not_a_program_is_refused(tmp_path):
    path = tmp_path / "archive.pt2"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x04junk")
    with pytest.raises(ImportFileError, match=r"^archive\.pt2: not a readable torch.export program"):
        import_model(path)


def test_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.onnx"
    link.symlink_to("/dev/zero")
    with pytest.raises(ImportFileError, match=r"zero\.onnx: not a regular file"):
        import_model(link)


def test_onnx_weights_in_an_outside_file_are_never_followed(tmp_path):
    weight = helper.make_tensor("w", TensorProto.FLOAT, [4, 2], [0.0] * 8)
    weight.ClearField("float_data")
    weight.data_location = TensorProto.EXTERNAL
    weight.external_data.add(key="location", value="/etc/passwd")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2])],
        [weight],
    )
    path = tmp_path / "outside.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ImportFileError, match=r"^outside\.onnx: its weights are in separate files"):
        import_model(path)


def test_an_unknown_suffix_is_refused(tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(b"\x89HDF")
    with pytest.raises(ImportFileError, match=r"model\.h5: cannot import a \.h5 file"):
        import_model(path)


def test_a_python_file_that_is_not_python_is_refused(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def build_model(:\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"^broken\.py: not valid Python"):
        import_model(path)


def test_a_pt2_whose_pickled_part_would_run_code_is_refused_and_never_runs(tmp_path):
    """torch.export.load falls back to unpickling anything; an import must not."""
    marker = tmp_path / "marker.txt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_to("pt2", load_preset("linear_regression"), tmp_path / "real.pt2")

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = io.BytesIO()
    torch.save(Payload(), evil)
    path = tmp_path / "evil.pt2"
    with zipfile.ZipFile(tmp_path / "real.pt2") as real, zipfile.ZipFile(path, "w") as out:
        for name in real.namelist():
            out.writestr(name, evil.getvalue() if name.endswith("sample_inputs/model.pt") else real.read(name))
    with pytest.raises(ImportFileError, match=r"^evil\.pt2: not a readable torch.export program"):
        import_model(path)
    assert not marker.exists()
    assert import_model(tmp_path / "real.pt2").report.complete  # a genuine program still loads
