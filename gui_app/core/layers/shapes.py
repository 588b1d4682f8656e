"""Closed-form output shapes and sizes for the common layers.

The compiler runs on every edit; building modules and running them on the meta device costs
about a millisecond a layer, too slow for 100 blocks. For the layers whose arithmetic is simple,
these functions give the same answers as torch (a test checks them against the meta device) in
microseconds. Layers without an entry here (recurrent and attention layers, embeddings, ResNet-18, Unfold,
ChannelShuffle, LocalResponseNorm) fall back to the meta device.

Each function takes the resolved constructor kwargs and the input shape without the batch, and
returns a :class:`LayerSize` or raises :class:`ParamError` with a user-facing message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gui_app.core.layers.definitions import ParamError

Shape = tuple[int, ...]
FLOAT_BYTES = 4
INT64_BYTES = 8


@dataclass(frozen=True)
class LayerSize:
    """A layer's output shape (without batch), parameter count and bytes of parameters+buffers."""

    output_shape: Shape
    params: int = 0
    buffer_bytes: int = 0

    @property
    def size_bytes(self) -> int:
        return self.params * FLOAT_BYTES + self.buffer_bytes


def _n(value: Any, count: int) -> tuple[int, ...]:
    if isinstance(value, list | tuple):
        return tuple(int(v) for v in value)
    return (int(value),) * count


def _fmt(dims: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in dims)


def _linear(kw: dict[str, Any], shape: Shape) -> LayerSize:
    params = kw["in_features"] * kw["out_features"] + (kw["out_features"] if kw["bias"] else 0)
    return LayerSize((*shape[:-1], kw["out_features"]), params)


