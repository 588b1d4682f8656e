"""Catalogue entries for the element-wise layers beyond the basic ones: activations and dropouts.

The non-linearities of MobileNet (ReLU6, Hardswish), self-normalising networks (SELU with
AlphaDropout), YOLO (Mish) and gated networks (GLU), and dropout for sequences and volumes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from gui_app.core.layers.definitions import (
    MAX_SIZE,
    LayerType,
    ParamDef,
    ParamError,
    Shape,
    dropout_summary,
    prob_param,
)


def _plain(name: str, cls: type[nn.Module], description: str) -> LayerType:
    return LayerType(name, "Activation", description, module_class=cls)


def _prelu_infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    count = given.get("num_parameters", 1)
    channels = shape[0] if shape else 1
    if count not in (1, channels):
        raise ParamError(f"num_parameters must be 1 (one slope) or the {channels} channels (one slope each)")
    return {}


def _hardtanh_infer(_shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    low, high = given.get("min_val", -1.0), given.get("max_val", 1.0)
    if low >= high:
        raise ParamError(f"min_val ({low:g}) must be less than max_val ({high:g})")
    return {}


def _glu_infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    dim = given.get("dim", -1)
    full = (2, *shape)
    if not -len(full) <= dim < len(full) or dim % len(full) == 0:
        raise ParamError(f"dim {dim} is not a dimension of a sample of shape {'×'.join(map(str, shape))}")
    if full[dim] % 2:
        raise ParamError(f"splits its input in two halves along dim {dim}, but that dimension has {full[dim]} values")
    return {}


def _dropout(name: str, cls: type[nn.Module], description: str, ndim: tuple[int, ...] | None) -> LayerType:
    return LayerType(
        name,
        "Regularisation",
        description,
        (prob_param(),),
        module_class=cls,
        input_ndim=ndim,
        key_params=("p",),
        summarise=dropout_summary,
    )


LAYERS: tuple[LayerType, ...] = (
    LayerType(
        "PReLU",
        "Activation",
        "Leaky ReLU whose negative slope is learned (one for all, or one per channel).",
        (ParamDef("num_parameters", "int", 1, 1, MAX_SIZE), ParamDef("init", "float", 0.25, -10.0, 10.0)),
        infer=_prelu_infer,
        module_class=nn.PReLU,
    ),
    _plain("ReLU6", nn.ReLU6, "ReLU capped at 6, as MobileNet uses (robust in low precision)."),
    _plain("Hardswish", nn.Hardswish, "A cheap piecewise approximation of swish (MobileNetV3)."),
    _plain("Hardsigmoid", nn.Hardsigmoid, "A cheap piecewise approximation of the sigmoid."),
    _plain("Mish", nn.Mish, "x·tanh(softplus(x)): smooth and non-monotonic (YOLOv4)."),
    LayerType(
        "Softplus",
        "Activation",
        "log(1 + eˣ): a smooth ReLU.",
        (ParamDef("beta", "float", 1.0, 1e-3, 100.0), ParamDef("threshold", "float", 20.0, 0.0, 1000.0)),
        module_class=nn.Softplus,
    ),
    _plain("SELU", nn.SELU, "Scaled ELU: keeps activations normalised in deep MLPs (pair with AlphaDropout)."),
    LayerType(
        "CELU",
        "Activation",
        "Continuously differentiable ELU.",
        (ParamDef("alpha", "float", 1.0, 1e-3, 100.0),),
        module_class=nn.CELU,
    ),
    LayerType(
        "GLU",
        "Activation",
        "Gated linear unit: splits its input in two halves a, b and gives a·sigmoid(b).",
        (ParamDef("dim", "int", -1, -8, 8),),
        infer=_glu_infer,
        module_class=nn.GLU,
    ),
    LayerType(
        "Hardtanh",
        "Activation",
        "Clips values to [min_val, max_val].",
        (ParamDef("min_val", "float", -1.0, -1e6, 1e6), ParamDef("max_val", "float", 1.0, -1e6, 1e6)),
        infer=_hardtanh_infer,
        module_class=nn.Hardtanh,
    ),
    _plain("Softsign", nn.Softsign, "x / (1 + |x|): like tanh with gentler tails."),
    _plain("LogSigmoid", nn.LogSigmoid, "log(sigmoid(x))."),
    _plain("Tanhshrink", nn.Tanhshrink, "x − tanh(x)."),
    _dropout("AlphaDropout", nn.AlphaDropout, "Dropout that keeps SELU's mean and variance.", None),
    _dropout("Dropout1d", nn.Dropout1d, "Zeroes whole random channels of (channels × length) inputs.", (2,)),
    _dropout("Dropout3d", nn.Dropout3d, "Zeroes whole random channels of volumes.", (4,)),
)
