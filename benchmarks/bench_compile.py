"""How long one compile of a 100-layer network takes, the GUI's cost per edit.

Prints the median time of ``compile_network`` (closed-form shapes) and, side by side in the same
run, of building and running every layer on the meta device (the general method it replaces), and
the ratio. Target from issue #2: under 20 ms for 100 layers.

    python benchmarks/bench_compile.py
"""

from __future__ import annotations

import statistics
import time

from gui_app.core.analysis.compiler import compile_network, measure_on_meta
from gui_app.core.layers.catalogue import CATALOGUE
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


if __name__ == "__main__":
    main()
