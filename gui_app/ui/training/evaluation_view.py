"""After a run: the confusion matrix as a heat map, per-class accuracy, and sample predictions.

Clicking a confusion cell lists that cell's test images, most confident first, each with its
top-3 answer; *Most confidently wrong* lists every error the same way, and *Samples* goes back
to the sample grid. Clicking a listed image emits :attr:`EvaluationView.test_image_chosen`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QRectF, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedLayout,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from gui_app.core.text.class_names import class_name
from gui_app.core.training.evaluation import EvaluationResult
from gui_app.ui.pictures import to_qimage
from gui_app.ui.training.drilldown import AnswerList
from gui_app.ui.training.per_class import PerClassAccuracyPlot

_WRONG = "#d03030"
_RIGHT = "#2a8a3a"
THUMB = 36


#: (rows, columns) an arrow key moves the confusion matrix's frame by
_STEPS = {Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0), Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1)}


class ConfusionMatrixView(QWidget):
    """Rows are true classes, columns predicted ones; each cell coloured by its share of the row.

    Painted directly, not as a plot: the cells stretch to whatever room the dock gives (it is
    short at 1280×800) and the counts take the largest font that fits the largest count, so a
    four-digit count is never cut. The minimum size keeps 7-point counts readable.
    """

    COUNT_POINTS = (9.0, 8.0, 7.0)
    MAX_COUNTED = 12  # more classes: colours only, counts in the tooltips

    #: (true class, predicted class) of a cell the user clicked
    cell_clicked = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confusionMatrix")
        self.setMouseTracking(True)
        # The keyboard reaches every cell: arrows move the frame, Enter or Space lists its images.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Confusion matrix")
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        #: the cell whose images are listed, framed on the matrix
        self.selected_cell: tuple[int, int] | None = None
        self.names: tuple[str, ...] = ()
        lut = pg.colormap.get("viridis").getLookupTable(nPts=256, mode=pg.ColorMap.BYTE)
        self._colours = [QColor(int(r), int(g), int(b)) for r, g, b in lut[:, :3]]
        self._label_font = QFont(self.font())
        self._label_font.setPointSizeF(8.0)
        self._title_font = QFont(self._label_font)
        self._title_font.setBold(True)
        self._label_metrics = QFontMetrics(self._label_font)
        self._label_width = self._left_for(self.names)

    # ------------------------------------------------------------------ data
    def set_matrix(self, matrix: np.ndarray, names: tuple[str, ...]) -> None:
        self.matrix = np.asarray(matrix, dtype=np.int64)
        self.select_cell(None)
        self.names = tuple(class_name(names, i) for i in range(len(self.matrix)))
        self._label_width = self._left_for(self.names)  # measured once here, not per cell per paint
        self.updateGeometry()
        self.update()

    def shares(self) -> np.ndarray:
        """Each cell's share of its row (a rare class's mistakes show as clearly as a common one's)."""
        return self.matrix / np.maximum(self.matrix.sum(axis=1, keepdims=True), 1)

    def column_labels(self) -> tuple[str, ...]:
        """Class names over the columns when they are short (digits), else their numbers."""
        short = all(len(name) <= 3 for name in self.names)
        return self.names if short else tuple(str(i) for i in range(len(self.names)))

    # ------------------------------------------------------------------ geometry
    def _left_for(self, names: tuple[str, ...]) -> int:
        """The width of the class-name column for ``names``."""
        metrics = self._label_metrics
        widest = max((metrics.horizontalAdvance(name) for name in names), default=0)
        return max(widest, metrics.horizontalAdvance("true ↓")) + 8

    def _left(self) -> int:
        return self._label_width

    def _top(self) -> int:
        return 2 * self._label_metrics.height() + 2  # title, then the predicted classes

    def _min_cell(self) -> tuple[int, int]:
        font = QFont(self._label_font)
        font.setPointSizeF(self.COUNT_POINTS[-1])
        metrics = QFontMetrics(font)
        widest = metrics.horizontalAdvance(str(int(self.matrix.max()))) if self.matrix.size else 0
        return max(widest + 4, 14), metrics.height() + 1

    def minimumSizeHint(self) -> QSize:
        n = max(len(self.matrix), 1)
        cell_w, cell_h = self._min_cell() if n <= self.MAX_COUNTED else (6, 6)
        return QSize(self._left() + n * cell_w + 2, self._top() + n * cell_h + 2)

    def sizeHint(self) -> QSize:
        hint = self.minimumSizeHint()
        return QSize(int(hint.width() * 1.3), hint.height())

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        n = max(len(self.matrix), 1)
        left, top = self._left(), self._top()
        width = (self.width() - left - 2) / n
        height = (self.height() - top - 2) / n
        return QRectF(left + predicted * width, top + true * height, width, height)

    def count_font(self) -> QFont | None:
        """The largest font in which every count fits its cell, or None (counts not drawn)."""
        if not self.matrix.size or len(self.matrix) > self.MAX_COUNTED:
            return None
        cell = self.cell_rect(0, 0)
        text = str(int(self.matrix.max()))
        for points in self.COUNT_POINTS:
            font = QFont(self._label_font)
            font.setPointSizeF(points)
            metrics = QFontMetrics(font)
            if metrics.horizontalAdvance(text) + 2 <= cell.width() and metrics.height() <= cell.height() + 1:
                return font
        return None

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.white)
        if self.matrix.size:
            self._paint_labels(painter)
            self._paint_cells(painter)
        painter.end()

    def _paint_labels(self, painter: QPainter) -> None:
        metrics = self._label_metrics
        painter.setPen(QColor(40, 40, 40))
        left = self._left()
        painter.setFont(self._title_font)
        title_box = QRectF(left, 0, self.width() - left - 2, metrics.height())
        title = QFontMetrics(self._title_font).elidedText(
            "Confusion matrix · predicted →", Qt.TextElideMode.ElideRight, int(title_box.width())
        )
        painter.drawText(title_box, Qt.AlignmentFlag.AlignCenter, title)
        painter.setFont(self._label_font)
        header = QRectF(0, metrics.height(), left - 4, metrics.height())
        painter.drawText(header, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "true ↓")
        for i, label in enumerate(self.column_labels()):
            cell = self.cell_rect(0, i)
            painter.drawText(
                QRectF(cell.left(), metrics.height(), cell.width(), metrics.height()),
                Qt.AlignmentFlag.AlignCenter,
                label,
            )
        for t, name in enumerate(self.names):
            cell = self.cell_rect(t, 0)
            painter.drawText(
                QRectF(0, cell.top(), left - 4, cell.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )

    def _paint_cells(self, painter: QPainter) -> None:
        n, top, left = len(self.matrix), self._top(), self._left()
        shares, font = self.shares(), self.count_font()
        for t in range(n):
            for p in range(n):
                cell = self.cell_rect(t, p)
                painter.fillRect(cell, self._colours[int(shares[t, p] * 255 + 0.5)])
                if font is not None and self.matrix[t, p]:
                    painter.setFont(font)
                    painter.setPen(Qt.GlobalColor.black if shares[t, p] > 0.5 else Qt.GlobalColor.white)
                    painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[t, p])))
        painter.setPen(QColor(160, 160, 160))
        painter.drawRect(QRectF(left, top, self.width() - left - 2, self.height() - top - 2))
        if self.selected_cell is not None:
            # white outside, black inside: visible on every colour of the map
            cell = self.cell_rect(*self.selected_cell)
            painter.setPen(QPen(Qt.GlobalColor.white, 2))
            painter.drawRect(cell.adjusted(1, 1, -1, -1))
            painter.setPen(QPen(Qt.GlobalColor.black, 1))
            painter.drawRect(cell.adjusted(2.5, 2.5, -2.5, -2.5))
        if self.hasFocus():  # where the keys act: around the whole matrix, in the focus colour
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine))
            painter.drawRect(QRectF(left - 1, top - 1, self.width() - left, self.height() - top))

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            self._show_tooltip(event)
            return True
        return super().event(event)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """(true, predicted) of the cell under ``pos``, found by arithmetic; None outside them."""
        n = len(self.matrix)
        first = self.cell_rect(0, 0)
        if n and first.width() > 0 and first.height() > 0:
            p = int((pos.x() - first.left()) // first.width())
            t = int((pos.y() - first.top()) // first.height())
            if 0 <= t < n and 0 <= p < n and pos.x() >= first.left() and pos.y() >= first.top():
                return t, p
        return None

    def _show_tooltip(self, event) -> None:
        cell = self.cell_at(event.pos())
        if cell is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPos(), self.cell_text(*cell), self)

    def cell_text(self, t: int, p: int) -> str:
        """What cell (t, p) holds, in words (its tooltip, and what a screen reader says)."""
        count, name = int(self.matrix[t, p]), self.names[t]
        share = count / max(int(self.matrix[t].sum()), 1)
        return f"true {name}, predicted {self.names[p]}: {count:,} ({share:.1%} of the {name}s)"

    def select_cell(self, cell: tuple[int, int] | None) -> None:
        self.selected_cell = cell
        self.setAccessibleDescription(self.cell_text(*cell) if cell is not None else "")
        self.update()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        n = len(self.matrix)
        key = event.key()
        if n and key in _STEPS:
            dt, dp = _STEPS[key]
            t, p = self.selected_cell if self.selected_cell is not None else (0, 0)
            if self.selected_cell is not None:
                t, p = min(max(t + dt, 0), n - 1), min(max(p + dp, 0), n - 1)
            self.select_cell((t, p))
        elif n and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            if self.selected_cell is None:
                self.select_cell((0, 0))
            self.cell_clicked.emit(*self.selected_cell)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        over = self.cell_at(event.position().toPoint()) is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and cell is not None:
            self.select_cell(cell)
            self.cell_clicked.emit(*cell)
            return
        super().mousePressEvent(event)


class SampleGrid(QWidget):
    """Test images with "predicted (true)" captions; mistakes framed and captioned in red.

    The number of columns follows the width, so the grid fills a wide, short dock before it
    needs to scroll.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(2, 2, 2, 2)
        self.grid.setSpacing(3)
        self.cells: list[tuple[QLabel, QLabel]] = []
        self.columns = 6

    def set_samples(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray, names: tuple[str, ...]) -> None:
        for cell, caption in self.cells:
            for widget in (cell, caption):
                self.grid.removeWidget(widget)
                widget.hide()  # gone now, not at the next turn of the event loop
                widget.deleteLater()
        self.cells.clear()
        for i, image in enumerate(images):
            wrong = int(predicted[i]) != int(true[i])
            cell = QLabel()
            cell.setAlignment(Qt.AlignCenter)
            cell.setPixmap(
                QPixmap.fromImage(to_qimage(image)).scaled(THUMB, THUMB, Qt.KeepAspectRatio, Qt.FastTransformation)
            )
            color = _WRONG if wrong else _RIGHT
            cell.setStyleSheet(f"border: {2 if wrong else 1}px solid {color}; background: black;")
            answered, truth = class_name(names, int(predicted[i])), class_name(names, int(true[i]))
            cell.setToolTip(f"predicted {answered}, true {truth}")
            caption = QLabel(answered + (f" ({truth})" if wrong else ""))
            caption.setAlignment(Qt.AlignCenter)
            caption.setStyleSheet(f"color: {color}; font-size: 8pt;" + (" font-weight: bold;" if wrong else ""))
            self.cells.append((cell, caption))
        self._place(self._fitting_columns())

    def _fitting_columns(self) -> int:
        parent = self.parentWidget()
        width = parent.width() if parent is not None else self.width()
        return max(3, (width - 4) // (THUMB + 8))

    def _place(self, columns: int) -> None:
        self.columns = columns
        for i, (cell, caption) in enumerate(self.cells):
            row, col = divmod(i, columns)
            self.grid.addWidget(cell, 2 * row, col)
            self.grid.addWidget(caption, 2 * row + 1, col)

    def rows(self) -> int:
        return -(-len(self.cells) // self.columns)

    def relayout(self) -> None:
        """Re-flow the samples into as many columns as the width holds."""
        columns = self._fitting_columns()
        if columns != self.columns and self.cells:
            for cell, caption in self.cells:
                self.grid.removeWidget(cell)
                self.grid.removeWidget(caption)
            self._place(columns)


class _SampleScroll(QScrollArea):
    """The sample grid's scroll area, re-flowing the grid when its width changes."""

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        grid = self.widget()
        if isinstance(grid, SampleGrid):
            grid.relayout()


#: What the evaluation tab says before any classifier was trained.
NO_RESULT_NOTE = "Train a classifier to see its confusion matrix, per-class accuracy and sample predictions."


class EvaluationView(QWidget):
    """The three views side by side, or a note until a classifier has been trained.

    Nothing here needs more height than the training dock has at 1280×800 (about 170 pixels for
    the tab): the matrix's cells and the bars stretch, the samples flow into more columns. The
    right-hand pane shows the sample grid or a listing (a cell's images, or the errors) under a
    one-line title with the *Samples* and *Most confidently wrong* buttons.
    """

    #: a core SampleAnswer (the image, uint8 (H, W) or (H, W, 3), its true class and top-3
    #: answer) when the user clicks a listed test image; the window shows it on the draw pad
    test_image_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(NO_RESULT_NOTE)
        self.note.setAlignment(Qt.AlignCenter)
        self.note.setWordWrap(True)
        self.confusion = ConfusionMatrixView()
        self.confusion.cell_clicked.connect(self.show_cell)
        self.per_class = PerClassAccuracyPlot()
        self.samples = SampleGrid()
        self.sample_scroll = _SampleScroll()
        self.sample_scroll.setWidgetResizable(True)
        self.sample_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sample_scroll.setWidget(self.samples)
        self.sample_scroll.setMinimumWidth(3 * (THUMB + 8) + 24)
        self.answer_list = AnswerList()
        self.answer_list.answer_chosen.connect(self.test_image_chosen)
        content = QWidget()
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.confusion, 4)
        row.addWidget(self.per_class, 2)
        row.addWidget(self._listing_pane(), 5)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.note)
        self._stack.addWidget(content)
        self.result: EvaluationResult | None = None

    def _listing_pane(self) -> QWidget:
        """The title and buttons over the sample grid or the listing."""
        self.listing_title = QLabel()
        self.listing_title.setObjectName("listingTitle")
        self.listing_title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.samples_button = QPushButton("Samples")
        self.samples_button.setToolTip("Back to the sample predictions")
        self.samples_button.clicked.connect(self.show_samples)
        self.wrong_button = QPushButton("Most confidently wrong")
        self.wrong_button.setObjectName("mostConfidentlyWrong")
        self.wrong_button.setToolTip("Every test image the model got wrong, the surest mistakes first")
        self.wrong_button.clicked.connect(self.show_most_confidently_wrong)
        for button in (self.samples_button, self.wrong_button):
            button.setStyleSheet("QPushButton { padding: 1px 6px; }")
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.setSpacing(4)
        header.addWidget(self.listing_title, 1)
        header.addWidget(self.samples_button)
        header.addWidget(self.wrong_button)
        self.listing = QStackedWidget()
        self.listing.addWidget(self.sample_scroll)
        self.listing.addWidget(self.answer_list)
        pane = QWidget()
        column = QVBoxLayout(pane)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(header)
        column.addWidget(self.listing, 1)
        return pane

    def set_result(self, result: EvaluationResult | None, note: str = NO_RESULT_NOTE) -> None:
        """Show ``result``; None shows ``note`` instead (why there is nothing to show)."""
        self.result = result
        if result is None:
            self.note.setText(note)
            self._stack.setCurrentIndex(0)
            self.answer_list.set_rows(None, np.zeros(0, dtype=np.int64))
            return
        names = result.class_names
        self.confusion.set_matrix(result.confusion, names)
        self.per_class.set_accuracy(result.per_class_accuracy, names)
        self.samples.set_samples(result.images, result.true, result.predicted, names)
        errors = int(result.confusion.sum() - np.trace(result.confusion))
        self.wrong_button.setEnabled(result.answers is not None and errors > 0)
        self.show_samples()
        self._stack.setCurrentIndex(1)

    def _name(self, label: int) -> str:
        names = self.result.class_names if self.result is not None else ()
        return class_name(names, label)

    @Slot()
    def show_samples(self) -> None:
        """The sample grid, as after the run."""
        self.confusion.select_cell(None)
        self.listing.setCurrentWidget(self.sample_scroll)
        self.samples_button.setEnabled(False)
        self._set_title("Click a cell to list its images", "Click a confusion cell to list its test images")

    @Slot(int, int)
    def show_cell(self, true: int, predicted: int) -> None:
        """List the test images of true class ``true`` answered ``predicted``, surest first."""
        answers = self.result.answers if self.result is not None else None
        if answers is None:
            return
        self.confusion.select_cell((true, predicted))
        indices = answers.cell(true, predicted)
        count = f"{len(indices):,} image{'s' if len(indices) != 1 else ''}" if len(indices) else "no image"
        verdict = "right" if true == predicted else "wrong"
        self._show_listing(
            f"True {self._name(true)} → {self._name(predicted)}: {count}",
            f"Test images of true class {self._name(true)} answered {self._name(predicted)} ({verdict}): {count}, "
            "the surest first",
            indices,
        )

    @Slot()
    def show_most_confidently_wrong(self) -> None:
        """List every wrong answer, the one the model was surest of first."""
        answers = self.result.answers if self.result is not None else None
        if answers is None:
            return
        self.confusion.select_cell(None)
        indices = answers.most_confidently_wrong()
        self._show_listing(
            f"{len(indices):,} errors, surest first",
            f"Every wrong answer on the test split ({len(indices):,}), the one the model was surest of first",
            indices,
        )

    def _show_listing(self, title: str, explanation: str, indices: np.ndarray) -> None:
        self.answer_list.set_rows(self.result.answers, indices)
        self.listing.setCurrentWidget(self.answer_list)
        self.samples_button.setEnabled(True)
        self._set_title(title, explanation + "; click an image to see it on the draw pad")

    def _set_title(self, title: str, explanation: str = "") -> None:
        self.listing_title.setText(title)
        self.listing_title.setToolTip(explanation or title)
