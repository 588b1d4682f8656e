"""Catalogue entries for images, volumes and signals beyond the basic 2-D ones.

Transposed and 3-D convolutions, 1-D and 3-D pooling, group and instance normalisation,
upsampling and padding: the layers of torchvision's model zoo and of a first course's
segmentation, super-resolution and audio examples.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from gui_app.core.layers.definitions import (
    MAX_KERNEL,
    MAX_SIZE,
    LayerType,
    ParamDef,
    ParamError,
    Shape,
    conv_summary,
    eps_param,
    feature_norm,
    first_dim,
    flag_param,
    kernel_param,
    output_size_summary,
    padding_param,
    pool_summary,
    size_param,
)

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _conv_params(dims: int, *, transposed: bool) -> tuple[ParamDef, ...]:
    common = (
        size_param("in_channels", inferred=True),
        size_param("out_channels", 16),
        kernel_param("kernel_size", 3, dims),
        kernel_param("stride", 1, dims),
        padding_param(dims, allow_same=not transposed),
    )
    if transposed:
        extra: tuple[ParamDef, ...] = (
            ParamDef(
                "output_padding",
                "int_or_tuple",
                0,
                0,
                MAX_KERNEL,
                tuple_len=dims,
                doc="extra rows/columns on one side of the output, to pick between sizes (less than the stride)",
            ),
        )
    else:
        extra = ()
    return (
        *common,
        *extra,
        kernel_param("dilation", 1, dims),
        ParamDef("groups", "int", 1, 1, MAX_SIZE),
        flag_param("bias", True),
        *((ParamDef("padding_mode", "choice", "zeros", choices=_PADDING_MODES),) if not transposed else ()),
    )


def _conv(name: str, cls: type[nn.Module], dims: int, description: str, *, transposed: bool = False) -> LayerType:
    return LayerType(
        name,
        "Convolution",
        description,
        _conv_params(dims, transposed=transposed),
        infer=first_dim("in_channels"),
        module_class=cls,
        input_ndim=(dims + 1,),
        key_params=("out_channels", "kernel_size"),
        summarise=conv_summary,
    )


def _max_pool(name: str, cls: type[nn.Module], dims: int) -> LayerType:
    return LayerType(
        name,
        "Pooling",
        f"Keeps the largest value in each window of a {dims}-D input.",
        (
            kernel_param("kernel_size", 2, dims),
            kernel_param("stride", None, dims, nullable=True),
            padding_param(dims, allow_same=False),
            kernel_param("dilation", 1, dims),
            flag_param("ceil_mode", False),
        ),
        module_class=cls,
        input_ndim=(dims + 1,),
        key_params=("kernel_size",),
        summarise=pool_summary,
    )


def _avg_pool(name: str, cls: type[nn.Module], dims: int) -> LayerType:
    return LayerType(
        name,
        "Pooling",
        f"Averages each window of a {dims}-D input.",
        (
            kernel_param("kernel_size", 2, dims),
            kernel_param("stride", None, dims, nullable=True),
            padding_param(dims, allow_same=False),
            flag_param("ceil_mode", False),
            flag_param("count_include_pad", True),
        ),
        module_class=cls,
        input_ndim=(dims + 1,),
        key_params=("kernel_size",),
        summarise=pool_summary,
    )


def _adaptive(name: str, cls: type[nn.Module], dims: int, what: str) -> LayerType:
    return LayerType(
        name,
        "Pooling",
        f"{what} down to a fixed output size, whatever the input size.",
        (kernel_param("output_size", 1, dims),),
        module_class=cls,
        input_ndim=(dims + 1,),
        key_params=("output_size",),
        summarise=output_size_summary,
    )


def _group_norm_infer(shape: Shape, given: Mapping[str, Any]) -> dict[str, Any]:
    groups = given.get("num_groups", 2)
    if shape[0] % groups:
        raise ParamError(f"num_groups ({groups}) must divide the {shape[0]} channels")
    return {"num_channels": shape[0]}


def _instance_norm(name: str, cls: type[nn.Module], dims: int) -> LayerType:
    description = "Normalises each channel of each sample on its own (style transfer, small batches)."
    return feature_norm(name, cls, description, (dims + 1,), learned=False)


def _pad(name: str, cls: type[nn.Module], description: str) -> LayerType:
    return LayerType(
        name,
        "Upsampling and padding",
        description,
        (
            ParamDef(
                "padding",
                "int_or_tuple",
                1,
                0,
                MAX_KERNEL,
                tuple_len=4,
                doc="one size for all sides, or [left, right, top, bottom]",
            ),
        ),
        module_class=cls,
        input_ndim=(3,),
        key_params=("padding",),
    )


def _factor(name: str, doc: str) -> ParamDef:
    return ParamDef(name, "int", 2, 1, 64, doc=doc)


_UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear")

LAYERS: tuple[LayerType, ...] = (
    _conv(
        "ConvTranspose1d",
        nn.ConvTranspose1d,
        1,
        "Transposed 1-D convolution: learns to upsample (channels × length) signals.",
        transposed=True,
    ),
    _conv(
        "ConvTranspose2d",
        nn.ConvTranspose2d,
        2,
        "Transposed 2-D convolution: learns to upsample images (decoders, GANs, U-Nets).",
        transposed=True,
    ),
    _conv("Conv3d", nn.Conv3d, 3, "3-D convolution over (channels × depth × height × width) volumes or clips."),
    _max_pool("MaxPool1d", nn.MaxPool1d, 1),
    _max_pool("MaxPool3d", nn.MaxPool3d, 3),
    _avg_pool("AvgPool1d", nn.AvgPool1d, 1),
    _avg_pool("AvgPool3d", nn.AvgPool3d, 3),
    _adaptive("AdaptiveAvgPool1d", nn.AdaptiveAvgPool1d, 1, "Averages"),
    _adaptive("AdaptiveMaxPool1d", nn.AdaptiveMaxPool1d, 1, "Keeps the largest values"),
    _adaptive("AdaptiveMaxPool2d", nn.AdaptiveMaxPool2d, 2, "Keeps the largest values"),
    feature_norm(
        "BatchNorm3d", nn.BatchNorm3d, "Normalises each channel of a volume over the batch.", (4,), learned=True
    ),
    LayerType(
        "GroupNorm",
        "Normalisation",
        "Normalises groups of channels within each sample; works with any batch size.",
        (
            ParamDef("num_groups", "int", 2, 1, MAX_SIZE, doc="must divide the number of channels"),
            size_param("num_channels", inferred=True),
            eps_param(),
            flag_param("affine", True),
        ),
        infer=_group_norm_infer,
        module_class=nn.GroupNorm,
        input_ndim=(2, 3, 4),
        key_params=("num_groups",),
    ),
    _instance_norm("InstanceNorm1d", nn.InstanceNorm1d, 1),
    _instance_norm("InstanceNorm2d", nn.InstanceNorm2d, 2),
    LayerType(
        "LocalResponseNorm",
        "Normalisation",
        "Normalises each value by its neighbouring channels, as AlexNet did.",
        (
            ParamDef("size", "int", 5, 1, 1024, doc="how many neighbouring channels"),
            ParamDef("alpha", "float", 1e-4, 0.0, 10.0),
            ParamDef("beta", "float", 0.75, 0.0, 10.0),
            ParamDef("k", "float", 1.0, 0.0, 100.0),
        ),
        module_class=nn.LocalResponseNorm,
        input_ndim=(2, 3, 4),
        key_params=("size",),
    ),
    LayerType(
        "Upsample",
        "Upsampling and padding",
        "Scales the input up (or down) by a factor, with no weights to learn.",
        (
            ParamDef("scale_factor", "float", 2.0, 0.1, 16.0),
            ParamDef(
                "mode",
                "choice",
                "nearest",
                choices=_UPSAMPLE_MODES,
                doc="linear for (channels × length), bilinear or bicubic for images, trilinear for volumes",
            ),
        ),
        module_class=nn.Upsample,
        input_ndim=(2, 3, 4),
        key_params=("scale_factor", "mode"),
    ),
    LayerType(
        "PixelShuffle",
        "Upsampling and padding",
        "Rearranges C·r² channels into an image r times larger (sub-pixel convolution).",
        (_factor("upscale_factor", "r: the channels must be a multiple of r²"),),
        module_class=nn.PixelShuffle,
        input_ndim=(3,),
        key_params=("upscale_factor",),
    ),
    LayerType(
        "PixelUnshuffle",
        "Upsampling and padding",
        "The inverse of PixelShuffle: an image r times smaller with r² times the channels.",
        (_factor("downscale_factor", "r: the height and width must be multiples of r"),),
        module_class=nn.PixelUnshuffle,
        input_ndim=(3,),
        key_params=("downscale_factor",),
    ),
    _pad("ZeroPad2d", nn.ZeroPad2d, "Adds a border of zeros around each image."),
    _pad("ReflectionPad2d", nn.ReflectionPad2d, "Adds a border that mirrors the image's edge (less edge artefacts)."),
    _pad("ReplicationPad2d", nn.ReplicationPad2d, "Adds a border that repeats the image's edge pixels."),
    LayerType(
        "ChannelShuffle",
        "Shape",
        "Interleaves the channels of its groups, as ShuffleNet does between grouped convolutions.",
        (ParamDef("groups", "int", 2, 1, MAX_SIZE, doc="must divide the number of channels"),),
        module_class=nn.ChannelShuffle,
        input_ndim=(3,),
        key_params=("groups",),
    ),
    LayerType(
        "Unfold",
        "Shape",
        "Cuts an image into sliding patches: (C·k·k) × number of patches.",
        (
            kernel_param("kernel_size", 3, 2),
            kernel_param("dilation", 1, 2),
            ParamDef("padding", "int_or_tuple", 0, 0, MAX_KERNEL, tuple_len=2),
            kernel_param("stride", 1, 2),
        ),
        module_class=nn.Unfold,
        input_ndim=(3,),
        key_params=("kernel_size",),
    ),
)
