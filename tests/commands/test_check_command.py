"""`resnet-lemmas check` as a user runs it: table, JSON schema, exit codes, clear errors."""
import json
import subprocess
import sys

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
