"""The layer catalogue: every block a user can place, its torch class and its parameters.

Each :class:`LayerType` knows how to validate a user's parameter values, which of its sizes
follow from the layer before it (and how), and how to build the torch module. The GUI's palette
and inspector, the project-file loader, the compiler and the Python exporter all read from here,
so adding a layer is one entry in :data:`CATALOGUE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from gui_app.core.layers.containers import MERGES
from gui_app.core.layers.recurrent import RecurrentBlock
from gui_app.core.layers.resnet import build_resnet18

CATEGORIES = (
    "Linear",
    "Convolution",
    "Pooling",
    "Normalisation",
    "Activation",
    "Regularisation",
    "Recurrent",
    "Shape",
    "Containers",
    "Models",
)

#: Upper bound for any single size (features, channels): big enough for real work, small
#: enough that a typo such as 10**12 is refused before anything is allocated.
MAX_SIZE = 1_000_000
MAX_KERNEL = 1024


class ParamError(ValueError):
    """A parameter value a user gave is not acceptable; ``str()`` is the user's message."""


@dataclass(frozen=True)
class ParamDef:
    """One constructor argument of a layer, as the inspector edits and the loader checks it.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``str``, ``choice``, ``int_or_tuple`` (an int or a
    tuple of ``tuple_len`` ints), ``padding`` (like ``int_or_tuple`` or ``"same"``/``"valid"``)
    and ``int_list`` (a non-empty list of ints, such as a shape).
    """

    name: str
    kind: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    tuple_len: int = 1
    nullable: bool = False
    inferred: bool = False
    doc: str = ""

    def validate(self, value: Any) -> Any:
        """Return the value in canonical form (tuples as lists) or raise :class:`ParamError`."""
        if value is None:
            if self.nullable or (self.inferred and self.default is None):
                return None
            raise ParamError("must not be null")
        if self.kind == "padding" and isinstance(value, str):
            if value not in ("same", "valid"):
                raise ParamError("must be an integer, a list of integers, 'same' or 'valid'")
            return value
        check = _CHECKS.get(self.kind)
        if check is None:
            raise AssertionError(f"unknown parameter kind {self.kind!r}")
        return check(self, value)

    def _check_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError("must be a number")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ParamError("must be a finite number")
        self._check_bounds(value)
        return value

    def _check_bool(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ParamError("must be true or false")
        return value

    def _check_str(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > 4096:
            raise ParamError("must be a string")
        return value

    def _check_choice(self, value: Any) -> Any:
        if value not in self.choices:
            raise ParamError("must be one of " + ", ".join(repr(c) for c in self.choices))
        return value

    def _check_int_or_tuple(self, value: Any) -> int | list[int]:
        if isinstance(value, list | tuple):
            if len(value) != self.tuple_len:
                raise ParamError(f"must be an integer or a list of {self.tuple_len} integers")
            return [self._check_int(v) for v in value]
        return self._check_int(value)

    def _check_int_list(self, value: Any) -> list[int]:
        if not isinstance(value, list | tuple) or not value or len(value) > 8:
            raise ParamError("must be a list of 1 to 8 positive integers")
        return [self._check_int(v) for v in value]

    def _check_int(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ParamError(self._int_message())
        self._check_bounds(value)
        return value

    def _int_message(self) -> str:
        if self.minimum == 1:
            return "must be a positive integer"
        if self.minimum == 0:
            return "must be a non-negative integer"
        return "must be an integer"

    def _check_bounds(self, value: float) -> None:
        if self.minimum is not None and value < self.minimum:
            if self.kind == "int" or self.kind in ("int_or_tuple", "padding", "int_list"):
                raise ParamError(self._int_message())
            raise ParamError(f"must be at least {_number(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"must be at most {_number(self.maximum)}")


#: How each parameter kind checks a (non-null) value; ``padding`` words are handled before this.
_CHECKS: dict[str, Callable[[ParamDef, Any], Any]] = {
    "int": ParamDef._check_int,
    "float": ParamDef._check_float,
    "bool": ParamDef._check_bool,
    "str": ParamDef._check_str,
    "choice": ParamDef._check_choice,
    "int_or_tuple": ParamDef._check_int_or_tuple,
    "padding": ParamDef._check_int_or_tuple,
    "int_list": ParamDef._check_int_list,
}


def _number(value: float) -> str:
    """``1000000`` -> ``1,000,000``; ``0.5`` -> ``0.5``."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


Shape = tuple[int, ...]
#: Given the input shape (without batch) and the user's explicit values, return values for the
#: inferred parameters, or raise :class:`ParamError` when the input cannot feed this layer at all.
InferFn = Callable[[Shape, Mapping[str, Any]], dict[str, Any]]
BuildFn = Callable[[dict[str, Any]], nn.Module]


@dataclass(frozen=True)
class LayerType:
    """A catalogue entry: what the palette shows and what the compiler builds."""

    name: str
    category: str
    description: str
    params: tuple[ParamDef, ...] = ()
    infer: InferFn | None = None
    build: BuildFn | None = None
    #: How many dims (without batch) the input must have; None means any.
    input_ndim: tuple[int, ...] | None = None
    key_params: tuple[str, ...] = ()
    #: The Python expression the exporter writes; None means ``nn.<name>(**kwargs)``.
    export_call: str | None = None
    param_index: Mapping[str, ParamDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})

    def defaults(self) -> dict[str, Any]:
        """Every non-inferred parameter at its default value."""
        return {p.name: p.default for p in self.params if not p.inferred}

    def resolve(self, given: Mapping[str, Any], input_shape: Shape) -> dict[str, Any]:
        """Full constructor kwargs: defaults, then the user's values, then inferred sizes.

        A user value for an inferred size that disagrees with the input is a
        :class:`ParamError` naming the right value.
        """
        if self.input_ndim is not None and len(input_shape) not in self.input_ndim:
            raise ParamError(self._ndim_message(input_shape))
        kwargs = self.defaults()
        kwargs.update(given)
        if self.infer is not None:
            inferred = self.infer(input_shape, given)
            for key, value in inferred.items():
                if key in given and given[key] is not None and given[key] != value:
                    raise ParamError(
                        f"{key} is {_fmt(given[key])} but the input gives {_fmt(value)}: "
                        f"set it to {_fmt(value)} or leave it out to infer it"
                    )
                kwargs[key] = value
        return kwargs

    def _ndim_message(self, input_shape: Shape) -> str:
        wanted = " or ".join(_NDIM_WORDS.get(n, f"{n}-D") for n in self.input_ndim or ())
        got = _fmt_shape(input_shape)
        hint = ""
        if self.category in ("Linear", "Recurrent") and len(input_shape) == 3:
            hint = "; add a Flatten before it"
        elif self.category in ("Convolution", "Pooling") and len(input_shape) == 1:
            hint = "; add an Unflatten before it"
        return f"expects a {wanted} input but gets {got}{hint}"

    def summary(self, params: Mapping[str, Any]) -> str:
        """A short label of the key parameters, e.g. ``16@5×5 s1 p2``."""
        return _SUMMARIES.get(self.name, _default_summary)(self, params)


_NDIM_WORDS = {
    1: "flat (features)",
    2: "(channels × length)",
    3: "(channels × height × width)",
}


def _fmt(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _fmt_shape(shape: Shape) -> str:
    return "×".join(str(d) for d in shape) if shape else "a scalar"


def _pair(value: Any) -> tuple[int, int]:
    if isinstance(value, list | tuple):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def _kxk(value: Any) -> str:
    a, b = _pair(value)
    return f"{a}×{b}" if a != b else f"{a}×{a}"


def _default_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    parts = []
    for name in layer.key_params:
        if name in params and params[name] is not None:
            parts.append(f"{name}={_fmt(params[name])}")
    return " ".join(parts)


def _conv_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    k = params.get("kernel_size", 3)
    text = f"{params.get('out_channels', '?')}@{_kxk(k) if layer.name == 'Conv2d' else k}"
    stride, padding = params.get("stride", 1), params.get("padding", 0)
    text += f" s{_fmt(stride)}"
    text += f" p{padding}" if isinstance(padding, str) else f" p{_fmt(padding)}"
    return text


def _pool_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    text = _kxk(params.get("kernel_size", 2))
    stride = params.get("stride")
    if stride is not None:
        text += f" s{_fmt(stride)}"
    return text


def _recurrent_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    text = f"{params.get('hidden_size', '?')}"
    if params.get("num_layers", 1) != 1:
        text += f"×{params['num_layers']}"
    if params.get("bidirectional"):
        text += " bi"
    text += " seq" if params.get("return_sequences") else " last"
    return text


_SUMMARIES: dict[str, Callable[[LayerType, Mapping[str, Any]], str]] = {
    "Linear": lambda _l, p: f"→ {p.get('out_features', '?')}",
    "Conv1d": _conv_summary,
    "Conv2d": _conv_summary,
    "MaxPool2d": _pool_summary,
    "AvgPool2d": _pool_summary,
    "AdaptiveAvgPool2d": lambda _l, p: f"→ {_kxk(p.get('output_size', 1))}",
    "Dropout": lambda _l, p: f"p={p.get('p', 0.5):g}",
    "Dropout2d": lambda _l, p: f"p={p.get('p', 0.5):g}",
    "LSTM": _recurrent_summary,
    "GRU": _recurrent_summary,
    "ResNet18": lambda _l, p: f"{p.get('num_classes', 1000)} classes",
    "Parallel": lambda _l, p: str(p.get("merge", "concat")),
}


# ----------------------------------------------------------------------------- parameter helpers


def _size(name: str, default: Any = None, *, inferred: bool = False, doc: str = "") -> ParamDef:
    return ParamDef(name, "int", default, 1, MAX_SIZE, inferred=inferred, doc=doc)


def _flag(name: str, default: bool, doc: str = "") -> ParamDef:
    return ParamDef(name, "bool", default, doc=doc)


def _prob(name: str = "p", default: float = 0.5) -> ParamDef:
    return ParamDef(name, "float", default, 0.0, 1.0, doc="probability of an element to be zeroed")


def _kernel(name: str, default: Any, n: int, *, nullable: bool = False, minimum: int = 1) -> ParamDef:
    return ParamDef(name, "int_or_tuple", default, minimum, MAX_KERNEL, tuple_len=n, nullable=nullable)


def _padding(n: int, *, allow_same: bool = True) -> ParamDef:
    return ParamDef("padding", "padding" if allow_same else "int_or_tuple", 0, 0, MAX_KERNEL, tuple_len=n)


def _eps() -> ParamDef:
    return ParamDef("eps", "float", 1e-5, 1e-12, 1.0)


def _momentum() -> ParamDef:
    return ParamDef("momentum", "float", 0.1, 0.0, 1.0, nullable=True)


# ----------------------------------------------------------------------------- inference helpers


def _last_dim(key: str) -> InferFn:
    return lambda shape, _given: {key: shape[-1]}


def _first_dim(key: str) -> InferFn:
    return lambda shape, _given: {key: shape[0]}


def _layernorm_infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    wanted = given.get("normalized_shape")
    if wanted is None:
        return {"normalized_shape": [shape[-1]]}
    if len(wanted) > len(shape) or list(shape[len(shape) - len(wanted) :]) != list(wanted):
        right = [shape[-1]]
        raise ParamError(
            f"normalized_shape {_fmt(wanted)} does not match the input's last dimensions {_fmt_shape(shape)}: "
            f"use {_fmt(right)} or leave it out to infer it"
        )
    return {}


def _nn(cls: type[nn.Module]) -> BuildFn:
    return lambda kwargs: cls(**_tuples(kwargs))


def _tuples(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Lists from JSON become tuples, as torch's constructors expect."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def _build_recurrent(kind: str) -> BuildFn:
    def build(kwargs: dict[str, Any]) -> nn.Module:
        return RecurrentBlock(kind, **kwargs)

    return build


def _build_unflatten(kwargs: dict[str, Any]) -> nn.Module:
    return nn.Unflatten(kwargs["dim"], tuple(kwargs["unflattened_size"]))


def _resnet_infer(shape: Shape, _given: Mapping[str, Any]) -> dict[str, Any]:
    if shape[0] != 3:
        raise ParamError(f"expects 3-channel (RGB) images but gets {shape[0]} channels")
    return {}


def _build_resnet(kwargs: dict[str, Any]) -> nn.Module:
    return build_resnet18(**kwargs)


# ----------------------------------------------------------------------------- the catalogue

_CONV_COMMON = (
    _flag("bias", True),
    ParamDef("padding_mode", "choice", "zeros", choices=("zeros", "reflect", "replicate", "circular")),
)

_LAYERS: tuple[LayerType, ...] = (
    LayerType(
        "Linear",
        "Linear",
        "Fully connected layer: y = xWᵀ + b.",
        (_size("in_features", inferred=True), _size("out_features", 10), _flag("bias", True)),
        infer=_last_dim("in_features"),
        build=_nn(nn.Linear),
        key_params=("out_features",),
    ),
    LayerType(
        "Conv1d",
        "Convolution",
        "1-D convolution over (channels × length) inputs.",
        (
            _size("in_channels", inferred=True),
            _size("out_channels", 16),
            _kernel("kernel_size", 3, 1),
            _kernel("stride", 1, 1),
            _padding(1),
            _kernel("dilation", 1, 1),
            ParamDef("groups", "int", 1, 1, MAX_SIZE),
            *_CONV_COMMON,
        ),
        infer=_first_dim("in_channels"),
        build=_nn(nn.Conv1d),
        input_ndim=(2,),
        key_params=("out_channels", "kernel_size"),
    ),
    LayerType(
        "Conv2d",
        "Convolution",
        "2-D convolution over (channels × height × width) images.",
        (
            _size("in_channels", inferred=True),
            _size("out_channels", 16),
            _kernel("kernel_size", 3, 2),
            _kernel("stride", 1, 2),
            _padding(2),
            _kernel("dilation", 1, 2),
            ParamDef("groups", "int", 1, 1, MAX_SIZE),
            *_CONV_COMMON,
        ),
        infer=_first_dim("in_channels"),
        build=_nn(nn.Conv2d),
        input_ndim=(3,),
        key_params=("out_channels", "kernel_size"),
    ),
    LayerType(
        "MaxPool2d",
        "Pooling",
        "Keeps the largest value in each window; halves the size with 2×2.",
        (
            _kernel("kernel_size", 2, 2),
            _kernel("stride", None, 2, nullable=True),
            _padding(2, allow_same=False),
            _kernel("dilation", 1, 2),
            _flag("ceil_mode", False),
        ),
        build=_nn(nn.MaxPool2d),
        input_ndim=(3,),
        key_params=("kernel_size",),
    ),
    LayerType(
        "AvgPool2d",
        "Pooling",
        "Averages each window; a smoother downsampling than max pooling.",
        (
            _kernel("kernel_size", 2, 2),
            _kernel("stride", None, 2, nullable=True),
            _padding(2, allow_same=False),
            _flag("ceil_mode", False),
            _flag("count_include_pad", True),
        ),
        build=_nn(nn.AvgPool2d),
        input_ndim=(3,),
        key_params=("kernel_size",),
    ),
    LayerType(
        "AdaptiveAvgPool2d",
        "Pooling",
        "Averages down to a fixed output size, whatever the input size.",
        (_kernel("output_size", 1, 2),),
        build=_nn(nn.AdaptiveAvgPool2d),
        input_ndim=(3,),
        key_params=("output_size",),
    ),
    LayerType(
        "BatchNorm1d",
        "Normalisation",
        "Normalises each feature over the batch; speeds up training.",
        (
            _size("num_features", inferred=True),
            _eps(),
            _momentum(),
            _flag("affine", True),
            _flag("track_running_stats", True),
        ),
        infer=_first_dim("num_features"),
        build=_nn(nn.BatchNorm1d),
        input_ndim=(1, 2),
    ),
    LayerType(
        "BatchNorm2d",
        "Normalisation",
        "Normalises each channel over the batch; speeds up training.",
        (
            _size("num_features", inferred=True),
            _eps(),
            _momentum(),
            _flag("affine", True),
            _flag("track_running_stats", True),
        ),
        infer=_first_dim("num_features"),
        build=_nn(nn.BatchNorm2d),
        input_ndim=(3,),
    ),
    LayerType(
        "LayerNorm",
        "Normalisation",
        "Normalises each sample over its last dimension.",
        (
            ParamDef("normalized_shape", "int_list", None, 1, MAX_SIZE, inferred=True),
            _eps(),
            _flag("elementwise_affine", True),
            _flag("bias", True),
        ),
        infer=_layernorm_infer,
        build=_nn(nn.LayerNorm),
    ),
    LayerType(
        "Dropout",
        "Regularisation",
        "Zeroes random elements while training to reduce overfitting.",
        (_prob(),),
        build=_nn(nn.Dropout),
        key_params=("p",),
    ),
    LayerType(
        "Dropout2d",
        "Regularisation",
        "Zeroes whole random channels while training.",
        (_prob(),),
        build=_nn(nn.Dropout2d),
        input_ndim=(3,),
        key_params=("p",),
    ),
    LayerType(
        "Flatten",
        "Shape",
        "Turns each sample into one flat vector (for Linear layers).",
        (ParamDef("start_dim", "int", 1, -8, 8), ParamDef("end_dim", "int", -1, -8, 8)),
        build=_nn(nn.Flatten),
    ),
    LayerType(
        "Unflatten",
        "Shape",
        "Reshapes one dimension into several, e.g. 784 into 1×28×28.",
        (
            ParamDef("dim", "int", 1, -8, 8),
            ParamDef("unflattened_size", "int_list", [1, 28, 28], 1, MAX_SIZE),
        ),
        build=_build_unflatten,
        key_params=("unflattened_size",),
    ),
    LayerType("ReLU", "Activation", "max(0, x): the default non-linearity.", build=_nn(nn.ReLU)),
    LayerType(
        "LeakyReLU",
        "Activation",
        "Like ReLU but lets a small slope through for x < 0.",
        (ParamDef("negative_slope", "float", 0.01, 0.0, 10.0),),
        build=_nn(nn.LeakyReLU),
        key_params=("negative_slope",),
    ),
    LayerType(
        "ELU",
        "Activation",
        "Exponential linear unit: smooth for x < 0.",
        (ParamDef("alpha", "float", 1.0, 0.0, 100.0),),
        build=_nn(nn.ELU),
    ),
    LayerType(
        "GELU",
        "Activation",
        "Gaussian error linear unit, as used in transformers.",
        (ParamDef("approximate", "choice", "none", choices=("none", "tanh")),),
        build=_nn(nn.GELU),
    ),
    LayerType("SiLU", "Activation", "x·sigmoid(x), also called swish.", build=_nn(nn.SiLU)),
    LayerType("Sigmoid", "Activation", "Squashes to (0, 1).", build=_nn(nn.Sigmoid)),
    LayerType("Tanh", "Activation", "Squashes to (-1, 1).", build=_nn(nn.Tanh)),
    LayerType(
        "Softmax",
        "Activation",
        "Turns scores into probabilities (not before CrossEntropyLoss).",
        (ParamDef("dim", "int", 1, -8, 8),),
        build=_nn(nn.Softmax),
    ),
    LayerType(
        "LogSoftmax",
        "Activation",
        "Log-probabilities; pair it with NLLLoss.",
        (ParamDef("dim", "int", 1, -8, 8),),
        build=_nn(nn.LogSoftmax),
    ),
    LayerType("Identity", "Shape", "Passes its input through unchanged.", build=_nn(nn.Identity)),
    LayerType(
        "LSTM",
        "Recurrent",
        "Long short-term memory over (time × features) sequences.",
        (
            _size("input_size", inferred=True),
            _size("hidden_size", 64),
            ParamDef("num_layers", "int", 1, 1, 64),
            _flag("bias", True),
            ParamDef("dropout", "float", 0.0, 0.0, 1.0),
            _flag("bidirectional", False),
            _flag("return_sequences", False, "pass on the whole output sequence, not only the last step"),
        ),
        infer=_last_dim("input_size"),
        build=_build_recurrent("LSTM"),
        input_ndim=(2,),
        key_params=("hidden_size",),
    ),
    LayerType(
        "GRU",
        "Recurrent",
        "Gated recurrent unit over (time × features) sequences.",
        (
            _size("input_size", inferred=True),
            _size("hidden_size", 64),
            ParamDef("num_layers", "int", 1, 1, 64),
            _flag("bias", True),
            ParamDef("dropout", "float", 0.0, 0.0, 1.0),
            _flag("bidirectional", False),
            _flag("return_sequences", False, "pass on the whole output sequence, not only the last step"),
        ),
        infer=_last_dim("input_size"),
        build=_build_recurrent("GRU"),
        input_ndim=(2,),
        key_params=("hidden_size",),
    ),
    LayerType(
        "ResNet18",
        "Models",
        "Legacy: torchvision's ResNet-18 as one opaque block, kept for older projects; "
        "the ResNet-18 preset builds it from Residual blocks you can see and change.",
        (_size("num_classes", 10),),
        infer=_resnet_infer,
        build=_build_resnet,
        input_ndim=(3,),
        key_params=("num_classes",),
    ),
    # Containers hold lanes of blocks (see containers.py); the compiler builds them, not ``build``.
    LayerType(
        "Residual",
        "Containers",
        "Adds a shortcut around its body: body(x) + shortcut(x); an empty shortcut is the identity.",
    ),
    LayerType(
        "Parallel",
        "Containers",
        "Runs two or more lanes on the same input and joins them: concatenated along the channels "
        "(or features), or summed.",
        (ParamDef("merge", "choice", "concat", choices=MERGES, doc="how the lanes' outputs are joined"),),
        key_params=("merge",),
    ),
)

#: Layer types by name, in palette order.
CATALOGUE: dict[str, LayerType] = {layer.name: layer for layer in _LAYERS}


def layer_type(name: str) -> LayerType:
    """The catalogue entry for ``name``; :class:`KeyError` with a helpful message if unknown."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown layer type {name!r}") from None


def by_category() -> dict[str, list[LayerType]]:
    """Layer types grouped by category, in :data:`CATEGORIES` order (for the palette)."""
    groups: dict[str, list[LayerType]] = {c: [] for c in CATEGORIES}
    for layer in _LAYERS:
        groups[layer.category].append(layer)
    return groups
