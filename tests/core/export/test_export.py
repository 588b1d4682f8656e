"""Python, TorchScript, ONNX and torch.export exports reproduce the model the app builds."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.formats import (
    FORMAT_NAMES,
    export_onnx,
    export_outputs,
    export_pt2,
    export_python,
    export_to,
    export_torchscript,
)
from gui_app.core.export.output_files import ExportError
from gui_app.core.export.python_source import python_source
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import TrainedModel

ROOT = Path(__file__).resolve().parents[3]
RUFF = Path(sys.executable).with_name("ruff")


def _spec(name: str, shape: tuple[int, ...], layers: list[tuple[str, dict]], seed: int = 0) -> NetworkSpec:
    return NetworkSpec([LayerSpec(t, p) for t, p in layers], shape, name, TrainingConfig(seed=seed))


MLP = _spec(
    "MLP",
    (1, 28, 28),
    [
        ("Flatten", {}),
        ("Linear", {"out_features": 32}),
        ("ReLU", {}),
        ("Dropout", {"p": 0.2}),
        ("Linear", {"out_features": 10, "bias": False}),
        ("LogSoftmax", {}),
    ],
    seed=3,
)
CNN = _spec(
    "CNN with every image layer",
    (3, 16, 16),
    [
        ("Conv2d", {"out_channels": 8, "padding": "same", "padding_mode": "reflect"}),
        ("BatchNorm2d", {}),
        ("LeakyReLU", {"negative_slope": 0.1}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"out_channels": 4, "kernel_size": [3, 5], "stride": [1, 2], "bias": False}),
        ("ELU", {}),
        ("AvgPool2d", {"kernel_size": 2, "stride": 1}),
        ("Dropout2d", {"p": 0.1}),
        ("AdaptiveAvgPool2d", {"output_size": [2, 2]}),
        ("Flatten", {}),
        ("LayerNorm", {}),
        ("GELU", {"approximate": "tanh"}),
        ("Linear", {"out_features": 10}),
        ("Softmax", {}),
    ],
)
SEQ = _spec(
    'Sequence "model" with LSTM and GRU',
    (48,),
    [
        ("Unflatten", {"dim": 1, "unflattened_size": [8, 6]}),
        ("LSTM", {"hidden_size": 16, "num_layers": 2, "bidirectional": True, "return_sequences": True}),
        ("GRU", {"hidden_size": 8}),
        ("BatchNorm1d", {}),
        ("SiLU", {}),
        ("Tanh", {}),
        ("Sigmoid", {}),
        ("Identity", {}),
        ("Linear", {"out_features": 10}),
    ],
)
CONV1D = _spec(
    "Conv1d",
    (4, 20),
    [
        ("Conv1d", {"out_channels": 6, "kernel_size": 3, "padding": 1, "groups": 2}),
        ("Flatten", {}),
        ("Linear", {"out_features": 3}),
    ],
)
RESNET = _spec("ResNet", (3, 32, 32), [("ResNet18", {"num_classes": 10})])
SPECS = {"mlp": MLP, "cnn": CNN, "seq": SEQ, "conv1d": CONV1D}


def _trained(spec: NetworkSpec, seed: int) -> TrainedModel:
    """Weights of ``spec`` with the identity normalisation, so outputs compare with the bare network."""
    return TrainedModel(spec, build_model(spec, seed=seed).state_dict())


def _exec_module(path: Path) -> dict:
    namespace: dict = {"__name__": "exported", "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def _assert_same_outputs(reference: torch.nn.Module, run, shape: tuple[int, ...], atol: float) -> None:
    reference.eval()
    for batch in (1, 7):
        x = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(batch))
        with torch.no_grad():
            want = reference(x).numpy()
        got = np.asarray(run(x))
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=atol, rtol=0)


@pytest.mark.parametrize("name", [*SPECS, "resnet"])
def test_python_export_rebuilds_the_same_network(name: str, tmp_path: Path) -> None:
    spec = RESNET if name == "resnet" else SPECS[name]
    path = tmp_path / f"{name}.py"
    export_python(spec, path)
    namespace = _exec_module(path)
    exported = namespace["build_model"]()
    reference = build_model(spec, seed=5)
    assert [tuple(p.shape) for p in exported.parameters()] == [tuple(p.shape) for p in reference.parameters()]
    assert sum(p.numel() for p in exported.parameters()) == sum(p.numel() for p in reference.parameters())
    assert namespace["INPUT_SHAPE"] == spec.input_shape
    exported.load_state_dict(reference.state_dict())
    exported.eval()
    _assert_same_outputs(reference, lambda x: exported(x).detach().numpy(), spec.input_shape, 1e-6)
    source = path.read_text()
    assert "gui_app" not in source
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"torch", "torchvision.models", "pathlib"}
    assert ("torchvision" in source) == (name == "resnet")
    assert ("class RecurrentBlock" in source) == (name == "seq")


def test_python_export_with_the_same_seed_builds_the_same_initial_weights(tmp_path: Path) -> None:
    path = tmp_path / "mlp.py"
    export_python(MLP, path)
    torch.manual_seed(11)
    exported = _exec_module(path)["build_model"]()
    reference = build_model(MLP, seed=11)
    for a, b in zip(exported.state_dict().values(), reference.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_python_exports_are_ruff_clean(tmp_path: Path) -> None:
    for name, spec in {**SPECS, "resnet": RESNET}.items():
        export_python(spec, tmp_path / f"{name}.py")
    export_python(MLP, tmp_path / "with_weights.py", _trained(MLP, 1))
    export_python(MLP, tmp_path / "bare_weights.py", _trained(MLP, 1), include_preprocessing=False)
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    for config in (["--config", str(ROOT / "pyproject.toml")], ["--isolated"]):
        result = subprocess.run(
            [str(RUFF), "check", "--no-cache", *config, *files], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_python_export_runs_as_a_script_and_loads_its_weights(tmp_path: Path) -> None:
    trained = build_model(MLP, seed=42)
    path = tmp_path / "mnist_mlp.py"
    export_python(MLP, path, TrainedModel(MLP, trained.state_dict()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_mlp.py", "mnist_mlp.weights.pt"]
    result = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Linear(in_features=784, out_features=32, bias=True)" in result.stdout
    assert "input (1, 28, 28) -> output (10,)" in result.stdout
    model = _exec_module(path)["load_trained_model"]()
    for a, b in zip(model.state_dict().values(), trained.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnist_mlp.py", "mnist_mlp.weights.pt"]


def test_python_weights_never_replace_a_torchscript_export_of_the_same_name(tmp_path: Path) -> None:
    export_torchscript(MLP, tmp_path / "net.pt")
    scripted = (tmp_path / "net.pt").read_bytes()
    written = export_to("python", MLP, tmp_path / "net.py", _trained(MLP, 2))
    assert written == export_outputs("python", tmp_path / "net.py", True)
    assert written == [tmp_path / "net.py", tmp_path / "net.weights.pt"]
    assert (tmp_path / "net.pt").read_bytes() == scripted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.pt", "net.py", "net.weights.pt"]


@pytest.mark.parametrize("kind", FORMAT_NAMES)
def test_export_outputs_name_every_file_an_export_writes(kind: str, tmp_path: Path) -> None:
    spec = _spec("Outputs", (1, 28, 28), [("Flatten", {}), ("Linear", {"out_features": 10})])
    for trained in (None, _trained(spec, 4)):
        folder = tmp_path / ("trained" if trained else "initial")
        folder.mkdir()
        path = folder / f"model{'.py' if kind in ('python', 'training-script') else '.bin'}"
        written = export_to(kind, spec, path, trained)
        assert sorted(folder.iterdir()) == sorted(written) == sorted(export_outputs(kind, path, trained is not None))


def test_python_source_writes_sizes_out_and_skips_torch_defaults() -> None:
    source = python_source(CNN)
    for text in (
        "in_channels=3,",
        'padding="same",',
        'padding_mode="reflect",',
        "kernel_size=(3, 5),",
        "stride=(1, 2),",
        "nn.LayerNorm(normalized_shape=(16,)),  # -> (16,)",
        "nn.Linear(in_features=16, out_features=10),  # -> (10,)",
    ):
        assert text in source
    assert "dilation" not in source and "groups" not in source  # torch's own defaults
    assert max(len(line) for line in source.splitlines()) <= 100


@pytest.mark.parametrize("name", list(SPECS))
def test_torchscript_matches_the_model(name: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    path = tmp_path / "model.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        export_torchscript(spec, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        loaded = torch.jit.load(str(path))
    reference = build_model(spec, spec.training.seed)
    _assert_same_outputs(reference, lambda x: loaded(x).detach().numpy(), spec.input_shape, 1e-6)


@pytest.mark.parametrize("name", ["mlp", "cnn", "seq"])
def test_onnx_passes_the_checker_and_matches_torch_at_batch_1_and_7(name: str, tmp_path: Path) -> None:
    import onnx
    import onnxruntime

    spec = SPECS[name]
    trained = build_model(spec, seed=99)
    path = tmp_path / "model.onnx"
    export_onnx(spec, path, TrainedModel(spec, trained.state_dict()))
    onnx.checker.check_model(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # weights inside, no .data
    model = onnx.load(str(path))
    assert model.opset_import[0].version in (18, 19, 20)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _assert_same_outputs(trained, lambda x: session.run(None, {"input": x.numpy()})[0], spec.input_shape, 1e-4)


@pytest.mark.parametrize("name", ["mlp", "cnn", "seq"])
def test_pt2_matches_the_model_with_a_dynamic_batch(name: str, tmp_path: Path) -> None:
    spec = SPECS[name]
    path = tmp_path / "model.pt2"
    export_pt2(spec, path)
    program = torch.export.load(str(path)).module()
    reference = build_model(spec, spec.training.seed)
    _assert_same_outputs(reference, lambda x: program(x).detach().numpy(), spec.input_shape, 1e-6)


BROKEN = _spec("Broken", (1, 28, 28), [("Flatten", {}), ("Linear", {"out_features": 10}), ("Conv2d", {})])


@pytest.mark.parametrize("export", [export_python, export_torchscript, export_onnx, export_pt2])
def test_a_network_with_errors_is_one_line_export_error(export, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        export(BROKEN, tmp_path / "out")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("the network has errors: block 3 (Conv2d)")
    assert not (tmp_path / "out").exists()


def test_empty_network_and_foreign_weights_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no layers"):
        export_onnx(_spec("Empty", (4,), []), tmp_path / "a.onnx")
    with pytest.raises(ExportError) as info:
        export_torchscript(MLP, tmp_path / "b.pt", TrainedModel(CNN, build_model(CNN).state_dict()))
    assert str(info.value).startswith("the weights do not fit the network: ")
    assert "\n" not in str(info.value)
    with pytest.raises(ExportError, match="cannot be written"):
        export_python(MLP, tmp_path / "missing" / "folder" / "c.py")
    with pytest.raises(ExportError, match="cannot be written"):
        export_onnx(MLP, tmp_path / "missing" / "d.onnx")
    assert sorted(tmp_path.iterdir()) == []
