"""torchvision's ResNet-18 as one block, built without downloading anything.

torchvision is imported here lazily, so the rest of the core (and a frozen app that never uses
ResNet) does not pay for it. The desktop bundle leaves torchvision out (docs/packaging.md), so a
missing torchvision is a message on the block, not a traceback.
"""

from torch import nn

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
