"""Mapped blocks -> a project: the spec, the weights that fit it, and the report of what did not.

The spec is tidied to read like one made by hand (settings at their defaults and sizes the
compiler infers are left out), compiled, and the file's weights are put on the blocks they fit.
Blocks whose weights the file lacks or that no longer fit (after a part was left out) start from
the project seed's initial weights, and the report says which. The weights pass the one
validation of model files (:meth:`TrainedModel.from_payload`) before they are kept.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import torch

from gui_app.core.analysis.compiler import CompileError, LayerResult, build_model, compile_network
from gui_app.core.analysis.messages import layer_label
from gui_app.core.importing.blocks import MappedLayer
from gui_app.core.importing.report import ImportFileError, ImportReport, ImportResult
from gui_app.core.layers.catalogue import CATALOGUE, ParamError
from gui_app.core.project.blocks import walk
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.project.validation import MAX_NAME, validate_input_shape, validate_name
from gui_app.core.training.trained_model import MODEL_FORMAT, ModelFileError, TrainedModel

#: Input shapes that say which dataset a network was made for (a guess the report states).
_DATASET_OF_SHAPE = {(1, 28, 28): "mnist", (3, 32, 32): "cifar10"}
_NAMED_SCALINGS = {((0.0,), (1.0,)): "zero_one", ((0.5,), (0.5,)): "minus_one_one"}


def checked_input_shape(shape: Any, where: str) -> tuple[int, ...]:
    """The input shape a file (or ``--input-shape``) gives, as a project holds it."""
    try:
        return validate_input_shape(list(shape), "input shape")
    except (ParamError, TypeError) as exc:
        raise ImportFileError(f"{where}: {exc}; give the shape with --input-shape C,H,W") from None


def project_name(name: Any, fallback: str) -> str:
    """The file's model name if it is a usable project name, else ``fallback`` (the file's stem)."""
    for candidate in (name, fallback, "Imported model"):
        if isinstance(candidate, str):
            try:
                return validate_name(candidate[:MAX_NAME])
            except ParamError:
                continue
    return "Imported model"


def assemble(
    layers: list[MappedLayer],
    input_shape: tuple[int, ...],
    name: str,
    report: ImportReport,
    *,
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None = None,
    source: str = "",
) -> ImportResult:
    """The project the blocks make, with the weights the file had for them."""
    spec = NetworkSpec([_block(layer) for layer in layers], input_shape, name)
    if not layers:
        report.note("no part of the file mapped onto a block: the project has no layers")
    _tidy(spec)
    _set_training(spec, normalisation, report)
    state = _weights(spec, layers, report)
    mean = std = None
    if normalisation is not None:
        mean, std = normalisation
    if state is not None:
        state = validated_weights(spec, state, normalisation, source, report)
    return ImportResult(spec, report, state, mean, std, source)


def _block(layer: MappedLayer) -> LayerSpec:
    """The block of a mapped layer, a container's lanes with their blocks."""
    lanes = None if layer.lanes is None else [[_block(inner) for inner in lane] for lane in layer.lanes]
    return LayerSpec(layer.type, dict(layer.params), lanes=lanes)


def _tidy(spec: NetworkSpec) -> None:
    """Leave out settings at their defaults, and sizes the compiler infers as they were."""
    for place in walk(spec.layers):
        entry = CATALOGUE[place.block.type]
        place.block.params = {
            key: value
            for key, value in place.block.params.items()
            if entry.param_index[key].inferred or not _same(entry.param_index[key].default, value)
        }
    _drop_inferred(spec.layers, compile_network(spec).layers)


def _drop_inferred(blocks: list[LayerSpec], results: list[LayerResult]) -> None:
    """Sizes the compiler infers from each block's input, left out where they are what it infers
    (up to the first block with an error, whose input is not known past it)."""
    for layer, result in zip(blocks, results, strict=True):
        if result.error is not None or result.input_shape is None:
            return
        for lane, lane_results in zip(layer.lanes or (), result.lanes, strict=True):
            _drop_inferred(lane, lane_results)
        entry = CATALOGUE[layer.type]
        for key in [k for k in layer.params if entry.param_index[k].inferred]:
            without = {k: v for k, v in layer.params.items() if k != key}
            try:
                if entry.resolve(without, result.input_shape).get(key) == result.kwargs.get(key):
                    layer.params = without
            except ParamError:
                continue  # this size is needed as written


