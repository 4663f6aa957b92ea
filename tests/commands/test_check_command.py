"""`resnet-lemmas check` as a user runs it: table, JSON schema, exit codes, clear errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_lemmas.cli import main
from resnet_lemmas.proofs.lemma import clear_theorem_cache


@pytest.fixture
def fresh_theorems():
    """Tests that break a lemma forget every cached proof report before and after."""
    clear_theorem_cache()
    yield
    clear_theorem_cache()


def test_check_only_one_lemma_prints_a_table_and_exits_zero(capsys):
    assert main(["check", "--only", "zero_w_case", "--instances", "5", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "zero_w_case" in out and "verified" in out and "all verified" in out


def test_check_json_has_the_documented_schema(capsys, tmp_path):
    report = tmp_path / "report.json"
    code = main(["check", "--json", "--seed", "4", "--only", "residual_gradients",
                 "--instances", "3", "--output", str(report)])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["seed"] == 4
    (lemma,) = payload["lemmas"]
    assert set(lemma) >= {"name", "statement", "symbolic", "numeric"}
    assert lemma["symbolic"]["status"] == "verified" and lemma["symbolic"]["steps"] == 6
    assert lemma["numeric"]["status"] == "verified" and lemma["numeric"]["instances"] == 3
    assert lemma["numeric"]["worst_margin"] >= 0
    assert json.loads(report.read_text()) == payload


def test_check_json_statement_and_sizes_are_the_kernel_theorems(capsys):
    from resnet_lemmas.proofs.lemmas import stationarity_consequences
    from resnet_lemmas.proofs.printing import theorem_text

    assert main(["check", "--json", "--only", "stationarity_consequences", "--instances", "1"]) == 0
    (lemma,) = json.loads(capsys.readouterr().out)["lemmas"]
    theorem = stationarity_consequences.LEMMA.theorem()
    assert lemma["statement"] == theorem_text(theorem)
    assert lemma["statement"].startswith("If w != 0; grad_V F = 0: c = 0.")
    assert lemma["symbolic"]["sizes"] == "all" and theorem.all_sizes
    assert lemma["symbolic"]["concrete_sizes"] == list(theorem.sizes) == [{"d": 2, "k": 2, "n": 2},
                                                                     {"d": 3, "k": 1, "n": 2},
                                                                     {"d": 2, "k": 3, "n": 4}]
    assert lemma["depends_on"] == [] and lemma["status"] == "verified"


def test_a_broken_dependency_marks_its_dependents_in_the_table_and_the_json(monkeypatch, capsys,
                                                                             tmp_path,
                                                                             fresh_theorems):
    """stationarity_consequences built with a wrong step: the main theorem and the lemma citing it
    report "not verified: depends on stationarity_consequences", whatever their own witnesses say."""
    import dataclasses

    from resnet_lemmas.proofs.lemmas import stationarity_consequences

    original = stationarity_consequences.LEMMA.build

    def broken():
        proof = original()
        chain = proof.chains[0]   # c = 0, with the stationarity in V left out of the last step
        chain.links[1] = dataclasses.replace(chain.links[1], justification=dataclasses.replace(
            chain.links[1].justification, using=("w_nonzero",)))
        return proof

    monkeypatch.setitem(vars(stationarity_consequences.LEMMA), "build", broken)
    clear_theorem_cache()
    report = tmp_path / "report.json"
    code = main(["check", "--only", "local_minima_beat_linear", "--only", "feature_benchmark_reached",
                 "--instances", "1", "--no-progress", "--output", str(report)])
    out = capsys.readouterr().out
    assert code == 1 and "NOT all verified" in out
    rows = [line for line in out.splitlines() if line.startswith(("local_minima_beat_linear ",
                                                                  "feature_benchmark_reached "))]
    assert len(rows) == 2
    assert all("not verified: depends on stationarity_consequences" in row for row in rows)
    payload = json.loads(report.read_text())
    assert payload["status"] == "failed"
    lemmas = {lemma["name"]: lemma for lemma in payload["lemmas"]}
    main_theorem, corollary = lemmas["local_minima_beat_linear"], lemmas["feature_benchmark_reached"]
    assert main_theorem["depends_on"] == ["stationarity_consequences", "zero_w_case"]
    assert corollary["depends_on"] == ["local_minima_beat_linear"]
    for lemma in (main_theorem, corollary):
        assert lemma["status"] == "not verified: depends on stationarity_consequences"
        assert lemma["symbolic"]["status"] == "failed" and lemma["symbolic"]["sizes"] == []
        assert lemma["statement"].startswith("(not verified) ")
        assert lemma["numeric"]["status"] == "verified"   # the witness alone cannot save it
    (first, *_) = main_theorem["symbolic"]["failures"]
    assert first["chain"] == "consequences_if_w_nonzero"
    assert first["message"].startswith("not verified: depends on stationarity_consequences")
    assert corollary["symbolic"]["failures"][0]["message"].startswith(
        "not verified: depends on local_minima_beat_linear")


def test_unknown_only_name_is_a_clear_error(capsys):
    assert main(["check", "--only", "no_such_lemma"]) == 2
    err = capsys.readouterr().err
    assert "unknown lemma 'no_such_lemma'" in err and "local_minima_beat_linear" in err


def test_nonpositive_instances_is_rejected(capsys):
    assert main(["check", "--instances", "0"]) == 2
    assert "argument --instances: must be a positive integer" in capsys.readouterr().err


def test_check_exits_nonzero_when_a_lemma_fails(monkeypatch, capsys, fresh_theorems):
    from resnet_lemmas.proofs.lemmas import residual_gradients
    from resnet_lemmas.proofs.kernel import Identity

    original = residual_gradients.build

    def broken():
        proof = original()
        chain = proof.chains[1]
        chain.links[0] = type(chain.links[0])("=", -chain.links[0].expr, Identity("broken"))
        return proof

    import dataclasses

    from resnet_lemmas import registry

    entries = list(registry.lemmas())
    index = [r.name for r in entries].index("residual_gradients")
    entries[index] = dataclasses.replace(entries[index],
                                         lemma=dataclasses.replace(entries[index].lemma, build=broken))
    monkeypatch.setattr(registry, "lemmas", lambda: tuple(entries))
    code = main(["check", "--only", "residual_gradients", "--instances", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED" in out and "gradient_in_V" in out and "NOT all verified" in out
    assert "residual_gradients: (not verified) " in out


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "resnet_lemmas.cli", "check", "--list"],
                            capture_output=True, text=True, check=True)
    assert "local_minima_beat_linear" in result.stdout


def test_json_mode_keeps_progress_on_stderr_and_only_json_on_stdout(capsys):
    assert main(["check", "--json", "--only", "residual_gradients", "--instances", "3"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["lemmas"][0]["name"] == "residual_gradients"
    assert "[ok ] residual_gradients" in err                  # check --json used to be silent


def test_list_shows_each_witness_default_instances(capsys):
    from resnet_lemmas import registry

    assert main(["check", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for registered in registry.lemmas():
        (line,) = [l for l in lines if l.split()[0] == registered.name]
        expected = str(registered.default_instances) if registered.witness_module else "-"
        assert line.split()[2] == expected


def test_output_that_fails_after_the_run_keeps_the_table_and_names_the_fallback(capsys, tmp_path,
                                                                               monkeypatch):
    from resnet_lemmas import reports

    real = reports.write_bytes_atomic

    def vanished_folder(path, data):
        if path == str(tmp_path / "report.json"):
            raise FileNotFoundError(2, "No such file or directory")
        return real(path, data)

    monkeypatch.setattr(reports, "write_bytes_atomic", vanished_folder)
    status = main(["check", "--only", "residual_gradients", "--instances", "2", "--no-progress",
                   "--output", str(tmp_path / "report.json")])
    out, err = capsys.readouterr()
    assert status == 1
    assert "residual_gradients" in out and "all verified" in out          # the table printed
    assert f"could not write --output {tmp_path / 'report.json'}" in err
    fallback = Path(err.split("saved it to ")[1].split(" instead")[0])
    try:
        assert json.loads(fallback.read_text())["lemmas"][0]["name"] == "residual_gradients"
    finally:
        fallback.unlink()


def test_output_says_what_it_wrote(capsys, tmp_path):
    target = tmp_path / "deeper" / "report.json"
    assert main(["check", "--only", "residual_gradients", "--instances", "2", "--no-progress",
                 "--output", str(target)]) == 0
    assert f"wrote {target}" in capsys.readouterr().err
    assert json.loads(target.read_text())["seed"] == 0


def test_the_table_names_the_loss_of_each_size_a_theorem_was_checked_for():
    """Red team P3: no_skip_bad_minimum is checked for four concrete losses; the table's sizes name them
    (and the statement says so, tests/proofs/lemmas/test_no_skip_bad_minimum.py)."""
    from resnet_lemmas import registry
    from resnet_lemmas.commands.check import _sizes

    report = registry.get("no_skip_bad_minimum").lemma.check()
    shown = _sizes(report)
    assert shown.startswith(", at ")
    for size in report.theorem.sizes:
        assert f"({size['loss']})" in shown
