"""How long one compile of a 100-layer network takes, the GUI's cost per edit.

Prints the median time of ``compile_network`` (closed-form shapes) and, side by side in the same
run, of building and running every layer on the meta device (the general method it replaces), and
the ratio. Target from issue #2: under 20 ms for 100 layers. Then the same for a network of 100
blocks of which 20 are containers (Residual and Parallel, some nested), the target of issue #16.

    python benchmarks/bench_compile.py
"""

from __future__ import annotations

import statistics
import time

from gui_app.core.analysis.compiler import compile_network, measure_on_meta
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.blocks import count_blocks, walk
from gui_app.core.project.spec import LayerSpec, NetworkSpec


def hundred_layer_cnn() -> NetworkSpec:
    """20 conv blocks (Conv, BatchNorm, ReLU, Dropout) on 32×32 images, then a deep MLP head: 100 layers."""
    layers: list[LayerSpec] = []
    for i in range(20):
        layers += [
            LayerSpec("Conv2d", {"out_channels": 16 + i, "kernel_size": 3, "padding": 1}),
            LayerSpec("BatchNorm2d"),
            LayerSpec("ReLU"),
            LayerSpec("Dropout2d", {"p": 0.1}),
        ]
    layers += [LayerSpec("AdaptiveAvgPool2d", {"output_size": 2}), LayerSpec("Flatten")]
    while len(layers) < 99:
        layers += [LayerSpec("Linear", {"out_features": 64}), LayerSpec("ReLU")]
    layers = [*layers[:99], LayerSpec("Linear", {"out_features": 10})]
    return NetworkSpec(layers, input_shape=(3, 32, 32))


def containers_network() -> NetworkSpec:
    """100 blocks, 20 of them containers: a ResNet-like stack of 8 Residuals (2 with a projection
    shortcut), 4 Parallels of two lanes, each lane holding a nested Residual, and a head."""
    layers: list[LayerSpec] = [LayerSpec("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1})]
    channels = 16
    for i in range(8):
        width = channels * 2 if i % 3 == 2 else channels
        stride = 2 if width != channels else 1
        body = [
            LayerSpec("Conv2d", {"out_channels": width, "kernel_size": 3, "stride": stride, "padding": 1}),
            LayerSpec("BatchNorm2d"),
            LayerSpec("ReLU"),
            LayerSpec("Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1}),
            LayerSpec("BatchNorm2d"),
        ]
        shortcut = (
            []
            if stride == 1
            else [
                LayerSpec("Conv2d", {"out_channels": width, "kernel_size": 1, "stride": 2}),
                LayerSpec("BatchNorm2d"),
            ]
        )
        layers += [LayerSpec("Residual", lanes=[body, shortcut])]
        channels = width
    for _ in range(4):
        lanes = [
            [LayerSpec("Residual", lanes=[[LayerSpec("Conv2d", {"out_channels": channels, "padding": 1})], []])]
            for _ in range(2)
        ]
        layers += [LayerSpec("Parallel", {"merge": "sum"}, lanes=lanes), LayerSpec("ReLU")]
    layers += [LayerSpec("AdaptiveAvgPool2d", {"output_size": 1}), LayerSpec("Flatten")]
    while count_blocks(layers) < 99:
        layers += [LayerSpec("Linear", {"out_features": 32})]
    layers += [LayerSpec("Linear", {"out_features": 10})]
    return NetworkSpec(layers, input_shape=(3, 32, 32))


def all_on_meta(spec: NetworkSpec) -> None:
    shape = tuple(spec.input_shape)
    for layer in spec.layers:
        kwargs = CATALOGUE[layer.type].resolve(layer.params, shape)
        shape = measure_on_meta(layer.type, kwargs, shape).output_shape


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    spec = hundred_layer_cnn()
    assert len(spec.layers) == 100 and compile_network(spec).ok
    ours = median_ms(lambda: compile_network(spec), 200)
    meta = median_ms(lambda: all_on_meta(spec), 10)
    print(f"100-layer network: compile_network {ours:.2f} ms (median of 200), target < 20 ms")
    print(f"same network, every layer built and run on the meta device: {meta:.1f} ms (median of 10)")
    print(f"ratio meta / compile_network: {meta / ours:.0f}x")
    nested = containers_network()
    containers = sum(1 for place in walk(nested.layers) if place.block.lanes is not None)
    assert count_blocks(nested.layers) == 100 and containers == 20 and compile_network(nested).ok
    timed = median_ms(lambda: compile_network(nested), 200)
    print(f"100 blocks, 20 of them containers: compile_network {timed:.2f} ms (median of 200), target < 20 ms")


if __name__ == "__main__":
    main()
