"""torchvision's ResNet-18: the legacy opaque block, and its weights in the ResNet-18 preset.

The ``ResNet18`` block stays so that projects saved before containers open unchanged; the preset
builds the same network from Residual blocks, and :func:`preset_state_dict_of_torchvision` renames
torchvision's weights for it.

torchvision is imported here lazily, so the rest of the core (and a frozen app that never uses
ResNet) does not pay for it. The desktop bundle leaves torchvision out (docs/packaging.md), so a
missing torchvision is a message on the block, not a traceback.
"""

from collections.abc import Mapping

from torch import Tensor, nn

#: Shown on the ResNet-18 block when torchvision cannot be imported.
NO_TORCHVISION = "ResNet-18 needs torchvision, which this copy of NetBuilder does not include (pip install torchvision)"


def build_resnet18(num_classes: int = 10) -> nn.Module:
    """A randomly initialised ``torchvision.models.resnet18`` with ``num_classes`` outputs."""
    try:
        from torchvision.models import resnet18
    except ImportError as exc:
        # A RuntimeError: the compiler reports it on the layer, like a shape error.
        raise RuntimeError(NO_TORCHVISION) from exc
    return resnet18(weights=None, num_classes=num_classes)


# ---------------------------------------------------------------------- torchvision's weights in the preset

#: The top-level blocks of the ResNet-18 preset (resources/presets/cifar10_resnet18.json): the stem
#: (Conv2d 7×7 stride 2, BatchNorm2d, ReLU, MaxPool2d) at 0-3, then per basic block a Residual
#: and a ReLU, four stages of two, and AdaptiveAvgPool2d, Flatten, Linear at 20-22.
_STEM = {"conv1": "0", "bn1": "1"}
_HEAD = {"fc": "22"}
_FIRST_BLOCK = 4
#: Inside a basic block: torchvision's module name -> the preset's lane and index in it.
_IN_BLOCK = {
    "conv1": "body.0",
    "bn1": "body.1",
    "conv2": "body.3",
    "bn2": "body.4",
    "downsample.0": "shortcut.0",
    "downsample.1": "shortcut.1",
}


def preset_key_of_torchvision(key: str) -> str:
    """The ResNet-18 preset's state_dict key for a key of torchvision's ``resnet18``.

    ``conv1.weight`` -> ``0.weight``, ``bn1.*`` -> ``1.*``, ``fc.*`` -> ``22.*``; in stage ``s`` (1-4),
    basic block ``b`` (0-1), ``layer{s}.{b}.conv1.weight`` -> ``{t}.body.0.weight`` with
    ``t = 4 + 2 * (2 * (s - 1) + b)`` (the Residual; the ReLU after it is ``t + 1``), ``bn1`` -> ``body.1``,
    ``conv2`` -> ``body.3``, ``bn2`` -> ``body.4``, ``downsample.0`` / ``.1`` -> ``shortcut.0`` / ``.1``.
    :class:`ValueError` for a key torchvision's ResNet-18 does not have.
    """
    module, _, leaf = key.rpartition(".")
    top = _STEM.get(module) or _HEAD.get(module)
    if top is not None:
        return f"{top}.{leaf}"
    parts = module.split(".", 2)
    if len(parts) == 3 and parts[0] in ("layer1", "layer2", "layer3", "layer4") and parts[1] in ("0", "1"):
        inner = _IN_BLOCK.get(parts[2])
        if inner is not None:
            block = _FIRST_BLOCK + 2 * (2 * (int(parts[0][-1]) - 1) + int(parts[1]))
            return f"{block}.{inner}.{leaf}"
    raise ValueError(f"{key}: not a weight of torchvision's ResNet-18")


def preset_state_dict_of_torchvision(state_dict: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """torchvision ``resnet18`` weights renamed for the ResNet-18 preset (``load_state_dict`` takes them)."""
    return {preset_key_of_torchvision(key): value for key, value in state_dict.items()}
