"""Every export of a trained model reads raw pixels in [0, 1] exactly as the app's predict does.

The bundled digit model was trained with MNIST's mean and std; each export of it, run on the
same 500 MNIST test images, must give the app's answers and probabilities. Excluding the
preprocessing gives the bare network, and the export then states the mean and std.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from gui_app.core.analysis.compiler import build_model
from gui_app.core.data.idx_files import read_idx
from gui_app.core.digits.reader import DigitReader, load_bundled_model
from gui_app.core.export.formats import (
    METADATA_FILE,
    export_onnx,
    export_python,
    export_to,
    export_torchscript,
    inference_model,
)
from gui_app.core.export.output_files import ExportError
from gui_app.core.project.spec import LayerSpec, NetworkSpec
from gui_app.core.training.trained_model import TrainedModel
from tests.mnist_subset import RAW

SUFFIXES = {"python": ".py", "torchscript": ".pt", "onnx": ".onnx", "pt2": ".pt2"}


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return load_bundled_model()


@pytest.fixture(scope="module")
def pixels() -> torch.Tensor:
    """500 MNIST test images as the app reads them: N×1×28×28, raw pixels in [0, 1]."""
    return read_idx(RAW / "t10k-images-idx3-ubyte").float().div(255).reshape(-1, 1, 28, 28)


@pytest.fixture(scope="module")
def app_probabilities(model: TrainedModel, pixels: torch.Tensor) -> torch.Tensor:
    return DigitReader(model).probabilities(pixels)


def _runner(kind: str, path: Path):
    """A function from a batch of pixels to the exported model's scores."""
    if kind == "python":
        namespace: dict = {"__name__": "exported", "__file__": str(path)}
        exec(compile(path.read_text(), str(path), "exec"), namespace)
        loaded = namespace["load_trained_model"]()
    elif kind == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            loaded = torch.jit.load(str(path))
    elif kind == "pt2":
        loaded = torch.export.load(str(path)).module()
    else:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return lambda x: torch.from_numpy(session.run(None, {"input": x.numpy()})[0])
    return lambda x: loaded(x).detach()


def _probabilities(run, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([torch.softmax(run(chunk).float(), dim=1) for chunk in images.split(100)])


@pytest.mark.parametrize("kind", list(SUFFIXES))
def test_each_export_reads_raw_pixels_as_the_app_does(
    kind: str, model: TrainedModel, pixels: torch.Tensor, app_probabilities: torch.Tensor, tmp_path: Path
) -> None:
    assert model.mean == (0.1307,) and model.std == (0.3081,)  # a real, non-trivial normalisation
    path = tmp_path / f"digits{SUFFIXES[kind]}"
    export_to(kind, model.spec, path, model)
    got = _probabilities(_runner(kind, path), pixels)
    assert torch.equal(got.argmax(1), app_probabilities.argmax(1))
    np.testing.assert_allclose(got.numpy(), app_probabilities.numpy(), atol=1e-5, rtol=0)
    labels = read_idx(RAW / "t10k-labels-idx1-ubyte").long()
    assert float((got.argmax(1) == labels).float().mean()) > 0.95


@pytest.mark.parametrize("kind", list(SUFFIXES))
def test_excluding_preprocessing_exports_the_bare_network_and_states_mean_and_std(
    kind: str, model: TrainedModel, pixels: torch.Tensor, app_probabilities: torch.Tensor, tmp_path: Path
) -> None:
    path = tmp_path / f"bare{SUFFIXES[kind]}"
    export_to(kind, model.spec, path, model, include_preprocessing=False)
    run = _runner(kind, path)
    normalised = (pixels - 0.1307) / 0.3081
    np.testing.assert_allclose(_probabilities(run, normalised).numpy(), app_probabilities.numpy(), atol=1e-5, rtol=0)
    assert not torch.equal(_probabilities(run, pixels).argmax(1), app_probabilities.argmax(1))
    stated = _stated(kind, path)
    assert "0.1307" in stated and "0.3081" in stated


def _stated(kind: str, path: Path) -> str:
    """What the export says about its input: the docstring, or the metadata a user can read."""
    if kind == "python":
        source = path.read_text()
        return source[: source.index('"""', 3)]
    if kind == "onnx":
        import onnx

        props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
        assert props["preprocessing"] == "excluded"
        return props["input"] + props["mean"] + props["std"]
    files = {METADATA_FILE: ""}
    if kind == "torchscript":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            torch.jit.load(str(path), _extra_files=files)
    else:
        torch.export.load(str(path), extra_files=files)
    metadata = json.loads(files[METADATA_FILE])
    assert metadata["preprocessing"] == "excluded"
    return json.dumps(metadata)


def test_an_included_normalisation_is_stated_too(model: TrainedModel, tmp_path: Path) -> None:
    import onnx

    export_onnx(model.spec, tmp_path / "m.onnx", model)
    onnx_model = onnx.load(str(tmp_path / "m.onnx"))
    props = {p.key: p.value for p in onnx_model.metadata_props}
    assert props["preprocessing"] == "included" and json.loads(props["mean"]) == [0.1307]
    assert props["input"].startswith("raw pixels in [0, 1]") and "raw pixels" in onnx_model.doc_string
    export_python(model.spec, tmp_path / "m.py", model)
    assert "it takes raw pixels in [0, 1]" in (tmp_path / "m.py").read_text()


def _color_spec(shape: tuple[int, ...]) -> NetworkSpec:
    return NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 4})], shape, "Colour")


@pytest.mark.parametrize("shape", [(3, 4, 5), (60,)], ids=["channels", "flattened"])
def test_per_channel_statistics_scale_each_channel_as_training_did(shape: tuple[int, ...], tmp_path: Path) -> None:
    """Training scales (N, C, H, W) images per channel, then reshapes them to the network's input."""
    spec = _color_spec(shape)
    network = build_model(spec, seed=1).eval()
    trained = TrainedModel(spec, network.state_dict(), (0.1, 0.5, 0.9), (0.2, 0.3, 0.4))
    images = torch.rand(6, 3, 4, 5)
    mean, std = torch.tensor(trained.mean).view(1, 3, 1, 1), torch.tensor(trained.std).view(1, 3, 1, 1)
    with torch.no_grad():
        want = network(((images - mean) / std).reshape(6, *shape))
        exported, _ = inference_model(spec, trained)
        torch.testing.assert_close(exported(images.reshape(6, *shape)), want)
        export_torchscript(spec, tmp_path / "c.pt", trained)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            scripted = torch.jit.load(str(tmp_path / "c.pt"))
        torch.testing.assert_close(scripted(images.reshape(6, *shape)), want)


@pytest.mark.parametrize(
    ("mean", "std", "message"),
    [
        ((0.5,), (0.0,), "positive, finite stds"),
        ((float("nan"),), (1.0,), "finite means"),
        ((0.1, 0.2), (0.3,), "2 means but 1 stds"),
        ((0.1,) * 7, (0.3,) * 7, "7 channels, which do not divide the input [3, 4, 5]"),
    ],
)
def test_a_normalisation_that_cannot_be_exported_is_refused(mean, std, message: str, tmp_path: Path) -> None:
    spec = _color_spec((3, 4, 5))
    trained = TrainedModel(spec, build_model(spec).state_dict(), mean, std)
    with pytest.raises(ExportError, match=re.escape(message)):
        export_python(spec, tmp_path / "x.py", trained)
    assert list(tmp_path.iterdir()) == []
