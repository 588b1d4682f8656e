"""MNIST-style preprocessing on known geometry, the digit reader, and the bundled model."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.data.idx_files import read_idx
from gui_app.core.data.locations import sample_dir
from gui_app.core.digits.pen_styles import PenStyle, ellipse_arc, pen_digit, pen_picture, polyline
from gui_app.core.digits.preprocessing import centre_of_mass, ink_box, is_dark_on_light, mnist_image
from gui_app.core.digits.reader import (
    BUNDLED,
    TRAINED,
    DigitReader,
    bundled_model_path,
    choose_model,
    load_bundled_model,
    reads_digits,
)
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import ModelFileError, TrainedModel, load_payload
from scripts.evaluate_tablet_styles import flagged_ones
from tests.data.handwriting.stroke_digits import GLYPHS, StrokeDigit, place, render_picture


@pytest.fixture(scope="module")
def mnist_test() -> tuple[np.ndarray, np.ndarray]:
    """The bundled sample's 2,000 test images (200 of each digit), never seen in training."""
    images, labels = (read_idx(sample_dir() / f"t10k-{stem}.gz") for stem in ("images-idx3-ubyte", "labels-idx1-ubyte"))
    return images.numpy(), labels.numpy()


def _extent(image: torch.Tensor) -> tuple[float, float]:
    """Height and width of the ink, in pixels, counting a pixel split by a sub-pixel shift once."""
    return float(image.amax(dim=1).sum()), float(image.amax(dim=0).sum())


# ------------------------------------------------------------------ geometry


@pytest.mark.parametrize(
    ("shape", "region"),
    [
        ((300, 300), (slice(10, 60), slice(200, 290))),  # small blob in a corner
        ((120, 400), (slice(20, 100), slice(30, 60))),  # thin bar in a wide picture
        ((500, 90), (slice(5, 480), slice(40, 80))),  # tall bar in a tall picture
    ],
)
def test_centre_of_mass_lands_at_14_14(shape: tuple[int, int], region: tuple[slice, slice]) -> None:
    picture = np.zeros(shape, dtype=np.uint8)
    picture[region] = 255
    image = mnist_image(picture)
    assert image is not None and image.shape == (28, 28)
    row, col = centre_of_mass(image)
    assert row == pytest.approx(14, abs=0.02) and col == pytest.approx(14, abs=0.02)


def test_asymmetric_shape_is_centred_on_its_mass_not_its_box() -> None:
    picture = np.zeros((200, 200), dtype=np.uint8)
    picture[20:180, 20:40] = 255  # the upright
    picture[160:180, 20:130] = 255  # a foot: an L, heavier at the bottom left
    image = mnist_image(picture)
    assert image is not None
    row, col = centre_of_mass(image)
    assert row == pytest.approx(14, abs=0.02) and col == pytest.approx(14, abs=0.02)
    top, bottom, left, right = ink_box(image)  # type: ignore[misc]
    assert (top + bottom) / 2 != pytest.approx(14, abs=0.6) or (left + right) / 2 != pytest.approx(14, abs=0.6)


@pytest.mark.parametrize(("height", "width"), [(200, 50), (50, 200), (120, 120), (400, 100)])
def test_longer_side_becomes_20_and_aspect_ratio_is_kept(height: int, width: int) -> None:
    picture = np.zeros((height + 60, width + 60), dtype=np.float32)
    picture[30 : 30 + height, 30 : 30 + width] = 1.0
    image = mnist_image(picture)
    assert image is not None
    box_h, box_w = _extent(image)
    assert max(box_h, box_w) == pytest.approx(20, abs=0.3)
    assert box_h / box_w == pytest.approx(height / width, rel=0.1)


def test_small_drawings_are_scaled_up_to_the_20px_box() -> None:
    picture = np.zeros((400, 400), dtype=np.uint8)
    picture[200:210, 100:105] = 255
    image = mnist_image(picture)
    assert image is not None
    assert max(_extent(image)) == pytest.approx(20, abs=0.3)


@pytest.mark.parametrize("blank", [np.zeros((80, 80)), np.full((80, 80), 255, np.uint8), np.full((50, 70), 0.5)])
def test_blank_pictures_give_no_image(blank: np.ndarray) -> None:
    assert mnist_image(blank) is None


