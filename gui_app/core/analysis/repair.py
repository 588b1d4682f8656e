"""The problems of a network with their one-click fixes, and mending a network with all of them.

The window asks which fixes a block has (:func:`problems`); ``netbuilder fix`` applies fix after
fix (:func:`fix_all`) until none is left. Each round compiles and lints afresh, since one fix often
brings the next to light (the Flatten a Linear lacked, then the ``in_features`` it now gets).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gui_app.core.analysis.compiler import CompiledNetwork, LayerResult, compile_network
from gui_app.core.analysis.fixes import Fix
from gui_app.core.analysis.lint import LintWarning, lint_network
from gui_app.core.analysis.messages import layer_label
from gui_app.core.layers.catalogue import ParamError
from gui_app.core.project.blocks import Address
from gui_app.core.project.spec import NetworkSpec

#: A network of n blocks is mended in far fewer rounds; this only bounds a pair of fixes that
#: would undo each other.
MAX_ROUNDS = 200


@dataclass(frozen=True)
class Problem:
    """An error or warning where it is (``index`` None: the network as a whole) and its fix.

    ``index`` is the top-level block; an error inside a container is the container's too, and
    ``uid`` and ``address`` then name the inner block at fault (the one whose fix ``remedy`` is).
    """

    severity: Literal["error", "warning"]
    index: int | None
    message: str
    remedy: Fix | None
    uid: int | None = None
    address: Address = ()


def problems(compiled: CompiledNetwork, warnings: list[LintWarning]) -> list[Problem]:
    """Errors first (in layer order), then warnings (as lint orders them)."""
    found = [_error(result) for result in compiled.errors]
    uids = [result.uid for result in compiled.layers]
    found += [
        Problem("warning", w.index, str(w), w.remedy, None if w.index is None else uids[w.index], ()) for w in warnings
    ]
    return found


def _error(result: LayerResult) -> Problem:
    """A top-level block's error, at the innermost block at fault (a container's error is its lane's)."""
    at_fault = result
    while at_fault.fault is not None:
        at_fault = at_fault.fault
    return Problem("error", result.index, result.error or "", at_fault.remedy, at_fault.uid, at_fault.address)


@dataclass(frozen=True)
class AppliedFix:
    """One change ``fix_all`` made: where (in the network as it was then) and what."""

    where: str
    label: str

    def __str__(self) -> str:
        return f"{self.where}: {self.label}"


@dataclass
class Repair:
    """What :func:`fix_all` did and what is left."""

    spec: NetworkSpec
    applied: list[AppliedFix] = field(default_factory=list)
    compiled: CompiledNetwork | None = None
    #: the problems of the mended network (with a fix only where it was refused or undid another)
    left: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the mended network compiles."""
        return self.compiled is not None and self.compiled.ok


def fix_all(spec: NetworkSpec, max_rounds: int = MAX_ROUNDS) -> Repair:
    """Apply the first fix that applies, recompile, and again, until none is left.

    ``spec`` is not changed. A fix the validator refuses is skipped; a network seen before ends
    the mending (two fixes that would undo each other), as does ``max_rounds``.
    """
    repair = Repair(spec)
    seen = {spec.to_json()}
    for _round in range(max_rounds + 1):
        repair.compiled = compile_network(repair.spec)
        repair.left = problems(repair.compiled, lint_network(repair.spec, repair.compiled))
        if _round == max_rounds or not _apply_first(repair, repair.left, seen):
            break
    return repair


def _apply_first(repair: Repair, found: list[Problem], seen: set[str]) -> bool:
    for problem in found:
        if problem.remedy is None:
            continue
        try:
            fixed = problem.remedy.apply(repair.spec)
        except ParamError:
            continue  # the validator refuses the result: this fix does not apply here
        text = fixed.to_json()
        if text in seen:
            continue
        seen.add(text)
        repair.applied.append(AppliedFix(_where(repair.spec, problem), problem.remedy.label))
        repair.spec = fixed
        return True
    return False


def _where(spec: NetworkSpec, problem: Problem) -> str:
    if problem.index is None:
        return "network"
    if problem.uid is not None and problem.address:
        return layer_label(problem.address, spec.block(problem.uid).type)
    return layer_label(problem.index, spec.layers[problem.index].type)
