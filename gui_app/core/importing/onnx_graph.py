"""ONNX models -> :class:`Graph`: operators onto blocks, initializers onto their weights.

The file is read through the bounded reader, parsed from bytes (so no external-data path in it
is ever followed), checked with ``onnx.checker`` and shape-inferred. Each operator is rebuilt as
the torch module that computes it, with its initializers as weights (Gemm's ``transB`` and
MatMul's right-hand matrix are transposed into ``Linear.weight``; a MatMul followed by the Add
of a bias is one Linear), and mapped through :func:`map_module`.

Exports made by torch carry each operator's module in its metadata
(``pkg.torch.onnx.class_hierarchy``). NetBuilder reads it for two things: a BatchNorm that the
exporter folded into the convolution before it comes back as its own block (its statistics are
those of an identity, the folded weights stay in the convolution, so the outputs are the same),
and a torchvision ResNet-18 comes back as its one block.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gui_app.core.files.reading import MODEL_LIMIT, FileReadError, read_bounded
from gui_app.core.importing.blocks import MappedLayer, Skipped
from gui_app.core.importing.graph import Graph, GraphNode
from gui_app.core.importing.modules import map_module, resnet18_from_state
from gui_app.core.importing.report import ImportFileError
from gui_app.core.importing.torch_graphs import global_average
from gui_app.core.text.printable import first_line

_RESNET = "torchvision.models.resnet.ResNet"
_BATCH_NORMS = {f"torch.nn.modules.batchnorm.BatchNorm{d}d": d for d in (1, 2, 3)}


def onnx_file_graph(path: Path) -> Graph:
    """Read, check and map an ONNX file; :class:`ImportFileError` naming it when it cannot be used."""
    import onnx

    try:
        raw = read_bounded(path, MODEL_LIMIT)
    except FileReadError as exc:
        raise ImportFileError(str(exc)) from None
    try:
        model = onnx.load_model_from_string(raw)
    except Exception as exc:  # protobuf raises DecodeError and others for a damaged file; all mean "not ONNX"
        raise ImportFileError(f"{path.name}: not a readable ONNX model ({first_line(exc)})") from None
    if any(init.data_location == onnx.TensorProto.EXTERNAL for init in model.graph.initializer):
        raise ImportFileError(f"{path.name}: its weights are in separate files, which NetBuilder does not open")
    try:
        onnx.checker.check_model(model)
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)  # data_prop: shapes computed from shapes
    except Exception as exc:  # the checker raises ValidationError and others; all mean "an invalid model"
        raise ImportFileError(f"{path.name}: not a valid ONNX model ({first_line(exc)})") from None
    return _OnnxReader(model, path.name).graph()


def _meta(node: Any, key: str) -> list[str]:
    """A list that torch's exporter wrote into a node's metadata (empty when absent or unreadable)."""
    for prop in node.metadata_props:
        if prop.key == key:
            try:
                value = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                return []
            return [str(v) for v in value] if isinstance(value, list) else []
    return []


class _OnnxReader:
    """One pass over the nodes of a checked, shape-inferred model."""

    def __init__(self, model: Any, file_name: str) -> None:
        from onnx import numpy_helper

        self.graph_proto = model.graph
        self.file_name = file_name
        self.constants = {i.name: _tensor(numpy_helper.to_array(i)) for i in model.graph.initializer}
        self.shapes = {v.name: _dims(v) for v in [*model.graph.input, *model.graph.value_info, *model.graph.output]}
        self.nodes: dict[str, GraphNode] = {}
        self.produced: dict[str, str] = {}
        self.resnet: dict[str, list[Any]] = {}

    def graph(self) -> Graph:
        inputs = [i for i in self.graph_proto.input if i.name not in self.constants]
        if len(inputs) != 1 or len(self.graph_proto.output) != 1:
            raise ImportFileError(
                f"{self.file_name}: the model has {len(inputs)} inputs and {len(self.graph_proto.output)} outputs; "
                "a NetBuilder network has one of each"
            )
        source = inputs[0].name
        self.produced[source] = source
        for node in self.graph_proto.node:
            self._read(node)
        self._finish_resnets()
        dims = self.shapes.get(source) or []
        shape = tuple(dims[1:]) if len(dims) > 1 and all(isinstance(d, int) and d > 0 for d in dims[1:]) else None
        output = self.produced.get(self.graph_proto.output[0].name)
        if output is None:
            raise ImportFileError(f"{self.file_name}: the output is not computed from the input")
        return Graph(self.nodes, source, output, shape)

    # ------------------------------------------------------------------ one node
    def _read(self, node: Any) -> None:
        if node.op_type == "Constant":
            self._constant(node)
            return
        if node.op_type in ("Shape", "Size"):
            return  # a tensor's shape is not data: what is computed from it (a Reshape's target) is a setting
        data = [self.produced[name] for name in node.input if name in self.produced]
        if not data:
            return  # computed from constants only (a shape, say): not part of the data flow
        scope = _resnet_scope(node)
        if scope is not None:
            self._resnet_part(node, scope, data)
            return
        name = f"n{len(self.nodes)}:{node.output[0]}"
        origin = f"{node.name or node.output[0]} ({node.op_type})"
        made = GraphNode(name, list(dict.fromkeys(data)), origin, shape=self._shape(node.output[0]))
        self.nodes[name] = made
        for output in node.output[:1]:
            self.produced[output] = name
        handler = _HANDLERS.get(node.op_type)
        if handler is None:
            made.problem = f"{node.op_type} is not a NetBuilder layer"
            return
        try:
            handler(self, node, made)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as exc:  # torch or we refuse the settings
            made.problem = f"{node.op_type} with settings NetBuilder cannot use ({first_line(exc)})"

    def _constant(self, node: Any) -> None:
        from onnx import helper, numpy_helper

        for attribute in node.attribute:
            if attribute.name == "value":
                self.constants[node.output[0]] = _tensor(numpy_helper.to_array(helper.get_attribute_value(attribute)))

    def _shape(self, name: str) -> tuple[int, ...] | None:
        dims = self.shapes.get(name)
        if not dims or not all(isinstance(d, int) for d in dims[1:]):
            return None
        return tuple(dims[1:])

    def const(self, node: Any, index: int) -> torch.Tensor | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.constants.get(node.input[index])

    def input_shape(self, made: GraphNode) -> tuple[int, ...] | None:
        source = self.nodes.get(made.inputs[0])
        if source is not None:
            return source.shape
        return self._shape(made.inputs[0])

    # ------------------------------------------------------------------ ResNet-18
    def _resnet_part(self, node: Any, scope: str, data: list[str]) -> None:
        key = f"resnet:{scope}"
        if key not in self.nodes:
            self.nodes[key] = GraphNode(key, list(dict.fromkeys(data)), scope or "ResNet")
            self.resnet[key] = []
        self.resnet[key].append(node)
        for output in node.output:
            self.produced[output] = key
        self.nodes[key].shape = self._shape(node.output[0])

    def _finish_resnets(self) -> None:
        for key, parts in self.resnet.items():
            made = self.nodes[key]
            mapped = _resnet_block(parts, self.constants, made.origin)
            if isinstance(mapped, Skipped):
                made.problem = mapped.reason
            else:
                made.layers = [mapped]


# ---------------------------------------------------------------------- the operators


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    values = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _tensor(array: Any) -> torch.Tensor:
    return torch.from_numpy(array.copy()) if array.dtype.kind in "fiub" else torch.tensor([])


def _dims(value: Any) -> list[int | None]:
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return []
    return [d.dim_value if d.HasField("dim_value") else None for d in tensor_type.shape.dim]


def _padding(attrs: dict[str, Any], dims: int, stride: tuple[int, ...]) -> tuple[int, ...] | str:
    auto = attrs.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return (0,) * dims
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(s != 1 for s in stride):
            raise ValueError("'same' padding with a stride above 1")
        return "same"
    pads = list(attrs.get("pads", [0] * 2 * dims))
    if pads[:dims] != pads[dims:]:
        raise ValueError(f"asymmetric padding {pads}")
    return tuple(pads[:dims])


def _conv(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    weight, bias = reader.const(node, 1), reader.const(node, 2)
    if weight is None:
        raise ValueError("weights that are not constants")
    attrs = _attrs(node)
    dims = weight.dim() - 2
    groups = int(attrs.get("group", 1))
    stride = tuple(attrs.get("strides", [1] * dims))
    settings = {
        "stride": stride,
        "padding": _padding(attrs, dims, stride),
        "dilation": tuple(attrs.get("dilations", [1] * dims)),
        "groups": groups,
    }
    transposed = node.op_type == "ConvTranspose"
    if transposed:
        cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}[dims]
        channels = (weight.shape[0], weight.shape[1] * groups)
        settings["output_padding"] = tuple(attrs.get("output_padding", [0] * dims))
    else:
        cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
        channels = (weight.shape[1] * groups, weight.shape[0])
    folded = _folded_norm(node)
    own_bias = bias is not None and (folded is None or _named_like(node, 2, 1))
    module = cls(*channels, tuple(weight.shape[2:]), bias=own_bias, **settings)
    _load(module, weight=weight, bias=bias if own_bias else None)
    norm = _identity_norm(folded, channels[1], None if own_bias else bias, made.origin) if folded else None
    mapped = map_module(module, made.origin)
    made.become(mapped if isinstance(mapped, Skipped) or norm is None else [mapped, norm])


def _named_like(node: Any, index: int, weight_index: int) -> bool:
    """Whether input ``index`` is the weight's own bias (``x.weight`` / ``x.bias``), not one folded in."""
    weight_name = node.input[weight_index]
    return weight_name.endswith("weight") and node.input[index] == weight_name[: -len("weight")] + "bias"


