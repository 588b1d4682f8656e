"""The training settings of a project: the ``training`` object of the project file.

Every key is optional in the file; :data:`TRAINING_PARAMS` holds each one's type, default and
bounds, so the loader, the training panel and the command line validate alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from gui_app.core.layers.catalogue import ParamDef, ParamError

DATASETS = ("mnist", "fashion_mnist", "cifar10", "image_folder", "linear_regression")
LOSSES = ("CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "BCEWithLogitsLoss")
OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")
SCHEDULERS = ("none", "StepLR", "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau")
NORMALIZATIONS = ("dataset", "zero_one", "minus_one_one")
PRECISIONS = ("off", "bf16", "fp16")

TRAINING_PARAMS: tuple[ParamDef, ...] = (
    ParamDef("dataset", "choice", "mnist", choices=DATASETS),
    ParamDef("data_dir", "str", None, nullable=True, doc="a local data folder; None: the app's cache"),
    ParamDef("loss", "choice", "CrossEntropyLoss", choices=LOSSES),
    ParamDef("optimizer", "choice", "SGD", choices=OPTIMIZERS),
    ParamDef("lr", "float", 0.01, 1e-8, 10.0),
    ParamDef("momentum", "float", 0.9, 0.0, 1.0, doc="SGD and RMSprop"),
    ParamDef("nesterov", "bool", False, doc="SGD only; needs momentum > 0"),
    ParamDef("weight_decay", "float", 0.0, 0.0, 1.0),
    ParamDef("batch_size", "int", 64, 1, 65536),
    ParamDef("epochs", "int", 5, 1, 10000),
    ParamDef("scheduler", "choice", "none", choices=SCHEDULERS),
    ParamDef("step_size", "int", 1, 1, 10000, doc="StepLR: epochs between decays"),
    ParamDef("gamma", "float", 0.7, 0.0, 1.0, doc="StepLR: decay factor"),
    ParamDef("val_split", "float", 0.0, 0.0, 0.9, doc="0: validate on the test split"),
    ParamDef("normalization", "choice", "dataset", choices=NORMALIZATIONS),
    ParamDef("device", "str", "auto", doc="auto, cpu, cuda, cuda:N or mps"),
    ParamDef("seed", "int", 0, 0, 2**32 - 1),
    ParamDef("mixed_precision", "choice", "off", choices=PRECISIONS),
    ParamDef("early_stopping_patience", "int", 0, 0, 10000, doc="0: off"),
)

_PARAM_INDEX = {p.name: p for p in TRAINING_PARAMS}


@dataclass
class TrainingConfig:
    """A run's settings, complete (defaults filled in)."""

    dataset: str = "mnist"
    data_dir: str | None = None
    loss: str = "CrossEntropyLoss"
    optimizer: str = "SGD"
    lr: float = 0.01
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    batch_size: int = 64
    epochs: int = 5
    scheduler: str = "none"
    step_size: int = 1
    gamma: float = 0.7
    val_split: float = 0.0
    normalization: str = "dataset"
    device: str = "auto"
    seed: int = 0
    mixed_precision: str = "off"
    early_stopping_patience: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], path: str = "training") -> TrainingConfig:
        """Validate ``data`` (every key optional); raise :class:`ParamError` with the key's path."""
        if not isinstance(data, Mapping):
            raise ParamError(f"{path}: must be an object")
        values: dict[str, Any] = {}
        for key, value in data.items():
            param = _PARAM_INDEX.get(key)
            if param is None:
                known = ", ".join(sorted(_PARAM_INDEX))
                raise ParamError(f"{path}.{key}: unknown setting (known: {known})")
            try:
                values[key] = param.validate(value)
            except ParamError as exc:
                raise ParamError(f"{path}.{key}: {exc}") from None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    def replace(self, **changes: Any) -> TrainingConfig:
        """A validated copy with ``changes`` applied."""
        merged = self.to_dict()
        merged.update(changes)
        return TrainingConfig.from_dict(merged)


assert [f.name for f in fields(TrainingConfig)] == [p.name for p in TRAINING_PARAMS]
assert all(getattr(TrainingConfig(), p.name) == p.default for p in TRAINING_PARAMS)
