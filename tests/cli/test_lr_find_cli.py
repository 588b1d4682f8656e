"""``netbuilder lr-find``: the suggested rate on stdout, the curve as JSON, exit codes, one-line errors."""

from __future__ import annotations

import json

import pytest

from gui_app.cli import main
from gui_app.core.project.spec import save_spec
from tests.core.training_fixtures import DATA, mlp_spec


def _project(tmp_path, **changes):
    spec = mlp_spec(hidden=32, outputs=changes.pop("outputs", 10))
    spec.set_training(spec.training.replace(device="cpu", batch_size=32, data_dir=str(DATA), **changes))
    path = tmp_path / "net.json"
    save_spec(spec, path)
    return path


def test_lr_find_prints_the_suggested_rate_and_why(tmp_path, capsys):
    code = main(["lr-find", str(_project(tmp_path)), "--no-download"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0].startswith("suggested learning rate: ") and out[0].endswith("(the project's: 0.01)")
    assert out[1].startswith("  why: a tenth of ") and "smoothed loss was lowest" in out[1]
    assert out[2].startswith("  sweep: ") and "from 1e-07 to" in out[2]


def test_lr_find_json_holds_the_curve_and_the_one_batch_check(tmp_path, capsys):
    code = main(["lr-find", str(_project(tmp_path)), "--no-download", "--json", "--can-learn", "--steps", "40"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["project_lr"] == 0.01 and data["suggested_lr"] > 0
    assert data["ended"] in ("completed", "diverged") and 10 <= len(data["points"]) <= 40
    assert set(data["points"][0]) == {"lr", "loss", "smoothed"} and data["points"][0]["lr"] == pytest.approx(1e-7)
    assert data["can_learn"]["verdict"] == "learned" and data["can_learn"]["accuracy"] == 1.0


def test_lr_find_exits_1_when_no_rate_helps_or_the_network_cannot_learn(tmp_path, capsys):
    code = main(
        [
            "lr-find",
            str(_project(tmp_path, lr=1e-8)),
            "--no-download",
            "--can-learn",
            "--end-lr",
            "1e-6",
            "--steps",
            "10",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("no suggested learning rate: the loss did not fall")
    assert "can this network learn? No: on one batch of 32 samples" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--start-lr", "1", "--end-lr", "0.1"], "the sweep needs 0 < start rate < end rate, not 1 to 0.1"),
        (["--steps", "2"], "the sweep needs 10 to 100000 steps, not 2"),
        (["--batch-size", "0"], "training.batch_size"),
    ],
)
def test_bad_options_exit_2_in_one_line(tmp_path, capsys, arguments, message):
    code = main(["lr-find", str(_project(tmp_path)), "--no-download", *arguments])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("netbuilder lr-find: ") and message in err and err.count("\n") == 1


def test_an_unreadable_project_exits_2_naming_it(tmp_path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code = main(["lr-find", str(broken)])
    err = capsys.readouterr().err
    assert code == 2 and "broken.json" in err and "Traceback" not in err


def test_lr_has_no_option_here_since_the_sweep_sets_it(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lr-find", str(_project(tmp_path)), "--lr", "0.1"])
    assert exit_.value.code == 2 and "unrecognized arguments: --lr" in capsys.readouterr().err


def test_a_network_that_does_not_fit_the_data_exits_1_saying_what_to_change(tmp_path, capsys):
    code = main(["lr-find", str(_project(tmp_path, outputs=5)), "--no-download"])
    err = capsys.readouterr().err
    assert code == 1
    assert "netbuilder lr-find: the network's output is (5,) but" in err and "Traceback" not in err
