"""The "draw a digit" panel: the pad, what the model saw, and what it thinks.

Predictions run in the GUI thread because one costs a few milliseconds (see
benchmarks/bench_draw_latency.py): throttled while a stroke grows, and at once when it ends.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import QEvent, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPalette, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.digits.reader import (
    BUNDLED,
    TRAINED,
    DigitReader,
    Prediction,
    describe_shapes,
    load_bundled_model,
    reads_digits,
)
from gui_app.core.training.trained_model import ModelFileError, TrainedModel
from gui_app.ui.drawing.pad import DrawPad
from gui_app.ui.drawing.saliency_view import SaliencyView
from gui_app.ui.pictures import to_qimage

#: While drawing, predict at most this often (ms); the end of a stroke always predicts at once.
THROTTLE_MS = 80
#: How much larger than 28×28 the model's input is shown.
INPUT_ZOOM = 4
_BAR, _BAR_TOP = "#7f8ea3", "#2e9e8f"
#: The bars of ink that is not a digit: the model's scores, faded, since they are not an answer.
_BAR_UNUSED = QColor(_BAR)
_BAR_UNUSED.setAlpha(70)
CHART_TITLE = "probability of each digit"


class DrawPanel(QWidget):
    """Pad + predicted digit + confidence + probability bars + saliency + the 28×28 input + model selector."""

    #: the Prediction just shown (its 28×28 image is what the block view runs), or None when the pad is blank
    reading_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drawPanel")
        self._readers: dict[str, DigitReader] = {}
        self._trained: TrainedModel | None = None
        self.last_prediction: Prediction | None = None

        self._build_pad_controls()
        self._build_readout()
        self._build_chart()
        self.saliency = SaliencyView(self)

        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(THROTTLE_MS)
        self._layout()
        self._connect()
        self._show_empty()
        # load the model once the window is up, not on the user's first stroke
        QTimer.singleShot(0, self._warm_up)

    # ------------------------------------------------------------------ parts
    def _build_pad_controls(self) -> None:
        """The pad, its Clear and Undo buttons, and the choice of model."""
        self.pad = DrawPad(self)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("clearPad")
        self.clear_button.setToolTip("Clear the pad (Esc or right-click)")
        self.undo_button = QPushButton("Undo stroke", self)
        self.undo_button.setObjectName("undoStroke")
        self.undo_button.setToolTip("Remove the last stroke (Ctrl+Z)")

        self.model_selector = QComboBox(self)
        self.model_selector.setObjectName("modelSelector")
        self.model_selector.addItem(BUNDLED, BUNDLED)
        self.model_selector.addItem(TRAINED, TRAINED)
        self._set_trained_enabled(False, "Train a network with a 1×28×28 input and 10 outputs to use it here")

    def _build_readout(self) -> None:
        """The digit read, its confidence, the 28×28 image the model saw, and the status line."""
        self.predicted = QLabel("–", self)
        self.predicted.setObjectName("predictedDigit")
        font = QFont(self.font())
        font.setPointSize(48)
        font.setBold(True)
        self.predicted.setFont(font)
        self.predicted.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.predicted.setMinimumWidth(90)
        self.confidence = QLabel("", self)
        self.confidence.setObjectName("confidence")
        self.confidence.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_input = QLabel(self)
        self.model_input.setObjectName("modelInput")
        self.model_input.setFixedSize(28 * INPUT_ZOOM + 2, 28 * INPUT_ZOOM + 2)
        self.model_input.setStyleSheet("background: black; border: 1px solid palette(mid);")
        self.model_input.setToolTip("The 28×28 image the model received: ink scaled to 20 px, centred on its mass")
        self.status = QLabel("", self)
        self.status.setObjectName("drawStatus")
        self.status.setWordWrap(True)

    def _build_chart(self) -> None:
        """The probability of each digit as bars."""
        self.chart = pg.PlotWidget(self)
        self.chart.setObjectName("probabilityChart")
        self.chart.setMenuEnabled(False)
        self.chart.setMouseEnabled(False, False)
        self.chart.hideButtons()
        self.chart.setYRange(0, 1, padding=0.02)
        self.chart.setXRange(-0.6, 9.6, padding=0)
        self.chart.getAxis("bottom").setTicks([[(i, str(i)) for i in range(10)]])
        self.chart.setLabel("left", "probability")
        self.chart.setMinimumHeight(110)
        self._style_chart()
        # a label, not the plot's title: a plot title's width is the plot's minimum width
        self.chart_caption = QLabel(CHART_TITLE, self)
        self.chart_caption.setObjectName("chartCaption")
        self.chart_caption.setWordWrap(True)
        self.chart_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # room for two lines always, so the chart does not jump when a reason needs the second
        self.chart_caption.setMinimumHeight(2 * self.chart_caption.fontMetrics().lineSpacing())
        self.bars = pg.BarGraphItem(x=np.arange(10), height=np.zeros(10), width=0.7, brush=_BAR, pen=None)
        self.chart.addItem(self.bars)

    # ------------------------------------------------------------------ layout
    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.pad, 1)
        left.addLayout(buttons)

        answer = QGridLayout()
        answer.addWidget(self.predicted, 0, 0)
        answer.addWidget(self.model_input, 0, 1, Qt.AlignmentFlag.AlignCenter)
        answer.addWidget(self.confidence, 1, 0)
        seen = QLabel("model input (28×28)", self)
        seen.setAlignment(Qt.AlignmentFlag.AlignCenter)
        answer.addWidget(seen, 1, 1)
        selector = QHBoxLayout()
        selector.addWidget(QLabel("Model:", self))
        selector.addWidget(self.model_selector, 1)
        info = QVBoxLayout()
        info.addLayout(selector)
        info.addLayout(answer)
        info.addWidget(self.status)
        info.addStretch(1)

        # Pad | answer | chart side by side: the pad stays a square as tall as the dock, so a
        # short bottom dock shows everything without scrolling; a narrow side dock stacks them.
        self._root = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._root.addLayout(left, 3)
        self._root.addLayout(info, 0)
        chart = QVBoxLayout()
        chart.addWidget(self.chart_caption)
        chart.addWidget(self.chart, 1)
        self._root.addLayout(chart, 2)
        self._root.addWidget(self.saliency, 0)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def _style_chart(self) -> None:
        """Follow the app's light or dark palette instead of pyqtgraph's black default."""
        palette = self.palette()
        self.chart.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for name in ("left", "bottom"):
            axis = self.chart.getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # docked in a narrow side area, stack the pad above the answer instead of beside it
        size = event.size()
        direction = (
            QBoxLayout.Direction.TopToBottom
            if size.height() > 1.2 * size.width()
            else (QBoxLayout.Direction.LeftToRight)
        )
        if self._root.direction() != direction:
            self._root.setDirection(direction)
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the app switched light/dark
            self._style_chart()
        super().changeEvent(event)

    def _connect(self) -> None:
        self.pad.drawing_changed.connect(self._on_drawing_changed)
        self.pad.stroke_finished.connect(self._on_stroke_finished)
        self.pad.cleared.connect(self._show_empty)
        self.clear_button.clicked.connect(self.pad.clear)
        self.undo_button.clicked.connect(self.pad.undo)
        self._throttle.timeout.connect(self.predict)
        self.model_selector.currentIndexChanged.connect(self._on_model_chosen)

    # ------------------------------------------------------------------ model choice
    def set_trained_model(self, model: TrainedModel | None) -> None:
        """Use ``model`` (a finished training run) if it reads 28×28 digits, else the bundled one."""
        self._readers.pop(TRAINED, None)
        if reads_digits(model):
            assert model is not None
            self._trained = model
            self._set_trained_enabled(True, "The network trained in this session")
            index = 1
        else:
            self._trained = None
            reason = "The last trained network does not take a 1×28×28 image with 10 outputs"
            self._set_trained_enabled(False, reason if model is not None else "No network trained yet")
            index = 0
        with QSignalBlocker(self.model_selector):  # one prediction below, not one per signal
            self.model_selector.setCurrentIndex(index)
        self._on_model_chosen()
        if model is not None and self._trained is None:
            self.status.setText(
                f"{describe_shapes(model)}; reading digits needs 1×28×28 → 10, "
                "so the bundled MNIST model reads the pad."
            )

    def current_source(self) -> str:
        """BUNDLED or TRAINED: the model that reads the pad now."""
        return str(self.model_selector.currentData())

    def reader_name(self) -> str:
        """The model that reads the pad now, in words ("the bundled MNIST model")."""
        if self.current_source() != TRAINED or self._trained is None:
            return f"the {BUNDLED}"
        source = self._trained.source
        return f"the trained model from {source}" if source and source != TRAINED else f"the model {TRAINED}"

    def _set_trained_enabled(self, enabled: bool, tip: str) -> None:
        item = self.model_selector.model().item(1)  # type: ignore[attr-defined]
        item.setEnabled(enabled)
        item.setToolTip(tip)

    def _reader(self) -> DigitReader | None:
        source = self.current_source()
        if source not in self._readers:
            try:
                model = self._trained if source == TRAINED and self._trained else load_bundled_model()
                self._readers[source] = DigitReader(model)
            except ModelFileError as exc:
                self.status.setText(f"No model to read digits: {exc}")
                return None
        return self._readers[source]

    @Slot()
    def _warm_up(self) -> None:
        reader = self._reader()
        if reader is not None:
            reader.warm_up()

    @Slot()
    def _on_model_chosen(self) -> None:
        self.status.setText("")
        if self.pad.is_empty():
            self._show_empty()
        else:
            self.predict()

    # ------------------------------------------------------------------ predicting
    @Slot()
    def _on_drawing_changed(self) -> None:
        if not self._throttle.isActive():
            self._throttle.start()

    @Slot()
    def _on_stroke_finished(self) -> None:
        self._throttle.stop()
        self.predict()

    @Slot()
    def predict(self) -> Prediction | None:
        """Read the pad now and show the result; None (and an empty display) if it is blank."""
        reader = self._reader()
        if reader is None or self.pad.is_empty():
            self._show_empty()
            return None
        prediction = reader.read(self.pad.render_image(), invert=False)
        if prediction is None:
            self._show_empty()
            return None
        self._show_prediction(prediction, reader)
        return prediction

    def show_image(self, image: np.ndarray, caption: str = "") -> Prediction | None:
        """Show a 28×28 grey image (uint8, or floats in [0, 1]) as the model's input, with the
        current model's reading of it, as if it had been drawn; ``caption`` (where the image
        came from) goes in the status line. The pad is cleared: its strokes did not make this
        image. The image is taken as it is, not centred again (it is already a model input)."""
        pixels = np.asarray(image)
        if pixels.shape != (28, 28):
            raise ValueError(f"the draw pad shows 28×28 grey images, not {pixels.shape}")
        values = pixels.astype(np.float32) / 255.0 if pixels.dtype == np.uint8 else pixels.astype(np.float32)
        reader = self._reader()
        if reader is None:
            return None
        self.pad.clear()  # its ``cleared`` empties the readout, then this image fills it
        tensor = torch.from_numpy(np.clip(values, 0.0, 1.0))
        probabilities = reader.probabilities(tensor)[0]
        prediction = Prediction(int(probabilities.argmax()), tuple(float(p) for p in probabilities), tensor)
        self._show_prediction(prediction, reader)
        self.status.setText(caption)
        return prediction

    def _show_prediction(self, prediction: Prediction, reader: DigitReader) -> None:
        self.last_prediction = prediction
        # ink that is not a digit (a dot, a dash, a scribble: core/digits/rejection.py) gets no answer
        answer = prediction.answer
        self.predicted.setText("–" if answer is None else str(answer))
        self.confidence.setText("draw a digit" if answer is None else f"{prediction.confidence:.1%} sure")
        self.confidence.setToolTip(prediction.reason or "")
        self._show_bars(np.asarray(prediction.probabilities), answer, prediction.reason)
        self._show_input(prediction.image.numpy())
        self.saliency.show_reading(reader, prediction)
        self.reading_changed.emit(prediction)

    @Slot()
    def _show_empty(self) -> None:
        self._throttle.stop()
        self.last_prediction = None
        self.predicted.setText("–")
        self.confidence.setText("draw a digit")
        self.confidence.setToolTip("")
        self._show_bars(np.zeros(10), None, None)
        self._show_input(np.zeros((28, 28), dtype=np.float32))
        self.saliency.show_reading(None, None)
        self.reading_changed.emit(None)

    def _show_bars(self, heights: np.ndarray, answer: int | None, refused: str | None) -> None:
        """The ten probabilities; for ink refused as not a digit, faded under a title that says why."""
        if refused is None:
            brushes = [_BAR_TOP if i == answer else _BAR for i in range(10)]
            title = CHART_TITLE
        else:
            brushes, title = [_BAR_UNUSED] * 10, f"{refused}: the model's scores, not an answer"
        self.bars.setOpts(height=heights, brushes=brushes)
        self.chart_caption.setText(title)

    def _show_input(self, image: np.ndarray) -> None:
        qimage = to_qimage((np.clip(image, 0, 1) * 255).astype(np.uint8))
        side = 28 * INPUT_ZOOM
        self.model_input.setPixmap(
            QPixmap.fromImage(qimage).scaled(
                side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        )


if __name__ == "__main__":  # preview: python -m gui_app.ui.drawing.panel
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    panel = DrawPanel()
    panel.resize(760, 420)
    panel.show()
    sys.exit(app.exec())