def test_faint_noise_is_blank() -> None:
    rng = np.random.default_rng(0)
    assert mnist_image(rng.uniform(0, 0.05, (60, 60))) is None


def test_output_is_zero_to_one_with_full_ink() -> None:
    picture = np.zeros((100, 100), dtype=np.uint8)
    picture[30:70, 45:55] = 90  # pale ink still reads as full ink
    image = mnist_image(picture)
    assert image is not None and image.dtype == torch.float32
    assert float(image.min()) >= 0.0 and float(image.max()) == 1.0


def test_position_and_size_do_not_matter() -> None:
    label, strokes = GLYPHS["5-two"]
    small = StrokeDigit("5", label, place(strokes, 0.4, centre=(0.3, 0.35)), 1 / 14 * 0.4 / 0.8)
    large = StrokeDigit("5", label, place(strokes, 0.8, centre=(0.55, 0.5)), 1 / 14)
    a = mnist_image(render_picture(small, (560, 560)))
    b = mnist_image(render_picture(large, (200, 200)))
    assert a is not None and b is not None
    assert float((a - b).abs().mean()) < 0.05


def test_dark_on_light_is_detected_and_inverted() -> None:
    label, strokes = GLYPHS["7-crossed"]
    paper = render_picture(StrokeDigit("7", label, place(strokes, 0.7), 1 / 12), (150, 220))
    assert is_dark_on_light(torch.as_tensor(paper).float() / 255)
    assert not is_dark_on_light(torch.as_tensor(255 - paper).float() / 255)
    a, b = mnist_image(paper), mnist_image(255 - paper)
    assert a is not None and b is not None
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(mnist_image(paper, invert=True), a)  # type: ignore[arg-type]


