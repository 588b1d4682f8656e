"""Warnings about networks that compile but are almost surely wrong.

Each warning names its layer (or ``None`` for the network as a whole), says what is wrong and
how to fix it. The rules come from mistakes that real tutorials ship, such as a Softmax before
CrossEntropyLoss, or two Linear layers with nothing between them.
"""

from __future__ import annotations

from dataclasses import dataclass

from gui_app.core.analysis.compiler import CompiledNetwork, compile_network
from gui_app.core.analysis.fixes import (
    Fix,
    InsertLayers,
    RemoveLayer,
    ReplaceLayer,
    SetInputShape,
    SetLoss,
    SetParams,
    flatten_before,
)
from gui_app.core.analysis.messages import block_name
from gui_app.core.project.spec import NetworkSpec

NONLINEAR = {"ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax"}
#: Layers that neither mix nor bend values: they do not separate two Linear layers.
PASS_THROUGH = {"Dropout", "Dropout2d", "Identity", "Flatten", "Unflatten", "BatchNorm1d", "LayerNorm"}
CLASS_INDEX_LOSSES = {"CrossEntropyLoss", "NLLLoss"}
#: Activations whose outputs are bounded (above, below or both), with the range they leave the
#: class scores. CrossEntropyLoss wants raw, unbounded scores (logits): a bounded score cannot
#: grow far enough for a confident answer, and one clipped from below cannot push a wrong class
#: down (ReLU's zero gradient below 0 also leaves such a score stuck).
BOUNDED_ACTIVATIONS = {
    "ReLU": "0 or more (and stuck at 0 wherever the input is negative)",
    "ELU": "{negative} or more",
    "GELU": "about -0.17 or more",
    "SiLU": "about -0.28 or more",
    "Sigmoid": "between 0 and 1",
    "Tanh": "between -1 and 1",
}
#: Layers after the last activation that leave its range as it is.
RANGE_KEEPING = {"Dropout", "Identity", "Flatten", "Unflatten"}
REGRESSION_LOSSES = {"MSELoss", "L1Loss", "SmoothL1Loss"}


@dataclass(frozen=True)
class DatasetFacts:
    """What lint needs to know about a dataset: its display name, sample shape and classes."""

    title: str
    sample_shape: tuple[int, ...] | None
    classes: int | None  # None: a regression target


DATASET_FACTS = {
    "mnist": DatasetFacts("MNIST", (1, 28, 28), 10),
    "fashion_mnist": DatasetFacts("Fashion-MNIST", (1, 28, 28), 10),
    "cifar10": DatasetFacts("CIFAR-10", (3, 32, 32), 10),
    "linear_regression": DatasetFacts("the linear-regression data", None, None),
}


@dataclass(frozen=True)
class LintWarning:
    """A legal but suspicious construct: ``index`` is the layer (None: the whole network).

    ``fix`` says in words what to do; ``remedy`` does it, where that is mechanical.
    """

    index: int | None
    message: str
    fix: str
    remedy: Fix | None = None

    def __str__(self) -> str:
        return f"{self.message}; {self.fix}"


def lint_network(spec: NetworkSpec, compiled: CompiledNetwork | None = None) -> list[LintWarning]:
    """All warnings for ``spec``, in layer order (network-wide ones last)."""
    compiled = compiled or compile_network(spec)
    warnings: list[LintWarning] = []
    warnings += _linear_without_nonlinearity(spec)
    warnings += _linear_on_image(spec, compiled)
    warnings += _last_layer(spec)
    warnings += _bounded_scores(spec)
    warnings += _loss_fit(spec, compiled)
    warnings.sort(key=lambda w: (w.index is None, w.index or 0))
    return warnings


def _linear_without_nonlinearity(spec: NetworkSpec) -> list[LintWarning]:
    found = []
    previous_linear: int | None = None
    for i, layer in enumerate(spec.layers):
        if layer.type == "Linear":
            if previous_linear is not None:
                found.append(
                    LintWarning(
                        i,
                        f"the Linear layers in {block_name(previous_linear)} and {block_name(i)} have nothing "
                        "non-linear between them, "
                        "so together they are just one linear map",
                        "add an activation such as ReLU between them",
                        InsertLayers("insert a ReLU before this Linear", i, (("ReLU", {}),)),
                    )
                )
            previous_linear = i
        elif layer.type not in PASS_THROUGH:
            previous_linear = None
    return found


