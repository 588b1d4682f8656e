"""Property-based: any document fed to the loader and compiler, and any file fed to the IDX and
picture readers, gives a result or a one-line reason."""

import io
import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from gui_app.core.analysis.compiler import compile_network
from gui_app.core.analysis.lint import lint_network
from gui_app.core.data.idx_files import IdxFileError, read_idx
from gui_app.core.data.pictures import PictureError, read_grey
from gui_app.core.layers.catalogue import CATALOGUE
from gui_app.core.project.spec import ProjectFileError, load_spec

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**15), 10**15) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)

PARAM_VALUES = st.one_of(
    st.integers(-3, 40),
    st.integers(10**6, 10**13),
    st.booleans(),
    st.none(),
    st.sampled_from(["same", "valid", "x"]),
    st.lists(st.integers(-1, 9), min_size=1, max_size=3),
    st.floats(-1, 2, allow_nan=False),
)


@st.composite
def layer_dicts(draw):
    name = draw(st.sampled_from(sorted(CATALOGUE)))
    keys = [p.name for p in CATALOGUE[name].params]
    params = draw(st.dictionaries(st.sampled_from(keys), PARAM_VALUES, max_size=3)) if keys else {}
    return {"type": name, **params}


@st.composite
def project_documents(draw):
    doc = {
        "format": "netbuilder",
        "version": draw(st.sampled_from([1, 1, 1, 2, 0, "1"])),
        "input_shape": draw(
            st.lists(st.integers(0, 40), min_size=0, max_size=5) | st.just([1, 28, 28]) | st.just([3, 32, 32])
        ),
        "layers": draw(st.lists(layer_dicts(), max_size=8)),
    }
    if draw(st.booleans()):
        doc["training"] = draw(
            st.dictionaries(st.sampled_from(["lr", "epochs", "loss", "dataset"]), JSON_VALUES, max_size=2)
        )
    return doc


def _check(text: str) -> None:
    try:
        spec = load_spec(text)
    except ProjectFileError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    compiled = compile_network(spec)
    for result in compiled.layers:
        assert result.error is None or ("\n" not in result.error and result.error)
    lint_network(spec, compiled)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_arbitrary_json_never_crashes_the_loader(value):
    _check(json.dumps(value))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(project_documents())
def test_plausible_projects_load_or_fail_cleanly_and_compile_without_exceptions(doc):
    _check(json.dumps(doc))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_loader(text):
    _check(text)


# ------------------------------------------------------------------ dataset and picture files


IDX_HEADERS = st.builds(
    lambda code, dims, tail: bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims) + tail,
    st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07]),
    st.lists(st.integers(0, 2**32 - 1) | st.integers(0, 6), max_size=4),
    st.binary(max_size=64),
)


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(6, 8)).save(buffer, "PNG")
    return buffer.getvalue()


TINY_PNG = _tiny_png()


@st.composite
def damaged_pngs(draw) -> bytes:
    """A valid small PNG with a few bytes overwritten (its size fields included) or cut short."""
    data = bytearray(TINY_PNG)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(8, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(8, len(data)))])


@settings(max_examples=300, deadline=None)
@given(IDX_HEADERS | st.binary(max_size=40))
def test_any_bytes_read_as_idx_give_a_tensor_or_a_one_line_reason(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "train-images-idx3-ubyte"
        path.write_bytes(data)
        try:
            tensor = read_idx(path)
        except IdxFileError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            return
        assert tensor.numel() * tensor.element_size() == len(data) - 4 - 4 * data[3]


@settings(max_examples=200, deadline=None)
@given(damaged_pngs())
def test_a_damaged_picture_gives_a_picture_or_a_one_line_reason(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digit.png"
        path.write_bytes(data)
        try:
            grey = read_grey(path)
        except PictureError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            return
        assert grey.dtype == np.uint8 and grey.ndim == 2
