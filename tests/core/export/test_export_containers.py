"""Every export of a network with containers reproduces the app's model: Python (the container
classes written out in full), TorchScript, ONNX, torch.export, and the training script."""

from __future__ import annotations

import ast
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

from gui_app.core.analysis.compiler import build_model
from gui_app.core.export.formats import export_onnx, export_pt2, export_python, export_torchscript
from gui_app.core.export.python_source import python_source
from gui_app.core.export.training_script import training_script_source
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import TrainedModel
from tests.core.export.test_export import _assert_same_outputs, _exec_module

ROOT = Path(__file__).resolve().parents[3]
RUFF = Path(sys.executable).with_name("ruff")


def _conv(channels: int, **params) -> LayerSpec:
    return LayerSpec("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False, **params})


def _basic_block(channels: int, stride: int = 1, projection: bool = False) -> list[LayerSpec]:
    body = [_conv(channels, stride=stride), LayerSpec("BatchNorm2d"), LayerSpec("ReLU"), _conv(channels)]
    body.append(LayerSpec("BatchNorm2d"))
    shortcut = (
        [LayerSpec("Conv2d", {"out_channels": channels, "kernel_size": 1, "stride": stride})] if projection else []
    )
    return [
        LayerSpec("Residual", lanes=[body, [*shortcut, *([LayerSpec("BatchNorm2d")] if projection else [])]]),
        LayerSpec("ReLU"),
    ]


def residual_network(input_shape=(3, 16, 16), name: str = 'Residual "net" \\ with lanes') -> NetworkSpec:
    """A small ResNet with a projection, then a Parallel (concat) holding a Residual, then a sum."""
    inception = LayerSpec(
        "Parallel",
        {"merge": "concat"},
        lanes=[
            [LayerSpec("Conv2d", {"out_channels": 4, "kernel_size": 1})],
            [LayerSpec("Residual", lanes=[[_conv(16)], []])],
            [],
        ],
    )
    summed = LayerSpec("Parallel", {"merge": "sum"}, lanes=[[LayerSpec("Tanh")], [LayerSpec("Sigmoid")]])
    layers = [
        _conv(8),
        LayerSpec("BatchNorm2d"),
        LayerSpec("ReLU"),
        *_basic_block(8),
        *_basic_block(16, stride=2, projection=True),
        inception,
        summed,
        LayerSpec("AdaptiveAvgPool2d", {"output_size": 1}),
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, input_shape, name, TrainingConfig(seed=7))


def _randomised_model(spec: NetworkSpec, seed: int) -> torch.nn.Module:
    """The app's model with random batch-norm statistics, so an export that skipped a lane shows."""
    model = build_model(spec, seed=seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model.eval()


def test_the_python_export_writes_the_container_classes_and_rebuilds_the_same_network(tmp_path: Path) -> None:
    spec = residual_network()
    path = tmp_path / "residual.py"
    export_python(spec, path)
    source = path.read_text()
    ast.parse(source)
    assert "gui_app" not in source and "class Residual(nn.Module):" in source and "class Parallel(nn.Module):" in source
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"torch", "pathlib"}
    namespace = _exec_module(path)
    assert namespace["NAME"] == spec.name
    reference = _randomised_model(spec, 5)
    exported = namespace["build_model"]()
    exported.load_state_dict(reference.state_dict())  # the same modules under the same names
    _assert_same_outputs(reference, lambda x: exported.eval()(x).detach().numpy(), spec.input_shape, 1e-6)


def test_the_python_export_with_the_seed_builds_the_same_initial_weights(tmp_path: Path) -> None:
    spec = residual_network()
    export_python(spec, tmp_path / "seeded.py")
    torch.manual_seed(11)
    exported = _exec_module(tmp_path / "seeded.py")["build_model"]()
    for (key, a), b in zip(
        exported.state_dict().items(), build_model(spec, seed=11).state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), key


def test_a_trained_residual_network_exports_with_its_weights(tmp_path: Path) -> None:
    spec = residual_network()
    trained = _randomised_model(spec, 2)
    path = tmp_path / "trained.py"
    export_python(spec, path, TrainedModel(spec, trained.state_dict()), include_preprocessing=False)
    loaded = _exec_module(path)["load_trained_model"]()
    _assert_same_outputs(trained, lambda x: loaded(x).detach().numpy(), spec.input_shape, 1e-6)


def test_python_and_training_script_exports_of_containers_are_ruff_clean(tmp_path: Path) -> None:
    export_python(residual_network(), tmp_path / "residual.py")
    (tmp_path / "train_residual.py").write_text(training_script_source(residual_network((1, 28, 28))))
    files = sorted(str(p) for p in tmp_path.glob("*.py"))
    for config in (["--config", str(ROOT / "pyproject.toml")], ["--isolated"]):
        result = subprocess.run(
            [str(RUFF), "check", "--no-cache", *config, *files], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_training_script_embeds_the_containers_and_builds_the_same_network() -> None:
    spec = residual_network((1, 28, 28))
    source = training_script_source(spec)
    assert "class Residual(nn.Module):" in source and "gui_app" not in source
    namespace: dict = {"__name__": "train_residual"}
    exec(compile(source, "train_residual.py", "exec"), namespace)
    reference = _randomised_model(spec, 1)
    scripted = namespace["build_model"]()
    scripted.load_state_dict(reference.state_dict())
    _assert_same_outputs(reference, lambda x: scripted.eval()(x).detach().numpy(), spec.input_shape, 1e-6)


def test_torchscript_of_a_residual_network_matches_the_model(tmp_path: Path) -> None:
    spec = residual_network()
    trained = _randomised_model(spec, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        export_torchscript(
            spec, tmp_path / "model.pt", TrainedModel(spec, trained.state_dict()), include_preprocessing=False
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        loaded = torch.jit.load(str(tmp_path / "model.pt"))
    _assert_same_outputs(trained, lambda x: loaded(x).detach().numpy(), spec.input_shape, 1e-6)


def test_onnx_of_a_residual_network_matches_the_model(tmp_path: Path) -> None:
    import onnx
    import onnxruntime

    spec = residual_network()
    trained = _randomised_model(spec, 4)
    path = tmp_path / "model.onnx"
    export_onnx(spec, path, TrainedModel(spec, trained.state_dict()), include_preprocessing=False)
    onnx.checker.check_model(str(path))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _assert_same_outputs(trained, lambda x: session.run(None, {"input": x.numpy()})[0], spec.input_shape, 1e-4)


def test_pt2_of_a_residual_network_matches_the_model_with_a_dynamic_batch(tmp_path: Path) -> None:
    spec = residual_network()
    trained = _randomised_model(spec, 6)
    export_pt2(spec, tmp_path / "model.pt2", TrainedModel(spec, trained.state_dict()), include_preprocessing=False)
    program = torch.export.load(str(tmp_path / "model.pt2")).module()
    _assert_same_outputs(trained, lambda x: program(x).detach().numpy(), spec.input_shape, 1e-6)


@pytest.mark.parametrize("merge", ["concat", "sum"])
def test_the_merge_reaches_the_source_through_the_quoting_function(merge: str) -> None:
    spec = NetworkSpec([LayerSpec("Parallel", {"merge": merge}, lanes=[[LayerSpec("ReLU")], []])], (4,), "x")
    source = python_source(spec)
    assert f'merge="{merge}",' in source
    ast.parse(source)
