"""``netbuilder summary``: the table, the JSON contract and the exit codes, never a traceback."""

import json
import subprocess
import sys

import pytest

from gui_app.cli import main
from gui_app.core.presets import presets_dir


def test_summary_json_matches_the_documented_contract(capsys):
    assert main(["summary", str(presets_dir() / "mnist_mlp_784_512_10.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"layers", "total_params", "size_bytes", "warnings", "errors"}
    assert [layer["output_shape"] for layer in data["layers"]] == [[784], [512], [512], [10]]
    assert data["layers"][1] == {"type": "Linear", "output_shape": [512], "params": 784 * 512 + 512, "error": None}
    assert data["total_params"] == 407_050 and data["size_bytes"] == 407_050 * 4
    assert data["warnings"] == [] and data["errors"] == []


def test_summary_table_lists_every_layer(capsys):
    assert main(["summary", str(presets_dir() / "cifar10_lenet.json")]) == 0
    out = capsys.readouterr().out
    assert "Conv2d 6@5×5 s1 p2" in out and "16×6×6" in out and "Total parameters: 83,170" in out


def test_errors_exit_1_and_point_at_the_layer(tmp_path, capsys):
    project = tmp_path / "cnn.json"
    project.write_text(
        json.dumps(
            {
                "input_shape": [3, 32, 32],
                "layers": [
                    {"type": "Conv2d", "out_channels": 16, "kernel_size": 5, "padding": 2},
                    {"type": "MaxPool2d"},
                    {"type": "Flatten"},
                    {"type": "Linear", "in_features": 400, "out_features": 10},
                    {"type": "Softmax"},
                ],
            }
        )
    )
    assert main(["summary", str(project), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == [{"layer": 3, "message": data["layers"][3]["error"]}]
    assert "4096" in data["errors"][0]["message"]
    assert data["layers"][2]["output_shape"] == [4096]


def test_warnings_still_exit_0(tmp_path, capsys):
    project = tmp_path / "double_softmax.json"
    project.write_text(
        json.dumps(
            {
                "input_shape": [1, 28, 28],
                "layers": [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}, {"type": "Softmax"}],
            }
        )
    )
    assert main(["summary", str(project), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"][0]["layer"] == 2


@pytest.mark.parametrize("content", ["", "{", '{"input_shape": [1, 28, 28], "version": 99}'])
def test_unreadable_projects_exit_2_with_one_line(tmp_path, content):
    project = tmp_path / "bad.json"
    project.write_text(content)
    done = subprocess.run([sys.executable, "-m", "gui_app", "summary", str(project)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "bad.json" in done.stderr
