"""How long one edit takes on a 100-block network: recompile, lint, update the canvas, repaint.

Run: ``OMP_NUM_THREADS=1 QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_canvas_edit.py``

One parameter edit goes through the real path (Document -> undo command -> compile -> update of
the blocks it changed -> inspector refresh -> synchronous viewport repaint). For comparison, the
same run measures a full rebuild of the scene (what a naive canvas would do on every edit) and the compiler alone, and
prints medians and ratios measured side by side. The issue's target is under 50 ms per edit.

A second network has 100 blocks of which 20 are containers (Residuals with 4 blocks in the
body), every one expanded: the same three measures, plus a structural edit inside a lane (a block
added to a body and taken out again: the tree is laid out again and items move) and collapsing or
expanding all 20 containers.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch
from PySide6.QtWidgets import QApplication

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.project.blocks import Lane, count_blocks
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.ui.canvas import NetworkCanvas, NetworkScene
from gui_app.ui.document.document import Document
from gui_app.ui.editing.inspector import LayerInspector
from gui_app.ui.theme import apply_theme

BLOCKS = 100
ROUNDS = int(os.environ.get("ROUNDS", "40"))


def hundred_blocks() -> NetworkSpec:
    """A CNN stem then a deep MLP: 100 blocks of varied types."""
    layers = [
        LayerSpec("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        LayerSpec("BatchNorm2d"),
        LayerSpec("ReLU"),
        LayerSpec("MaxPool2d"),
        LayerSpec("Flatten"),
    ]
    while len(layers) < BLOCKS - 1:
        layers += [LayerSpec("Linear", {"out_features": 64}), LayerSpec("ReLU")]
    layers = [*layers[: BLOCKS - 1], LayerSpec("Linear", {"out_features": 10})]
    return NetworkSpec(layers, (1, 28, 28), "bench")


def with_containers() -> NetworkSpec:
    """20 Residuals of Conv2d, BatchNorm2d, ReLU, Conv2d in the body: 100 blocks, 20 of them containers."""
    layers = []
    for _ in range(20):
        body = [
            LayerSpec("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
            LayerSpec("BatchNorm2d"),
            LayerSpec("ReLU"),
            LayerSpec("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ]
        layers.append(LayerSpec("Residual", lanes=[body, []]))
    return NetworkSpec(layers, (16, 16, 16), "bench containers")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def rebuild_ms(app, canvas: NetworkCanvas, doc: Document) -> float:
    """One full rebuild of the scene (a new scene, laid out and painted), timed."""
    t0 = time.perf_counter()
    scene = NetworkScene(doc)
    old = canvas.scene()
    canvas.setScene(scene)
    canvas.viewport().repaint()
    elapsed = time.perf_counter() - t0
    canvas.setScene(old)
    scene.detach()
    scene.deleteLater()
    app.processEvents()
    return elapsed


def timed(action, canvas: NetworkCanvas) -> float:
    t0 = time.perf_counter()
    action()
    canvas.viewport().repaint()
    return time.perf_counter() - t0


def bench_containers(app) -> None:
    doc = Document(with_containers())
    blocks = count_blocks(doc.spec.layers)
    assert blocks == BLOCKS and doc.compiled.ok, doc.first_problem()
    canvas = NetworkCanvas(doc)
    canvas.resize(900, 1000)
    canvas.show()
    canvas.fit()
    app.processEvents()
    scene = canvas.network_scene
    middle = doc.spec.layers[10]
    conv = middle.lanes[0][0]
    body = Lane(middle.uid, 0)
    edit, structural, rebuild, compile_only, collapse = [], [], [], [], []
    for i in range(ROUNDS):
        edit.append(timed(lambda i=i: doc.set_param(conv.uid, "out_channels", 16 + (i % 2) * 8), canvas))
        doc.set_param(conv.uid, "out_channels", 16)
        structural.append(timed(lambda: doc.add_layer("Dropout", 2, lane=body), canvas))
        structural.append(timed(doc.undo, canvas))
        t0 = time.perf_counter()
        compile_network(doc.spec)
        compile_only.append(time.perf_counter() - t0)
        rebuild.append(rebuild_ms(app, canvas, doc))
        collapse.append(timed(lambda: scene.set_collapsed(scene.containers(), True), canvas))
        collapse.append(timed(lambda: scene.set_collapsed(scene.containers(), False), canvas))
    e, st, r, c, co = (median_ms(x) for x in (edit, structural, rebuild, compile_only, collapse))
    print(f"{blocks}-block network with 20 expanded containers, median of {ROUNDS} rounds")
    print(f"  param edit of an inner block, recompile + update in place + repaint: {e:7.2f} ms")
    print(f"  block added to (or taken out of) a lane, layout + sync + repaint:   {st:7.2f} ms")
    print(f"  compiler alone:                                                     {c:7.2f} ms")
    print(f"  rebuilding the whole scene + repaint (no compile):                  {r:7.2f} ms")
    print(f"  collapsing or expanding all 20 containers:                          {co:7.2f} ms")
    print(f"  target < 50 ms per edit: {'met' if max(e, st) < 50 else 'NOT met'}")


def main() -> None:
    torch.set_num_threads(1)
    app = QApplication.instance() or QApplication([])
    apply_theme(app, dark=False)
    doc = Document(hundred_blocks())
    assert len(doc.spec.layers) == BLOCKS and doc.compiled.ok, doc.first_problem()
    canvas = NetworkCanvas(doc)
    inspector = LayerInspector(doc)
    canvas.resize(900, 1000)
    canvas.show()
    inspector.show()
    canvas.fit()  # all 100 blocks on screen: the worst case for repainting
    app.processEvents()
    middle = doc.spec.layers[51]
    assert middle.type == "Linear"
    canvas.network_scene.select_uids([middle.uid])
    app.processEvents()

    edit, compile_only, rebuild = [], [], []
    for i in range(ROUNDS):
        value = 64 + (i % 2) * 32  # its shape, the next Linear's size and the totals change
        t0 = time.perf_counter()
        doc.set_param(middle.uid, "out_features", value)
        canvas.viewport().repaint()
        edit.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        compile_network(doc.spec)
        compile_only.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        scene = NetworkScene(doc)
        old = canvas.scene()
        canvas.setScene(scene)
        canvas.viewport().repaint()
        rebuild.append(time.perf_counter() - t0)
        canvas.setScene(old)
        scene.detach()
        scene.deleteLater()
        app.processEvents()

    assert doc.undo_stack.count() == 1  # merged: one parameter, one undo step
    e, c, r = median_ms(edit), median_ms(compile_only), median_ms(rebuild)
    print(f"{BLOCKS}-block network, median of {ROUNDS} rounds (torch threads: 1)")
    print(f"  one edit, recompile + lint + update in place + repaint: {e:7.2f} ms")
    print(f"  compiler alone:                                         {c:7.2f} ms")
    print(f"  rebuilding the whole scene + repaint (no compile):      {r:7.2f} ms")
    print(f"  ratio full rebuild / in-place edit: {r / e:.2f}x; the in-place canvas work is {e - c:.2f} ms")
    print(f"  target < 50 ms per edit: {'met' if e < 50 else 'NOT met'}")
    bench_containers(app)


if __name__ == "__main__":
    main()
