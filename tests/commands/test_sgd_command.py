"""`resnet-lemmas sgd` as a user runs it: table, JSON, plot, exit codes and clear errors."""
import json

import pytest

from resnet_lemmas.cli import main
from resnet_lemmas.commands import sgd as sgd_command

SMALL = ["--steps", "50", "200", "--seeds", "3", "--contrast-steps", "150", "--population", "600",
         "--no-progress"]


def test_sgd_prints_a_table_and_writes_json_and_plot(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    report, figure = tmp_path / "out" / "sgd.json", tmp_path / "out" / "sgd.png"
    assert main(["sgd", *SMALL, "--output", str(report), "--plot", str(figure)]) == 0
    out = capsys.readouterr().out
    assert "tweak" in out and "split" in out and "n/a (not covered)" in out
    assert "the bound held in every check" in out and "contrast from the bad saddle" in out
    payload = json.loads(report.read_text())
    assert payload["status"] == "verified" and payload["horizons"] == [50, 200]
    assert len(payload["records"]) == 6 and len(payload["seeds"]) == 3
    assert payload["linear_benchmark"]["attained"]
    assert set(payload["contrast"]["architectures"]) == {"original", "tweak"}
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(figure.parent.glob(".*.tmp"))           # atomic writes leave no temporaries


def test_sgd_json_mode_prints_only_json(capsys):
    assert main(["sgd", "--steps", "40", "--seeds", "2", "--contrast-steps", "0", "--population", "600",
                 "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert "contrast" not in payload
    (check,) = [c for c in payload["checks"] if c["summary"]["architecture"] == "tweak"]
    assert check["ok"] and check["summary"]["tightness"] < 1


def test_plot_without_matplotlib_is_a_clear_error_before_any_work(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sgd_command, "_matplotlib", lambda: None)
    assert main(["sgd", *SMALL, "--plot", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "--plot needs matplotlib" in err and "nothing was run" in err
    assert not (tmp_path / "x.png").exists()


def test_a_radius_smaller_than_the_comparator_is_rejected(capsys):
    assert main(["sgd", *SMALL, "--radius", "1"]) == 2
    assert "raise B" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [(["--seeds", "1"], "argument --seeds: must be an integer >= 2"),
                                           (["--contrast-steps", "-1"], "argument --contrast-steps: must be"),
                                           (["--steps", "0"], "argument --steps: must be a positive integer")])
def test_invalid_arguments_are_rejected(capsys, args, message):
    assert main(["sgd", "--steps", "40", "--population", "600", "--no-progress", *args]) == 2
    assert message in capsys.readouterr().err


def test_plot_leaves_out_nonpositive_excess_and_says_so(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")

    def summary(T, mean):
        return {"architecture": "tweak", "T": T, "mean_excess": mean, "se_mean_excess": 0.01,
                "bound": 1.0 / T ** 0.5}

    payload = {"setup": {"architectures": ["tweak"]}, "seeds": [1, 2],
               "checks": [{"covered": True, "summary": summary(100, 0.05)},
                          {"covered": True, "summary": summary(1000, -0.01)}]}
    series = sgd_command.excess_series(payload, "tweak")
    assert series["T"] == [100] and series["hidden"] == [1000]
    assert series["bound_T"] == [100, 1000]                  # the bound is drawn at every horizon
    path = sgd_command.plot(payload, tmp_path / "p.png", plt)
    assert path.read_bytes()[:4] == b"\x89PNG"
