"""The layout each layer reads: what each dimension of its input means (without the batch).

C is channels (or the features of a step), L length or time, D, H, W depth, height and width, F
features. A shape alone does not say it: 16×100 is 16 channels of length 100 to a Conv1d and 16
steps of 100 features to an LSTM. The dimension names shown on the canvas
(:mod:`gui_app.core.analysis.dims`) and the shortcut offered for a Residual
(:mod:`gui_app.core.layers.container_shapes`) both read this one table.
"""

from __future__ import annotations

from collections.abc import Iterable

from gui_app.core.layers.catalogue import CATALOGUE

Names = tuple[str, ...]

CHANNELS_LENGTH: Names = ("C", "L")
CHANNELS_HEIGHT_WIDTH: Names = ("C", "H", "W")
CHANNELS_DEPTH_HEIGHT_WIDTH: Names = ("C", "D", "H", "W")
#: a sequence: one row of channels per step, as recurrent and attention layers read it
LENGTH_CHANNELS: Names = ("L", "C")
_ANY_CHANNELS_FIRST = (CHANNELS_LENGTH, CHANNELS_HEIGHT_WIDTH, CHANNELS_DEPTH_HEIGHT_WIDTH)


def _each(layouts: tuple[Names, ...], *type_names: str) -> dict[str, tuple[Names, ...]]:
    return dict.fromkeys(type_names, layouts)


#: Every layer that reads a particular layout: the layouts it takes, one per rank.
READS: dict[str, tuple[Names, ...]] = {
    **_each(
        (CHANNELS_LENGTH,),
        "Conv1d",
        "ConvTranspose1d",
        "MaxPool1d",
        "AvgPool1d",
        "AdaptiveAvgPool1d",
        "AdaptiveMaxPool1d",
        "InstanceNorm1d",
        "Dropout1d",
    ),
    "BatchNorm1d": (("F",), CHANNELS_LENGTH),
    **_each(
        (CHANNELS_HEIGHT_WIDTH,),
        "Conv2d",
        "ConvTranspose2d",
        "MaxPool2d",
        "AvgPool2d",
        "AdaptiveAvgPool2d",
        "AdaptiveMaxPool2d",
        "BatchNorm2d",
        "InstanceNorm2d",
        "Dropout2d",
        "PixelShuffle",
        "PixelUnshuffle",
        "ZeroPad2d",
        "ReflectionPad2d",
        "ReplicationPad2d",
        "ChannelShuffle",
        "Unfold",
        "ResNet18",
    ),
    **_each((CHANNELS_DEPTH_HEIGHT_WIDTH,), "Conv3d", "MaxPool3d", "AvgPool3d", "BatchNorm3d", "Dropout3d"),
    **_each(_ANY_CHANNELS_FIRST, "GroupNorm", "LocalResponseNorm", "Upsample"),
    **_each((LENGTH_CHANNELS,), "LSTM", "GRU", "RNN", "TransformerEncoderLayer", "SelfAttention"),
    #: token indices, one per step
    "Embedding": (("L",),),
}
#: Layers whose output means something else than their input.
_MAKES: dict[str, Names] = {"Embedding": LENGTH_CHANNELS, "Unfold": CHANNELS_LENGTH}
#: Categories whose layers leave the meaning of each dimension as it was.
_KEEPING_CATEGORIES = frozenset({"Activation", "Regularisation", "Normalisation", "Pooling"})
_KEEPING_TYPES = frozenset({"Identity", "ChannelShuffle"})


def reads(type_name: str, rank: int) -> Names | None:
    """The layout a layer of ``type_name`` reads in an input of ``rank`` dims; None if none is particular."""
    return next((names for names in READS.get(type_name, ()) if len(names) == rank), None)


def makes(type_name: str, rank: int) -> Names | None:
    """The layout a layer of ``type_name`` gives in an output of ``rank`` dims, if the layer says it."""
    made = _MAKES.get(type_name)
    return made if made is not None and len(made) == rank else reads(type_name, rank)


def keeps_layout(type_name: str) -> bool:
    """Whether the layer only changes values (or sizes), so each dimension means what it meant."""
    return type_name in _KEEPING_TYPES or CATALOGUE[type_name].category in _KEEPING_CATEGORIES


def first_deciding(type_names: Iterable[str]) -> str | None:
    """The first of a chain's layers that reads a layout or changes what the dimensions mean.

    Layers that keep the layout (a ReLU, a Dropout) are passed over; None when all of them do.
    """
    return next((name for name in type_names if name in READS or not keeps_layout(name)), None)
