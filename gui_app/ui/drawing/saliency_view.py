"""Beside the pad's probabilities: which pixels of the 28×28 input drove the answer, and the top-3 classes.

Gradient × input costs one backward pass (a few ms); it is computed :data:`GRADIENT_DELAY_MS`
after a reading, once the pad's answer and the block view are on screen, for the newest of the
readings that came meanwhile. Integrated gradients costs about ten times that, so it waits
until the pen has rested for :data:`INTEGRATED_DELAY_MS` and never holds up a growing stroke.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QSizePolicy, QWidget

from gui_app.core.digits.reader import DigitReader, Prediction
from gui_app.core.digits.saliency import Saliency, SaliencyMethod, saliency
from gui_app.ui.pictures import PictureView, heat_over_grey

#: How long after a reading gradient × input is computed (ms): after the repaint it would delay.
GRADIENT_DELAY_MS = 20
#: How long the pen must rest before integrated gradients are computed (ms).
INTEGRATED_DELAY_MS = 150
#: How much larger than 28×28 the overlay is drawn.
ZOOM = 4
_BLANK = np.zeros((28, 28), dtype=np.float32)


class SaliencyView(QWidget):
    """The saliency overlay on the model's 28×28 input, the method choice and the three likeliest digits."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("saliencyView")
        self.last_saliency: Saliency | None = None
        self._pending: tuple[DigitReader, Prediction] | None = None
        title = QLabel("<b>Why?</b>", self)
        title.setToolTip("Which pixels of the model's 28×28 input drove its answer")
        self.method = QComboBox(self)
        self.method.setObjectName("saliencyMethod")
        for method in SaliencyMethod:
            self.method.addItem(method.value, method)
        self.method.setToolTip(
            "Gradient × input: how much each pixel's ink raised the answer's score, from one backward pass.\n"
            "Integrated gradients: the same along the way from a black image to the digit; "
            "the pixels' shares add up to the score."
        )
        self.overlay = PictureView(self, QSize(28 * ZOOM, 28 * ZOOM))
        self.overlay.setObjectName("saliencyOverlay")
        self.overlay.setFixedSize(28 * ZOOM, 28 * ZOOM)
        self.overlay.setToolTip("Red pixels pushed the model towards its answer, blue ones away from it")
        self.top = QLabel(self)
        self.top.setObjectName("topClasses")
        self.top.setTextFormat(Qt.TextFormat.RichText)
        self.legend = QLabel("", self)
        self.legend.setWordWrap(True)
        self.legend.setFixedWidth(28 * ZOOM + 90)
        layout = QGridLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(title, 0, 0)
        layout.addWidget(self.method, 0, 1)
        layout.addWidget(self.overlay, 1, 0)
        layout.addWidget(self.top, 1, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.legend, 2, 0, 1, 2)
        layout.setRowStretch(3, 1)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._compute_pending)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.show_reading(None, None)

    def current_method(self) -> SaliencyMethod:
        return SaliencyMethod(self.method.currentData())

    def show_reading(self, reader: DigitReader | None, prediction: Prediction | None) -> None:
        """Explain ``prediction`` (made by ``reader``); None clears the view."""
        self._timer.stop()
        if reader is None or prediction is None:
            self._pending = None
            self.last_saliency = None
            self.overlay.set_picture(heat_over_grey(_BLANK, _BLANK))
            self.top.setText("top 3<br>–")
            self.legend.setText("")
            return
        self._pending = (reader, prediction)
        integrated = self.current_method() is SaliencyMethod.INTEGRATED_GRADIENTS
        self._timer.start(INTEGRATED_DELAY_MS if integrated else GRADIENT_DELAY_MS)

    @Slot()
    def _method_changed(self) -> None:
        if self._pending is not None:
            self._timer.stop()
            self._compute_pending()

    @Slot()
    def _compute_pending(self) -> None:
        if self._pending is None:
            return
        reader, prediction = self._pending
        model = reader.model
        result = saliency(reader.network, prediction.image, model.mean, model.std, self.current_method())
        self.last_saliency = result
        self.overlay.set_picture(heat_over_grey(prediction.image.numpy(), result.attribution))
        # ink refused as not a digit: the scores are shown, but none of them is the answer
        answer = prediction.is_digit
        lines = [
            f"<b>{digit} &nbsp; {probability:.1%}</b>" if rank == 0 and answer else f"{digit} &nbsp; {probability:.1%}"
            for rank, (digit, probability) in enumerate(result.top)
        ]
        self.top.setText(("top 3" if answer else "top 3, no answer") + "<br>" + "<br>".join(lines))
        self.legend.setText(f"red: for {result.target} · blue: against")
