"""``netbuilder summary``: the table, the JSON contract and the exit codes, never a traceback."""

import json
import os
import resource
import subprocess
import sys

import pytest

from gui_app.cli import main
from gui_app.core.project.presets import presets_dir


def test_summary_json_matches_the_documented_contract(capsys):
    assert main(["summary", str(presets_dir() / "mnist_mlp_784_512_10.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"layers", "total_params", "size_bytes", "total_macs", "warnings", "errors"}
    assert [layer["output_shape"] for layer in data["layers"]] == [[784], [512], [512], [10]]
    assert data["layers"][1] == {
        "type": "Linear",
        "output_shape": [512],
        "params": 784 * 512 + 512,
        "error": None,
        "macs": 784 * 512,
        "activation_bytes": 512 * 4,
        "dims": ["N", "F"],
    }
    assert data["total_params"] == 407_050 and data["size_bytes"] == 407_050 * 4
    assert data["warnings"] == [] and data["errors"] == []


def test_summary_reports_macs_per_layer_and_in_total(capsys):
    assert main(["summary", str(presets_dir() / "mnist_mlp_784_128_64_10.json"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [layer["macs"] for layer in data["layers"] if layer["type"] == "Linear"] == [784 * 128, 128 * 64, 64 * 10]
    assert data["total_macs"] == 784 * 128 + 128 * 64 + 64 * 10
    assert main(["summary", str(presets_dir() / "mnist_mlp_784_128_64_10.json")]) == 0
    out = capsys.readouterr().out
    assert "MACs" in out.splitlines()[1] and "100.4k" in out and "MACs per sample: 109.2k" in out


def test_summary_of_a_broken_network_marks_unknown_macs(tmp_path, capsys):
    project = tmp_path / "broken.json"
    layers = [{"type": "Flatten"}, {"type": "Linear", "in_features": 10, "out_features": 4}]
    project.write_text(json.dumps({"input_shape": [1, 28, 28], "layers": layers}))
    assert main(["summary", str(project), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [layer["macs"] for layer in data["layers"]] == [0, None] and data["total_macs"] == 0


def test_summary_table_lists_every_layer(capsys):
    assert main(["summary", str(presets_dir() / "cifar10_lenet.json")]) == 0
    out = capsys.readouterr().out
    assert "Conv2d 6@5×5 s1 p2" in out and "16×6×6" in out and "Total parameters: 83,170" in out


def test_summary_names_each_dimension_in_the_table_and_the_json(capsys):
    assert main(["summary", str(presets_dir() / "cifar10_lenet.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "N×3×32×32 (N, C, H, W)" in lines[3] and "Input" in lines[3]
    assert any("MaxPool2d" in line and "N×16×6×6 (N, C, H, W)" in line for line in lines)
    assert any("Flatten" in line and "N×576 (N, F)" in line for line in lines)
    assert main(["summary", str(presets_dir() / "cifar10_lenet.json"), "--json"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert layers[0]["dims"] == ["N", "C", "H", "W"] and layers[-1]["dims"] == ["N", "F"]


def _project(tmp_path, layers, **extra):
    project = tmp_path / "net.json"
    project.write_text(json.dumps({"input_shape": [1, 28, 28], "layers": layers, **extra}))
    return project


def test_summary_json_gives_each_error_and_warning_its_fix_label_or_null(tmp_path, capsys):
    broken = _project(tmp_path, [{"type": "Flatten"}, {"type": "Linear", "in_features": 100, "out_features": 10}])
    assert main(["summary", str(broken), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == [{"layer": 1, "message": data["layers"][1]["error"], "fix": "set in_features to 784"}]
    assert main(["summary", str(broken)]) == 1
    assert "[netbuilder fix: set in_features to 784]" in capsys.readouterr().out
    layers = [{"type": "Flatten"}, {"type": "Linear", "out_features": 10}, {"type": "Softmax"}]
    assert main(["summary", str(_project(tmp_path, layers)), "--json"]) == 0
    assert [w["fix"] for w in json.loads(capsys.readouterr().out)["warnings"]] == ["remove this Softmax"]
    no_fix = _project(tmp_path, [{"type": "Conv2d", "kernel_size": 40}])
    assert main(["summary", str(no_fix), "--json"]) == 1
    assert [e["fix"] for e in json.loads(capsys.readouterr().out)["errors"]] == [None]


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
    assert data["errors"] == [{"layer": 3, "message": data["layers"][3]["error"], "fix": "set in_features to 4096"}]
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


GOOD = '{"name": "bom", "input_shape": [1, 28, 28], "layers": [{"type": "Flatten"}]}'

CRAFTED_PROJECTS = [
    ("duplicate-key", b'{"input_shape": [1, 28, 28], "input_shape": [3, 32, 32]}', "duplicate key 'input_shape'"),
    ("long-integer", b'{"input_shape": [1, 28, ' + b"9" * 5000 + b"]}", "an integer of 5,000 digits"),
    (
        "escape-in-name",
        b'{"name": "\\u001b[2J", "input_shape": [1, 28, 28]}',
        "name: holds the control character \\x1b",
    ),
    ("surrogate-in-name", b'{"name": "\\ud800", "input_shape": [1, 28, 28]}', "name: holds a lone surrogate \\ud800"),
    ("raw-c1-in-name", '{"name": "x\u009b", "input_shape": [1]}'.encode(), "name: holds the control character \\x9b"),
    ("not-utf8", b'{"name": "\xff"}', "not a text file"),
]


@pytest.mark.parametrize(("content", "words"), [c[1:] for c in CRAFTED_PROJECTS], ids=[c[0] for c in CRAFTED_PROJECTS])
def test_crafted_projects_exit_2_with_one_escaped_line(tmp_path, capsys, content, words):
    project = tmp_path / "crafted.json"
    project.write_bytes(content)
    assert main(["summary", str(project)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("netbuilder: crafted.json: ") and words in err
    assert len(err.splitlines()) == 1 and err.isprintable() and not captured.out


def test_a_project_with_a_byte_order_mark_is_summarised(tmp_path, capsys):
    project = tmp_path / "bom.json"
    project.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    assert main(["summary", str(project)]) == 0
    assert capsys.readouterr().out.startswith("bom\n")


def test_a_terminal_escape_in_the_file_name_is_printed_escaped(tmp_path, capsys):
    project = tmp_path / "x\x1b]0;owned\x07.json"
    project.write_text("{")
    assert main(["summary", str(project)]) == 2
    err = capsys.readouterr().err
    assert "x\\x1b]0;owned\\x07.json: not valid JSON" in err and "\x1b" not in err and "\x07" not in err


def _memory_cap() -> None:
    """Run in the child: 4 GB of address space, so a regression fails the test, not the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))


def test_dev_zero_is_refused_at_once_not_read_until_memory_runs_out():
    """It used to read /dev/zero until the kernel killed it at 23.5 GB."""
    done = subprocess.run(
        [sys.executable, "-m", "gui_app", "summary", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_memory_cap,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "netbuilder: /dev/zero: not a regular file (a device, pipe or socket cannot be read)"


def test_summary_lists_the_blocks_inside_containers_numbered_as_the_canvas(tmp_path, capsys):
    body = [{"type": "Conv2d", "out_channels": 8, "padding": 1}, {"type": "ReLU"}]
    layers = [{"type": "Conv2d", "out_channels": 8}, {"type": "Residual", "lanes": [body, []]}, {"type": "Flatten"}]
    project = tmp_path / "residual.json"
    project.write_text(json.dumps({"version": 2, "input_shape": [3, 10, 10], "layers": layers}))
    assert main(["summary", str(project), "--json"]) == 0
    residual = json.loads(capsys.readouterr().out)["layers"][1]
    conv = {"type": "Conv2d", "block": "2.body.1", "output_shape": [8, 8, 8], "params": 8 * 8 * 9 + 8}
    assert {k: residual["lanes"][0][0][k] for k in conv} == conv
    assert residual["lanes"][0][0]["macs"] == 8 * 8 * 8 * 8 * 9 and residual["lanes"][1] == []
    assert residual["params"] == 8 * 8 * 9 + 8 and residual["macs"] == 8 * 8 * 8 * 8 * 9
    assert main(["summary", str(project)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert any(row.split()[:3] == ["2.body.1", "Conv2d", "8@3×3"] for row in rows)
    assert any(row.split()[:2] == ["2.body.2", "ReLU"] for row in rows)


def test_an_error_inside_a_container_names_the_inner_block(tmp_path, capsys):
    layers = [{"type": "Residual", "lanes": [[{"type": "Conv2d", "kernel_size": 99}], []]}]
    project = tmp_path / "broken.json"
    project.write_text(json.dumps({"input_shape": [3, 10, 10], "layers": layers}))
    assert main(["summary", str(project)]) == 1
    assert "error: block 1.body.1 (Conv2d): the kernel (99×99) is larger" in capsys.readouterr().out
