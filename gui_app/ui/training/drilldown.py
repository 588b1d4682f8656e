"""A list of test images, each with the model's top-3 answer: a confusion cell's, or the errors.

The list is a model over test indices (the core's :class:`SplitAnswers`); a thumbnail is made
when its row is first painted, so a cell of 1,000 images costs nothing until scrolled to.
Clicking an image (or Enter on it) emits :attr:`AnswerList.answer_chosen` with the core's
:class:`SampleAnswer`: the image itself, its true class and the top-3 answer.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from gui_app.core.text.class_names import class_name
from gui_app.core.training.answers import SampleAnswer, SplitAnswers
from gui_app.ui.pictures import to_qimage

THUMB_SIDE = 42
ITEM_SIZE = QSize(128, 48)
WRONG, RIGHT = QColor("#d03030"), QColor("#2a8a3a")
#: the item role that holds a row's test index
TEST_INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


def answer_tooltip(answer: SampleAnswer) -> str:
    """One line on what the model made of a test image."""
    guesses = ", ".join(f"{answer.name(c)} {p:.1%}" for c, p in zip(answer.classes, answer.probabilities, strict=True))
    verdict = "wrong" if answer.wrong else "right"
    return f"Test image #{answer.index}: true {answer.name(answer.true)}, answered {guesses} ({verdict})"


class AnswerListModel(QAbstractListModel):
    """Rows are test indices, in the order given (most confident first, as the core sorts them)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.answers: SplitAnswers | None = None
        self.indices = np.zeros(0, dtype=np.int64)
        self._pixmaps: dict[int, QPixmap] = {}

    def set_rows(self, answers: SplitAnswers | None, indices: np.ndarray) -> None:
        self.beginResetModel()
        self.answers = answers
        self.indices = np.asarray(indices, dtype=np.int64) if answers is not None else np.zeros(0, dtype=np.int64)
        self._pixmaps.clear()
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own default
        return 0 if parent.isValid() else len(self.indices)

    def answer(self, row: int) -> SampleAnswer:
        assert self.answers is not None
        return self.answers.answer(int(self.indices[row]))

    def pixmap(self, row: int) -> QPixmap:
        """The row's image at thumbnail size, made once."""
        test_index = int(self.indices[row])
        if test_index not in self._pixmaps:
            assert self.answers is not None
            picture = QPixmap.fromImage(to_qimage(self.answers.image(test_index)))
            self._pixmaps[test_index] = picture.scaled(
                THUMB_SIDE, THUMB_SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
            )
        return self._pixmaps[test_index]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or self.answers is None or not 0 <= index.row() < len(self.indices):
            return None
        row = index.row()
        if role == TEST_INDEX_ROLE:
            return int(self.indices[row])
        if role == Qt.ItemDataRole.ToolTipRole:
            return answer_tooltip(self.answer(row))
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"test image #{int(self.indices[row])}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmap(row)
        return None


class AnswerDelegate(QStyledItemDelegate):
    """Paints a row as its thumbnail, framed red when wrong, beside its top-3 classes as bars.

    The answer is red when it is wrong; the true class is green wherever it ranks.
    """

    def __init__(self, model: AnswerListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.font = QFont()
        self.font.setPointSizeF(8.0)
        self.metrics = QFontMetrics(self.font)

    def sizeHint(self, _option: QStyleOptionViewItem, _index: _Index) -> QSize:
        return ITEM_SIZE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        answers, row = self.model.answers, index.row()
        if answers is None:
            return
        test_index = int(self.model.indices[row])
        rect, palette = option.rect, option.palette
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            highlight = palette.color(QPalette.ColorRole.Highlight)
            painter.setPen(QPen(highlight, 2))
            highlight.setAlpha(40)
            painter.setBrush(highlight)
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
            painter.setBrush(Qt.BrushStyle.NoBrush)  # the thumbnail's frame below is an outline
        true = int(answers.true[test_index])
        wrong = int(answers.predicted[test_index]) != true
        thumb = QRect(rect.left() + 3, rect.top() + 3, THUMB_SIDE, THUMB_SIDE)
        painter.fillRect(thumb, Qt.GlobalColor.black)
        painter.drawPixmap(thumb, self.model.pixmap(row))
        painter.setPen(WRONG if wrong else RIGHT)
        painter.drawRect(thumb.adjusted(-1, -1, 0, 0))
        self._paint_guesses(painter, rect, answers, test_index, palette.color(QPalette.ColorRole.Text))
        painter.restore()

    def _paint_guesses(
        self, painter: QPainter, rect: QRect, answers: SplitAnswers, test_index: int, text: QColor
    ) -> None:
        """The top classes, one a line, each over a bar as long as its probability."""
        painter.setFont(self.font)
        left = rect.left() + THUMB_SIDE + 8
        width = rect.right() - left - 2
        line = max(self.metrics.height(), 13)
        true = int(answers.true[test_index])
        names = answers.class_names
        for rank, (label, probability) in enumerate(
            zip(answers.top_classes[test_index], answers.top_probabilities[test_index], strict=True)
        ):
            label = int(label)
            top = rect.top() + 4 + rank * (line + 1)
            colour = RIGHT if label == true else WRONG if rank == 0 else text
            bar = QColor(colour)
            bar.setAlpha(45)
            painter.fillRect(QRect(left, top, max(1, int(width * float(probability))), line), bar)
            name = class_name(names, label)
            caption = f"{probability:.1%}" if probability >= 0.0005 else "<0.1%"
            painter.setPen(colour)
            room = width - self.metrics.horizontalAdvance(caption) - 8
            painter.drawText(
                QRect(left + 2, top, room, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.metrics.elidedText(name, Qt.TextElideMode.ElideRight, room),
            )
            painter.drawText(
                QRect(left, top, width - 2, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, caption
            )


class AnswerList(QListView):
    """The images of one listing, flowing left to right and wrapping, most confident first."""

    #: a core SampleAnswer: the clicked test image (uint8), its true class and top-3 answer
    answer_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answerList")
        self.answer_model = AnswerListModel(self)
        self.setModel(self.answer_model)
        self.setItemDelegate(AnswerDelegate(self.answer_model, self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setGridSize(ITEM_SIZE + QSize(4, 4))
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.clicked.connect(self._choose)
        self.activated.connect(self._choose)

    def set_rows(self, answers: SplitAnswers | None, indices: np.ndarray) -> None:
        self.answer_model.set_rows(answers, indices)
        self.scrollToTop()

    def test_indices(self) -> list[int]:
        """The listed test indices, in the order shown."""
        return [int(i) for i in self.answer_model.indices]

    def row_rect(self, row: int) -> QRect:
        return self.visualRect(self.answer_model.index(row))

    @Slot(QModelIndex)
    def _choose(self, index: QModelIndex) -> None:
        if index.isValid():
            self.answer_chosen.emit(self.answer_model.answer(index.row()))