def test_mnist_digits_come_out_as_they_went_in(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    """MNIST's own images are already normalised: ours must barely change them."""
    images, _ = mnist_test
    diffs = []
    for picture in images[:200]:
        ours = mnist_image(picture)
        assert ours is not None
        original = torch.tensor(picture).float() / 255
        diffs.append(float((ours - original / original.max()).abs().mean()))
        assert abs(centre_of_mass(ours)[0] - centre_of_mass(original)[0]) < 1.0
    assert float(np.mean(diffs)) < 0.03


# ------------------------------------------------------------------ reader and model choice


def _network(input_shape: tuple[int, ...], outputs: int) -> TrainedModel:
    spec = NetworkSpec([LayerSpec("Flatten", {}), LayerSpec("Linear", {"out_features": outputs})], input_shape)
    model = TrainedModel(spec, {}, (0.5,), (0.5,), "")
    from gui_app.core.analysis.compiler import build_model

    model.state_dict = build_model(spec, seed=0).state_dict()
    return model


def test_reads_digits_needs_1x28x28_in_and_10_out() -> None:
    assert reads_digits(_network((1, 28, 28), 10))
    assert not reads_digits(_network((1, 28, 28), 2))
    assert not reads_digits(_network((3, 32, 32), 10))
    assert not reads_digits(None)


def test_choose_model_prefers_a_fitting_trained_model() -> None:
    fitting = _network((1, 28, 28), 10)
    assert choose_model(fitting) is fitting and fitting.source == TRAINED
    assert choose_model(_network((3, 32, 32), 10)).source == BUNDLED
    assert choose_model(None).source == BUNDLED


def test_reader_refuses_a_model_that_does_not_read_digits() -> None:
    with pytest.raises(ModelFileError, match="1×28×28"):
        DigitReader(_network((1, 28, 28), 3))


def test_read_many_keeps_blank_pictures_in_place() -> None:
    reader = DigitReader(_network((1, 28, 28), 10))
    picture = np.zeros((50, 50), dtype=np.uint8)
    picture[10:40, 20:26] = 255
    results = reader.read_many([np.zeros((30, 30)), picture, np.zeros((10, 10))], invert=False)
    assert results[0] is None and results[2] is None
    assert results[1] is not None and len(results[1].probabilities) == 10
    assert sum(results[1].probabilities) == pytest.approx(1.0, abs=1e-5)
    assert reader.read(np.zeros((30, 30))) is None


# ------------------------------------------------------------------ the bundled model


def test_bundled_model_is_small_safe_and_an_ordinary_network() -> None:
    path = bundled_model_path()
    assert path.stat().st_size < 2 * 1024 * 1024
    payload = load_payload(path)  # torch.load(weights_only=True)
    assert payload["format"] == "netbuilder-model"
    model = load_bundled_model()
    assert {layer.type for layer in model.spec.layers} <= set(CATALOGUE)
    compiled = compile_network(model.spec)
    assert compiled.ok and compiled.output_shape == (10,) and model.input_shape == (1, 28, 28)


def test_bundled_model_reads_mnist_test_digits(mnist_test: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = mnist_test
    reader = DigitReader.from_file()
    predictions = reader.read_many(list(images))
    correct = sum(p is not None and p.digit == int(y) for p, y in zip(predictions, labels, strict=True))
    assert correct / len(labels) >= 0.99


#: A tablet recording that keeps 8 evenly spaced points of the pen's whole path (its moves
#: between strokes drawn), as the issue's held-out set most likely does.
TABLET_8 = PenStyle(sampled=1.0, points=(8, 8), pen_up=1.0)
HOOK = [(0.02, 0.18), (0.04, 0.0)]  #: a 7's hook before its top stroke


def _share_read_as(label: int, glyphs: list[list[np.ndarray]], copies: int, rng: np.random.Generator) -> float:
    """The share of ``copies`` pen pictures of each glyph, recorded as :data:`TABLET_8`, read as ``label``."""
    pictures = [
        pen_picture(*pen_digit(strokes, label, rng, TABLET_8, variants=False))
        for strokes in glyphs
        for _ in range(copies)
    ]
    read = DigitReader.from_file().read_many(pictures)
    return sum(p is not None and p.answer == label for p in read) / len(pictures)


def test_flagged_ones_at_a_tablets_eight_points_read_as_one() -> None:
    # a 1 with a flag up to 40% of its height, 20-40° from the vertical: the 1s the issue's
    # held-out set most often read as 7
    rng = np.random.default_rng(11)
    ones = [lines for _, lines in flagged_ones(10, rng, angles=(20, 30, 40), lengths=(0.2, 0.3, 0.4))]
    assert (share := _share_read_as(1, ones, 1, rng)) >= 0.95, f"{share:.1%} read as 1"


def test_nines_with_a_clockwise_head_at_a_tablets_eight_points_read_as_nine() -> None:
    # a head about two fifths of the height, written clockwise from its left (over the top, round,
    # back to the left or just short of it), then the tail from its right side: the few points cut
    # the head open into a 3's top, the 9s the issue's held-out set read as 3
    nines = []
    for height, start, sweep in itertools.product((0.18, 0.22), (160, 200), (340, 360)):
        head, right = ellipse_arc(0.3, height, 0.25, height, start, start + sweep, 24), (0.55, height * 1.05)
        nines += [[head, polyline(right, (0.45, 1.0))], [head, polyline(right, (0.42, 0.85), (0.25, 1.0))]]
    assert (share := _share_read_as(9, nines, 8, np.random.default_rng(19))) >= 0.9, f"{share:.1%} read as 9"


def test_crossed_sevens_at_a_tablets_eight_points_read_as_seven() -> None:
    # a 7 crossed with a bar reaching further left of the stem than right (the pen's move runs up
    # from the foot to the bar's left end), plain or hooked: the 7s the held-out set read as 2
    sevens = []
    for width, foot, left, top in itertools.product((0.5, 0.65), (0.15, 0.3), (0.15, 0.25), ([(0.0, 0.0)], HOOK)):
        stem = width + (foot - width) * 0.5  # where the bar crosses it, half-way down
        sevens.append([polyline(*top, (width, 0.0), (foot, 1.0)), polyline((stem - left, 0.52), (stem + 0.12, 0.5))])
    assert (share := _share_read_as(7, sevens, 8, np.random.default_rng(23))) >= 0.9, f"{share:.1%} read as 7"
