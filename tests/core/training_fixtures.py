"""Small networks and a small slice of the real MNIST subset, shared by the training tests."""

from __future__ import annotations

from dataclasses import replace

from gui_app.core.data.dataset_types import LoadedDataset
from gui_app.core.data.datasets import load_dataset
from gui_app.core.project.run_config import TrainingConfig
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trainer import Callback
from tests.mnist_subset import DATA


def mlp_spec(hidden: int = 64, outputs: int = 10, input_shape=(1, 28, 28)) -> NetworkSpec:
    layers = [
        LayerSpec("Flatten", {}),
        LayerSpec("Linear", {"out_features": hidden}),
        LayerSpec("ReLU", {}),
        LayerSpec("Linear", {"out_features": outputs}),
    ]
    return NetworkSpec(layers, input_shape, "test MLP")


def mnist_slice(n_train: int = 512, n_test: int = 200) -> LoadedDataset:
    ds = load_dataset("mnist", DATA, download=False)
    return replace(
        ds,
        train_x=ds.train_x[:n_train],
        train_y=ds.train_y[:n_train],
        test_x=ds.test_x[:n_test],
        test_y=ds.test_y[:n_test],
    )


def config(**changes) -> TrainingConfig:
    base = {"data_dir": str(DATA), "device": "cpu", "epochs": 1, "batch_size": 32, "seed": 0}
    base.update(changes)
    return TrainingConfig.from_dict(base)


class Recorder(Callback):
    """Records every hook call as (name, payload)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list:
        return [payload for n, payload in self.calls if n == name]

    def on_fit_start(self, trainer):
        self.calls.append(("fit_start", None))

    def on_batch_end(self, trainer, event):
        self.calls.append(("batch", event))

    def on_epoch_end(self, trainer, event):
        self.calls.append(("epoch", event))

    def on_error(self, trainer, error):
        self.calls.append(("error", error))

    def on_fit_end(self, trainer, result):
        self.calls.append(("fit_end", result))