def _folded_norm(node: Any) -> int | None:
    """The dimensions of a BatchNorm torch's exporter folded into this node, or None."""
    hierarchy = _meta(node, "pkg.torch.onnx.class_hierarchy")
    modules = [name for name in hierarchy if not name.startswith("aten.")]
    return _BATCH_NORMS.get(modules[-1]) if modules else None


def _identity_norm(dims: int, channels: int, bias: torch.Tensor | None, origin: str) -> MappedLayer | None:
    """A BatchNorm that passes values through (adding ``bias``): the folded one, back as a block."""
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[dims]
    module = cls(channels).eval()
    with torch.no_grad():
        module.running_var.fill_(1.0 - module.eps)  # sqrt(var + eps) = 1
        if bias is not None:
            module.bias.copy_(bias.reshape(-1))
    mapped = map_module(module, f"{origin}, its folded BatchNorm")
    return mapped if isinstance(mapped, MappedLayer) else None


def _load(module: nn.Module, **tensors: torch.Tensor | None) -> None:
    state = module.state_dict()
    for key, tensor in tensors.items():
        if tensor is not None:
            state[key] = tensor.reshape(state[key].shape).to(state[key].dtype)
    module.load_state_dict(state)


def _gemm(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    attrs = _attrs(node)
    matrix, bias = reader.const(node, 1), reader.const(node, 2)
    if matrix is None or matrix.dim() != 2 or attrs.get("transA", 0):
        raise ValueError("a product that is not input × constant matrix")
    weight = (matrix if attrs.get("transB", 0) else matrix.T) * float(attrs.get("alpha", 1.0))
    if bias is not None:
        bias = (bias * float(attrs.get("beta", 1.0))).expand(weight.shape[0])
    module = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    _load(module, weight=weight, bias=bias)
    made.become(map_module(module, made.origin))


def _matmul(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    matrix = reader.const(node, 1)
    if matrix is None or matrix.dim() != 2:
        raise ValueError("a product that is not input × constant matrix")
    module = nn.Linear(matrix.shape[0], matrix.shape[1], bias=False)
    _load(module, weight=matrix.T)
    made.op = "matmul"
    made.become(map_module(module, made.origin))


def _add(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    """Two branches: a merge; a constant after a MatMul: that Linear's bias."""
    if len(made.inputs) >= 2:
        made.join = "add"
        return
    constant = next((reader.constants[n] for n in node.input if n in reader.constants), None)
    source = reader.nodes.get(made.inputs[0])
    if constant is None or source is None or source.op != "matmul" or len(source.layers) != 1:
        made.problem = "adds a constant (only a Linear's bias maps)"
        return
    linear = source.layers[0]
    out_features = linear.weights["weight"].shape[0]
    module = nn.Linear(linear.weights["weight"].shape[1], out_features)
    _load(module, weight=linear.weights["weight"], bias=constant.expand(out_features))
    source.op = ""
    source.become(map_module(module, source.origin))


def _scaled(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    constant = reader.const(node, 1)
    made.op = {"Sub": "sub", "Div": "div"}[node.op_type]
    made.constant = constant
    made.problem = (
        f"{node.op_type} by {'a constant' if constant is not None else 'a tensor'} (only an input scaling maps)"
    )


def _pool(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    attrs = _attrs(node)
    kernel = tuple(attrs["kernel_shape"])
    dims = len(kernel)
    stride = tuple(attrs.get("strides", [1] * dims))
    padding = _padding(attrs, dims, stride)
    if padding == "same":
        raise ValueError("'same' padding")
    settings: dict[str, Any] = {"stride": stride, "padding": padding, "ceil_mode": bool(attrs.get("ceil_mode", 0))}
    if node.op_type == "MaxPool":
        cls = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}[dims]
        settings["dilation"] = tuple(attrs.get("dilations", [1] * dims))
    else:
        cls = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[dims]
        # without padding the choice does not matter: the default keeps the project tidy
        settings["count_include_pad"] = bool(attrs.get("count_include_pad", 0)) or not any(padding)
    made.become(map_module(cls(kernel, **settings), made.origin))


def _global_pool(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    dims = len(reader.input_shape(made) or ()) - 1
    average = node.op_type == "GlobalAveragePool"
    classes = (
        {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d}
        if average
        else {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d}
    )
    made.become(map_module(classes[dims](1), made.origin))


def _batch_norm(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    attrs = _attrs(node)
    scale, bias, mean, var = (reader.const(node, i) for i in range(1, 5))
    if scale is None or bias is None or mean is None or var is None:
        raise ValueError("statistics that are not constants")
    dims = len(reader.input_shape(made) or ()) - 1
    cls = {0: nn.BatchNorm1d, 1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}[dims]
    module = cls(scale.numel(), eps=float(attrs.get("epsilon", 1e-5)), momentum=1.0 - float(attrs.get("momentum", 0.9)))
    _load(module, weight=scale, bias=bias, running_mean=mean, running_var=var)
    made.become(map_module(module, made.origin))


def _reshape(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    made.op = "reshape"
    before, after = reader.input_shape(made), made.shape
    if after is None and before is not None and len(reader.shapes.get(node.output[0]) or []) == 2:
        after = (math.prod(before),)  # (batch, something): every value of a sample in one vector
    if node.op_type == "Flatten" and int(_attrs(node).get("axis", 1)) != 1:
        raise ValueError("a flatten that keeps more than the batch")
    if before is None or after is None:
        made.problem = "a reshape whose shapes the file does not give"
    elif before == after:
        return
    elif len(after) == 1:
        made.layers = [MappedLayer("Flatten", {}, made.origin)]
    elif len(before) == 1:
        made.layers = [MappedLayer("Unflatten", {"dim": 1, "unflattened_size": list(after)}, made.origin)]
    else:
        made.problem = f"a reshape from {list(before)} to {list(after)} (only to or from a vector maps)"


def _reduce_mean(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    attrs = _attrs(node)
    axes = reader.const(node, 1)
    dims = [int(a) for a in axes.tolist()] if axes is not None else attrs.get("axes")
    mapped = global_average(reader.input_shape(made), dims, bool(attrs.get("keepdims", 1)), made.origin)
    if isinstance(mapped, Skipped):
        made.problem = mapped.reason
    else:
        made.layers = mapped


def _dropout(reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    ratio = reader.const(node, 1)
    p = float(ratio) if ratio is not None and ratio.numel() == 1 else float(_attrs(node).get("ratio", 0.5))
    made.become(map_module(nn.Dropout(p), made.origin))


def _activation(cls: type[nn.Module], **names: str) -> Callable[[_OnnxReader, Any, GraphNode], None]:
    """An element-wise operator whose ONNX attributes (``names`` values) are the module's arguments."""

    def handle(_reader: _OnnxReader, node: Any, made: GraphNode) -> None:
        attrs = _attrs(node)
        kwargs = {argument: attrs[attribute] for argument, attribute in names.items() if attribute in attrs}
        made.become(map_module(cls(**kwargs), made.origin))

    return handle


def _axis_activation(cls: type[nn.Module]) -> Callable[[_OnnxReader, Any, GraphNode], None]:
    def handle(_reader: _OnnxReader, node: Any, made: GraphNode) -> None:
        made.become(map_module(cls(dim=int(_attrs(node).get("axis", -1))), made.origin))

    return handle


def _concat(_reader: _OnnxReader, node: Any, made: GraphNode) -> None:
    made.join, made.join_dim = "concat", int(_attrs(node)["axis"])


def _sum(_reader: _OnnxReader, _node: Any, made: GraphNode) -> None:
    if len(made.inputs) < 2:
        made.problem = "a sum with constants"
    made.join = "add"


def _identity(_reader: _OnnxReader, _node: Any, _made: GraphNode) -> None:
    """Passes its input through."""


_HANDLERS: dict[str, Callable[[_OnnxReader, Any, GraphNode], None]] = {
    "Conv": _conv,
    "ConvTranspose": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _add,
    "Sum": _sum,
    "Concat": _concat,
    "Sub": _scaled,
    "Div": _scaled,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_pool,
    "BatchNormalization": _batch_norm,
    "Flatten": _reshape,
    "Reshape": _reshape,
    "Dropout": _dropout,
    "ReduceMean": _reduce_mean,
    "Identity": _identity,
    "Relu": _activation(nn.ReLU),
    "Sigmoid": _activation(nn.Sigmoid),
    "Tanh": _activation(nn.Tanh),
    "Softsign": _activation(nn.Softsign),
    "Mish": _activation(nn.Mish),
    "HardSwish": _activation(nn.Hardswish),
    "LeakyRelu": _activation(nn.LeakyReLU, negative_slope="alpha"),
    "Elu": _activation(nn.ELU, alpha="alpha"),
    "Celu": _activation(nn.CELU, alpha="alpha"),
    "Gelu": _activation(nn.GELU, approximate="approximate"),
    "Softmax": _axis_activation(nn.Softmax),
    "LogSoftmax": _axis_activation(nn.LogSoftmax),
}


# ---------------------------------------------------------------------- a whole torchvision ResNet-18


def _resnet_scope(node: Any) -> str | None:
    """The module path of the torchvision ResNet this node belongs to (torch's exporter says), or None."""
    hierarchy = _meta(node, "pkg.torch.onnx.class_hierarchy")
    if _RESNET not in hierarchy:
        return None
    scopes = _meta(node, "pkg.torch.onnx.name_scopes")
    index = hierarchy.index(_RESNET)
    return scopes[index] if index < len(scopes) else None


def _resnet_block(parts: list[Any], constants: dict[str, torch.Tensor], scope: str) -> MappedLayer | Skipped:
    """Rebuild a ResNet-18 from its operators' initializers (its folded BatchNorms as identities)."""
    prefix = f"{scope}." if scope else ""
    state: dict[str, torch.Tensor] = {}
    for node in parts:
        for name in node.input:
            if name.startswith(prefix) and name in constants:
                state[name[len(prefix) :]] = constants[name]
        if node.op_type == "Conv" and _folded_norm(node):
            _fold_back(node, constants, prefix, state)
    return resnet18_from_state(state, scope or "ResNet", "a ResNet whose fc layer is not in the file")


def _fold_back(node: Any, constants: dict[str, torch.Tensor], prefix: str, state: dict[str, torch.Tensor]) -> None:
    """The BatchNorm folded into ``node``, as an identity (plus the folded bias) under its own name."""
    hierarchy = _meta(node, "pkg.torch.onnx.class_hierarchy")
    scopes = _meta(node, "pkg.torch.onnx.name_scopes")
    index = max(i for i, name in enumerate(hierarchy) if name in _BATCH_NORMS)
    if index >= len(scopes) or not scopes[index].startswith(prefix):
        return
    norm = scopes[index][len(prefix) :]
    channels = constants[node.input[1]].shape[0]
    bias = constants.get(node.input[2]) if len(node.input) > 2 else None
    state[f"{norm}.weight"] = torch.ones(channels)
    state[f"{norm}.bias"] = bias.reshape(-1) if bias is not None else torch.zeros(channels)
    state[f"{norm}.running_mean"] = torch.zeros(channels)
    state[f"{norm}.running_var"] = torch.full((channels,), 1.0 - 1e-5)
    if len(node.input) > 2:
        state.pop(node.input[2][len(prefix) :], None)
