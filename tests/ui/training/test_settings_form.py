"""The training settings form is a view of the project's settings: one edit changes one setting."""

from __future__ import annotations

import pytest

from gui_app.core.project.run_config import TrainingConfig
from gui_app.ui.document.document import Document
from gui_app.ui.training.settings_form import TrainingSettingsForm
from gui_app.ui.window.project_files import mlp_spec


@pytest.fixture
def form(qtbot) -> TrainingSettingsForm:
    widget = TrainingSettingsForm()
    qtbot.addWidget(widget)
    return widget


def test_editing_one_setting_keeps_values_the_widgets_cannot_show(form: TrainingSettingsForm) -> None:
    # A learning rate below the spin box's smallest value and a seed above its largest are legal.
    shown = TrainingConfig(lr=5e-7, seed=3_000_000_000, device="cpu")
    form.set_config(shown)
    emitted = []
    form.config_changed.connect(emitted.append)
    form.epochs.setValue(9)
    assert emitted == [shown.replace(epochs=9)]
    assert form.config() == shown.replace(epochs=9)


def test_showing_a_config_emits_nothing(form: TrainingSettingsForm) -> None:
    emitted = []
    form.config_changed.connect(emitted.append)
    form.set_config(TrainingConfig(epochs=3, optimizer="Adam", device="cpu"))
    assert emitted == []
    assert form.config().epochs == 3 and form.config().optimizer == "Adam"


def test_form_edits_undo_one_setting_at_a_time(form: TrainingSettingsForm, qapp) -> None:
    doc = Document(mlp_spec())
    form.set_config(doc.spec.training)
    form.config_changed.connect(doc.set_training)
    start = doc.spec.training
    for epochs in (6, 7, 8):  # one spin box stepped three times: one undo step
        form.epochs.setValue(epochs)
    form.lr.setValue(0.125)
    form.optimizer.setCurrentIndex(form.optimizer.findData("Adam"))
    assert doc.spec.training == start.replace(epochs=8, lr=0.125, optimizer="Adam")
    assert doc.undo_stack.count() == 3
    doc.undo()
    assert doc.spec.training == start.replace(epochs=8, lr=0.125)
    doc.undo()
    assert doc.spec.training == start.replace(epochs=8)
    doc.undo()
    assert doc.spec.training == start
