"""The block view: what the block selected on the canvas makes of one image, and its weights.

The image is a test image of the project's dataset (stepped through with the arrows) or the
digit on the draw pad. The weights are the newest that fit the network on the canvas (see
:mod:`gui_app.core.training.inspection_sources`): the last epoch's copy while a run trains, the
finished run's, or the untrained network's own. One forward pass records every block's output,
so selecting another block only redraws; the pass is redone when the image or the weights change,
and only while the view is on screen (a hidden view catches up when it is shown again).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from torch import nn

from gui_app.core.analysis.compiler import CompileError
from gui_app.core.analysis.messages import block_name
from gui_app.core.data.dataset_types import DatasetError
from gui_app.core.digits.reader import Prediction
from gui_app.core.project.spec import NetworkSpec
from gui_app.core.text.class_names import class_name
from gui_app.core.text.numbers import format_shape
from gui_app.core.training.inspection import (
    MAX_UNITS,
    BlockOutput,
    DisplayKind,
    WeightPictures,
    block_outputs,
    weight_pictures,
)
from gui_app.core.training.inspection_sources import (
    InspectedNetwork,
    ProbeImages,
    inspected_network,
    load_probe_images,
    normalise_input,
)
from gui_app.core.training.trained_model import TrainedModel
from gui_app.ui.inspecting.output_views import BarsView, TileGrid
from gui_app.ui.pictures import PictureView, colourise, colourise_rgb

TEST, PAD = "test", "pad"
PAD_SHAPE = (1, 28, 28)
#: Edits to the network are followed once they pause this long (ms): a spin box can send many.
EDIT_DELAY_MS = 150
#: Feature maps reach full colour at this percentile of their magnitudes.
SCALE_PERCENTILE = 99.5
#: Longer vectors than this are drawn as a picture, row by row, rather than as bars too thin to see.
MAX_BARS = 256


class BlockView(QWidget):
    """See the module docstring. ``spec_provider`` returns the network on the canvas (a copy that
    keeps the blocks' uids: the view names the selected block by uid and finds it in each copy)."""

    def __init__(self, spec_provider: Callable[[], NetworkSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockView")
        self.spec_provider = spec_provider
        self._epoch_model: TrainedModel | None = None
        self._trained_model: TrainedModel | None = None
        self._spec: NetworkSpec | None = None
        self._inspected: InspectedNetwork | None = None
        self._network_problem = ""
        self._probes: ProbeImages | None = None
        self._probes_key: tuple | None = None
        self._probe_problem = ""
        self._index = 0
        self._pad_image: torch.Tensor | None = None
        #: the selected block's uid, and its place in ``_spec`` (found again at each refresh: an
        #: edit such as a move, an insertion above it or an undo shifts it)
        self._block_uid: int | None = None
        self._block: int | None = None
        self._outputs: list[BlockOutput] | None = None
        self._input_problem = ""
        self._current_sample: torch.Tensor | None = None
        #: (network, block) the Weights tab shows: a new image leaves the weights as they are
        self._weights_of: tuple[nn.Sequential, int] | None = None
        #: what the Output and Weights tabs show now (None: a message instead)
        self.shown_output: BlockOutput | None = None
        self.shown_weights: WeightPictures | None = None
        self._active = False
        self._build()
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self.refresh)

    # ------------------------------------------------------------------ parts
    def _build(self) -> None:
        self._build_controls()
        self.input_picture = PictureView(self, QSize(56, 56))
        self.input_picture.setObjectName("blockViewInput")
        self.input_picture.setFixedSize(56, 56)
        self.input_picture.setToolTip("The image the network reads")
        self.info = QLabel(self)
        self.info.setObjectName("blockViewInfo")
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.RichText)
        self.maps = TileGrid(self)
        self.maps.setObjectName("blockOutputMaps")
        self.bars = BarsView(self)
        self.bars.setObjectName("blockOutputBars")
        self.output_message = _message(self)
        self.output_stack = _stack(self, self.output_message, self.maps, self.bars)
        self.output_caption = _caption(self)
        self.weights = TileGrid(self)
        self.weights.setObjectName("blockWeights")
        self.weights_message = _message(self)
        self.weights_stack = _stack(self, self.weights_message, self.weights)
        self.weights_caption = _caption(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(_column(self.output_stack, self.output_caption), "Output")
        self.tabs.addTab(_column(self.weights_stack, self.weights_caption), "Weights")
        top = QGridLayout()
        top.addWidget(self.input_picture, 0, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
        top.addLayout(self._controls, 0, 1)
        top.addWidget(self.probe_label, 1, 1)
        top.addWidget(self.info, 2, 0, 1, 2)
        top.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    def _build_controls(self) -> None:
        """Test image or draw pad, and the arrows that step through the test images."""
        self.test_button = _toggle(self, "Test image", "testSource", "A test image of the project's dataset")
        self.pad_button = _toggle(self, "Draw pad", "padSource", "The digit on the draw pad")
        self.test_button.setChecked(True)
        group = QButtonGroup(self)
        group.setExclusive(True)
        group.addButton(self.test_button)
        group.addButton(self.pad_button)
        self.previous_button = QToolButton(self)
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_button.setObjectName("previousImage")
        self.previous_button.setToolTip("The previous test image")
        self.next_button = QToolButton(self)
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setObjectName("nextImage")
        self.next_button.setToolTip("The next test image")
        self.probe_label = QLabel(self)
        self.probe_label.setObjectName("probeLabel")
        self.probe_label.setWordWrap(True)
        self._controls = QHBoxLayout()
        for widget in (self.test_button, self.pad_button, self.previous_button, self.next_button):
            self._controls.addWidget(widget)
        self._controls.addStretch(1)
        self.test_button.toggled.connect(self._source_toggled)
        self.previous_button.clicked.connect(self.previous_image)
        self.next_button.clicked.connect(self.next_image)

    # ------------------------------------------------------------------ what the window tells it
    def source(self) -> str:
        return TEST if self.test_button.isChecked() else PAD

    def set_source(self, source: str) -> None:
        (self.test_button if source == TEST else self.pad_button).setChecked(True)

    def set_active(self, active: bool) -> None:
        """On screen or not: a hidden view computes nothing and catches up when shown."""
        self._active = active
        if active:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.set_active(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._active = False

    @Slot(object)
    def network_changed(self, _change: object = None) -> None:
        """The network on the canvas changed: rebuild it once the edits pause."""
        self._spec = None
        if self._active:
            self._edit_timer.start()

    def show_block(self, uid: int | None) -> None:
        """Show the block ``uid`` (a block inside a container shows the container's output), or
        None for no selection."""
        self._block_uid = uid
        self.refresh()

    @Slot(object)
    def set_epoch_weights(self, model: TrainedModel | None) -> None:
        """A copy of the weights at an epoch's end (from the training thread's signal)."""
        self._epoch_model = model
        self._drop_network()
        self.refresh()

    def set_trained_model(self, model: TrainedModel | None) -> None:
        """The finished run's model (or None after a new project); it replaces the epoch copies."""
        self._trained_model = model
        self._epoch_model = None
        self._drop_network()
        self.refresh()

    @Slot(object)
    def set_pad_reading(self, prediction: Prediction | None) -> None:
        """The pad's new reading (its 28×28 image), or None when the pad was cleared."""
        self._pad_image = None if prediction is None else prediction.image
        if self.source() == PAD:
            self._outputs = None
            self.refresh()

    @Slot()
    def previous_image(self) -> None:
        self._step(-1)

    @Slot()
    def next_image(self) -> None:
        self._step(1)

    def _step(self, delta: int) -> None:
        count = len(self._probes) if self._probes is not None else 0
        if count:
            self._index = (self._index + delta) % count
        self.set_source(TEST)
        self._outputs = None
        self.refresh()

    @Slot(bool)
    def _source_toggled(self, _checked: bool) -> None:
        self._outputs = None
        self.refresh()

    def _drop_network(self) -> None:
        self._inspected = None
        self._outputs = None
        self._weights_of = None

    # ------------------------------------------------------------------ computing
    @Slot()
    def refresh(self) -> None:
        """Bring everything shown up to date (a no-op while hidden)."""
        if not self._active:
            return
        self._edit_timer.stop()
        if self._spec is None:
            self._spec = self.spec_provider()
            self._drop_network()
        self._block = _top_level_index(self._spec, self._block_uid)
        if self._inspected is None and not self._build_network():
            self._show_nothing(self._network_problem)
            return
        if self._outputs is None:
            self._outputs = self._run()
        self._show()

    def _build_network(self) -> bool:
        spec = self._spec
        assert spec is not None
        if not spec.layers:
            self._network_problem = "Add blocks to the network to see what they make of an image."
            return False
        probes = self._probe_images(spec)
        normalisation = (probes.mean, probes.std) if probes is not None else ((0.0,), (1.0,))
        try:
            self._inspected = inspected_network(spec, [self._epoch_model, self._trained_model], normalisation)
        except CompileError as exc:
            self._network_problem = f"The network has an error: {exc}"
            return False
        self._network_problem = ""
        return True

    def _probe_images(self, spec: NetworkSpec) -> ProbeImages | None:
        """The test split of the project's dataset, read once per dataset choice (never downloaded)."""
        config = spec.training
        key = (config.dataset, config.data_dir, config.val_split, config.normalization, tuple(spec.input_shape))
        if key != self._probes_key:
            self._probes_key = key
            self._probes, self._probe_problem = None, ""
            try:
                self._probes = load_probe_images(config, tuple(spec.input_shape))
            except DatasetError as exc:
                self._probe_problem = f"No test images: {exc}"
            self._index = min(self._index, max(0, len(self._probes or ()) - 1))
        return self._probes

    def _sample(self) -> torch.Tensor | None:
        """The input the network reads now, in [0, 1]; None (with ``_input_problem`` saying why) if none."""
        spec = self._spec
        assert spec is not None
        shape = tuple(spec.input_shape)
        if self.source() == PAD:
            if shape != PAD_SHAPE:
                self._input_problem = f"The draw pad makes 1×28×28 images; this network takes {format_shape(shape)}."
                return None
            if self._pad_image is None:
                self._input_problem = "Draw a digit on the pad."
                return None
            return self._pad_image.reshape(PAD_SHAPE)
        probes = self._probe_images(spec)
        if probes is None:
            self._input_problem = self._probe_problem
            return None
        sample = probes.image(self._index)
        if tuple(sample.shape) != shape:
            self._input_problem = (
                f"The test images are {format_shape(tuple(sample.shape))}; the network takes {format_shape(shape)}."
            )
            return None
        return sample

    def _run(self) -> list[BlockOutput]:
        self._input_problem = ""
        sample = self._sample()
        inspected, spec = self._inspected, self._spec
        if sample is None or inspected is None or spec is None:
            self._current_sample = None
            return []
        self._current_sample = sample
        normalised = normalise_input(sample, inspected.mean, inspected.std)
        try:
            return block_outputs(inspected.network, normalised, spec.training.loss)
        except RuntimeError as exc:  # a network that compiles but fails on real data (a dtype, say)
            self._input_problem = f"The network cannot run on this image: {str(exc).splitlines()[0]}"
            return []

    # ------------------------------------------------------------------ showing
    def _show(self) -> None:
        self._show_controls()
        self._show_info()
        self._show_output()
        self._show_weights()

    def _show_nothing(self, message: str) -> None:
        self._weights_of = None
        self._show_controls()
        self.info.setText("")
        self.input_picture.set_picture(None)
        self.shown_output = self.shown_weights = None
        _say(self.output_stack, self.output_message, message)
        _say(self.weights_stack, self.weights_message, message)
        self.output_caption.setText("")
        self.weights_caption.setText("")

    def _show_controls(self) -> None:
        stepping = self.source() == TEST and self._probes is not None
        self.previous_button.setEnabled(stepping)
        self.next_button.setEnabled(stepping)
        pad_ok = self._spec is not None and tuple(self._spec.input_shape) == PAD_SHAPE
        self.pad_button.setEnabled(pad_ok or self.source() == PAD)
        self.pad_button.setToolTip("The digit on the draw pad" if pad_ok else "The draw pad makes 1×28×28 images")
        probes = self._probes
        if self.source() == TEST and probes is not None:
            self.probe_label.setText(
                f"test image {self._index + 1:,} of {len(probes):,} ({probes.name}): <b>{probes.label(self._index)}</b>"
            )
        else:
            self.probe_label.setText("the digit on the pad" if self.source() == PAD else "")

    def _show_info(self) -> None:
        sample = self._current_sample
        self.input_picture.set_picture(None if sample is None else _input_picture(sample))
        inspected = self._inspected
        weights = f"weights: {inspected.source}" if inspected is not None else ""
        answer = ""
        if self._outputs and self._outputs[-1].kind is DisplayKind.PROBABILITIES:
            probabilities = self._outputs[-1].values
            best = int(np.argmax(probabilities))
            answer = f" · the network says <b>{self._class_name(best)}</b> ({probabilities[best]:.0%})"
        if self._block is None or self._spec is None or self._block >= len(self._spec.layers):
            block = "Select a block on the canvas to see its output."
        else:
            layer = self._spec.layers[self._block]
            block = f"<b>{block_name(self._block).capitalize()}: {layer.type}</b>"
            if self._outputs:
                block += f" → {format_shape(self._outputs[self._block].shape)}"
        self.info.setText(f"{block}<br>{weights}{answer}")

    def _class_name(self, index: int) -> str:
        names = self._probes.class_names if self._probes is not None else ()
        return class_name(names, index)

    def _show_output(self) -> None:
        self.shown_output = None
        if self._input_problem or not self._outputs:
            _say(self.output_stack, self.output_message, self._input_problem or "No image to show.")
            self.output_caption.setText("")
            return
        if self._block is None or self._block >= len(self._outputs):
            _say(self.output_stack, self.output_message, "Select a block on the canvas to see its output.")
            self.output_caption.setText("")
            return
        output = self._outputs[self._block]
        self.shown_output = output
        if output.kind in (DisplayKind.MAPS, DisplayKind.MATRIX):
            self._show_maps(output)
        elif output.kind is DisplayKind.VECTOR and len(output.values) > MAX_BARS:
            self._show_long_vector(output)
        else:
            probabilities = output.kind is DisplayKind.PROBABILITIES
            labels = [self._class_name(i) for i in range(len(output.values))] if probabilities else ()
            self.bars.set_values(output.values, labels, probabilities)
            self.output_stack.setCurrentWidget(self.bars)
            self.output_caption.setText(_bars_caption(output))

    def _show_maps(self, output: BlockOutput) -> None:
        values = output.values if output.kind is DisplayKind.MAPS else output.values[None]
        shown = values[:MAX_UNITS]
        # A few large values would leave everything else pale: full colour from the 99.5th percentile up.
        scale = float(np.percentile(np.abs(values), SCALE_PERCENTILE)) if values.size else 0.0
        signed = bool(values.size and values.min() < 0)
        self.maps.set_tiles(shown, scale=scale, signed=signed)
        self.output_stack.setCurrentWidget(self.maps)
        self.output_caption.setText(_maps_caption(output, len(shown), scale, signed))

    def _show_long_vector(self, output: BlockOutput) -> None:
        values = output.values
        columns = math.ceil(math.sqrt(len(values)))
        rows = math.ceil(len(values) / columns)
        picture = np.full(rows * columns, np.nan, np.float32)
        picture[: len(values)] = values
        scale = float(np.percentile(np.abs(values), SCALE_PERCENTILE))
        signed = bool(values.min() < 0)
        self.maps.set_tiles(picture.reshape(1, rows, columns), scale=scale, signed=signed)
        self.output_stack.setCurrentWidget(self.maps)
        self.output_caption.setText(
            f"{_bars_caption(output)[:-1]}; drawn row by row as a {rows}×{columns} picture, {_colours(scale, signed)}."
        )

    def _show_weights(self) -> None:
        inspected, spec = self._inspected, self._spec
        shown_for = (inspected.network, self._block) if inspected is not None and self._block is not None else None
        if shown_for is not None and shown_for == self._weights_of:
            return
        self._weights_of = shown_for
        self.shown_weights = None
        if inspected is None or spec is None or self._block is None or self._block >= len(spec.layers):
            _say(self.weights_stack, self.weights_message, "Select a Linear or Conv2d block on the canvas.")
            self.weights_caption.setText("")
            return
        pictures = weight_pictures(inspected.network, tuple(spec.input_shape), self._block)
        if pictures is None:
            _say(
                self.weights_stack,
                self.weights_message,
                "Weights are drawn for convolutions (their filters) and for a first Linear layer that sees the "
                "image's pixels (each unit as an image).",
            )
            self.weights_caption.setText("")
            return
        self.shown_weights = pictures
        self.weights.set_tiles(_each_on_its_scale(pictures.tiles), pictures.columns, scale=1.0, signed=True)
        self.weights_stack.setCurrentWidget(self.weights)
        self.weights_caption.setText(f"{pictures.caption}; each tile on its own scale.")


# ---------------------------------------------------------------------- small parts


def _top_level_index(spec: NetworkSpec, uid: int | None) -> int | None:
    """Where block ``uid`` is in the Sequential: its own place, or its outermost container's."""
    if uid is None:
        return None
    try:
        return spec.place(uid).address[0]
    except KeyError:  # deleted since it was selected
        return None


def _toggle(parent: QWidget, text: str, name: str, tip: str) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setCheckable(True)
    button.setAutoRaise(False)
    return button


def _message(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("blockViewMessage")
    return label


def _caption(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setObjectName("blockViewCaption")
    return label


def _stack(parent: QWidget, *widgets: QWidget) -> QStackedWidget:
    stack = QStackedWidget(parent)
    for widget in widgets:
        stack.addWidget(widget)
    return stack


def _column(*widgets: QWidget) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(2, 2, 2, 2)
    layout.addWidget(widgets[0], 1)
    for widget in widgets[1:]:
        layout.addWidget(widget)
    return page


def _say(stack: QStackedWidget, label: QLabel, message: str) -> None:
    label.setText(message)
    stack.setCurrentWidget(label)


def _input_picture(sample: torch.Tensor) -> np.ndarray | None:
    """The image the network reads as a picture (grey or colour), or None for feature vectors."""
    if sample.dim() != 3 or sample.shape[0] not in (1, 3):
        return None
    array = sample.numpy()
    if sample.shape[0] == 1:
        return colourise(array[0], scale=1.0, signed=False)
    return colourise_rgb(np.transpose(array, (1, 2, 0)) * 2 - 1)


def _each_on_its_scale(tiles: np.ndarray) -> np.ndarray:
    """Tiles divided by their own largest magnitude (a zero tile stays zero)."""
    axes = tuple(range(1, tiles.ndim))
    peak = np.abs(tiles).max(axis=axes, keepdims=True)
    return tiles / np.where(peak > 0, peak, 1.0)


def _maps_caption(output: BlockOutput, shown: int, scale: float, signed: bool) -> str:
    if output.kind is DisplayKind.MATRIX:
        what = f"one {format_shape(output.shape)} picture"
    else:
        channels = output.shape[0]
        of = f" (the first {shown} of {channels})" if shown < channels else ""
        what = f"{shown} feature maps{of}, {output.shape[1]}×{output.shape[2]} each"
    return f"{what}; one scale for all: {_colours(scale, signed)}."


def _colours(scale: float, signed: bool) -> str:
    if signed:
        return f"blue −{scale:.3g}, white 0, red +{scale:.3g} and beyond"
    return f"black 0, white {scale:.3g} and beyond"


def _bars_caption(output: BlockOutput) -> str:
    values = output.values
    if output.kind is DisplayKind.PROBABILITIES:
        return f"The probability of each of the {len(values)} classes."
    zero = float((values == 0).mean()) if values.size else 0.0
    return (
        f"{len(values):,} values, from {values.min():.3g} to {values.max():.3g}"
        + (f"; {zero:.0%} are exactly 0" if zero else "")
        + "."
    )
