"""Loading a ``.pt2`` archive without running anything it holds.

``torch.export.load`` is not safe on a file from outside: when a pickled part of the archive (the
sample inputs, a weight saved with ``use_pickle``, a custom object) fails torch's weights-only
loader, it loads it again with ``weights_only=False`` or plain :func:`pickle.loads`, which runs
whatever code the pickle names (measured here with torch 2.14: a crafted ``sample_inputs`` entry
ran ``os.system``). While NetBuilder loads a program, the loader's own modules see a ``torch``
whose ``load`` is always weights-only and a ``pickle`` that refuses, so such a part makes the
load fail instead; everything a genuine ``torch.export.save`` writes still loads. A test keeps
this true for the torch in use.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import torch


class PickledPartError(RuntimeError):
    """The archive holds a part that only unpickling arbitrary objects could load."""


def _refuse(*_args: Any, **_kwargs: Any) -> Any:
    raise PickledPartError("it holds pickled Python objects, which NetBuilder does not load")


class _WeightsOnlyTorch:
    """``torch`` as the archive loader sees it: the same, except that ``load`` builds tensors only."""

    def __init__(self) -> None:
        self._C = _NoObjectsC()

    def __getattr__(self, name: str) -> Any:
        return getattr(torch, name)

    @staticmethod
    def load(*args: Any, **kwargs: Any) -> Any:
        kwargs["weights_only"] = True
        return torch.load(*args, **kwargs)


class _NoObjectsC:
    def __getattr__(self, name: str) -> Any:
        return getattr(torch._C, name)

    _pickle_load_obj = staticmethod(_refuse)


class _NoPickle:
    loads = staticmethod(_refuse)
    load = staticmethod(_refuse)

    def __getattr__(self, name: str) -> Any:
        import pickle

        return getattr(pickle, name)


_LOCK = threading.Lock()


def _loader_modules() -> list[ModuleType]:
    from torch._export.serde import serialize
    from torch.export.pt2_archive import _package

    return [serialize, _package]


@contextmanager
def _weights_only_loader() -> Iterator[None]:
    modules = _loader_modules()
    with _LOCK:
        saved = [
            (module, name, module.__dict__[name])
            for module in modules
            for name in ("torch", "pickle")
            if name in module.__dict__
        ]
        for module, name, _ in saved:
            setattr(module, name, _WeightsOnlyTorch() if name == "torch" else _NoPickle())
        try:
            yield
        finally:
            for module, name, original in saved:
                setattr(module, name, original)


def load_program(raw: bytes) -> torch.export.ExportedProgram:
    """The program in ``raw`` (a ``.pt2`` file's bytes); raises whatever the loader raises, or
    :class:`PickledPartError` for a part that would need unpickling."""
    with warnings.catch_warnings(), _weights_only_loader():
        warnings.simplefilter("ignore")
        return torch.export.load(io.BytesIO(raw))
