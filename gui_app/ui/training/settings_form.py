"""The run settings form: every TrainingConfig field, laid out in three compact columns."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QWidget,
)

from gui_app.core.layers.catalogue import ParamError
from gui_app.core.project.run_config import (
    DATASETS,
    LOSSES,
    NORMALIZATIONS,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULERS,
    TrainingConfig,
)
from gui_app.core.training.devices import list_devices

DATASET_LABELS = {
    "mnist": "MNIST",
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "image_folder": "Image folder…",
    "linear_regression": "Linear regression (synthetic)",
}
NORMALIZATION_LABELS = {"dataset": "dataset mean/std", "zero_one": "[0, 1]", "minus_one_one": "[-1, 1]"}


def _combo(items: dict[str, str] | tuple[str, ...]) -> QComboBox:
    combo = QComboBox()
    _compact(combo)
    pairs = items.items() if isinstance(items, dict) else ((i, i) for i in items)
    for value, label in pairs:
        combo.addItem(label, value)
    return combo


def _compact(combo: QComboBox) -> None:
    """Size a combo box by a short text, not its longest item, so the form fits a narrow dock."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(9)


def _double(minimum: float, maximum: float, decimals: int, step: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(minimum, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    return box


def _int(minimum: int, maximum: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    return box


#: Settings shown in a combo box, a float spin box and an int spin box (named as the field).
_COMBOS = ("dataset", "loss", "optimizer", "scheduler", "normalization", "device", "mixed_precision")
_FLOATS = ("lr", "momentum", "weight_decay", "gamma", "val_split")
_INTS = ("batch_size", "epochs", "step_size", "seed")


class TrainingSettingsForm(QWidget):
    """A view of a TrainingConfig (the project's, which is the one home of the settings).

    Each edit of one widget emits ``config_changed`` with the config shown, that one setting
    changed; no other value is read back from the widgets, so a value a widget cannot show
    exactly (a learning rate below its smallest step) is never changed by editing another.
    """

    config_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._make_data_editors()
        self._make_run_editors()
        self._lay_out()
        self._updating = False
        self._shown = TrainingConfig()
        self.set_config(self._shown)
        self._connect_edits()

    def _make_data_editors(self) -> None:
        self.dataset = _combo({d: DATASET_LABELS.get(d, d) for d in DATASETS})
        self.data_dir = QLineEdit()
        self.data_dir.setMinimumWidth(60)
        self.data_dir.setPlaceholderText("automatic (see Data menu)")
        self.data_dir.setToolTip(
            "This project's data folder, looked in first. Empty: the folder chosen with Data ▸ Data Folder…, "
            "then the download cache, then a download; MNIST falls back to the bundled sample."
        )
        self.browse = QToolButton()
        self.browse.setText("…")
        self.browse.setToolTip("Pick the folder that holds the dataset files")
        self.browse.clicked.connect(self._pick_folder)
        self.normalization = _combo({n: NORMALIZATION_LABELS.get(n, n) for n in NORMALIZATIONS})
        self.val_split = _double(0.0, 0.9, 2, 0.05)
        self.val_split.setToolTip("0: validate on the test split")

    def _make_run_editors(self) -> None:
        self.loss = _combo(LOSSES)
        self.optimizer = _combo(OPTIMIZERS)
        self.lr = _double(1e-6, 10.0, 6, 0.001)
        self.momentum = _double(0.0, 1.0, 3, 0.05)
        self.nesterov = QCheckBox("Nesterov")
        self.weight_decay = _double(0.0, 1.0, 6, 0.0001)
        self.batch_size = _int(1, 65536)
        self.epochs = _int(1, 10000)
        self.scheduler = _combo(SCHEDULERS)
        self.step_size = _int(1, 10000)
        self.gamma = _double(0.0, 1.0, 3, 0.05)
        self.device = QComboBox()
        _compact(self.device)
        for info in list_devices():
            self.device.addItem(info.label, info.id)
        self.seed = _int(0, 2**31 - 1)
        self.mixed_precision = _combo(PRECISIONS)
        self.early_stopping = _int(0, 10000)
        self.early_stopping.setSpecialValueText("off")
        self.lr.setToolTip("Learning rate")
        self.step_size.setToolTip("StepLR: epochs between decays; ReduceLROnPlateau: patience")
        self.gamma.setToolTip("StepLR and ReduceLROnPlateau: decay factor")
        self.early_stopping.setToolTip("Stop after this many epochs without a better validation loss")

    def _lay_out(self) -> None:
        """Three columns of six rows: they fit the dock at 1280×800."""
        folder = _row_of((self.data_dir, 1), (self.browse, 0), spacing=2)
        momentum = _row_of((self.momentum, 1), (self.nesterov, 0), spacing=4)  # Nesterov only qualifies it
        rows: list[tuple[str, QWidget]] = [
            ("Dataset", self.dataset),
            ("Data folder", folder),
            ("Loss", self.loss),
            ("Optimiser", self.optimizer),
            ("Learning rate", self.lr),
            ("Momentum", momentum),
            ("Weight decay", self.weight_decay),
            ("Batch size", self.batch_size),
            ("Epochs", self.epochs),
            ("Scheduler", self.scheduler),
            ("Step / patience", self.step_size),
            ("Gamma", self.gamma),
            ("Validation split", self.val_split),
            ("Normalise", self.normalization),
            ("Device", self.device),
            ("Seed", self.seed),
            ("Mixed precision", self.mixed_precision),
            ("Early stopping", self.early_stopping),
        ]
        for widget in (w for _, w in rows if w not in (folder, momentum)):
            widget.setMinimumWidth(72)  # below their size hint: the form must fit a narrow dock
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 4, 4, 4)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        per_column = 6
        for i, (label, widget) in enumerate(rows):
            column, row = divmod(i, per_column)
            grid.addWidget(QLabel(label), row, 2 * column)
            grid.addWidget(widget, row, 2 * column + 1)
            grid.setColumnStretch(2 * column + 1, 1)
        grid.setRowStretch(per_column, 1)

    def _connect_edits(self) -> None:
        """Each widget reports its own setting: one edit, one setting changed."""
        for name in _COMBOS:
            combo: QComboBox = getattr(self, name)
            combo.currentIndexChanged.connect(lambda _i, n=name, box=combo: self._edited(n, box.currentData()))
        for name in (*_FLOATS, *_INTS):
            getattr(self, name).valueChanged.connect(lambda value, name=name: self._edited(name, value))
        self.early_stopping.valueChanged.connect(lambda value: self._edited("early_stopping_patience", value))
        self.nesterov.toggled.connect(lambda checked: self._edited("nesterov", checked))
        self.data_dir.editingFinished.connect(self._data_dir_edited)

    def set_config(self, config: TrainingConfig) -> None:
        """Show ``config`` without emitting ``config_changed``."""
        self._updating = True
        self._shown = config
        try:
            for name in ("dataset", "loss", "optimizer", "scheduler", "normalization", "mixed_precision"):
                combo: QComboBox = getattr(self, name)
                combo.setCurrentIndex(max(0, combo.findData(getattr(config, name))))
            index = self.device.findData(config.device)
            if index < 0:  # a device from another machine: keep it visible, it fails with a message
                self.device.addItem(f"{config.device} (not found here)", config.device)
                index = self.device.count() - 1
            self.device.setCurrentIndex(index)
            self.data_dir.setText(config.data_dir or "")
            for name in _FLOATS:
                getattr(self, name).setValue(float(getattr(config, name)))
            for name in _INTS:  # a seed may be past what a QSpinBox holds: it shows its largest
                box: QSpinBox = getattr(self, name)
                box.setValue(min(int(getattr(config, name)), box.maximum()))
            self.early_stopping.setValue(config.early_stopping_patience)
            self.nesterov.setChecked(config.nesterov)
        finally:
            self._updating = False
        self._update_enabled()

    def config(self) -> TrainingConfig:
        """The config shown: the last one set, with the edits made here since."""
        return self._shown

    @Slot(float)
    def set_learning_rate(self, lr: float) -> None:
        """Put ``lr`` into the settings as the user's own edit would (``config_changed``, one undo step).

        The learning-rate finder's *Use This Rate* comes here; the value is kept exactly, even
        where the spin box can only show it rounded.
        """
        config = self._shown.replace(lr=lr)
        if config != self._shown:
            self.set_config(config)
            self.config_changed.emit(config)

    def _update_enabled(self) -> None:
        sgd_like = self.optimizer.currentData() in ("SGD", "RMSprop")
        self.momentum.setEnabled(sgd_like)
        self.nesterov.setEnabled(self.optimizer.currentData() == "SGD")
        uses_step = self.scheduler.currentData() in ("StepLR", "ReduceLROnPlateau")
        self.step_size.setEnabled(uses_step)
        self.gamma.setEnabled(uses_step)

    def _edited(self, name: str, value: Any) -> None:
        self._update_enabled()
        if self._updating:
            return
        try:
            config = self._shown.replace(**{name: value})
        except ParamError:  # a widget's range is within the setting's: cannot happen, but never crash
            self.set_config(self._shown)
            return
        if config != self._shown:
            self._shown = config
            self.config_changed.emit(config)

    @Slot()
    def _data_dir_edited(self) -> None:
        self._edited("data_dir", self.data_dir.text().strip() or None)

    @Slot()
    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with the dataset files", self.data_dir.text())
        if folder:
            self.data_dir.setText(folder)
            self._data_dir_edited()


def _row_of(*widgets: tuple[QWidget, int], spacing: int) -> QWidget:
    """Widgets side by side in one cell of the form, each with its stretch."""
    host = QWidget()
    row = QHBoxLayout(host)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget, stretch in widgets:
        row.addWidget(widget, stretch)
    return host
