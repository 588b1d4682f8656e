"""*Use best weights*: switch what a run leaves behind between its last epoch and its best one.

The window's trained model (the draw pad, exports) and the evaluation view follow the choice.
After early stopping the best weights are already the run's (the Trainer restored them), so the
button only says so.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal, Slot
from PySide6.QtWidgets import QPushButton, QWidget

from gui_app.core.training.results import FitResult


class BestWeightsButton(QPushButton):
    """Checked: the best epoch's weights are in use; unchecked: the last epoch's."""

    #: (TrainedModel, its EvaluationResult or None) now in use
    chosen = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Use best weights", parent)
        self.setObjectName("useBestWeights")
        self.setCheckable(True)
        self.toggled.connect(self._toggled)
        self._result: FitResult | None = None
        self._last_evaluation: object = None
        self._best_evaluation: object = None
        self.show_run(None)

    @Slot(object)
    def set_best_evaluation(self, evaluation: object) -> None:
        """The best weights' evaluation, which the worker sends just before the run's end."""
        self._best_evaluation = evaluation

    def show_run(self, result: FitResult | None, evaluation: object = None) -> None:
        """Offer the best weights of ``result`` (None: a run starts, or none ran yet)."""
        self._result, self._last_evaluation = result, evaluation
        if result is None:
            self._best_evaluation = None
        best = result.best if result is not None and result.model is not None else None
        with QSignalBlocker(self):
            self.setChecked(best is not None and result.restored_best)
        if best is None:
            self._offer(
                False, "Use best weights", "After a run: the weights of its epoch with the lowest validation loss"
            )
        elif result.restored_best:
            self._offer(False, f"Best weights (epoch {best.epoch})", "Early stopping restored the best epoch's weights")
        elif best.epoch == len(result.history):
            self._offer(
                False, "Last epoch was best", "The last epoch had the lowest validation loss: its weights are in use"
            )
        else:
            self._offer(
                True,
                f"Use best weights (epoch {best.epoch})",
                f"Use the weights of epoch {best.epoch}, the lowest validation loss, instead of the last epoch's "
                "(the draw pad, the evaluation and exports follow)",
            )

    def _offer(self, enabled: bool, text: str, tip: str) -> None:
        self.setEnabled(enabled)
        self.setText(text)
        self.setToolTip(tip)

    @Slot(bool)
    def _toggled(self, on: bool) -> None:
        result = self._result
        if result is None or result.best is None or result.model is None:
            return
        if on:
            self.chosen.emit(result.best.model, self._best_evaluation)
        else:
            self.chosen.emit(result.model, self._last_evaluation)
