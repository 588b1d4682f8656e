"""torch graphs -> :class:`Graph`: a module traced with ``torch.fx`` and a ``torch.export`` program.

A traced module keeps every module NetBuilder knows as one ``call_module`` node (the tracer treats
them as leaves), so it maps through :func:`map_module`; the functions between them (``F.relu``,
``torch.flatten``, ``x.view(x.size(0), -1)``, an add, a concatenation) map here. A ``.pt2``
program holds ATen operations with their weights as inputs; each is rebuilt as the torch module
that computes it, with those weights, and mapped the same way. ``nn_module_stack`` says which
module an operation belongs to, so a whole torchvision ResNet-18 becomes its one block.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import torch
from torch import fx, nn

from gui_app.core.importing.blocks import MappedLayer, Skipped
from gui_app.core.importing.graph import Graph, GraphNode
from gui_app.core.importing.modules import can_map, is_resnet, map_module, resnet18_from_state
from gui_app.core.text.printable import first_line

# ---------------------------------------------------------------------- ops shared by both kinds

#: Element-wise ops without settings: function or method or ATen name -> block type.
_PLAIN = {
    "relu": "ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "silu": "SiLU",
    "relu6": "ReLU6",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "mish": "Mish",
    "selu": "SELU",
    "softsign": "Softsign",
    "logsigmoid": "LogSigmoid",
    "tanhshrink": "Tanhshrink",
}
_PLAIN_MODULES = {name: getattr(nn, block) for name, block in _PLAIN.items()}
#: Ops whose settings are the keyword arguments of a torch module of the same meaning.
_LIKE_MODULE: dict[str, tuple[type[nn.Module], tuple[str, ...]]] = {
    "gelu": (nn.GELU, ("approximate",)),
    "leaky_relu": (nn.LeakyReLU, ("negative_slope",)),
    "elu": (nn.ELU, ("alpha",)),
    "celu": (nn.CELU, ("alpha",)),
    "softplus": (nn.Softplus, ("beta", "threshold")),
    "hardtanh": (nn.Hardtanh, ("min_val", "max_val")),
    "glu": (nn.GLU, ("dim",)),
    "softmax": (nn.Softmax, ("dim",)),
    "log_softmax": (nn.LogSoftmax, ("dim",)),
    "dropout": (nn.Dropout, ("p",)),
    "max_pool1d": (nn.MaxPool1d, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    "max_pool2d": (nn.MaxPool2d, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    "max_pool3d": (nn.MaxPool3d, ("kernel_size", "stride", "padding", "dilation", "ceil_mode")),
    "avg_pool1d": (nn.AvgPool1d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
    "avg_pool2d": (nn.AvgPool2d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
    "avg_pool3d": (nn.AvgPool3d, ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")),
    "adaptive_avg_pool1d": (nn.AdaptiveAvgPool1d, ("output_size",)),
    "adaptive_avg_pool2d": (nn.AdaptiveAvgPool2d, ("output_size",)),
    "adaptive_max_pool2d": (nn.AdaptiveMaxPool2d, ("output_size",)),
    "pixel_shuffle": (nn.PixelShuffle, ("upscale_factor",)),
    "pixel_unshuffle": (nn.PixelUnshuffle, ("downscale_factor",)),
}


def _module_for(op: str, values: dict[str, Any], origin: str) -> MappedLayer | Skipped | None:
    """The block an element-wise or pooling op is, from its (bound) arguments; None for other ops."""
    if op in _PLAIN_MODULES:
        return map_module(_PLAIN_MODULES[op](), origin)
    like = _LIKE_MODULE.get(op)
    if like is None:
        return None
    cls, names = like
    kwargs = {name: _plain_value(values[name]) for name in names if name in values and values[name] is not None}
    if op == "dropout":
        kwargs["p"] = float(values.get("p", 0.5))
    if "stride" in kwargs and kwargs["stride"] in ([], ()):
        del kwargs["stride"]  # ATen's "same as the kernel"
    try:
        module = cls(**kwargs)
    except (TypeError, ValueError) as exc:
        return Skipped(origin, f"{op} with settings NetBuilder cannot read ({first_line(exc)})")
    return map_module(module, origin)


def _plain_value(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    return value


def _reshape_layer(in_shape: tuple[int, ...] | None, out_shape: tuple[int, ...] | None, origin: str):
    """A view or reshape: Flatten to a vector, Unflatten from one, nothing when the shape stays."""
    if in_shape is None or out_shape is None:
        return Skipped(origin, "a reshape whose shapes the file does not give")
    if in_shape == out_shape:
        return []
    if len(out_shape) == 1 and len(in_shape) > 1:
        return [MappedLayer("Flatten", {}, origin)]
    if len(in_shape) == 1 and len(out_shape) > 1:
        return [MappedLayer("Unflatten", {"dim": 1, "unflattened_size": list(out_shape)}, origin)]
    return Skipped(origin, f"a reshape from {list(in_shape)} to {list(out_shape)} (only to or from a vector maps)")


def global_average(in_shape: tuple[int, ...] | None, dims: Any, keep: bool, origin: str) -> list[MappedLayer] | Skipped:
    """A mean over every spatial axis (``x.mean((2, 3))``): adaptive average pooling to 1, then Flatten."""
    if in_shape is None or not isinstance(dims, list | tuple | int):
        return Skipped(origin, "a mean whose axes or input shape the file does not give")
    rank = len(in_shape) + 1
    axes = {int(d) % rank for d in (dims if isinstance(dims, list | tuple) else [dims])}
    spatial = rank - 2
    if spatial not in (1, 2) or axes != set(range(2, rank)):
        return Skipped(origin, f"a mean over axes {sorted(axes)} (only over every spatial axis maps)")
    pool = MappedLayer(f"AdaptiveAvgPool{spatial}d", {}, origin)
    return [pool] if keep else [pool, MappedLayer("Flatten", {}, origin)]


def _flatten_layer(values: dict[str, Any], origin: str) -> list[MappedLayer]:
    """``torch.flatten(x, start_dim, end_dim)``, whose start_dim defaults to 0 (the Flatten block's to 1)."""
    params = {"start_dim": int(values.get("start_dim", 0)), "end_dim": int(values.get("end_dim", -1))}
    return [MappedLayer("Flatten", params, origin)]


# ---------------------------------------------------------------------- torch.fx (trusted code only)


class _LeafTracer(fx.Tracer):
    """Keeps the modules NetBuilder has blocks for whole, and traces through everything else."""

    def is_leaf_module(self, module: nn.Module, qualname: str) -> bool:
        if type(module) is nn.Sequential:
            return False
        if is_resnet(module):
            return isinstance(map_module(module, qualname), MappedLayer)
        return can_map(module) or super().is_leaf_module(module, qualname)


class TraceError(ValueError):
    """A module ``torch.fx`` cannot trace (data-dependent control flow, for instance)."""


def traced_graph(model: nn.Module, input_shape: tuple[int, ...]) -> Graph:
    """``model`` traced and run once on zeros of ``input_shape`` (for the shapes between operations)."""
    try:
        graph = _LeafTracer().trace(model)
        traced = fx.GraphModule(model, graph)
        from torch.fx.passes.shape_prop import ShapeProp

        ShapeProp(traced).propagate(torch.zeros(2, *input_shape))
    except Exception as exc:  # tracing user code raises whatever that code raises; all mean "cannot trace"
        raise TraceError(f"torch.fx cannot trace the model ({first_line(exc)})") from None
    return _FxReader(traced).graph()


def _fx_shape(node: fx.Node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(int(d) for d in shape[1:]) if shape is not None else None


class _FxReader:
    """One pass over a traced graph, turning each tensor-valued node into a :class:`GraphNode`."""

    def __init__(self, traced: fx.GraphModule) -> None:
        self.traced = traced
        self.nodes: dict[str, GraphNode] = {}
        self.constants: dict[str, torch.Tensor] = {}
        self.input = ""
        self.output = ""

    def graph(self) -> Graph:
        for node in self.traced.graph.nodes:
            self._read(node)
        if not self.input:
            raise TraceError("the model takes no input")
        return Graph(self.nodes, self.input, self.output)

    def _read(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            if self.input:
                raise TraceError("the model takes more than one input; NetBuilder networks take one")
            self.input = node.name
        elif node.op == "output":
            result = node.args[0]
            if not isinstance(result, fx.Node) or (result.name not in self.nodes and result.name != self.input):
                raise TraceError("the model's output is not one tensor")
            self.output = result.name
        elif node.op == "get_attr":
            value = self.traced
            for part in str(node.target).split("."):
                value = getattr(value, part)
            if isinstance(value, torch.Tensor):
                self.constants[node.name] = value.detach()
        elif node.op == "call_module" or _fx_shape(node) is not None:
            self.nodes[node.name] = self._node(node)

    def _data(self, values: list[Any]) -> list[str]:
        names = []
        for value in values:
            if isinstance(value, fx.Node) and (value.name in self.nodes or value.name == self.input):
                names.append(value.name)
            elif isinstance(value, list | tuple):
                names += self._data(list(value))
        return names

    def _node(self, node: fx.Node) -> GraphNode:
        origin = node.target if node.op == "call_module" else f"{_callee_name(node)} ({node.name})"
        made = GraphNode(node.name, self._data([*node.args, *node.kwargs.values()]), str(origin))
        made.shape = _fx_shape(node)
        if node.op == "call_module":
            made.become(map_module(self.traced.get_submodule(str(node.target)), str(node.target)))
        else:
            self._function(node, made)
        return made

    def _function(self, node: fx.Node, made: GraphNode) -> None:
        name = _callee_name(node)
        values = _fx_values(node)
        constant = next((self.constants[a.name] for a in node.args if getattr(a, "name", None) in self.constants), None)
        if name in ("add", "iadd") and len(made.inputs) == 2:
            made.join = "add"
        elif name == "cat":
            made.join, made.join_dim = "concat", int(values.get("dim", 0))
        elif name in ("sub", "truediv", "div") and constant is not None and len(made.inputs) == 1:
            made.op, made.constant = ("sub" if name == "sub" else "div"), constant
            made.problem = f"{name} by a constant (only the input scaling of an export maps)"
        elif name in ("view", "reshape"):
            made.op = "reshape"
            made.become(_reshape_layer(self._shape_of(made.inputs), made.shape, made.origin))
        elif name == "flatten":
            made.layers = _flatten_layer(values, made.origin)
        elif name == "mean":
            dims = values.get("dim", node.args[1] if len(node.args) > 1 else None)
            mapped = global_average(self._shape_of(made.inputs), dims, bool(values.get("keepdim", False)), made.origin)
            made.become(mapped)
        elif name in ("contiguous", "clone", "detach"):
            return  # passes its input through
        else:
            mapped = _module_for(name, values, made.origin)
            made.become(mapped or Skipped(made.origin, f"{name} is not a NetBuilder layer"))

    def _shape_of(self, inputs: list[str]) -> tuple[int, ...] | None:
        if not inputs:
            return None
        source = self.nodes.get(inputs[0])
        if source is not None:
            return source.shape
        placeholder = next(n for n in self.traced.graph.nodes if n.name == inputs[0])
        return _fx_shape(placeholder)


def _callee_name(node: fx.Node) -> str:
    target = node.target
    if isinstance(target, str):
        return target
    name = getattr(target, "__name__", str(target))
    return {operator.add: "add", operator.iadd: "iadd", operator.sub: "sub", operator.truediv: "truediv"}.get(
        target, name
    )


#: Argument names of the torch functions the fx reader binds, in their positional order.
_FX_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "flatten": ("input", "start_dim", "end_dim"),
    "cat": ("tensors", "dim"),
    "softmax": ("input", "dim"),
    "log_softmax": ("input", "dim"),
    "dropout": ("input", "p", "training"),
    "leaky_relu": ("input", "negative_slope"),
    "elu": ("input", "alpha"),
    "hardtanh": ("input", "min_val", "max_val"),
    "max_pool2d": ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode"),
    "avg_pool2d": ("input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
    "adaptive_avg_pool2d": ("input", "output_size"),
}
_FX_DEFAULTS = {"flatten": {"start_dim": 0}}


def _fx_values(node: fx.Node) -> dict[str, Any]:
    name = _callee_name(node)
    names = _FX_ARGUMENTS.get(name, ())
    values = dict(_FX_DEFAULTS.get(name, {}))
    values.update(dict(zip(names, node.args, strict=False)))
    values.update(node.kwargs)
    return values


# ---------------------------------------------------------------------- torch.export programs


def program_graph(program: torch.export.ExportedProgram) -> Graph:
    """The graph of a loaded ``.pt2`` program, with its weights on the blocks they belong to."""
    return _ProgramReader(program).graph()


class _ProgramReader:
    def __init__(self, program: torch.export.ExportedProgram) -> None:
        self.program = program
        signature = program.graph_signature
        tensors = {**program.state_dict, **dict(program.constants)}
        lifted = {**signature.inputs_to_parameters, **signature.inputs_to_buffers}
        self.weights = {name: tensors[key] for name, key in lifted.items() if key in tensors}
        self.weight_names = {name: key for name, key in lifted.items()}
        self.nodes: dict[str, GraphNode] = {}
        self.input = ""
        self.output = ""
        self.input_shape: tuple[int, ...] | None = None
        self.collapsed: dict[str, str] = {}

    def graph(self) -> Graph:
        for node in self.program.graph.nodes:
            self._read(node)
        if not self.input:
            raise TraceError("the program takes no input")
        return Graph(self.nodes, self.input, self.output, self.input_shape)

    def _read(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            if node.name in self.weight_names:
                return
            if self.input:
                raise TraceError("the program takes more than one input; NetBuilder networks take one")
            self.input = node.name
            self.input_shape = _val_shape(node)
        elif node.op == "output":
            results = node.args[0]
            result = results[0] if isinstance(results, list | tuple) and len(results) == 1 else results
            if not isinstance(result, fx.Node):
                raise TraceError("the program's output is not one tensor")
            self.output = self.collapsed.get(result.name, result.name)
        elif node.op == "call_function" and _val_shape(node) is not None and not self._collapse_resnet(node):
            self.nodes[node.name] = self._node(node)

    def _data(self, values: list[Any]) -> list[str]:
        names: list[str] = []
        for value in values:
            if isinstance(value, fx.Node) and value.name not in self.weight_names:
                name = self.collapsed.get(value.name, value.name)
                if (name in self.nodes or name == self.input) and name not in names:
                    names.append(name)
            elif isinstance(value, list | tuple):
                names += self._data(list(value))
        return names

    def _node(self, node: fx.Node) -> GraphNode:
        op = _aten_name(node)
        origin = f"{_module_path(node) or op} ({op})"
        made = GraphNode(node.name, self._data([*node.args, *node.kwargs.values()]), origin, shape=_val_shape(node))
        values = _bound(node)
        tensors = {k: self._tensor(v) for k, v in values.items() if isinstance(v, fx.Node) and v.name in self.weights}
        if op in ("add", "add_") and len(made.inputs) == 2:
            made.join = "add"
        elif op == "cat":
            made.join, made.join_dim = "concat", int(values.get("dim", 0))
        elif op in ("sub", "div") and len(made.inputs) == 1 and tensors:
            made.op, made.constant = op, next(iter(tensors.values()))
            made.problem = f"{op} by a constant (only the input scaling of an export maps)"
        elif op in ("view", "reshape", "_unsafe_view"):
            made.op = "reshape"
            source = self.nodes.get(made.inputs[0]) if made.inputs else None
            in_shape = source.shape if source is not None else self.input_shape
            made.become(_reshape_layer(in_shape, made.shape, origin))
        elif op == "flatten":
            made.layers = _flatten_layer(values, origin)
        elif op == "mean" and "dim" in values:
            source = self.nodes.get(made.inputs[0]) if made.inputs else None
            in_shape = source.shape if source is not None else self.input_shape
            made.become(global_average(in_shape, values["dim"], bool(values.get("keepdim", False)), origin))
        elif op in ("clone", "contiguous", "alias"):
            return made
        else:
            made.become(self._weighted(op, values, tensors, made.shape, origin))
        return made

    def _tensor(self, node: fx.Node) -> torch.Tensor:
        return self.weights[node.name].detach()

    def _weighted(self, op: str, values: dict[str, Any], tensors: dict[str, torch.Tensor], shape, origin: str):
        builder = _WEIGHTED.get(op)
        if builder is not None:
            try:
                module = builder(values, tensors, shape)
            except (KeyError, TypeError, ValueError, RuntimeError) as exc:  # a module torch refuses to rebuild
                return Skipped(origin, f"{op} cannot be rebuilt as a layer ({first_line(exc)})")
            return map_module(module, origin)
        mapped = _module_for(op, values, origin)
        return mapped if mapped is not None else Skipped(origin, f"{op} is not a NetBuilder layer")

    def _collapse_resnet(self, node: fx.Node) -> bool:
        """The operations of a torchvision ResNet become one node, rebuilt as a ResNet-18 block."""
        path = _resnet_path(node)
        if path is None:
            return False
        key = f"resnet:{path}"
        if key not in self.nodes:
            inputs = self._data([*node.args, *node.kwargs.values()])
            self.nodes[key] = GraphNode(key, inputs, path or "ResNet", shape=_val_shape(node))
            self.nodes[key].become(self._resnet_block(path))
        self.nodes[key].shape = _val_shape(node)
        self.collapsed[node.name] = key
        return True

    def _resnet_block(self, path: str) -> MappedLayer | Skipped:
        prefix = f"{path}." if path else ""
        state = {key[len(prefix) :]: t for key, t in self.program.state_dict.items() if key.startswith(prefix)}
        return resnet18_from_state(state, path or "ResNet", "a ResNet without its fc layer")


def _val_shape(node: fx.Node) -> tuple[int, ...] | None:
    value = node.meta.get("val")
    if not isinstance(value, torch.Tensor) or value.dim() < 1:
        return None
    try:
        return tuple(int(d) for d in value.shape[1:])
    except (TypeError, ValueError):  # a symbolic size other than the batch
        return None


def _aten_name(node: fx.Node) -> str:
    schema = getattr(node.target, "_schema", None)
    name = schema.name.split("::")[-1] if schema is not None else getattr(node.target, "__name__", str(node.target))
    # relu_ and add_ (in place) compute what relu and add do
    return name[:-1] if name.endswith("_") and not name.startswith("_") else name


def _bound(node: fx.Node) -> dict[str, Any]:
    """An ATen call's arguments by name, defaults filled in."""
    schema = getattr(node.target, "_schema", None)
    if schema is None:
        return {}
    values: dict[str, Any] = {}
    for i, argument in enumerate(schema.arguments):
        if i < len(node.args):
            values[argument.name] = node.args[i]
        elif argument.name in node.kwargs:
            values[argument.name] = node.kwargs[argument.name]
        elif argument.has_default_value():
            values[argument.name] = argument.default_value
    return values


def _module_path(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    entries = list(stack.values())
    return str(entries[-1][0]) if entries else ""


def _resnet_path(node: fx.Node) -> str | None:
    for path, cls in (node.meta.get("nn_module_stack") or {}).values():
        name = cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}"
        if name == "torchvision.models.resnet.ResNet":
            return str(path)
    return None


def _conv(values: dict[str, Any], tensors: dict[str, torch.Tensor], _shape) -> nn.Module:
    weight, bias = tensors["weight"], tensors.get("bias")
    dims = weight.dim() - 2
    groups = int(values.get("groups", 1))
    transposed = "output_padding" in values
    cls = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}.get(dims) if transposed else None
    cls = cls or {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
    given, made = weight.shape[1] * groups, weight.shape[0]
    channels = (made, given) if transposed else (given, made)
    extra = {"output_padding": tuple(values["output_padding"])} if transposed else {}
    module = cls(
        channels[0], channels[1], tuple(weight.shape[2:]), stride=tuple(values["stride"]),
        padding=values["padding"] if isinstance(values["padding"], str) else tuple(values["padding"]),
        dilation=tuple(values["dilation"]), groups=groups, bias=bias is not None, **extra,
    )  # fmt: skip
    module.load_state_dict({"weight": weight, **({"bias": bias} if bias is not None else {})})
    return module


def _linear(_values: dict[str, Any], tensors: dict[str, torch.Tensor], _shape) -> nn.Module:
    weight, bias = tensors["weight"], tensors.get("bias")
    module = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    module.load_state_dict({"weight": weight, **({"bias": bias} if bias is not None else {})})
    return module


def _batch_norm(values: dict[str, Any], tensors: dict[str, torch.Tensor], shape) -> nn.Module:
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm1d, 3: nn.BatchNorm2d, 4: nn.BatchNorm3d}[len(shape)]
    channels = int(shape[0])
    affine = "weight" in tensors
    tracked = "running_mean" in tensors
    module = cls(channels, eps=float(values["eps"]), momentum=float(values["momentum"]), affine=affine,
                 track_running_stats=tracked)  # fmt: skip
    state = {key: tensors[key] for key in ("weight", "bias", "running_mean", "running_var") if key in tensors}
    if tracked:
        state["num_batches_tracked"] = torch.tensor(0)
    module.load_state_dict(state)
    return module


def _layer_norm(values: dict[str, Any], tensors: dict[str, torch.Tensor], _shape) -> nn.Module:
    module = nn.LayerNorm(tuple(values["normalized_shape"]), eps=float(values["eps"]),
                          elementwise_affine="weight" in tensors, bias="bias" in tensors)  # fmt: skip
    module.load_state_dict({key: tensors[key] for key in ("weight", "bias") if key in tensors})
    return module


_WEIGHTED: dict[str, Callable[[dict[str, Any], dict[str, torch.Tensor], Any], nn.Module]] = {
    "conv1d": _conv,
    "conv2d": _conv,
    "conv3d": _conv,
    "conv_transpose1d": _conv,
    "conv_transpose2d": _conv,
    "linear": _linear,
    "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
}
