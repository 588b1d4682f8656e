"""``netbuilder train --log``: the layer-health figures as JSON lines, beside the epoch lines."""

from __future__ import annotations

import json

from gui_app.cli import main
from gui_app.core.project.spec import LayerSpec, NetworkSpec, save_spec
from tests.core.training_fixtures import DATA

BLOCK_KEYS = {
    "index",
    "type",
    "mean",
    "std",
    "dead",
    "saturated",
    "grad_norm",
    "update_ratio",
    "verdict",
    "reasons",
}


def _refuse_nan(name: str) -> None:
    raise AssertionError(f"the log holds {name}, which strict JSON readers refuse")


def _rows(path) -> list[dict]:
    return [json.loads(line, parse_constant=_refuse_nan) for line in path.read_text().splitlines()]


def _train(tmp_path, layers, **settings) -> list[dict]:
    spec = NetworkSpec([LayerSpec(t, dict(p)) for t, p in layers], (1, 28, 28), "health log test")
    spec.set_training(spec.training.replace(device="cpu", batch_size=100, **settings))
    project, log = tmp_path / "net.json", tmp_path / "metrics.jsonl"
    save_spec(spec, project)
    args = ["train", str(project), "--data-dir", str(DATA), "--epochs", "2", "--log", str(log), "--no-download"]
    assert main([*args, "--quiet"]) == 0
    return _rows(log)


def test_the_log_holds_one_health_line_per_probe_with_every_block_numbered_as_on_the_canvas(tmp_path):
    layers = [("Flatten", {}), ("Linear", {"out_features": 32}), ("ReLU", {}), ("Linear", {"out_features": 10})]
    rows = _train(tmp_path, layers, lr=0.05)
    health = [row for row in rows if row.get("kind") == "health"]
    epochs = [row for row in rows if row.get("kind") != "health"]
    assert [row["epoch"] for row in epochs] == [1, 2]
    # 2,000 samples in batches of 100: 20 steps an epoch, probed every 50 steps and at each epoch's end
    assert [(row["epoch"], row["batch"], row["step"]) for row in health] == [(1, 20, 20), (2, 20, 40)]
    for row in health:
        assert set(row) == {"kind", "epoch", "batch", "step", "blocks"}
        assert [block["index"] for block in row["blocks"]] == [1, 2, 3, 4]
        assert [block["type"] for block in row["blocks"]] == ["Flatten", "Linear", "ReLU", "Linear"]
        assert all(set(block) == BLOCK_KEYS for block in row["blocks"])
        flatten, linear, relu, _out = row["blocks"]
        assert flatten["grad_norm"] is None and flatten["dead"] is None
        assert linear["grad_norm"] > 0 and linear["update_ratio"] > 0 and linear["dead"] is None
        assert 0 <= relu["dead"] <= 1 and relu["grad_norm"] is None
        assert all(block["verdict"] == "healthy" and block["reasons"] == [] for block in row["blocks"])


def test_a_deep_sigmoid_chain_is_logged_broken_for_its_vanishing_gradient(tmp_path):
    chain = [("Linear", {"out_features": 32}), ("Sigmoid", {})] * 14
    rows = _train(tmp_path, [("Flatten", {}), *chain, ("Linear", {"out_features": 10})], optimizer="SGD", lr=0.01)
    first = next(row for row in rows if row.get("kind") == "health")
    block = first["blocks"][1]
    assert (block["index"], block["type"], block["verdict"]) == (2, "Linear", "broken")
    assert "vanishing_gradient" in block["reasons"] and block["grad_norm"] < 1e-7
