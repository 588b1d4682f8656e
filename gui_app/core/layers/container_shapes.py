"""What comes out of a container, given what its lanes give, and how to fix a shape that does not fit.

The compiler infers each lane's shapes; these functions join them as the container's module does
(a sum for a Residual, a concatenation along dim 1 or a sum for a Parallel). A Residual whose
shortcut does not match its body gets an error whose text says the fix ResNet uses, a 1×1
convolution with a stride plus batch norm (for a sequence, a Linear plus layer norm), and the same
fix as data (:class:`SuggestedFix`), so a view can offer it as one click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gui_app.core.layers.catalogue import ParamError
from gui_app.core.layers.containers import SHORTCUT
from gui_app.core.layers.layouts import LENGTH_CHANNELS, first_deciding, reads

Shape = tuple[int, ...]
#: The projection's blocks per input rank: (its layer, the size it sets, the norm after it).
_PROJECTIONS = {1: ("Linear", "out_features", "BatchNorm1d"), 2: ("Conv1d", "out_channels", "BatchNorm1d")}
_PROJECTIONS[3] = ("Conv2d", "out_channels", "BatchNorm2d")


@dataclass(frozen=True)
class SuggestedFix:
    """An edit that removes a container's error: give lane ``lane`` of the container exactly ``blocks``.

    ``blocks`` are ``(type, params)`` pairs, as a project file writes them; ``text`` says the same
    in words (it is part of the error message).
    """

    text: str
    lane: int
    blocks: tuple[tuple[str, dict[str, Any]], ...] = field(default=())


class ContainerShapeError(ParamError):
    """A container's lanes give shapes it cannot join; ``fix`` is the suggested edit, if there is one."""

    def __init__(self, message: str, fix: SuggestedFix | None = None) -> None:
        super().__init__(message)
        self.fix = fix


def _fmt(shape: Shape) -> str:
    return "×".join(str(d) for d in shape) if shape else "a scalar"


def residual_output(
    input_shape: Shape, body: Shape, shortcut: Shape, shortcut_is_empty: bool, body_types: Sequence[str] = ()
) -> Shape:
    """The shape of ``body(x) + shortcut(x)``; :class:`ContainerShapeError` with a fix when they differ.

    ``body_types`` are the types of the body's blocks: its first reader says whether a 2-D input is
    a sequence (length × channels) or a signal (channels × length), which take different fixes.
    """
    if body == shortcut:
        return body
    fix = projection_fix(
        input_shape, body, replace=not shortcut_is_empty, sequence=is_sequence(body_types, len(input_shape))
    )
    message = f"the body gives {_fmt(body)} but the shortcut gives {_fmt(shortcut)}; they are added, so they must match"
    if fix is not None:
        message += f": {fix.text}"
    else:
        message += "; keep the body's number of dimensions, or give the shortcut blocks that make the same shape"
    raise ContainerShapeError(message, fix)


def is_sequence(body_types: Sequence[str], rank: int) -> bool:
    """Whether a ``rank``-dim input the body reads is a sequence, (length, channels).

    The body's first block that reads a layout says so (an LSTM, a TransformerEncoderLayer, or a
    Linear, which maps the last dimension); a Conv1d or anything else reads (channels, length).
    """
    if rank != 2:
        return False
    first = first_deciding(body_types)
    return first == "Linear" or (first is not None and reads(first, rank) == LENGTH_CHANNELS)


def projection_fix(
    input_shape: Shape, wanted: Shape, *, replace: bool = False, sequence: bool = False
) -> SuggestedFix | None:
    """The shortcut that turns ``input_shape`` into ``wanted`` as ResNet's downsampling does, if one can.

    A 1×1 convolution (a Linear for flat features) sets the channels, its stride the spatial size,
    and a batch norm follows. A ``sequence`` (length, channels) gets a Linear on its channels and a
    LayerNorm, as a transformer block projects. None when no stride gives ``wanted`` (it is larger,
    or of another rank), or a sequence's length changed.
    """
    if sequence:
        return _sequence_fix(input_shape, wanted, replace)
    projection = _PROJECTIONS.get(len(input_shape))
    if projection is None or len(wanted) != len(input_shape):
        return None
    layer, size_key, norm = projection
    strides = [_stride(n, w) for n, w in zip(input_shape[1:], wanted[1:], strict=True)]
    if any(s is None for s in strides):
        return None
    params: dict[str, Any] = {size_key: wanted[0], "bias": False}
    if layer != "Linear":
        params["kernel_size"] = 1
        stride = strides[0] if len(set(strides)) == 1 else strides
        if stride != 1:
            params["stride"] = stride
    where = _where(replace)
    if layer == "Linear":
        words = f"a Linear with {wanted[0]} outputs"
    else:
        stride_words = "" if params.get("stride", 1) == 1 else f" and stride {_stride_text(params['stride'])}"
        words = f"a 1×1 {layer} with {wanted[0]} output channels{stride_words}"
    text = f"put {words}, then a {norm}, {where}, as ResNet does"
    return SuggestedFix(text, SHORTCUT, ((layer, params), (norm, {})))


def _sequence_fix(input_shape: Shape, wanted: Shape, replace: bool) -> SuggestedFix | None:
    """A Linear that maps each step's channels to the body's, then a LayerNorm; the length must be kept."""
    if len(wanted) != 2 or wanted[0] != input_shape[0]:
        return None
    params = {"out_features": wanted[1]}
    text = f"put a Linear with {wanted[1]} out_features, then a LayerNorm, {_where(replace)}, so each step is projected"
    return SuggestedFix(text, SHORTCUT, (("Linear", params), ("LayerNorm", {})))


def _where(replace: bool) -> str:
    return "in place of the shortcut's blocks" if replace else "in the shortcut"


def _stride(size: int, wanted: int) -> int | None:
    """The smallest stride by which a 1×1 kernel maps ``size`` to ``wanted`` elements, or None."""
    if wanted < 1 or wanted > size:
        return None
    if wanted == 1:
        return size
    stride = (size - 1) // wanted + 1
    return stride if stride * (wanted - 1) <= size - 1 else None


def _stride_text(stride: Any) -> str:
    return "×".join(str(s) for s in stride) if isinstance(stride, list) else str(stride)


def parallel_output(shapes: list[tuple[str, Shape]], merge: str) -> Shape:
    """The shape of a Parallel's merged output, given each lane's ``(name, shape)``."""
    first_name, first = shapes[0]
    if merge == "sum":
        for name, shape in shapes[1:]:
            if shape != first:
                raise ParamError(
                    f"{first_name} gives {_fmt(first)} but {name} gives {_fmt(shape)}; "
                    "they are summed, so they must match (or merge by concat)"
                )
        return first
    for name, shape in shapes[1:] if first else shapes:
        if not shape or len(shape) != len(first) or shape[1:] != first[1:]:
            rest = _fmt(first[1:]) if len(first) > 1 else "nothing"
            raise ParamError(
                f"{first_name} gives {_fmt(first)} but {name} gives {_fmt(shape)}; they are joined along "
                f"the first dimension (channels or features), so the sizes after it must match ({rest} here)"
            )
    return (sum(shape[0] for _, shape in shapes), *first[1:])
