"""Small networks with containers, built the way a learner builds them, for the container tests."""

from __future__ import annotations

from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def conv(channels: int, stride: int = 1, kernel: int = 3) -> LayerSpec:
    params = {"out_channels": channels, "kernel_size": kernel, "padding": kernel // 2, "bias": False}
    if stride != 1:
        params["stride"] = stride
    return LayerSpec("Conv2d", params)


def basic_block(channels: int, stride: int = 1, projection: bool = False) -> LayerSpec:
    """ResNet's basic block: conv, norm, ReLU, conv, norm; a projection shortcut where the shape changes."""
    body = [
        conv(channels, stride),
        LayerSpec("BatchNorm2d"),
        LayerSpec("ReLU"),
        conv(channels),
        LayerSpec("BatchNorm2d"),
    ]
    shortcut = [conv(channels, stride, kernel=1), LayerSpec("BatchNorm2d")] if projection else []
    return LayerSpec("Residual", lanes=[body, shortcut])


def residual_cnn() -> NetworkSpec:
    """Stem (blocks 1-3), a Residual with an identity shortcut (4), ReLU (5), a Residual with a
    projection shortcut (6), ReLU (7), a Parallel of two branches (8), then a head (9-11)."""
    branches = LayerSpec("Parallel", {"merge": "concat"}, lanes=[[conv(16, kernel=1)], [conv(16), LayerSpec("ReLU")]])
    layers = [
        conv(16),
        LayerSpec("BatchNorm2d"),
        LayerSpec("ReLU"),
        basic_block(16),
        LayerSpec("ReLU"),
        basic_block(32, stride=2, projection=True),
        LayerSpec("ReLU"),
        branches,
        LayerSpec("AdaptiveAvgPool2d", {"output_size": 1}),
        LayerSpec("Flatten"),
        LayerSpec("Linear", {"out_features": 10}),
    ]
    return NetworkSpec(layers, (3, 32, 32), "Residual CNN", TrainingConfig(dataset="cifar10"))
