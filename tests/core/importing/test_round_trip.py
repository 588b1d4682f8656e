"""Every preset exported to Python, ONNX and torch.export comes back as the same network.

Same layer types, the same settings (each block built by torch describes itself alike) and the
same shapes; and, when weights were exported, the same outputs on an input, with the input
scaling back as the run's normalisation rather than a block.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from gui_app.core.analysis.compiler import build_model, compile_network, walk_results
from gui_app.core.export.formats import export_to
from gui_app.core.importing.importer import import_model
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.layers.containers import is_container
from gui_app.core.project.blocks import walk
from gui_app.core.project.presets import PRESET_ORDER, load_preset
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import TrainedModel

SUFFIX = {"python": ".py", "onnx": ".onnx", "pt2": ".pt2"}


def described(spec: NetworkSpec) -> list[tuple[tuple, str, str, tuple[int, ...] | None]]:
    """(where, type, the torch module's own description, output shape) of every block of the
    tree, as compiled: a container by its settings, the blocks of its lanes by their own."""
    compiled = compile_network(spec)
    assert compiled.ok, [layer.error for layer in compiled.errors]
    found = []
    for result in walk_results(compiled.layers):
        if is_container(result.type):
            description = f"{len(result.lanes)} lanes, {result.kwargs}"
        else:
            with torch.device("meta"):
                description = repr(CATALOGUE[result.type].build(result.kwargs))
        found.append((result.address, result.type, description, result.output_shape))
    return found


def _kept(blocks: list[LayerSpec]) -> list[LayerSpec]:
    return [
        LayerSpec(
            block.type, dict(block.params), lanes=None if block.lanes is None else [_kept(lane) for lane in block.lanes]
        )
        for block in blocks
        if block.type != "Dropout"
    ]


def without_dropout(spec: NetworkSpec) -> NetworkSpec:
    """What an inference graph holds: ONNX exports leave Dropout out (it does nothing in eval mode)."""
    return NetworkSpec(_kept(spec.layers), spec.input_shape, spec.name, spec.training)


def trained(spec: NetworkSpec) -> TrainedModel:
    """Weights unlike the seed's, BatchNorm statistics included, and a per-channel input scaling."""
    generator = torch.Generator().manual_seed(7)
    state = build_model(spec, spec.training.seed).state_dict()
    for key, tensor in state.items():
        if tensor.is_floating_point():
            noise = torch.rand(tensor.shape, generator=generator)
            state[key] = noise + 0.5 if key.endswith("running_var") else tensor + 0.1 * (noise - 0.5)
    channels = spec.input_shape[0] if len(spec.input_shape) > 1 else 1
    mean = tuple(0.1 + 0.1 * c for c in range(channels))
    std = tuple(0.3 + 0.05 * c for c in range(channels))
    return TrainedModel(spec, state, mean, std)


def scaled(x: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    channels = x.reshape(x.shape[0], len(mean), -1)
    m, s = torch.tensor(mean).reshape(-1, 1), torch.tensor(std).reshape(-1, 1)
    return ((channels - m) / s).reshape(x.shape)


def export_and_import(kind: str, spec: NetworkSpec, folder: Path, model: TrainedModel | None):
    path = folder / f"exported{SUFFIX[kind]}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        export_to(kind, spec, path, model)
        return import_model(path)


CASES = [(key, kind) for key in PRESET_ORDER for kind in ("python", "onnx", "pt2")]


@pytest.mark.parametrize(("key", "kind"), CASES)
def test_every_preset_comes_back_as_the_same_network_with_the_same_outputs(tmp_path, key, kind):
    spec = load_preset(key)
    model = trained(spec)
    result = export_and_import(kind, spec, tmp_path, model)
    expected = without_dropout(spec) if kind == "onnx" else spec
    assert described(result.spec) == described(expected)
    assert tuple(result.spec.input_shape) == tuple(spec.input_shape)
    assert result.report.complete, result.report.lines()
    assert result.mean == pytest.approx(model.mean) and result.std == pytest.approx(model.std)
    assert result.state_dict is not None
    imported = TrainedModel(result.spec, result.state_dict).build()
    x = torch.rand(3, *spec.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = model.build()(scaled(x, model.mean, model.std))
        got = imported(scaled(x, result.mean, result.std))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_the_resnet18_preset_comes_back_as_residual_blocks_with_the_same_lanes(tmp_path):
    """Its blocks are Residuals: every one comes back with its body and shortcut, nothing reported."""
    spec = load_preset("cifar10_resnet18")
    result = export_and_import("pt2", spec, tmp_path, trained(spec))
    assert result.spec.to_dict()["layers"] == tidied(spec).to_dict()["layers"]
    assert [layer.type for layer in result.spec.layers].count("Residual") == 8
    assert result.report.lines() == []


def tidied(spec: NetworkSpec) -> NetworkSpec:
    """The spec as an import writes it: settings at their defaults left out (the presets write kernel_size=3)."""
    copy = spec.copy()
    for place in walk(copy.layers):
        params = CATALOGUE[place.block.type].param_index
        place.block.params = {k: v for k, v in place.block.params.items() if v != params[k].default}
    return copy


def parallel_network() -> NetworkSpec:
    """A Parallel concat of a convolution, a Residual and the input itself, then a head."""
    residual = LayerSpec(
        "Residual",
        lanes=[
            [LayerSpec("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), LayerSpec("BatchNorm2d")],
            [],
        ],
    )
    parallel = LayerSpec(
        "Parallel",
        lanes=[[LayerSpec("Conv2d", {"out_channels": 2, "kernel_size": 1}), LayerSpec("ReLU")], [residual], []],
    )
    layers = [
        LayerSpec("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        parallel,
        LayerSpec("ReLU"),
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 5}),
    ]
    return NetworkSpec(layers, (3, 6, 6), "parallel")


@pytest.mark.parametrize("kind", ["python", "onnx", "pt2"])
def test_a_parallel_concat_network_comes_back_with_its_lanes_and_outputs(tmp_path, kind):
    spec = parallel_network()
    model = trained(spec)
    result = export_and_import(kind, spec, tmp_path, model)
    assert described(result.spec) == described(spec)
    assert [[b.type for b in lane] for lane in result.spec.layers[1].lanes] == [["Conv2d", "ReLU"], ["Residual"], []]
    assert result.report.complete, result.report.lines()
    assert result.state_dict is not None
    imported = TrainedModel(result.spec, result.state_dict).build()
    x = torch.rand(3, *spec.input_shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = model.build()(scaled(x, model.mean, model.std))
        got = imported(scaled(x, result.mean, result.std))
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_a_python_export_keeps_its_containers_as_written(tmp_path):
    """A Parallel sum of two lanes stays a Parallel (a graph's add of two would be a Residual), and a
    Residual's shortcut stays its shortcut though it is the longer lane."""
    conv = {"out_channels": 3, "kernel_size": 1}
    layers = [
        LayerSpec("Parallel", {"merge": "sum"}, lanes=[[LayerSpec("Conv2d", conv)], [LayerSpec("Conv2d", conv)]]),
        LayerSpec("Residual", lanes=[[], [LayerSpec("Conv2d", conv), LayerSpec("ReLU")]]),
        LayerSpec("Flatten"),
    ]
    spec = NetworkSpec(layers, (3, 4, 4), "written")
    model = trained(spec)
    result = export_and_import("python", spec, tmp_path, model)
    assert result.spec.to_dict()["layers"] == spec.to_dict()["layers"]
    assert result.report.complete, result.report.lines()
    x = torch.rand(2, 3, 4, 4)
    with torch.no_grad():
        want = model.build()(scaled(x, model.mean, model.std))
        torch.testing.assert_close(
            TrainedModel(result.spec, result.state_dict).build()(scaled(x, result.mean, result.std)), want
        )


@pytest.mark.parametrize("key", ["mnist_cnn_small", "cifar10_lenet", "linear_regression"])
def test_an_export_without_trained_weights_comes_back_without_scaling(tmp_path, key):
    spec = load_preset(key)
    result = export_and_import("python", spec, tmp_path, None)
    assert described(result.spec) == described(spec)
    assert result.state_dict is None and result.mean is None
    onnx = export_and_import("onnx", spec, tmp_path, None)
    assert described(onnx.spec) == described(without_dropout(spec))
    assert onnx.mean is None  # the seed's weights, with no input scaling in front
    x = torch.rand(2, *spec.input_shape)
    with torch.no_grad():
        want = build_model(without_dropout(spec), spec.training.seed).eval()(x)
        got = TrainedModel(onnx.spec, onnx.state_dict).build()(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


def test_the_imported_project_reads_like_one_made_by_hand(tmp_path):
    """Sizes the compiler infers and settings at their defaults are left out; the name is the project's."""
    spec = load_preset("cifar10_lenet")
    result = export_and_import("onnx", spec, tmp_path, trained(spec))
    for layer in result.spec.layers:
        entry = CATALOGUE[layer.type]
        for key, value in layer.params.items():
            assert not entry.param_index[key].inferred, (layer.type, key)
            assert value != entry.param_index[key].default, (layer.type, key)
    assert result.spec.layers[0].params == {"out_channels": 6, "kernel_size": 5, "padding": 2}
    python = export_and_import("python", spec, tmp_path, None)
    assert python.spec.name == spec.name
