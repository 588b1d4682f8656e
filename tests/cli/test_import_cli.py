"""``netbuilder import`` and ``netbuilder draw``: the files written, the report printed, the exit codes."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from gui_app.cli import main
from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.formats import export_to
from gui_app.core.project.presets import load_preset, presets_dir
from gui_app.core.project.spec import load_spec_file
from gui_app.core.training.trained_model import TrainedModel, load_trained_model


def _export(kind: str, key: str, path: Path, weights: bool = True) -> Path:
    spec = load_preset(key)
    trained = TrainedModel(spec, build_model(spec, 5).state_dict(), (0.2,), (0.4,)) if weights else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_to(kind, spec, path, trained)
    return path


def test_an_onnx_file_becomes_a_project_and_a_model_file_and_exits_0(tmp_path, capsys):
    source = _export("onnx", "mnist_mlp_784_128_64_10", tmp_path / "net.onnx")
    out = tmp_path / "imported.json"
    assert main(["import", str(source), "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        f"wrote {out} (6 blocks)",
        f"wrote {out.with_suffix('.pt')} (the imported weights, as a NetBuilder model file)",
    ]
    assert any(line.startswith("note: the file's input scaling") for line in lines)
    spec = load_spec_file(out)
    assert [layer.type for layer in spec.layers] == ["Flatten", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    model = load_trained_model(out.with_suffix(".pt"))  # the window's and the CLI's model loader opens it
    assert model.mean == (0.2,) and model.std == (0.4,)
    x = torch.rand(2, 1, 28, 28)
    expected = TrainedModel(spec, build_model(load_preset("mnist_mlp_784_128_64_10"), 5).state_dict()).build()
    with torch.no_grad():
        torch.testing.assert_close(model.build()(x), expected(x))


def _model_file(folder, forward: str):
    source = folder / "branchy.py"
    source.write_text(
        "import torch\nfrom torch import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(2, 2, 3, padding=1)\n"
        "    def forward(self, x):\n"
        f"        return {forward}\n",
        encoding="utf-8",
    )
    return source


def test_parts_that_do_not_map_are_printed_and_exit_1_with_the_project_written(tmp_path, capsys):
    source = _model_file(tmp_path, "torch.cat([self.conv(x), x], dim=2).flatten(1)")
    out = tmp_path / "p.json"
    assert main(["import", str(source), "-o", str(out), "--trust-code", "--input-shape", "2,4,4"]) == 1
    printed = capsys.readouterr().out
    assert (
        "not mapped: cat (cat): parallel branches merged by concat: lane 2 (the input itself) left out "
        "(a concatenation along dim 2; a Parallel block concatenates along dim 1 only)" in printed
    )
    assert [layer.type for layer in load_spec_file(out).layers] == ["Conv2d", "Flatten"]


def test_a_residual_add_imports_as_a_residual_block_and_exits_0(tmp_path, capsys):
    source = _model_file(tmp_path, "(self.conv(x) + x).flatten(1)")
    out = tmp_path / "p.json"
    assert main(["import", str(source), "-o", str(out), "--trust-code", "--input-shape", "2,4,4"]) == 0
    assert "not mapped" not in capsys.readouterr().out
    layers = load_spec_file(out).layers
    assert [layer.type for layer in layers] == ["Residual", "Flatten"]
    assert [[block.type for block in lane] for lane in layers[0].lanes] == [["Conv2d"], []]


def test_a_python_file_is_refused_without_trust_code_and_exit_2(tmp_path, capsys):
    source = tmp_path / "model.py"
    source.write_text("raise SystemExit('ran')\n", encoding="utf-8")
    out = tmp_path / "p.json"
    assert main(["import", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("netbuilder import: model.py: not a NetBuilder Python export") and "--trust-code" in err
    assert not out.exists()


def test_code_that_fails_is_one_line_and_exit_2(tmp_path, capsys):
    source = tmp_path / "model.py"
    source.write_text("raise RuntimeError('no GPU here')\n", encoding="utf-8")
    assert main(["import", str(source), "-o", str(tmp_path / "p.json"), "--trust-code"]) == 2
    err = capsys.readouterr().err
    assert err == "netbuilder import: model.py: running it failed: RuntimeError: no GPU here\n"


@pytest.mark.parametrize("shape", ["1,x,28", "0,28,28", ""])
def test_a_bad_input_shape_is_exit_2(tmp_path, capsys, shape):
    source = _export("python", "linear_regression", tmp_path / "net.py", weights=False)
    assert main(["import", str(source), "-o", str(tmp_path / "p.json"), "--input-shape", shape]) == 2
    assert "--input-shape must" in capsys.readouterr().err


def test_an_existing_project_is_replaced_only_with_force(tmp_path, capsys):
    source = _export("python", "linear_regression", tmp_path / "net.py", weights=False)
    out = tmp_path / "p.json"
    out.write_text("keep me")
    assert main(["import", str(source), "-o", str(out)]) == 2
    assert "pass --force" in capsys.readouterr().err and out.read_text() == "keep me"
    assert main(["import", str(source), "-o", str(out), "--force"]) == 0
    assert load_spec_file(out).layers[0].type == "Linear"
    assert not out.with_suffix(".pt").exists()  # an export without weights brings none


def test_an_unreadable_file_is_exit_2(tmp_path, capsys):
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(b"\x08\x07garbage")
    assert main(["import", str(cut), "-o", str(tmp_path / "p.json")]) == 2
    assert capsys.readouterr().err.startswith("netbuilder import: cut.onnx: not a")


HOSTILE = '</text><script>alert(1)</script>&"\x1b[2J<!--'


def test_draw_writes_an_svg_of_every_block_that_parses_with_a_hostile_name(tmp_path, capsys):
    spec = load_spec_file(presets_dir() / "cifar10_lenet.json")
    spec.name = HOSTILE
    project = tmp_path / "p.json"
    project.write_text(spec.to_json().replace("\\u001b", ""), encoding="utf-8")  # a name a file may hold
    out = tmp_path / "net.svg"
    assert main(["draw", str(project), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    root = ET.parse(out).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert root.find("svg:title", ns).text == HOSTILE.replace("\x1b", "")
    assert root.findall(".//svg:script", ns) == []
    blocks = root.findall(".//svg:g[@class='block']", ns)
    assert [block.get("data-type") for block in blocks] == [layer.type for layer in spec.layers]
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "→ 6×32×32" in texts and "456 params" in texts


def test_draw_refuses_an_unreadable_project_and_an_existing_picture(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert main(["draw", str(bad), "-o", str(tmp_path / "a.svg")]) == 2
    assert capsys.readouterr().err.startswith("netbuilder draw: bad.json: not valid JSON")
    out = tmp_path / "a.svg"
    out.write_text("mine")
    assert main(["draw", str(presets_dir() / "linear_regression.json"), "-o", str(out)]) == 2
    assert out.read_text() == "mine"
