"""``netbuilder export``: every format, trained weights, and one-line errors with exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gui_app.cli import main
from gui_app.core.analysis.compiler import build_model
from gui_app.core.project.spec import LayerSpec, NetworkSpec, save_spec
from gui_app.core.training.trained_model import TrainedModel, save_trained_model


def _mlp(hidden: int = 16) -> NetworkSpec:
    layers = [
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": hidden}),
        LayerSpec("ReLU"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (1, 28, 28), "CLI MLP")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "mlp.json"
    save_spec(_mlp(), path)
    return path


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("python", "net.py"), ("torchscript", "net.pt"), ("pt2", "net.pt2"), ("training-script", "train.py")],
)
def test_each_format_writes_its_file(fmt: str, name: str, project: Path, capsys) -> None:
    out = project.parent / name
    assert main(["export", str(project), "--format", fmt, "-o", str(out)]) == 0
    assert out.is_file() and out.stat().st_size > 0
    assert f"wrote {out}" in capsys.readouterr().out


def test_weights_from_a_checkpoint_end_up_in_the_onnx_file(project: Path, tmp_path: Path) -> None:
    import onnxruntime

    spec = _mlp()
    trained = build_model(spec, seed=77)
    checkpoint = tmp_path / "trained.pt"
    save_trained_model(TrainedModel(spec, trained.state_dict()), checkpoint)
    out = tmp_path / "net.onnx"
    assert main(["export", str(project), "--format", "onnx", "-o", str(out), "--weights", str(checkpoint)]) == 0
    x = torch.rand(3, 1, 28, 28)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    torch.testing.assert_close(torch.from_numpy(got), trained.eval()(x).detach(), atol=1e-4, rtol=0)


def test_a_checkpoint_can_be_the_input_file(tmp_path: Path) -> None:
    spec = _mlp()
    trained = build_model(spec, seed=5)
    checkpoint = tmp_path / "trained.pt"
    save_trained_model(TrainedModel(spec, trained.state_dict()), checkpoint)
    out = tmp_path / "net.pt"
    assert main(["export", str(checkpoint), "--format", "torchscript", "-o", str(out)]) == 0
    with pytest.warns(FutureWarning):
        loaded = torch.jit.load(str(out))
    x = torch.rand(2, 1, 28, 28)
    torch.testing.assert_close(loaded(x), trained.eval()(x))


def _run_failing(argv: list[str], capsys) -> tuple[int, str]:
    status = main(argv)
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return status, err


def test_bad_files_exit_2_with_one_line(project: Path, tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    status, err = _run_failing(["export", str(bad), "-f", "onnx", "-o", str(tmp_path / "a.onnx")], capsys)
    assert status == 2 and err.startswith("netbuilder export: bad.json: not valid JSON")
    status, err = _run_failing(["export", str(tmp_path / "none.json"), "-f", "python", "-o", "x.py"], capsys)
    assert status == 2 and "none.json: no such file" in err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    status, err = _run_failing(
        ["export", str(project), "-f", "python", "-o", str(tmp_path / "a.py"), "--weights", str(junk)], capsys
    )
    assert status == 2 and "junk.pt" in err
    other = tmp_path / "other.pt"
    save_trained_model(TrainedModel(_mlp(8), build_model(_mlp(8)).state_dict()), other)
    status, err = _run_failing(
        ["export", str(project), "-f", "onnx", "-o", str(tmp_path / "a.onnx"), "--weights", str(other)], capsys
    )
    assert status == 2 and "other.pt: these weights are of another network than mlp.json" in err
    assert not (tmp_path / "a.onnx").exists() and not (tmp_path / "a.py").exists()


def test_a_network_with_errors_exits_1(tmp_path: Path, capsys) -> None:
    spec = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Conv2d")], (1, 28, 28), "Broken")
    path = tmp_path / "broken.json"
    save_spec(spec, path)
    status, err = _run_failing(["export", str(path), "-f", "pt2", "-o", str(tmp_path / "x.pt2")], capsys)
    assert status == 1
    assert err.startswith("netbuilder export: broken.json: block 2 (Conv2d): expects a (channels")


def test_a_training_script_for_an_unsupported_dataset_exits_1(tmp_path: Path, capsys) -> None:
    spec = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear")], (3, 32, 32), "CIFAR")
    spec.training = spec.training.replace(dataset="cifar10")
    path = tmp_path / "cifar.json"
    save_spec(spec, path)
    status, err = _run_failing(["export", str(path), "-f", "training-script", "-o", str(tmp_path / "t.py")], capsys)
    assert status == 1 and "MNIST or Fashion-MNIST" in err


def _checkpoint(path: Path, seed: int = 3) -> Path:
    spec = _mlp()
    save_trained_model(TrainedModel(spec, build_model(spec, seed=seed).state_dict(), (0.1307,), (0.3081,)), path)
    return path


def test_python_export_never_destroys_the_weights_it_was_given(project: Path, tmp_path: Path, capsys) -> None:
    checkpoint = _checkpoint(tmp_path / "model.pt")
    before = checkpoint.read_bytes()
    out = tmp_path / "model.py"
    assert main(["export", str(project), "-f", "python", "-o", str(out), "--weights", str(checkpoint)]) == 0
    assert checkpoint.read_bytes() == before
    weights = tmp_path / "model.weights.pt"
    assert f"wrote {out} and {weights}" in capsys.readouterr().out
    saved = torch.load(weights, weights_only=True)
    assert saved.keys() == TrainedModel(_mlp(), build_model(_mlp()).state_dict()).state_dict.keys()


@pytest.mark.parametrize("force", [[], ["--force"]], ids=["plain", "force"])
def test_an_input_file_is_never_an_output(force: list[str], project: Path, tmp_path: Path, capsys) -> None:
    checkpoint = _checkpoint(tmp_path / "net.weights.pt")
    link = tmp_path / "link.json"
    link.symlink_to(project)
    inputs = {p: p.read_bytes() for p in (project, checkpoint)}
    cases = [
        (["-f", "python", "-o", str(tmp_path / "net.py"), "--weights", str(checkpoint)], "net.weights.pt"),
        (["-f", "torchscript", "-o", str(project)], "mlp.json"),
        (["-f", "onnx", "-o", str(link)], "link.json"),
        (["-f", "pt2", "-o", str(tmp_path / "sub" / ".." / "mlp.json")], "mlp.json"),
    ]
    (tmp_path / "sub").mkdir()
    for options, name in cases:
        status, err = _run_failing(["export", str(project), *options, *force], capsys)
        assert status == 2, options
        assert f"{name}: is an input of this export" in err and "choose another output name" in err
    assert {p: p.read_bytes() for p in inputs} == inputs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "mlp.json", "net.weights.pt", "sub"]


def test_existing_outputs_are_refused_without_force_and_listed(project: Path, tmp_path: Path, capsys) -> None:
    checkpoint = _checkpoint(tmp_path / "trained.pt")
    out, weights = tmp_path / "net.py", tmp_path / "net.weights.pt"
    out.write_text("keep me")
    weights.write_text("keep me too")
    argv = ["export", str(project), "-f", "python", "-o", str(out), "--weights", str(checkpoint)]
    status, err = _run_failing(argv, capsys)
    assert status == 2
    assert err == f"netbuilder export: would replace {out}, {weights}; pass --force to replace them"
    assert out.read_text() == "keep me" and weights.read_text() == "keep me too"
    assert main([*argv, "--force"]) == 0
    assert "def load_trained_model" in out.read_text()
    assert torch.load(weights, weights_only=True).keys() == build_model(_mlp()).state_dict().keys()


def test_exclude_preprocessing_exports_the_bare_network(project: Path, tmp_path: Path, capsys) -> None:
    import onnx
    import onnxruntime

    checkpoint = _checkpoint(tmp_path / "trained.pt", seed=8)
    network = build_model(_mlp(), seed=8).eval()
    x = torch.rand(4, 1, 28, 28)
    for flag, feed, state in (([], x, "included"), (["--exclude-preprocessing"], (x - 0.1307) / 0.3081, "excluded")):
        out = tmp_path / f"{state}.onnx"
        assert main(["export", str(project), "-f", "onnx", "-o", str(out), "--weights", str(checkpoint), *flag]) == 0
        session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
        got = torch.from_numpy(session.run(None, {"input": feed.numpy()})[0])
        torch.testing.assert_close(got, network((x - 0.1307) / 0.3081).detach(), atol=1e-5, rtol=0)
        props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
        assert props["preprocessing"] == state and props["mean"] == "[0.1307]" and props["std"] == "[0.3081]"
    status = main(["export", str(project), "-f", "pt2", "-o", str(tmp_path / "x.pt2"), "--exclude-preprocessing"])
    assert status == 0
    assert "--exclude-preprocessing has no effect without trained weights" in capsys.readouterr().err
