"""What a catalogue entry is made of: parameter definitions, layer types and their helpers.

Each :class:`LayerType` knows how to validate a user's parameter values, which of its sizes
follow from the layer before it (and how), and how to build the torch module. The entries
themselves live in :mod:`gui_app.core.layers.catalogue` and the modules it gathers (one per
family of layers); this module is what they are all written with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

CATEGORIES = (
    "Linear",
    "Convolution",
    "Pooling",
    "Normalisation",
    "Activation",
    "Regularisation",
    "Recurrent",
    "Attention and embedding",
    "Upsampling and padding",
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


class InferredSizeError(ParamError):
    """A size the user set that the input contradicts: ``key`` must be ``value`` (a fix can set it)."""

    def __init__(self, message: str, key: str, value: Any) -> None:
        super().__init__(message)
        self.key = key
        self.value = value


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
SummaryFn = Callable[["LayerType", Mapping[str, Any]], str]


@dataclass(frozen=True)
class LayerType:
    """A catalogue entry: what the palette shows and what the compiler builds."""

    name: str
    category: str
    description: str
    params: tuple[ParamDef, ...] = ()
    infer: InferFn | None = None
    #: The module class the layer is; the exporter writes ``nn.<Class>(...)`` for torch's own
    #: classes and copies the source of the others (which depend on nothing but torch).
    module_class: type[nn.Module] | None = None
    #: How many dims (without batch) the input must have; None means any.
    input_ndim: tuple[int, ...] | None = None
    key_params: tuple[str, ...] = ()
    #: Constructor arguments a user does not choose (``batch_first=True``), for build and export.
    fixed: Mapping[str, Any] = field(default_factory=dict)
    #: The short label on the block; None lists the ``key_params``.
    summarise: SummaryFn | None = None
    #: A custom builder for what ``module_class(**kwargs, **fixed)`` cannot make.
    custom_build: BuildFn | None = None
    param_index: Mapping[str, ParamDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})
        if self.module_class is None and self.custom_build is None:
            raise AssertionError(f"layer type {self.name} has no module class and no builder")

    def build(self, kwargs: Mapping[str, Any]) -> nn.Module:
        """The torch module for resolved ``kwargs`` (lists become tuples, fixed arguments added)."""
        if self.custom_build is not None:
            return self.custom_build(dict(kwargs))
        assert self.module_class is not None
        return self.module_class(**as_tuples(kwargs), **self.fixed)

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
                    raise InferredSizeError(
                        f"{key} is {fmt_value(given[key])} but the input gives {fmt_value(value)}: "
                        f"set it to {fmt_value(value)} or leave it out to infer it",
                        key,
                        value,
                    )
                kwargs[key] = value
        return kwargs

    def _ndim_message(self, input_shape: Shape) -> str:
        wanted = " or ".join(_NDIM_WORDS.get(n, f"{n}-D") for n in self.input_ndim or ())
        got = fmt_shape(input_shape)
        hint = ""
        if self.category in ("Linear", "Recurrent") and len(input_shape) == 3:
            hint = "; add a Flatten before it"
        elif self.category in ("Convolution", "Pooling") and len(input_shape) == 1:
            hint = "; add an Unflatten before it"
        return f"expects a {wanted} input but gets {got}{hint}"

    def summary(self, params: Mapping[str, Any]) -> str:
        """A short label of the key parameters, e.g. ``16@5×5 s1 p2``."""
        return (self.summarise or default_summary)(self, params)


_NDIM_WORDS = {
    1: "flat (features)",
    2: "(channels × length)",
    3: "(channels × height × width)",
    4: "(channels × depth × height × width)",
}


def fmt_value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def fmt_shape(shape: Shape) -> str:
    return "×".join(str(d) for d in shape) if shape else "a scalar"


def default_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    parts = []
    for name in layer.key_params:
        if name in params and params[name] is not None:
            parts.append(f"{name}={fmt_value(params[name])}")
    return " ".join(parts)


def spatial_dims(layer: LayerType) -> int:
    """1, 2 or 3 for a ``…1d``/``…2d``/``…3d`` layer (2 for the others)."""
    return {"1d": 1, "2d": 2, "3d": 3}.get(layer.name[-2:], 2)


def kernel_text(value: Any, dims: int) -> str:
    """``3`` -> ``3×3`` for a 2-D layer, ``[3, 5]`` -> ``3×5``, ``3`` -> ``3`` for a 1-D one."""
    values = [int(v) for v in value] if isinstance(value, list | tuple) else [int(value)] * dims
    return "×".join(str(v) for v in values)


def conv_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    text = f"{params.get('out_channels', '?')}@{kernel_text(params.get('kernel_size', 3), spatial_dims(layer))}"
    stride, padding = params.get("stride", 1), params.get("padding", 0)
    text += f" s{fmt_value(stride)}"
    text += f" p{padding}" if isinstance(padding, str) else f" p{fmt_value(padding)}"
    return text


def pool_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    text = kernel_text(params.get("kernel_size", 2), spatial_dims(layer))
    stride = params.get("stride")
    if stride is not None:
        text += f" s{fmt_value(stride)}"
    return text


def output_size_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    size = params.get("output_size", 1)
    return "→ " + ("any" if size is None else kernel_text(size, spatial_dims(layer)))


def dropout_summary(_layer: LayerType, params: Mapping[str, Any]) -> str:
    return f"p={params.get('p', 0.5):g}"


def recurrent_summary(layer: LayerType, params: Mapping[str, Any]) -> str:
    text = f"{params.get('hidden_size', '?')}"
    if params.get("num_layers", 1) != 1:
        text += f"×{params['num_layers']}"
    if params.get("bidirectional"):
        text += " bi"
    text += " seq" if params.get("return_sequences") else " last"
    return text


# ----------------------------------------------------------------------------- parameter helpers


def size_param(name: str, default: Any = None, *, inferred: bool = False, doc: str = "") -> ParamDef:
    return ParamDef(name, "int", default, 1, MAX_SIZE, inferred=inferred, doc=doc)


def flag_param(name: str, default: bool, doc: str = "") -> ParamDef:
    return ParamDef(name, "bool", default, doc=doc)


def prob_param(name: str = "p", default: float = 0.5) -> ParamDef:
    return ParamDef(name, "float", default, 0.0, 1.0, doc="probability of an element to be zeroed")


def kernel_param(name: str, default: Any, n: int, *, nullable: bool = False, minimum: int = 1) -> ParamDef:
    return ParamDef(name, "int_or_tuple", default, minimum, MAX_KERNEL, tuple_len=n, nullable=nullable)


def padding_param(n: int, *, allow_same: bool = True) -> ParamDef:
    return ParamDef("padding", "padding" if allow_same else "int_or_tuple", 0, 0, MAX_KERNEL, tuple_len=n)


def eps_param() -> ParamDef:
    return ParamDef("eps", "float", 1e-5, 1e-12, 1.0)


def momentum_param() -> ParamDef:
    return ParamDef("momentum", "float", 0.1, 0.0, 1.0, nullable=True)


# ----------------------------------------------------------------------------- inference helpers


def last_dim(key: str) -> InferFn:
    return lambda shape, _given: {key: shape[-1]}


def first_dim(key: str) -> InferFn:
    return lambda shape, _given: {key: shape[0]}


def as_tuples(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Lists from JSON become tuples, as torch's constructors expect."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def feature_norm(
    name: str, cls: type[nn.Module], description: str, ndim: tuple[int, ...], *, learned: bool
) -> LayerType:
    """A batch or instance norm: per-channel statistics, ``learned`` scale/shift and running stats by default."""
    return LayerType(
        name,
        "Normalisation",
        description,
        (
            size_param("num_features", inferred=True),
            eps_param(),
            momentum_param(),
            flag_param("affine", learned),
            flag_param("track_running_stats", learned),
        ),
        infer=first_dim("num_features"),
        module_class=cls,
        input_ndim=ndim,
    )