def _conv_out(size: int, k: int, s: int, p: int, d: int) -> int:
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _conv(dims: int) -> Callable[[dict[str, Any], Shape], LayerSize]:
    def size(kw: dict[str, Any], shape: Shape) -> LayerSize:
        _check_conv(kw)
        spatial = shape[1:]
        k, s, d = _n(kw["kernel_size"], dims), _n(kw["stride"], dims), _n(kw["dilation"], dims)
        padding = kw["padding"]
        if padding == "same":
            out = spatial
            effective = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d, strict=True))
            padded = spatial
        else:
            p = (0,) * dims if padding == "valid" else _n(padding, dims)
            _check_padding_mode(kw.get("padding_mode", "zeros"), p, spatial)
            padded = tuple(n + 2 * pi for n, pi in zip(spatial, p, strict=True))
            effective = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d, strict=True))
            out = tuple(_conv_out(*a) for a in zip(spatial, k, s, p, d, strict=True))
        if any(e > n for e, n in zip(effective, padded, strict=True)) and padding != "same":
            raise ParamError(
                f"the kernel ({_fmt(effective)}) is larger than its padded input ({_fmt(padded)}); "
                "use a smaller kernel or more padding"
            )
        if (
            padding == "same"
            and kw.get("padding_mode", "zeros") != "zeros"
            and any(e - 1 > n for e, n in zip(effective, spatial, strict=True))
        ):
            raise ParamError("the kernel is too large for padding 'same' with this padding mode")
        cin, cout, groups = kw["in_channels"], kw["out_channels"], kw["groups"]
        params = cout * (cin // groups) * math.prod(k) + (cout if kw["bias"] else 0)
        return LayerSize((cout, *out), params)

    return size


def _check_padding_mode(mode: str, padding: tuple[int, ...], spatial: Shape) -> None:
    """Reflection needs padding smaller than the input, circular padding no larger (torch's rules)."""
    too_big = {"reflect": lambda p, n: p >= n, "circular": lambda p, n: p > n}.get(mode)
    if too_big is not None and any(too_big(p, n) for p, n in zip(padding, spatial, strict=True)):
        word = "smaller than" if mode == "reflect" else "at most"
        raise ParamError(f"padding_mode {mode!r} needs padding ({_fmt(padding)}) {word} the input ({_fmt(spatial)})")


def _check_conv(kw: dict[str, Any]) -> None:
    if kw["padding"] == "same" and any(s != 1 for s in _n(kw["stride"], 1)):
        raise ParamError("padding 'same' needs stride 1")
    groups = kw["groups"]
    if kw["in_channels"] % groups or kw["out_channels"] % groups:
        raise ParamError(
            f"groups={groups} must divide both in_channels ({kw['in_channels']}) "
            f"and out_channels ({kw['out_channels']})"
        )


def _pool(kw: dict[str, Any], shape: Shape, *, dilation: bool) -> LayerSize:
    dims = len(shape) - 1
    k = _n(kw["kernel_size"], dims)
    s = _n(kw["stride"], dims) if kw.get("stride") is not None else k
    p = _n(kw["padding"], dims)
    d = _n(kw["dilation"], dims) if dilation else (1,) * dims
    if any(pi > ki // 2 for pi, ki in zip(p, k, strict=True)):
        raise ParamError(f"padding ({_fmt(p)}) must be at most half the kernel size ({_fmt(k)})")
    if not dilation and dims == 3 and any(n < ki for n, ki in zip(shape[1:], k, strict=True)):
        # torch's 3-D average pooling refuses an input smaller than its kernel, padding or not.
        raise ParamError(f"the input ({_fmt(shape)}) is smaller than the kernel ({_fmt(k)})")
    out = []
    for n, ki, si, pi, di in zip(shape[1:], k, s, p, d, strict=True):
        span = n + 2 * pi - di * (ki - 1) - 1
        o = (-(-span // si) if kw["ceil_mode"] else span // si) + 1
        if kw["ceil_mode"] and (o - 1) * si >= n + pi:
            o -= 1
        out.append(o)
    if any(o < 1 for o in out):
        raise ParamError(
            f"the input ({_fmt(shape)}) is too small: the output would be {_fmt((shape[0], *out))}; "
            "use a smaller kernel or stride"
        )
    return LayerSize((shape[0], *out))


def _adaptive_pool(kw: dict[str, Any], shape: Shape) -> LayerSize:
    return LayerSize((shape[0], *_n(kw["output_size"], len(shape) - 1)))


def _conv_transpose(dims: int) -> Callable[[dict[str, Any], Shape], LayerSize]:
    def size(kw: dict[str, Any], shape: Shape) -> LayerSize:
        _check_conv(kw)
        k, s, d = _n(kw["kernel_size"], dims), _n(kw["stride"], dims), _n(kw["dilation"], dims)
        p, extra = _n(kw["padding"], dims), _n(kw["output_padding"], dims)
        if any(e >= si and e >= di for e, si, di in zip(extra, s, d, strict=True)):
            raise ParamError(f"output_padding ({_fmt(extra)}) must be smaller than the stride or the dilation")
        out = tuple(
            (n - 1) * si - 2 * pi + di * (ki - 1) + ei + 1
            for n, ki, si, pi, di, ei in zip(shape[1:], k, s, p, d, extra, strict=True)
        )
        if any(o < 1 for o in out):
            raise ParamError(f"the padding is too large: the output would be {_fmt((kw['out_channels'], *out))}")
        cin, cout, groups = kw["in_channels"], kw["out_channels"], kw["groups"]
        params = cin * (cout // groups) * math.prod(k) + (cout if kw["bias"] else 0)
        return LayerSize((cout, *out), params)

    return size


def _group_norm(kw: dict[str, Any], shape: Shape) -> LayerSize:
    c = kw["num_channels"]
    return LayerSize(shape, 2 * c if kw["affine"] else 0)


def _instance_norm(kw: dict[str, Any], shape: Shape) -> LayerSize:
    if math.prod(shape[1:]) < 2:
        raise ParamError(f"normalises over each channel's values, but {_fmt(shape)} has only one per channel")
    c = kw["num_features"]
    buffers = (2 * c * FLOAT_BYTES + INT64_BYTES) if kw["track_running_stats"] else 0
    return LayerSize(shape, 2 * c if kw["affine"] else 0, buffers)


def _upsample(kw: dict[str, Any], shape: Shape) -> LayerSize:
    wanted = {"linear": 2, "bilinear": 3, "bicubic": 3, "trilinear": 4}.get(kw["mode"])
    if wanted is not None and len(shape) != wanted:
        raise ParamError(f"mode {kw['mode']!r} needs a {wanted}-D input (with channels) but gets {_fmt(shape)}")
    out = tuple(math.floor(n * kw["scale_factor"]) for n in shape[1:])
    if any(o < 1 for o in out):
        raise ParamError(f"scale_factor {kw['scale_factor']:g} shrinks {_fmt(shape)} to nothing")
    return LayerSize((shape[0], *out))


def _pixel_shuffle(kw: dict[str, Any], shape: Shape) -> LayerSize:
    r = kw["upscale_factor"]
    c, h, w = shape
    if c % (r * r):
        raise ParamError(f"needs channels that are a multiple of {r * r} (upscale_factor²) but gets {c}")
    return LayerSize((c // (r * r), h * r, w * r))


def _pixel_unshuffle(kw: dict[str, Any], shape: Shape) -> LayerSize:
    r = kw["downscale_factor"]
    c, h, w = shape
    if h % r or w % r:
        raise ParamError(f"needs a height and width that are multiples of {r} but gets {h}×{w}")
    return LayerSize((c * r * r, h // r, w // r))


def _pad(*, reflect: bool) -> Callable[[dict[str, Any], Shape], LayerSize]:
    def size(kw: dict[str, Any], shape: Shape) -> LayerSize:
        left, right, top, bottom = _n(kw["padding"], 4)
        c, h, w = shape
        if reflect and (max(left, right) >= w or max(top, bottom) >= h):
            raise ParamError(f"reflection padding must be smaller than the image ({h}×{w})")
        return LayerSize((c, h + top + bottom, w + left + right))

    return size


def _prelu(kw: dict[str, Any], shape: Shape) -> LayerSize:
    return LayerSize(shape, kw["num_parameters"])


def _glu(kw: dict[str, Any], shape: Shape) -> LayerSize:
    full = [2, *shape]
    full[kw["dim"]] //= 2
    return LayerSize(tuple(full[1:]))


def _batchnorm(kw: dict[str, Any], shape: Shape) -> LayerSize:
    c = kw["num_features"]
    params = 2 * c if kw["affine"] else 0
    buffers = (2 * c * FLOAT_BYTES + INT64_BYTES) if kw["track_running_stats"] else 0
    return LayerSize(shape, params, buffers)


def _layernorm(kw: dict[str, Any], shape: Shape) -> LayerSize:
    n = math.prod(kw["normalized_shape"])
    params = (n + (n if kw["bias"] else 0)) if kw["elementwise_affine"] else 0
    return LayerSize(shape, params)


def _dim_index(dim: int, ndim: int, what: str) -> int:
    if not -ndim <= dim < ndim:
        raise ParamError(f"{what} {dim} is out of range for a {ndim}-D input (with the batch dimension)")
    return dim % ndim


def _flatten(kw: dict[str, Any], shape: Shape) -> LayerSize:
    full = (2, *shape)
    start = _dim_index(kw["start_dim"], len(full), "start_dim")
    end = _dim_index(kw["end_dim"], len(full), "end_dim")
    if start > end:
        raise ParamError(f"start_dim ({kw['start_dim']}) comes after end_dim ({kw['end_dim']})")
    out = (*full[:start], math.prod(full[start : end + 1]), *full[end + 1 :])
    if start == 0:
        raise ParamError("start_dim 0 would flatten the batch into one sample; use 1")
    return LayerSize(out[1:])


def _unflatten(kw: dict[str, Any], shape: Shape) -> LayerSize:
    full = (2, *shape)
    dim = _dim_index(kw["dim"], len(full), "dim")
    if dim == 0:
        raise ParamError("dim 0 is the batch dimension; use 1")
    sizes = tuple(kw["unflattened_size"])
    if math.prod(sizes) != full[dim]:
        raise ParamError(
            f"cannot reshape {full[dim]} into {_fmt(sizes)} ({math.prod(sizes)} elements); "
            f"the sizes must multiply to {full[dim]}"
        )
    return LayerSize((*full[1:dim], *sizes, *full[dim + 1 :]))


def _softmax(kw: dict[str, Any], shape: Shape) -> LayerSize:
    _dim_index(kw["dim"], len(shape) + 1, "dim")
    return LayerSize(shape)


def _unchanged(_kw: dict[str, Any], shape: Shape) -> LayerSize:
    return LayerSize(shape)


SIZE_FUNCTIONS: dict[str, Callable[[dict[str, Any], Shape], LayerSize]] = {
    "Linear": _linear,
    "Conv1d": _conv(1),
    "Conv2d": _conv(2),
    "Conv3d": _conv(3),
    "ConvTranspose1d": _conv_transpose(1),
    "ConvTranspose2d": _conv_transpose(2),
    **{name: lambda kw, shape: _pool(kw, shape, dilation=True) for name in ("MaxPool1d", "MaxPool2d", "MaxPool3d")},
    **{name: lambda kw, shape: _pool(kw, shape, dilation=False) for name in ("AvgPool1d", "AvgPool2d", "AvgPool3d")},
    **{name: _adaptive_pool for name in ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d")},
    **{name: _adaptive_pool for name in ("AdaptiveMaxPool1d", "AdaptiveMaxPool2d")},
    "BatchNorm1d": _batchnorm,
    "BatchNorm2d": _batchnorm,
    "BatchNorm3d": _batchnorm,
    "GroupNorm": _group_norm,
    "InstanceNorm1d": _instance_norm,
    "InstanceNorm2d": _instance_norm,
    "Upsample": _upsample,
    "PixelShuffle": _pixel_shuffle,
    "PixelUnshuffle": _pixel_unshuffle,
    "ZeroPad2d": _pad(reflect=False),
    "ReplicationPad2d": _pad(reflect=False),
    "ReflectionPad2d": _pad(reflect=True),
    "PReLU": _prelu,
    "GLU": _glu,
    "LayerNorm": _layernorm,
    "Flatten": _flatten,
    "Unflatten": _unflatten,
    "Softmax": _softmax,
    "LogSoftmax": _softmax,
    **{
        name: _unchanged
        for name in (
            "Dropout",
            "Dropout2d",
            "ReLU",
            "LeakyReLU",
            "ELU",
            "GELU",
            "SiLU",
            "Sigmoid",
            "Tanh",
            "Identity",
            "ReLU6",
            "Hardswish",
            "Hardsigmoid",
            "Mish",
            "Softplus",
            "SELU",
            "CELU",
            "Hardtanh",
            "Softsign",
            "LogSigmoid",
            "Tanhshrink",
            "AlphaDropout",
            "Dropout1d",
            "Dropout3d",
        )
    },
}
