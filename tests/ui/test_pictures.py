"""numpy pictures become QImages one way: grey or colour, rows of any width, owning their pixels."""

from __future__ import annotations

import numpy as np
import pytest

from gui_app.ui.pictures import to_qimage


@pytest.mark.parametrize("shape", [(28, 28), (5, 7), (5, 7, 3), (3, 1, 3)])
def test_each_pixel_of_a_uint8_picture_is_kept_whatever_its_width(qapp, shape) -> None:
    picture = np.random.default_rng(7).integers(0, 256, size=shape, dtype=np.uint8)
    image = to_qimage(picture)
    del picture  # the image owns a copy
    expected = np.random.default_rng(7).integers(0, 256, size=shape, dtype=np.uint8)
    assert (image.width(), image.height()) == (shape[1], shape[0])
    for y in range(shape[0]):
        for x in range(shape[1]):
            colour = image.pixelColor(x, y)
            rgb = (colour.red(), colour.green(), colour.blue())
            assert rgb == (tuple(expected[y, x]) if len(shape) == 3 else (expected[y, x],) * 3)
