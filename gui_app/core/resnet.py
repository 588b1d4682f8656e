"""torchvision's ResNet-18 as one block, built without downloading anything.

torchvision is imported here lazily, so the rest of the core (and a frozen app that never uses
ResNet) does not pay for it.
"""

from torch import nn


def build_resnet18(num_classes: int = 10) -> nn.Module:
    """A randomly initialised ``torchvision.models.resnet18`` with ``num_classes`` outputs."""
    from torchvision.models import resnet18

    return resnet18(weights=None, num_classes=num_classes)