def _same(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return type(default) is type(value) and default == value
    if isinstance(default, float) and isinstance(value, int | float):
        return math.isclose(default, value, rel_tol=1e-9, abs_tol=0.0)
    return default == value


def _set_training(
    spec: NetworkSpec, normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None, report: ImportReport
) -> None:
    """The run's settings that the file tells: the dataset its input shape suggests, and its input scaling."""
    dataset = _DATASET_OF_SHAPE.get(tuple(spec.input_shape))
    training = spec.training
    if dataset is not None:
        training = replace(training, dataset=dataset)
        report.note(f"dataset set to {dataset}, which the input shape {list(spec.input_shape)} suggests")
    if normalisation is not None:
        mean, std = normalisation
        single = (tuple(dict.fromkeys(mean)), tuple(dict.fromkeys(std)))
        choice = _NAMED_SCALINGS.get(single, "dataset")  # type: ignore[arg-type]
        training = replace(training, normalization=choice)
        report.note(
            f"the file's input scaling (x - mean) / std with mean {list(mean)} and std {list(std)} is the run's "
            f"normalisation ({choice}), not a block; the weights keep it"
        )
    spec.training = training


def _weights(spec: NetworkSpec, layers: list[MappedLayer], report: ImportReport) -> dict[str, torch.Tensor] | None:
    """The file's weights on every block they fit; the seed's initial weights on the others."""
    if not any(layer.weights for layer in layers):
        return None
    try:
        fresh = build_model(spec, spec.training.seed).state_dict()
    except CompileError as exc:
        report.note(f"the weights are not kept: the network has errors ({exc})")
        return None
    state = dict(fresh)
    refreshed: list[str] = []
    for index, layer in enumerate(layers):
        prefix = f"{index}."
        expected = {key[len(prefix) :]: tensor for key, tensor in fresh.items() if key.startswith(prefix)}
        if not expected:
            continue
        if _fits(layer.weights, expected):
            for key, tensor in expected.items():
                state[prefix + key] = layer.weights[key].to(tensor.dtype).reshape(tensor.shape).clone()
        else:
            refreshed.append(layer_label(index, layer.type))
    if refreshed:
        report.note(f"{', '.join(refreshed)}: the file has no weights that fit, so they start from fresh weights")
    return state


def _fits(weights: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> bool:
    return set(weights) == set(expected) and all(
        weights[key].numel() == tensor.numel() and tuple(weights[key].shape) == tuple(tensor.shape)
        for key, tensor in expected.items()
    )


def validated_weights(
    spec: NetworkSpec,
    state: dict[str, torch.Tensor],
    normalisation: tuple[tuple[float, ...], tuple[float, ...]] | None,
    source: str,
    report: ImportReport,
) -> dict[str, torch.Tensor] | None:
    """The weights after the model files' own check (finite, plain tensors that fit); None if refused."""
    mean, std = normalisation or ((0.0,), (1.0,))
    payload = {
        "format": MODEL_FORMAT,
        "spec_json": spec.to_json(),
        "model": state,
        "normalization": {"mean": list(mean), "std": list(std)},
    }
    try:
        return TrainedModel.from_payload(payload, source=source).state_dict
    except ModelFileError as exc:
        report.note(f"the weights are not kept: {exc}")
        return None


def trained_model(result: ImportResult) -> TrainedModel | None:
    """The imported weights as the model the app trains and exports (None when there are none)."""
    if result.state_dict is None:
        return None
    mean, std = (result.mean, result.std) if result.mean is not None and result.std is not None else ((0.0,), (1.0,))
    return TrainedModel(result.spec, result.state_dict, mean, std, source=result.source)
