"""``netbuilder fix``: one line per change, OUT written atomically, and the exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gui_app.cli import main
from gui_app.core.analysis.compiler import compile_network
from gui_app.core.project.presets import presets_dir
from gui_app.core.project.spec import load_spec_file

SEED_CNN = Path(__file__).parents[1] / "data" / "seed_cifar10_cnn.json"


def _project(path: Path, layers, **extra) -> Path:
    path.write_text(json.dumps({"input_shape": [1, 28, 28], "layers": layers, **extra}))
    return path


def test_the_seed_articles_cnn_is_mended_to_576_and_exits_0(tmp_path, capsys):
    out = tmp_path / "fixed.json"
    assert main(["fix", str(SEED_CNN), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["block 8 (Linear): set in_features to 576", f"wrote {out} (1 fix)"]
    assert captured.err == ""
    fixed = load_spec_file(out)
    assert fixed.layers[7].params["in_features"] == 576 and compile_network(fixed).ok
    assert SEED_CNN.read_text().count('"in_features": 400') == 1  # the input is left as it was


def test_every_change_is_one_line_in_the_order_made(tmp_path, capsys):
    layers = [
        {"type": "Conv2d", "out_channels": 4, "kernel_size": 3},
        {"type": "Linear", "in_features": 400, "out_features": 10},
        {"type": "Softmax"},
    ]
    project = _project(tmp_path / "net.json", layers)
    assert main(["fix", str(project), "-o", str(tmp_path / "out.json")]) == 0
    assert capsys.readouterr().out.splitlines()[:-1] == [
        "block 2 (Linear): insert a Flatten before this Linear",
        "block 3 (Linear): set in_features to 2704",
        "block 4 (Softmax): remove this Softmax",
    ]
    assert [layer.type for layer in load_spec_file(tmp_path / "out.json").layers] == ["Conv2d", "Flatten", "Linear"]


def test_errors_without_a_fix_exit_1_and_are_named_but_out_is_written(tmp_path, capsys):
    layers = [{"type": "Conv2d", "kernel_size": 40}, {"type": "Flatten"}, {"type": "Linear", "out_features": 10}]
    out = tmp_path / "out.json"
    assert main(["fix", str(_project(tmp_path / "net.json", layers)), "-o", str(out)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"wrote {out} (0 fixes)"]
    assert captured.err.startswith("netbuilder fix: error left: block 1: the kernel (40×40) is larger")
    assert out.exists()


def test_a_clean_project_is_copied_unchanged(tmp_path, capsys):
    source = presets_dir() / "mnist_cnn_small.json"
    out = tmp_path / "out.json"
    assert main(["fix", str(source), "-o", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"wrote {out} (0 fixes)"]
    assert load_spec_file(out).to_json() == load_spec_file(source).to_json()


def test_an_existing_out_or_the_input_itself_needs_force(tmp_path, capsys):
    project = _project(tmp_path / "net.json", [{"type": "Flatten"}, {"type": "Linear", "in_features": 9}])
    original = project.read_text()
    assert main(["fix", str(project), "-o", str(project)]) == 2
    assert capsys.readouterr().err.strip() == f"netbuilder fix: {project}: is the input; pass --force to replace it"
    assert project.read_text() == original
    other = tmp_path / "other.json"
    other.write_text("keep")
    assert main(["fix", str(project), "-o", str(other)]) == 2
    assert "exists; pass --force" in capsys.readouterr().err and other.read_text() == "keep"
    assert main(["fix", str(project), "-o", str(project), "--force"]) == 0
    assert load_spec_file(project).layers[1].params == {"in_features": 784}


@pytest.mark.parametrize(
    ("content", "words"),
    [("{", "bad.json: not valid JSON"), (None, "bad.json: no such file")],
)
def test_an_unreadable_file_exits_2_with_one_line_and_writes_nothing(tmp_path, content, words):
    project = tmp_path / "bad.json"
    if content is not None:
        project.write_text(content)
    out = tmp_path / "out.json"
    done = subprocess.run(
        [sys.executable, "-m", "gui_app", "fix", str(project), "-o", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr
    assert not out.exists()


def test_an_out_in_a_missing_folder_exits_2(tmp_path, capsys):
    out = tmp_path / "nowhere" / "out.json"
    assert main(["fix", str(SEED_CNN), "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"netbuilder fix: {out}: cannot be written")


def test_a_missing_output_option_exits_2():
    done = subprocess.run([sys.executable, "-m", "gui_app", "fix", str(SEED_CNN)], capture_output=True, text=True)
    assert done.returncode == 2 and "-o" in done.stderr and "Traceback" not in done.stderr