def _linear_on_image(spec: NetworkSpec, compiled: CompiledNetwork) -> list[LintWarning]:
    found = []
    shape = tuple(spec.input_shape)
    for result in compiled.layers:
        if result.output_shape is None:
            break
        if result.type == "Linear" and len(shape) >= 3:
            dims = "×".join(map(str, shape))
            found.append(
                LintWarning(
                    result.index,
                    f"Linear acts only on the last dimension ({shape[-1]}) of its {dims} input",
                    "add a Flatten before it",
                    flatten_before(result.index),
                )
            )
        shape = result.output_shape
    return found


def _last_layer(spec: NetworkSpec) -> list[LintWarning]:
    if not spec.layers:
        return []
    last = len(spec.layers) - 1
    kind, loss = spec.layers[last].type, spec.training.loss
    remove = RemoveLayer(f"remove this {kind}", last)
    if kind in ("Dropout", "Dropout2d"):
        return [
            LintWarning(last, "Dropout as the last layer zeroes some of the network's outputs", "remove it", remove)
        ]
    if kind in ("BatchNorm1d", "BatchNorm2d"):
        return [LintWarning(last, f"{kind} as the last layer rescales the outputs", "remove it", remove)]
    if kind == "Softmax" and loss == "CrossEntropyLoss":
        return [
            LintWarning(
                last,
                "CrossEntropyLoss applies softmax itself; a Softmax before it squashes the scores twice "
                "and slows learning",
                "remove the last Softmax (apply softmax only when predicting)",
                remove,
            )
        ]
    if kind == "LogSoftmax" and loss == "CrossEntropyLoss":
        return [
            LintWarning(
                last,
                "CrossEntropyLoss already applies log-softmax; this LogSoftmax does the work twice",
                "remove it, or keep it and use NLLLoss",
                SetLoss("use NLLLoss, which expects this LogSoftmax", "NLLLoss"),
            )
        ]
    if kind == "Softmax" and loss == "NLLLoss":
        return [
            LintWarning(
                last,
                "NLLLoss expects log-probabilities, not probabilities",
                "use LogSoftmax",
                _to_log_softmax(spec, last),
            )
        ]
    if kind == "Sigmoid" and loss == "BCEWithLogitsLoss":
        return [
            LintWarning(
                last,
                "BCEWithLogitsLoss applies the sigmoid itself; this Sigmoid applies it twice",
                "remove it",
                remove,
            )
        ]
    return []


def _bounded_scores(spec: NetworkSpec) -> list[LintWarning]:
    """A ReLU (or another bounded activation) after the last Linear, before a class-index loss."""
    loss = spec.training.loss
    if loss not in CLASS_INDEX_LOSSES:
        return []
    index = len(spec.layers) - 1
    while index >= 0 and spec.layers[index].type in RANGE_KEEPING:
        index -= 1
    if index < 0 or spec.layers[index].type not in BOUNDED_ACTIVATIONS:
        return []
    kind = spec.layers[index].type
    alpha = spec.layers[index].params.get("alpha", 1.0)
    scores = BOUNDED_ACTIVATIONS[kind].format(negative=f"{-alpha:g}")
    if loss == "NLLLoss":
        message = (
            f"NLLLoss expects log-probabilities from a LogSoftmax, but this {kind} makes the class scores {scores}"
        )
        return [LintWarning(index, message, f"replace the {kind} with a LogSoftmax", _to_log_softmax(spec, index))]
    message = (
        f"CrossEntropyLoss expects unbounded class scores (logits), but this {kind} after the last layer "
        f"makes them {scores}, so the network cannot become confident or push wrong classes down"
    )
    remove = RemoveLayer(f"remove this {kind}", index)
    return [LintWarning(index, message, f"remove the {kind}: end with the Linear (or Conv) layer", remove)]


