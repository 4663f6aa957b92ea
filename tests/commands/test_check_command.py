"""`resnet-lemmas check` as a user runs it: table, JSON schema, exit codes, clear errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from resnet_lemmas.cli import main


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


def test_unknown_only_name_is_a_clear_error(capsys):
    assert main(["check", "--only", "no_such_lemma"]) == 2
    err = capsys.readouterr().err
    assert "unknown lemma 'no_such_lemma'" in err and "local_minima_beat_linear" in err


def test_nonpositive_instances_is_rejected(capsys):
    assert main(["check", "--instances", "0"]) == 2
    assert "argument --instances: must be a positive integer" in capsys.readouterr().err


def test_check_exits_nonzero_when_a_lemma_fails(monkeypatch, capsys):
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
    entries[index] = dataclasses.replace(entries[index], lemma=dataclasses.replace(entries[index].lemma, build=broken))
    monkeypatch.setattr(registry, "lemmas", lambda: tuple(entries))
    code = main(["check", "--only", "residual_gradients", "--instances", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED" in out and "gradient_in_V" in out and "NOT all verified" in out


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
