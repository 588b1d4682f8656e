"""One-click fixes: the mechanical remedy of a compiler error or lint warning, as data.

A :class:`Fix` is a named, pure transformation of a spec: :meth:`Fix.apply` returns a fixed copy
and leaves the spec it is given alone. A fix of a top-level block names it by ``index``; a fix of a
block inside a container names it by ``uid`` too (which the copy keeps), since an index says
nothing about which lane the block is in. The copy keeps every block's uid, so the window can turn
the difference into edits of the blocks that are there (selection and undo survive), and every
edit goes through the spec's own edit methods, so a fixed network is validated exactly as a
user's edit is. The compiler and lint attach a fix where they make the message
(``LayerResult.remedy``, ``LintWarning.remedy``); :mod:`gui_app.core.analysis.repair` applies them.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gui_app.core.layers.catalogue import InferredSizeError, ParamError
from gui_app.core.project.spec import TOP, Lane, LayerSpec, NetworkSpec

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Fix(ABC):
    """A remedy with a one-line ``label`` a user reads on the button ("set in_features to 576")."""

    label: str

    def apply(self, spec: NetworkSpec) -> NetworkSpec:
        """The fixed network, a copy; :class:`ParamError` when the validator refuses the result,
        :class:`~gui_app.core.project.blocks.MissingBlockError` when a block it names is gone."""
        fixed = spec.copy(keep_uids=True)
        self._edit(fixed)
        return fixed

    def apply_in_place(self, spec: NetworkSpec) -> None:
        """Make the fix's edits on ``spec`` itself (an undo command does, once :meth:`apply` showed
        that the validator accepts them), so the blocks it keeps stay the same objects."""
        self._edit(spec)

    @abstractmethod
    def _edit(self, spec: NetworkSpec) -> None:
        """Make the fix's edits on ``spec`` (a private copy) through its validating methods."""


def _where(spec: NetworkSpec, index: int, uid: int | None) -> tuple[Lane, int]:
    """The lane and position of the block a fix names: by ``uid`` when it has one, else top-level ``index``."""
    if uid is None:
        return TOP, index
    place = spec.place(uid)
    return place.lane, place.index


@dataclass(frozen=True)
class SetParams(Fix):
    """Give one block new parameter values."""

    index: int
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)
    #: the block's uid when it is inside a container (``index`` is then its place in its lane)
    uid: int | None = None

    def _edit(self, spec: NetworkSpec) -> None:
        if self.uid is None:
            spec.set_params(self.index, self.values)
        else:
            spec.replace_block_params(self.uid, spec.edited_block_params(self.uid, self.values))


@dataclass(frozen=True)
class InsertLayers(Fix):
    """Insert new blocks, given as ``(type, params)`` pairs, before position ``index``
    (before the block ``uid``, wherever it is, when that is given)."""

    index: int
    layers: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=(), hash=False)
    uid: int | None = None

    def _edit(self, spec: NetworkSpec) -> None:
        lane, index = _where(spec, self.index, self.uid)
        for offset, (type_name, params) in enumerate(self.layers):
            spec.insert_block(lane, index + offset, LayerSpec(type_name, dict(params)))


@dataclass(frozen=True)
class RemoveLayer(Fix):
    """Take one block out."""

    index: int
    uid: int | None = None

    def _edit(self, spec: NetworkSpec) -> None:
        if self.uid is None:
            spec.remove_layer(self.index)
        else:
            spec.remove_block(self.uid)


@dataclass(frozen=True)
class ReplaceLayer(Fix):
    """Put a block of another type in one block's place."""

    index: int
    type_name: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    uid: int | None = None

    def _edit(self, spec: NetworkSpec) -> None:
        lane, index = _where(spec, self.index, self.uid)
        if self.uid is None:
            spec.remove_layer(index)
        else:
            spec.remove_block(self.uid)
        spec.insert_block(lane, index, LayerSpec(self.type_name, dict(self.params)))


@dataclass(frozen=True)
class ReplaceLane(Fix):
    """Give one lane of a container exactly these blocks: a Residual's projection shortcut."""

    container: int
    lane: int
    blocks: tuple[tuple[str, Mapping[str, Any]], ...] = field(default=(), hash=False)

    def _edit(self, spec: NetworkSpec) -> None:
        new = [LayerSpec(type_name, dict(params)) for type_name, params in self.blocks]
        spec.replace_lane(Lane(self.container, self.lane), new)


@dataclass(frozen=True)
class SetLoss(Fix):
    """Train with another loss."""

    loss: str

    def _edit(self, spec: NetworkSpec) -> None:
        spec.set_training(spec.training.replace(loss=self.loss))


@dataclass(frozen=True)
class SetInputShape(Fix):
    """Read samples of another shape."""

    shape: Shape

    def _edit(self, spec: NetworkSpec) -> None:
        spec.set_input_shape(self.shape)


def error_remedy(index: int, type_name: str, error: ParamError, in_shape: Shape, uid: int | None = None) -> Fix | None:
    """The fix of a compiler error, if it has a mechanical one (``uid``: of a block inside a container).

    A size the input contradicts is set to what the input gives, except a Linear's
    ``in_features`` on an image: there the fix is the missing Flatten (the size follows after).
    """
    if not isinstance(error, InferredSizeError):
        return None
    if type_name == "Linear" and len(in_shape) >= 3:
        return flatten_before(index, uid)
    shown = json.dumps(error.value).replace(", ", ",") if isinstance(error.value, list) else str(error.value)
    return SetParams(f"set {error.key} to {shown}", index, {error.key: error.value}, uid)


def flatten_before(index: int, uid: int | None = None) -> InsertLayers:
    """Insert a Flatten before the Linear at ``index`` (the block ``uid``, inside a container)."""
    return InsertLayers("insert a Flatten before this Linear", index, (("Flatten", {}),), uid)
