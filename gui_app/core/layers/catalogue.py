"""The layer catalogue: every block a user can place, gathered from one module per family.

The GUI's palette and inspector, the project-file loader, the compiler and the Python exporter
all read :data:`CATALOGUE`, so adding a layer is one entry in one of these modules. What an
entry is made of is in :mod:`gui_app.core.layers.definitions`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from gui_app.core.layers import activation_layers, sequence_layers, spatial_layers
from gui_app.core.layers.containers import MERGES, Parallel, Residual
from gui_app.core.layers.definitions import (
    CATEGORIES,
    MAX_KERNEL,
    MAX_SIZE,
    InferredSizeError,
    LayerType,
    ParamDef,
    ParamError,
    Shape,
    conv_summary,
    dropout_summary,
    eps_param,
    feature_norm,
    first_dim,
    flag_param,
    fmt_shape,
    fmt_value,
    kernel_param,
    last_dim,
    output_size_summary,
    padding_param,
    pool_summary,
    prob_param,
    size_param,
)
from gui_app.core.layers.resnet import build_resnet18

__all__ = [
    "CATALOGUE",
    "CATEGORIES",
    "MAX_KERNEL",
    "MAX_SIZE",
    "InferredSizeError",
    "LayerType",
    "ParamDef",
    "ParamError",
]


def _layernorm_infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    wanted = given.get("normalized_shape")
    if wanted is None:
        return {"normalized_shape": [shape[-1]]}
    if len(wanted) > len(shape) or list(shape[len(shape) - len(wanted) :]) != list(wanted):
        right = [shape[-1]]
        raise InferredSizeError(
            f"normalized_shape {fmt_value(wanted)} does not match the input's last dimensions {fmt_shape(shape)}: "
            f"use {fmt_value(right)} or leave it out to infer it",
            "normalized_shape",
            right,
        )
    return {}


def _linear_summary(_layer: LayerType, params: Mapping[str, Any]) -> str:
    return f"→ {params.get('out_features', '?')}"


def _classes_summary(_layer: LayerType, params: Mapping[str, Any]) -> str:
    return f"{params.get('num_classes', 1000)} classes"


def _merge_summary(_layer: LayerType, params: Mapping[str, Any]) -> str:
    return str(params.get("merge", "concat"))


def _resnet_infer(shape: Shape, _given: Mapping[str, Any]) -> dict[str, Any]:
    if shape[0] != 3:
        raise ParamError(f"expects 3-channel (RGB) images but gets {shape[0]} channels")
    return {}


def _build_resnet(kwargs: dict[str, Any]) -> nn.Module:
    return build_resnet18(**kwargs)


# ----------------------------------------------------------------------------- the catalogue

_CONV_COMMON = (
    flag_param("bias", True),
    ParamDef("padding_mode", "choice", "zeros", choices=("zeros", "reflect", "replicate", "circular")),
)

_LAYERS: tuple[LayerType, ...] = (
    LayerType(
        "Linear",
        "Linear",
        "Fully connected layer: y = xWᵀ + b.",
        (size_param("in_features", inferred=True), size_param("out_features", 10), flag_param("bias", True)),
        infer=last_dim("in_features"),
        module_class=nn.Linear,
        key_params=("out_features",),
        summarise=_linear_summary,
    ),
    LayerType(
        "Conv1d",
        "Convolution",
        "1-D convolution over (channels × length) inputs.",
        (
            size_param("in_channels", inferred=True),
            size_param("out_channels", 16),
            kernel_param("kernel_size", 3, 1),
            kernel_param("stride", 1, 1),
            padding_param(1),
            kernel_param("dilation", 1, 1),
            ParamDef("groups", "int", 1, 1, MAX_SIZE),
            *_CONV_COMMON,
        ),
        infer=first_dim("in_channels"),
        module_class=nn.Conv1d,
        input_ndim=(2,),
        key_params=("out_channels", "kernel_size"),
        summarise=conv_summary,
    ),
    LayerType(
        "Conv2d",
        "Convolution",
        "2-D convolution over (channels × height × width) images.",
        (
            size_param("in_channels", inferred=True),
            size_param("out_channels", 16),
            kernel_param("kernel_size", 3, 2),
            kernel_param("stride", 1, 2),
            padding_param(2),
            kernel_param("dilation", 1, 2),
            ParamDef("groups", "int", 1, 1, MAX_SIZE),
            *_CONV_COMMON,
        ),
        infer=first_dim("in_channels"),
        module_class=nn.Conv2d,
        input_ndim=(3,),
        key_params=("out_channels", "kernel_size"),
        summarise=conv_summary,
    ),
    LayerType(
        "MaxPool2d",
        "Pooling",
        "Keeps the largest value in each window; halves the size with 2×2.",
        (
            kernel_param("kernel_size", 2, 2),
            kernel_param("stride", None, 2, nullable=True),
            padding_param(2, allow_same=False),
            kernel_param("dilation", 1, 2),
            flag_param("ceil_mode", False),
        ),
        module_class=nn.MaxPool2d,
        input_ndim=(3,),
        key_params=("kernel_size",),
        summarise=pool_summary,
    ),
    LayerType(
        "AvgPool2d",
        "Pooling",
        "Averages each window; a smoother downsampling than max pooling.",
        (
            kernel_param("kernel_size", 2, 2),
            kernel_param("stride", None, 2, nullable=True),
            padding_param(2, allow_same=False),
            flag_param("ceil_mode", False),
            flag_param("count_include_pad", True),
        ),
        module_class=nn.AvgPool2d,
        input_ndim=(3,),
        key_params=("kernel_size",),
        summarise=pool_summary,
    ),
    LayerType(
        "AdaptiveAvgPool2d",
        "Pooling",
        "Averages down to a fixed output size, whatever the input size.",
        (kernel_param("output_size", 1, 2),),
        module_class=nn.AdaptiveAvgPool2d,
        input_ndim=(3,),
        key_params=("output_size",),
        summarise=output_size_summary,
    ),
    feature_norm(
        "BatchNorm1d",
        nn.BatchNorm1d,
        "Normalises each feature over the batch; speeds up training.",
        (1, 2),
        learned=True,
    ),
    feature_norm(
        "BatchNorm2d", nn.BatchNorm2d, "Normalises each channel over the batch; speeds up training.", (3,), learned=True
    ),
    LayerType(
        "LayerNorm",
        "Normalisation",
        "Normalises each sample over its last dimension.",
        (
            ParamDef("normalized_shape", "int_list", None, 1, MAX_SIZE, inferred=True),
            eps_param(),
            flag_param("elementwise_affine", True),
            flag_param("bias", True),
        ),
        infer=_layernorm_infer,
        module_class=nn.LayerNorm,
    ),
    LayerType(
        "Dropout",
        "Regularisation",
        "Zeroes random elements while training to reduce overfitting.",
        (prob_param(),),
        module_class=nn.Dropout,
        key_params=("p",),
        summarise=dropout_summary,
    ),
    LayerType(
        "Dropout2d",
        "Regularisation",
        "Zeroes whole random channels while training.",
        (prob_param(),),
        module_class=nn.Dropout2d,
        input_ndim=(3,),
        key_params=("p",),
        summarise=dropout_summary,
    ),
    LayerType(
        "Flatten",
        "Shape",
        "Turns each sample into one flat vector (for Linear layers).",
        (ParamDef("start_dim", "int", 1, -8, 8), ParamDef("end_dim", "int", -1, -8, 8)),
        module_class=nn.Flatten,
    ),
    LayerType(
        "Unflatten",
        "Shape",
        "Reshapes one dimension into several, e.g. 784 into 1×28×28.",
        (
            ParamDef("dim", "int", 1, -8, 8),
            ParamDef("unflattened_size", "int_list", [1, 28, 28], 1, MAX_SIZE),
        ),
        module_class=nn.Unflatten,
        key_params=("unflattened_size",),
    ),
    LayerType("ReLU", "Activation", "max(0, x): the default non-linearity.", module_class=nn.ReLU),
    LayerType(
        "LeakyReLU",
        "Activation",
        "Like ReLU but lets a small slope through for x < 0.",
        (ParamDef("negative_slope", "float", 0.01, 0.0, 10.0),),
        module_class=nn.LeakyReLU,
        key_params=("negative_slope",),
    ),
    LayerType(
        "ELU",
        "Activation",
        "Exponential linear unit: smooth for x < 0.",
        (ParamDef("alpha", "float", 1.0, 0.0, 100.0),),
        module_class=nn.ELU,
    ),
    LayerType(
        "GELU",
        "Activation",
        "Gaussian error linear unit, as used in transformers.",
        (ParamDef("approximate", "choice", "none", choices=("none", "tanh")),),
        module_class=nn.GELU,
    ),
    LayerType("SiLU", "Activation", "x·sigmoid(x), also called swish.", module_class=nn.SiLU),
    LayerType("Sigmoid", "Activation", "Squashes to (0, 1).", module_class=nn.Sigmoid),
    LayerType("Tanh", "Activation", "Squashes to (-1, 1).", module_class=nn.Tanh),
    LayerType(
        "Softmax",
        "Activation",
        "Turns scores into probabilities (not before CrossEntropyLoss).",
        (ParamDef("dim", "int", 1, -8, 8),),
        module_class=nn.Softmax,
    ),
    LayerType(
        "LogSoftmax",
        "Activation",
        "Log-probabilities; pair it with NLLLoss.",
        (ParamDef("dim", "int", 1, -8, 8),),
        module_class=nn.LogSoftmax,
    ),
    LayerType("Identity", "Shape", "Passes its input through unchanged.", module_class=nn.Identity),
    LayerType(
        "ResNet18",
        "Models",
        "Legacy: torchvision's ResNet-18 as one opaque block, kept for older projects; "
        "the ResNet-18 preset builds it from Residual blocks you can see and change.",
        (size_param("num_classes", 10),),
        infer=_resnet_infer,
        custom_build=_build_resnet,
        input_ndim=(3,),
        key_params=("num_classes",),
        summarise=_classes_summary,
    ),
    # Containers hold lanes of blocks (see containers.py); the compiler builds them from their lanes.
    LayerType(
        "Residual",
        "Containers",
        "Adds a shortcut around its body: body(x) + shortcut(x); an empty shortcut is the identity.",
        module_class=Residual,
    ),
    LayerType(
        "Parallel",
        "Containers",
        "Runs two or more lanes on the same input and joins them: concatenated along the channels "
        "(or features), or summed.",
        (ParamDef("merge", "choice", "concat", choices=MERGES, doc="how the lanes' outputs are joined"),),
        module_class=Parallel,
        key_params=("merge",),
        summarise=_merge_summary,
    ),
)

_ALL_LAYERS: tuple[LayerType, ...] = (
    *_LAYERS,
    *spatial_layers.LAYERS,
    *activation_layers.LAYERS,
    *sequence_layers.LAYERS,
)

#: Layer types by name, in palette order.
CATALOGUE: dict[str, LayerType] = {layer.name: layer for layer in _ALL_LAYERS}


def layer_type(name: str) -> LayerType:
    """The catalogue entry for ``name``; :class:`KeyError` with a helpful message if unknown."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"unknown layer type {name!r}") from None


def by_category() -> dict[str, list[LayerType]]:
    """Layer types grouped by category, in :data:`CATEGORIES` order (for the palette)."""
    groups: dict[str, list[LayerType]] = {c: [] for c in CATEGORIES}
    for layer in _ALL_LAYERS:
        groups[layer.category].append(layer)
    return groups