def _to_log_softmax(spec: NetworkSpec, index: int) -> Fix:
    """Replace the block at ``index`` by a LogSoftmax (over the dimension a Softmax there used)."""
    layer = spec.layers[index]
    params = {"dim": layer.params["dim"]} if "dim" in layer.params else {}
    return ReplaceLayer(f"replace this {layer.type} with a LogSoftmax", index, "LogSoftmax", params)


def _loss_fit(spec: NetworkSpec, compiled: CompiledNetwork) -> list[LintWarning]:
    """Does the network fit its dataset: the input shape, the kind of loss, the outputs?"""
    facts = DATASET_FACTS.get(spec.training.dataset)
    if facts is None or not compiled.ok:
        return []
    found = []
    if facts.sample_shape is not None and tuple(spec.input_shape) != facts.sample_shape:
        want = "×".join(map(str, facts.sample_shape))
        have = "×".join(map(str, spec.input_shape))
        found.append(
            LintWarning(
                None,
                f"{facts.title} samples are {want} but the input is {have}",
                f"set the input to {want}",
                SetInputShape(f"set the input shape to {want}", facts.sample_shape),
            )
        )
    found += _loss_kind(spec, facts)
    if facts.classes is not None:
        found += _class_scores(spec, compiled, facts.title, facts.classes)
    return found


def _loss_kind(spec: NetworkSpec, facts: DatasetFacts) -> list[LintWarning]:
    """A classification loss on regression targets, or the other way round."""
    loss, last = spec.training.loss, (len(spec.layers) - 1 if spec.layers else None)
    if facts.classes is None:
        if loss not in CLASS_INDEX_LOSSES:
            return []
        message = f"{loss} expects class labels but {facts.title} has real-valued targets"
        return [LintWarning(last, message, "use MSELoss", SetLoss("use MSELoss", "MSELoss"))]
    to_cross_entropy = SetLoss("use CrossEntropyLoss", "CrossEntropyLoss")
    if loss in REGRESSION_LOSSES:
        message = f"{loss} compares the outputs with class indices as if they were numbers"
        return [LintWarning(last, message, "use CrossEntropyLoss for classification", to_cross_entropy)]
    if loss == "BCEWithLogitsLoss" and facts.classes > 2:
        message = (
            f"BCEWithLogitsLoss is for yes/no or multi-label targets, but {facts.title} has "
            f"{facts.classes} exclusive classes"
        )
        return [LintWarning(last, message, "use CrossEntropyLoss", to_cross_entropy)]
    return []


def _class_scores(spec: NetworkSpec, compiled: CompiledNetwork, title: str, classes: int) -> list[LintWarning]:
    """A classifier must give one score per class."""
    out, last = compiled.output_shape or (), len(spec.layers) - 1 if spec.layers else None
    if len(out) != 1:
        ending = InsertLayers(
            f"end with a Flatten and a Linear with {classes} outputs",
            len(spec.layers),
            (("Flatten", {}), ("Linear", {"out_features": classes})),
        )
        message = (
            f"the network gives {'×'.join(map(str, out))} per sample, but a classifier should give one score "
            f"per class ({classes})"
        )
        return [LintWarning(last, message, "end with Flatten and a Linear layer", ending)]
    if out[0] == classes:
        return []
    message = f"the network gives {out[0]} outputs but {title} has {classes} classes"
    return [LintWarning(last, message, f"make the last layer give {classes} outputs", _last_size(spec, classes))]


#: The parameter that sets how many outputs a block gives, for the blocks that have one.
OUTPUT_SIZES = {"Linear": "out_features", "ResNet18": "num_classes"}


def _last_size(spec: NetworkSpec, classes: int) -> Fix | None:
    """Set the size of the last block that decides the output count, if only layers that keep it follow."""
    index = len(spec.layers) - 1
    while index >= 0 and spec.layers[index].type not in OUTPUT_SIZES:
        if spec.layers[index].type not in NONLINEAR | PASS_THROUGH:
            return None  # e.g. a pooling or a recurrent block decides it: no one value to set
        index -= 1
    if index < 0:
        return None
    key = OUTPUT_SIZES[spec.layers[index].type]
    where = "" if index == len(spec.layers) - 1 else f" of {block_name(index)}"
    return SetParams(f"set {key}{where} to {classes}", index, {key: classes})
