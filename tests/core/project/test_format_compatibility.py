"""Files of format version 1 open unchanged, and the version a file is saved as is the oldest that holds it.

``tests/data/projects_v1`` holds every preset and every project the tests built in code, as
NetBuilder saved them at commit 3fe44de (before containers), with what that code compiled and
built from each. Today's code must read the same network from each: the same saved document,
the same layers, sizes and weights' shapes, and the same outputs from the seed's weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from gui_app.core.analysis.compiler import build_model, compile_network
from gui_app.core.project.spec import (
    FORMAT_VERSION,
    LayerSpec,
    NetworkSpec,
    ProjectFileError,
    load_spec,
    load_spec_file,
)

CORPUS = Path(__file__).resolve().parents[2] / "data" / "projects_v1"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())


def test_the_corpus_holds_every_preset_of_format_1() -> None:
    presets = {name for name in EXPECTED if name.startswith("preset_")}
    assert len(presets) == 7 and len(EXPECTED) == 13


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_format_1_file_opens_as_the_same_network(name: str) -> None:
    want = EXPECTED[name]
    spec = load_spec_file(CORPUS / name)
    assert spec.to_dict() == want["project"]  # saved again, it is the same file (still version 1)
    assert json.loads(spec.to_json())["version"] == 1
    compiled = compile_network(spec)
    got = [
        {"type": r.type, "kwargs": r.kwargs, "output_shape": list(r.output_shape or ()), "params": r.params}
        for r in compiled.layers
    ]
    assert json.loads(json.dumps(got)) == want["layers"]
    assert (compiled.total_params, compiled.size_bytes) == (want["total_params"], want["size_bytes"])
    model = build_model(spec, seed=0).eval()
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == want["state_dict"]
    x = torch.randn(2, *spec.input_shape, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        y = model(x).double()
    assert float(y.sum()) == pytest.approx(want["output_sum"], rel=1e-5, abs=1e-5)
    assert float(y.abs().sum()) == pytest.approx(want["output_abs_sum"], rel=1e-5, abs=1e-5)


def test_a_network_with_containers_is_saved_as_version_2_and_one_without_as_version_1() -> None:
    plain = NetworkSpec([LayerSpec("Flatten"), LayerSpec("Linear")])
    nested = NetworkSpec(
        [LayerSpec("Flatten"), LayerSpec("Residual", lanes=[[LayerSpec("Linear", {"out_features": 784})], []])]
    )
    assert json.loads(plain.to_json())["version"] == 1
    assert json.loads(nested.to_json())["version"] == FORMAT_VERSION == 2
    assert load_spec(nested.to_json()).to_dict() == nested.to_dict()


def test_a_file_from_a_newer_netbuilder_is_refused_by_name() -> None:
    text = json.dumps({"version": FORMAT_VERSION + 1, "input_shape": [4], "layers": []})
    with pytest.raises(
        ProjectFileError, match=r"newer NetBuilder \(format version 3\); this version reads format version 2"
    ):
        load_spec(text)
