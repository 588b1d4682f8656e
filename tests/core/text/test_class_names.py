"""One way to name a class: the dataset's name, else its number."""

from __future__ import annotations

import pytest

from gui_app.core.text.class_names import class_name
from gui_app.core.training.answers import SampleAnswer


@pytest.mark.parametrize(
    ("names", "index", "expected"),
    [(("cat", "dog"), 1, "dog"), (("cat", "dog"), 2, "2"), ((), 0, "0"), (("cat", "dog"), -1, "-1")],
)
def test_a_class_is_named_by_the_dataset_else_by_its_number(names, index, expected) -> None:
    assert class_name(names, index) == expected


def test_a_sample_answer_names_its_classes_the_same_way() -> None:
    answer = SampleAnswer(0, None, 2, (2, 0), (0.9, 0.1), ("cat", "dog"))
    assert (answer.name(answer.true), answer.name(answer.predicted), answer.name(0)) == ("2", "2", "cat")
