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
    out, err = capsys.readouterr()
    assert f"wrote {figure}" in err and f"wrote {report}" in err
    assert "tweak" in out and "split" in out and "n/a (not covered)" in out
    assert "the bound held in every check" in out and "contrast from the bad saddle" in out
    payload = json.loads(report.read_text())
    assert payload["status"] == "verified" and payload["horizons"] == [50, 200]
    assert len(payload["records"]) == 6 and len(payload["seeds"]) == 3
    assert payload["linear_benchmark"]["attained"]
    assert set(payload["contrast"]["architectures"]) == {"original", "tweak"}
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(figure.parent.glob(".*.tmp"))           # atomic writes leave no temporaries


def test_sgd_json_mode_prints_only_json_and_keeps_progress_on_stderr(capsys):
    assert main(["sgd", "--steps", "40", "--seeds", "2", "--contrast-steps", "0", "--population", "600",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert "sgd:" in err              # tqdm's bar (it may close before drawing 100 %)
    assert "contrast" not in payload
    (check,) = [c for c in payload["checks"] if c["summary"]["architecture"] == "tweak"]
    assert check["ok"] and check["summary"]["tightness"] < 1


def test_plot_without_matplotlib_is_a_clear_error_before_any_work(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(sgd_command, "_matplotlib", lambda: None)
    monkeypatch.setattr("resnet_lemmas.numerics.solvers.sgd.run_campaign",
                        lambda *a, **k: pytest.fail("SGD ran before the plot was refused"))
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


def _payload():
    """A small campaign's payload (two horizons, three seeds, the contrast), computed once."""
    from resnet_lemmas.numerics.solvers.sgd import SGDSetup, run_campaign

    if not hasattr(_payload, "cache"):
        _payload.cache = run_campaign(SGDSetup(population_size=600), [50, 200], 3, 0,
                                      contrast_steps=150)
    return _payload.cache


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-"),
                                           (".svg", b"<?xml")])
def test_the_plot_format_follows_the_extension(tmp_path, suffix, magic):
    plt = pytest.importorskip("matplotlib.pyplot")
    path = sgd_command.plot(_payload(), tmp_path / f"sgd{suffix.upper()}", plt)
    assert path.read_bytes().startswith(magic)


def test_an_unknown_plot_format_is_refused():
    plt = pytest.importorskip("matplotlib.pyplot")
    with pytest.raises(ValueError, match=r"'\.jpg': the format follows the extension; use one of "
                                         r"\.png, \.pdf, \.svg"):
        sgd_command.render_plot(_payload(), ".jpg", plt)


def test_plot_labels_are_mathtext_and_the_uncertainty_is_drawn(tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    from matplotlib.collections import PathCollection
    from matplotlib.container import ErrorbarContainer

    payload = _payload()
    fig = sgd_command.figure(payload, plt)
    try:
        ax, ax2 = fig.axes[:2]
        for text in (ax.get_xlabel(), ax.get_ylabel(), ax2.get_ylabel(), ax2.get_title()):
            assert "$" in text and "sqrt(" not in text and "||" not in text and "sum_t" not in text
        assert any(r"\sqrt{T}" in h.get_label() for h in ax.get_lines())
        fig.canvas.draw()                                    # mathtext parses (raises otherwise)
        # every run is drawn (the spread the error bars summarise) ...
        dots = [c for c in ax.collections if isinstance(c, PathCollection)]
        runs = sum(len(r["excess"]) for r in payload["records"] if min(r["excess"]) > 0)
        assert sum(len(c.get_offsets()) for c in dots) >= runs > 0
        # ... and the error bars span ERROR_BAR_SE standard errors of the mean
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        tweak = [c for c in bars if c.get_label().startswith("tweak")][0]
        segments = tweak.lines[2][0].get_segments()
        se = sgd_command.excess_series(payload, "tweak")["se"]
        heights = sorted(seg[1][1] - seg[0][1] for seg in segments)
        assert heights == pytest.approx(sorted(2 * sgd_command.ERROR_BAR_SE * s for s in se))
        # the contrast's 10-90 % band is a filled area
        assert any(type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")
                   for c in ax2.collections)
    finally:
        plt.close(fig)
