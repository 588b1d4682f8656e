"""What maps and what the report lists: modules, traced graphs with branches, hand-made ONNX files."""

from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.importing.blocks import MappedLayer
from gui_app.core.importing.importer import ImportOptions, import_model
from gui_app.core.importing.live_module import import_module
from gui_app.core.importing.report import ImportFileError
from gui_app.core.training.trained_model import TrainedModel


def _outputs(result, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return TrainedModel(result.spec, result.state_dict).build()(x)


def test_nested_sequentials_map_exactly_with_their_weights():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.Sequential(nn.BatchNorm2d(4), nn.Sequential(nn.ReLU(), nn.MaxPool2d(2))),
        nn.Flatten(),
        nn.Linear(4 * 7 * 7, 5),
    ).eval()
    result = import_module(model, (1, 14, 14), "nested")
    assert [layer.type for layer in result.spec.layers] == [
        "Conv2d",
        "BatchNorm2d",
        "ReLU",
        "MaxPool2d",
        "Flatten",
        "Linear",
    ]
    x = torch.rand(2, 1, 14, 14)
    torch.testing.assert_close(_outputs(result, x), model(x))


def test_a_module_with_settings_netbuilder_lacks_is_listed_and_the_rest_kept():
    model = nn.Sequential(nn.Linear(4, 8), nn.Upsample(scale_factor=2, align_corners=True, mode="linear"), nn.ReLU())
    result = import_module(model, (4,), "partial")
    assert [layer.type for layer in result.spec.layers] == ["Linear", "ReLU"]
    assert result.report.lines() == ["1: align_corners=True is a setting NetBuilder's Upsample lacks"]


