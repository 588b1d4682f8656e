"""Resume from…: a damaged checkpoint gets a dialog naming the file and the damage, and no run starts."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from gui_app.core.training.checkpoints import save_checkpoint
from gui_app.core.training.trainer import Trainer
from gui_app.ui.training.panel import TrainingPanel
from tests.core.training_fixtures import DATA, config, mlp_spec, mnist_slice


@pytest.fixture(scope="module")
def payload(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    trainer = Trainer(mlp_spec(hidden=8), config(), dataset=mnist_slice(64, 32))
    assert trainer.fit().status == "completed"
    path = tmp_path_factory.mktemp("resume") / "good.pt"
    save_checkpoint(trainer.checkpoint(), path)
    return torch.load(path, weights_only=True)


DAMAGE = [
    ("epoch", "x", "epoch: must be a whole number"),
    ("early_stopping", [], "early_stopping: must be a dict"),
    ("optimizer", {"state": {}, "param_groups": [{"params": [0, 1, 2, 3], "lr": "fast"}]}, "param_groups[0].lr"),
    ("normalization", {"mean": [0.0], "std": [0]}, "must be > 0"),
]


@pytest.mark.parametrize(("key", "value", "words"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_a_damaged_checkpoint_gets_a_dialog_naming_the_file(qtbot, monkeypatch, tmp_path, payload, key, value, words):
    crafted = copy.deepcopy(payload)
    crafted[key] = value
    path = tmp_path / f"damaged-{key}.pt"
    torch.save(crafted, path)
    panel = TrainingPanel(mlp_spec(hidden=8).copy)
    qtbot.addWidget(panel)
    panel.set_config(config(data_dir=str(DATA)))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *a: shown.append(text))

    qtbot.mouseClick(panel.resume_checkpoint_button, Qt.MouseButton.LeftButton)

    assert len(shown) == 1 and path.name in shown[0] and words in shown[0], shown
    assert not panel.is_running()
