"""Which model reads the digits, and reading many of them at once.

A model trained this session is used when it fits a digit (1×28×28 in, 10 scores out);
otherwise the model bundled in ``resources/models/``. The pad and ``netbuilder predict`` share
:class:`DigitReader`, so both see the same preprocessing, normalisation and model.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.digits.preprocessing import FIELD, normalise, prepare
from gui_app.core.digits.rejection import ink_shape, not_a_digit
from gui_app.core.training.trained_model import ModelFileError, TrainedModel, load_trained_model

BUNDLED_MODEL_NAME = "mnist_cnn.pt"
#: Labels the selector shows for where the model came from.
BUNDLED, TRAINED = "bundled MNIST model", "trained this session"


def bundled_model_path() -> Path:
    """resources/models/mnist_cnn.pt, wherever the resources are installed."""
    try:
        from gui_app.core.resources import resources_dir
    except ImportError:  # older checkouts without the resources helper
        import gui_app

        return Path(gui_app.__file__).resolve().parent.parent / "resources" / "models" / BUNDLED_MODEL_NAME
    return resources_dir() / "models" / BUNDLED_MODEL_NAME


def load_bundled_model() -> TrainedModel:
    """The bundled MNIST model; :class:`ModelFileError` if it is missing or broken."""
    model = load_trained_model(bundled_model_path())
    model.source = BUNDLED
    return model


def reads_digits(model: TrainedModel | None) -> bool:
    """True when ``model`` takes one 28×28 grey image and gives 10 scores."""
    if model is None or tuple(model.input_shape) != (1, FIELD, FIELD):
        return False
    compiled = compile_network(model.spec)
    return compiled.ok and tuple(compiled.output_shape or ()) == (10,)


def describe_shapes(model: TrainedModel) -> str:
    """ "The network maps 3×32×32 → 10", for telling a user why a model cannot read digits."""
    compiled = compile_network(model.spec)
    out = "×".join(map(str, compiled.output_shape)) if compiled.ok and compiled.output_shape else "?"
    return f"The network maps {'×'.join(map(str, model.input_shape))} → {out}"


@dataclass(frozen=True)
class Prediction:
    """One read digit: the best digit, all ten probabilities and the 28×28 image the model saw.

    ``reason`` says why the ink is not a digit at all (a dot, a dash, a scribble, a shape the
    model barely knows: gui_app/core/digits/rejection.py); None when it reads as ``digit``.
    """

    digit: int
    probabilities: tuple[float, ...]
    image: torch.Tensor
    reason: str | None = None

    @property
    def confidence(self) -> float:
        return self.probabilities[self.digit]

    @property
    def is_digit(self) -> bool:
        return self.reason is None

    @property
    def answer(self) -> int | None:
        """The digit shown to the user, or None where the ink is not a digit."""
        return self.digit if self.is_digit else None


class DigitReader:
    """A built, eval-mode model plus its normalisation; predicts batches of digit pictures."""

    def __init__(self, model: TrainedModel) -> None:
        if not reads_digits(model):
            raise ModelFileError(
                f"{model.source or 'this model'} does not read digits (it needs a 1×28×28 input and 10 outputs)"
            )
        self.model = model
        self.network = model.build()
        self.source = model.source

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None = None) -> DigitReader:
        """The reader for a model file, or for the bundled model when ``path`` is None."""
        return cls(load_bundled_model() if path is None else load_trained_model(path))

    def warm_up(self) -> None:
        """Run one blank image through the network, so the first real stroke is not the slow one."""
        self.probabilities(torch.zeros(1, FIELD, FIELD))

    def probabilities(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """Softmax of the model's scores for N×28×28 images in [0, 1] (N×10)."""
        images = images.reshape(-1, FIELD, FIELD)
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                batch = normalise(images[start : start + batch_size], self.model.mean, self.model.std)
                out.append(torch.softmax(self.network(batch).float(), dim=1))
        return torch.cat(out) if out else torch.empty(0, 10)

    def read(self, picture: object, invert: bool | None = None) -> Prediction | None:
        """Preprocess and classify one picture; None when it holds no ink."""
        prepared = prepare(picture, invert=invert)
        if prepared is None:
            return None
        return self._prediction(*prepared, self.probabilities(prepared[0])[0])

    def read_many(
        self, pictures: Sequence[object], invert: bool | None = None, batch_size: int = 512
    ) -> list[Prediction | None]:
        """Classify many pictures in batches; blank ones give None at their position."""
        prepared = [prepare(p, invert=invert) for p in pictures]
        inked = [i for i, p in enumerate(prepared) if p is not None]
        results: list[Prediction | None] = [None] * len(prepared)
        if not inked:
            return results
        probs = self.probabilities(torch.stack([prepared[i][0] for i in inked]), batch_size)  # type: ignore[index]
        for row, i in enumerate(inked):
            results[i] = self._prediction(*prepared[i], probs[row])  # type: ignore[misc]
        return results

    @staticmethod
    def _prediction(image: torch.Tensor, extent: float, probs: torch.Tensor) -> Prediction:
        values = tuple(float(p) for p in probs)
        digit = int(torch.argmax(probs))
        return Prediction(digit, values, image, not_a_digit(ink_shape(image, extent), digit, values[digit]))


def choose_model(trained: TrainedModel | None) -> TrainedModel:
    """The model trained this session if it reads digits, else the bundled one."""
    if reads_digits(trained):
        assert trained is not None
        if not trained.source:
            trained.source = TRAINED
        return trained
    return load_bundled_model()