class _Residual(nn.Module):
    def __init__(self, projection: bool) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.conv = nn.Conv2d(8, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.shortcut = nn.Conv2d(8, 8, 1) if projection else nn.Identity()
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = F.relu(self.bn(self.conv(x)) + self.shortcut(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.head(torch.flatten(x, 1))


@pytest.mark.parametrize(("projection", "shortcut"), [(False, []), (True, ["Conv2d"])])
def test_a_residual_add_becomes_a_residual_block_with_its_weights(projection, shortcut):
    torch.manual_seed(0)
    model = _Residual(projection).eval()
    result = import_module(model, (3, 16, 16), "resnet-like")
    assert [layer.type for layer in result.spec.layers] == [
        "Conv2d",
        "ReLU",
        "Residual",
        "ReLU",
        "AdaptiveAvgPool2d",
        "Flatten",
        "Linear",
    ]
    lanes = result.spec.layers[2].lanes
    assert [[block.type for block in lane] for lane in lanes] == [["Conv2d", "BatchNorm2d"], shortcut]
    assert result.report.complete, result.report.lines()
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(_outputs(result, x), model(x))


def test_an_import_told_to_make_no_containers_keeps_the_body_and_says_why():
    result = import_module(_Residual(projection=False), (3, 16, 16), "resnet-like", containers=None)
    assert [layer.type for layer in result.spec.layers][:4] == ["Conv2d", "ReLU", "Conv2d", "BatchNorm2d"]
    assert result.report.lines() == [
        "add (add): residual add: the identity shortcut is left out (this import makes no containers)"
    ]
    assert compile_network(result.spec).ok


class _Recorder:
    """A stand-in for the core's containers: records what an import hands them."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def residual(self, body, shortcut, origin):
        self.calls.append(("residual", [b.type for b in body], [s.type for s in shortcut]))
        return MappedLayer("Identity", {}, origin)

    def parallel(self, lanes, merge, dim, origin):
        self.calls.append(("parallel", [[layer.type for layer in lane] for lane in lanes], merge, dim))
        return MappedLayer("Identity", {}, origin)


@pytest.mark.parametrize(("projection", "shortcut"), [(False, []), (True, ["Conv2d"])])
def test_an_add_of_a_branch_and_its_input_is_recognised_as_a_residual(projection, shortcut):
    recorder = _Recorder()
    result = import_module(_Residual(projection), (3, 16, 16), "r", containers=recorder)
    assert recorder.calls == [("residual", ["Conv2d", "BatchNorm2d"], shortcut)]
    assert [layer.type for layer in result.spec.layers][:4] == ["Conv2d", "ReLU", "Identity", "ReLU"]
    assert result.report.complete


class _Inception(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=1).relu()


def test_a_concatenation_of_branches_is_recognised_as_a_parallel_block():
    recorder = _Recorder()
    import_module(_Inception(), (3, 8, 8), "p", containers=recorder)
    assert recorder.calls == [("parallel", [["Conv2d"], ["Conv2d", "ReLU"]], "concat", 1)]
    torch.manual_seed(0)
    model = _Inception().eval()
    result = import_module(model, (3, 8, 8), "p")
    block = result.spec.layers[0]
    assert (block.type, block.params) == ("Parallel", {})  # merge "concat" is the default
    assert [[layer.type for layer in lane] for lane in block.lanes] == [["Conv2d"], ["Conv2d", "ReLU"]]
    assert result.report.complete, result.report.lines()
    x = torch.rand(2, 3, 8, 8)
    torch.testing.assert_close(_outputs(result, x), model(x))


class _ConcatAlong(nn.Module):
    """Branches concatenated along ``dim``; a Parallel block concatenates along dim 1 only."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.a = nn.Conv2d(3, 4, 1)
        self.b = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        return torch.cat([self.a(x), self.b(x)], dim=self.dim).flatten(1)


@pytest.mark.parametrize("dim", [2, -1])
def test_a_concatenation_along_another_dim_keeps_the_first_lane_and_says_why(dim):
    result = import_module(_ConcatAlong(dim), (3, 4, 4), "along")
    assert [layer.type for layer in result.spec.layers] == ["Conv2d", "Flatten"]
    assert result.report.lines() == [
        f"cat (cat): parallel branches merged by concat: lane 2 (Conv2d) left out "
        f"(a concatenation along dim {dim}; a Parallel block concatenates along dim 1 only)"
    ]


class _SumOfThree(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a, self.b, self.c = nn.Linear(4, 3), nn.Linear(4, 3), nn.Linear(4, 3)

    def forward(self, x):
        return torch.stack([self.a(x), self.b(x), self.c(x)]).sum(0)


def test_an_onnx_sum_of_three_branches_is_a_parallel_sum(tmp_path):
    torch.manual_seed(0)
    model = _SumOfThree().eval()
    path = tmp_path / "sum3.onnx"
    weights = {f"{n}.{k}": v.detach().numpy() for n in "abc" for k, v in getattr(model, n).named_parameters()}
    nodes = [helper.make_node("Gemm", ["x", f"{n}.weight", f"{n}.bias"], [n], transB=1) for n in "abc"] + [
        helper.make_node("Sum", ["a", "b", "c"], ["y"])
    ]
    _onnx_file(path, nodes, weights, [1, 4], [1, 3])
    result = import_model(path)
    block = result.spec.layers[0]
    assert (block.type, block.params, len(block.lanes)) == ("Parallel", {"merge": "sum"}, 3)
    assert result.report.complete, result.report.lines()
    x = torch.rand(2, 4)
    with torch.no_grad():
        torch.testing.assert_close(_outputs(result, x), model(x))


def _onnx_file(path, nodes, initializers, in_dims, out_dims):
    graph = helper.make_graph(
        nodes,
        "handmade",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_dims)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_dims)],
        [numpy_helper.from_array(value, name) for name, value in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path.write_bytes(model.SerializeToString())
    return path


def test_onnx_matmul_add_and_gemm_become_linears_with_the_same_outputs(tmp_path):
    rng = np.random.default_rng(0)
    weights = {
        "a": rng.standard_normal((6, 5)).astype(np.float32),  # MatMul: x @ a, so Linear.weight is a.T
        "b": rng.standard_normal(5).astype(np.float32),
        "c": rng.standard_normal((5, 3)).astype(np.float32),  # Gemm with transB=0: weight is c.T
        "d": rng.standard_normal(3).astype(np.float32),
    }
    nodes = [
        helper.make_node("MatMul", ["x", "a"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["h2"]),
        helper.make_node("Relu", ["h2"], ["h3"]),
        helper.make_node("Gemm", ["h3", "c", "d"], ["h4"], alpha=2.0, transB=0),
        helper.make_node("Softmax", ["h4"], ["y"], axis=1),
    ]
    path = _onnx_file(tmp_path / "mlp.onnx", nodes, weights, ["N", 6], ["N", 3])
    result = import_model(path)
    assert [layer.type for layer in result.spec.layers] == ["Linear", "ReLU", "Linear", "Softmax"]
    assert result.report.complete
    x = rng.standard_normal((4, 6)).astype(np.float32)
    want = onnxruntime.InferenceSession(str(path)).run(None, {"x": x})[0]
    torch.testing.assert_close(_outputs(result, torch.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def test_an_onnx_operator_that_does_not_map_is_listed_and_the_rest_kept(tmp_path):
    rng = np.random.default_rng(1)
    weights = {"w": rng.standard_normal((4, 2, 3, 3)).astype(np.float32)}
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], auto_pad="SAME_UPPER", name="conv"),
        helper.make_node("Sin", ["c"], ["s"], name="odd"),
        helper.make_node("GlobalAveragePool", ["s"], ["g"]),
        helper.make_node("Flatten", ["g"], ["y"], axis=1),
    ]
    path = _onnx_file(tmp_path / "odd.onnx", nodes, weights, ["N", 2, 8, 8], ["N", 4])
    result = import_model(path)
    assert [layer.type for layer in result.spec.layers] == ["Conv2d", "AdaptiveAvgPool2d", "Flatten"]
    assert result.spec.layers[0].params == {"out_channels": 4, "padding": "same", "bias": False}
    assert result.report.lines() == ["odd (Sin): Sin is not a NetBuilder layer"]
    assert tuple(result.spec.input_shape) == (2, 8, 8)


def test_an_onnx_file_without_fixed_input_sizes_needs_the_shape(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["y"])]
    path = _onnx_file(tmp_path / "free.onnx", nodes, {}, ["N", "C"], ["N", "C"])
    with pytest.raises(ImportFileError, match=r"free\.onnx: the file does not say its input shape.*--input-shape"):
        import_model(path)
    result = import_model(path, ImportOptions(input_shape=(7,)))
    assert [layer.type for layer in result.spec.layers] == ["ReLU"]
    assert tuple(result.spec.input_shape) == (7,)


class _Gated(nn.Module):
    """x * sigmoid(x) (a product of two branches) and a global mean written as x.mean((2, 3))."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        x = self.conv(x)
        x = x * torch.sigmoid(x)
        return self.head(x.mean(dim=(2, 3)))


def test_a_global_mean_maps_to_pooling_and_a_product_of_branches_is_listed():
    result = import_module(_Gated(), (3, 8, 8), "gated")
    assert [layer.type for layer in result.spec.layers] == [
        "Conv2d",
        "Sigmoid",
        "AdaptiveAvgPool2d",
        "Flatten",
        "Linear",
    ]
    assert result.report.lines() == [
        "mul (mul): mul is not a NetBuilder layer; it merges 2 branches, of which the longest is kept"
    ]
    assert compile_network(result.spec).output_shape == (2,)


def test_an_onnx_flatten_computed_from_the_input_shape_maps(tmp_path):
    """x.view(x.size(0), -1) as older exporters write it: Shape, Gather, Unsqueeze, Concat, Reshape."""
    rng = np.random.default_rng(2)
    weights = {
        "index": np.array(0, dtype=np.int64),
        "axes": np.array([0], dtype=np.int64),
        "rest": np.array([-1], dtype=np.int64),
        "w": rng.standard_normal((5, 12)).astype(np.float32),
    }
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("Shape", ["r"], ["shape"]),
        helper.make_node("Gather", ["shape", "index"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axes"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "rest"], ["target"], axis=0),
        helper.make_node("Reshape", ["r", "target"], ["flat"]),
        helper.make_node("Gemm", ["flat", "w"], ["y"], transB=1),
    ]
    path = _onnx_file(tmp_path / "old.onnx", nodes, weights, ["N", 3, 2, 2], ["N", 5])
    result = import_model(path)
    assert [layer.type for layer in result.spec.layers] == ["ReLU", "Flatten", "Linear"]
    assert result.report.complete
