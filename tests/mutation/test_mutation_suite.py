"""The mutation suite (``mutation_suite.py``): ``resnet-lemmas check`` itself must fail on every planted bug.

Fast tests: every mutant still applies to the tree (its text occurs exactly once: a refactor that moves the
code is noticed without the slow run), the suite covers every witness and every kind of check, and the
machinery can fail -- a moved text is refused by name, a run that still verifies is a survivor, a mutant
caught by another check than declared is not counted, a crash is not a catch.  The slow test runs every
mutant on a scratch copy of the package (about four minutes on two cores) and fails on any survivor.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

import mutation_suite as suite
from resnet_lemmas import registry

MUTANTS = {m.name: m for m in suite.MUTANTS}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_every_mutant_applies_to_the_current_tree(name):
    mutant = MUTANTS[name]
    suite.check_applicable(suite.REPO, mutant.file, mutant.edits)


def test_the_suite_has_thirty_named_described_mutants_of_registered_lemmas():
    assert len(MUTANTS) == len(suite.MUTANTS) >= 30
    known = set(registry.names())
    for mutant in suite.MUTANTS:
        assert mutant.description and set(mutant.lemmas) <= known, mutant.name
        assert mutant.kind in suite.KIND_LAYERS, mutant.name
        assert mutant.file.split("/")[0] in ("proofs", "numerics", "src"), mutant.name
    assert {m.file.split("/")[0] for m in suite.MUTANTS} >= {"proofs", "numerics"}


def test_every_witness_and_every_kind_of_check_is_covered():
    assert {name for m in suite.MUTANTS for name in m.lemmas} == set(registry.names())
    assert {m.kind for m in suite.MUTANTS} == set(suite.KINDS)
    assert any(m.default for m in suite.MUTANTS)


def test_instance_counts_are_known_for_every_lemma():
    assert set(suite.INSTANCES) == set(registry.names())
    assert all(m.small_instances >= 1 for m in suite.MUTANTS)


def _tree(tmp_path, text):
    path = tmp_path / "resnet_lemmas" / "numerics" / "models" / "residual.py"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return path


def test_a_text_that_moved_or_repeats_is_refused_by_name(tmp_path):
    _tree(tmp_path, "c = Fx.T @ r / n\nc = Fx.T @ r / n\n")
    with pytest.raises(suite.MutantError, match="occurs 2 times"):
        suite.apply(tmp_path, "numerics/models/residual.py", [("c = Fx.T @ r / n", "c = -Fx.T @ r / n")])
    with pytest.raises(suite.MutantError, match="occurs 0 times.*'r_x = X.T @ r'"):
        suite.apply(tmp_path, "numerics/models/residual.py", [("r_x = X.T @ r", "r_x = -X.T @ r")])
    with pytest.raises(suite.MutantError, match="no such file"):
        suite.check_applicable(tmp_path, "numerics/models/gone.py", [("x", "y")])
    with pytest.raises(suite.MutantError, match="not a file of the package"):
        suite.scratch_path(tmp_path, "tests/test_cli.py")


def test_apply_edits_the_scratch_copy_and_drops_its_bytecode(tmp_path):
    path = _tree(tmp_path, "c = Fx.T @ r / n\n")
    stale = path.parent / "__pycache__" / "residual.cpython-311.pyc"
    stale.parent.mkdir()
    stale.write_bytes(b"stale")
    suite.apply(tmp_path, "numerics/models/residual.py", [("c = Fx.T @ r / n", "c = -Fx.T @ r / n")])
    assert path.read_text() == "c = -Fx.T @ r / n\n" and not stale.exists()


def test_scratch_paths_follow_the_installed_layout(tmp_path):
    assert suite.scratch_path(tmp_path, "src/resnet_lemmas/check.py") == tmp_path / "resnet_lemmas" / "check.py"
    assert (suite.scratch_path(tmp_path, "proofs/kernel/zero.py")
            == tmp_path / "resnet_lemmas" / "proofs" / "kernel" / "zero.py")


def _run(returncode, status, symbolic="verified", numeric="verified", lemma="residual_gradients"):
    return suite.RunResult(returncode, statuses={lemma: status}, symbolic={lemma: symbolic},
                           numeric={lemma: numeric}, reasons={lemma: "why"}, seconds=1.0)


def test_a_run_that_still_verifies_is_a_survivor():
    outcome = suite.verdict(MUTANTS["model_c_sign"], _run(0, "verified"), 20)
    assert not outcome.caught and outcome.verdict.startswith("SURVIVED")
    assert "SURVIVED" in suite.summary([outcome]) and "survivors: model_c_sign" in suite.summary([outcome])


def test_a_mutant_must_be_caught_by_the_check_it_declares():
    witness = MUTANTS["model_c_sign"]                       # a numeric witness claim
    assert suite.verdict(witness, _run(1, "failed", numeric="failed"), 20).caught
    by_proof_only = suite.verdict(witness, _run(1, "failed", symbolic="failed"), 20)
    assert not by_proof_only.caught and "not by the declared check" in by_proof_only.verdict
    conclusion = MUTANTS["conclusion_grad_w_sign"]           # the proof and the witness must both fail
    assert not suite.verdict(conclusion, _run(1, "failed", symbolic="failed"), 20).caught
    assert suite.verdict(conclusion, _run(1, "failed", symbolic="failed", numeric="failed"), 20).caught
    share = MUTANTS["search_stopped_early"]                  # too few certified instances
    lemma = "local_minima_beat_linear"
    assert suite.verdict(share, _run(1, "inconclusive", numeric="inconclusive", lemma=lemma), 20).caught
    assert not suite.verdict(share, _run(1, "failed", numeric="failed", lemma=lemma), 20).caught


def test_a_crash_or_a_missing_report_is_not_a_catch():
    crashed = suite.verdict(MUTANTS["model_c_sign"], suite.RunResult(1, crashed="exit 1, no JSON: SyntaxError"), 20)
    assert not crashed.caught and crashed.verdict.startswith("crashed")
    other = suite.verdict(MUTANTS["model_c_sign"], _run(1, "failed", numeric="failed", lemma="zero_w_case"), 20)
    assert not other.caught and "no report" in other.verdict


def test_controls_cover_every_setting_a_mutant_runs_at():
    runs = suite.settings(suite.MUTANTS)
    groups = suite.control_groups(runs)
    for mutant, instances in runs:
        assert set(mutant.lemmas) <= set(groups[instances])
    assert None in groups        # the default settings are run for the mutants marked so


def test_every_mutant_has_a_counterpart_before_issue_10_or_a_reason():
    for mutant in suite.MUTANTS:
        counterpart = suite.old_counterpart(mutant)
        if isinstance(counterpart, str):
            assert counterpart, mutant.name
            continue
        if not suite.OLD_ROOT.is_dir():
            pytest.skip(f"the tree before issue 10 is not at {suite.OLD_ROOT}")
        file, edits = counterpart
        suite.check_applicable(suite.OLD_ROOT, file, edits)


#: A change that is not a bug (a comment): check must still pass, and the suite must say "survived".
HARMLESS = suite.Mutant("harmless_comment", "numerics/models/residual.py", "# -- evaluation ---",
                        "# -- evaluation (reworded) ---", ("zero_w_case",), "a comment reworded",
                        "numeric witness claim", instances=3)


@pytest.mark.slow
def test_check_catches_every_mutant(tmp_path, capsys):
    outcomes, controls = suite.run_suite(list(suite.MUTANTS) + [HARMLESS], jobs=2, workdir=tmp_path)
    harmless = [o for o in outcomes if o.mutant == HARMLESS.name]
    outcomes = [o for o in outcomes if o.mutant != HARMLESS.name]
    text = suite.summary(outcomes, controls)
    report = Path(os.environ.get("RESNET_LEMMAS_MUTATION_REPORT", tmp_path / "mutation-report.json"))
    suite.write_report(report, outcomes, controls)
    with capsys.disabled():
        print(f"\n{text}\nwrote {report}")
    for instances, run in controls.items():
        assert not run.crashed and run.returncode == 0, f"unmutated check fails at {instances}: {run.statuses}"
        assert all(status in suite.PASSING for status in run.statuses.values()), run.statuses
    assert [o.verdict.startswith("SURVIVED") for o in harmless] == [True], harmless
    survivors = [o.mutant for o in outcomes if not o.caught]
    assert not survivors, text
    assert len(outcomes) == len(suite.settings(suite.MUTANTS))


def test_the_harmless_change_applies_and_is_not_a_declared_mutant():
    suite.check_applicable(suite.REPO, HARMLESS.file, HARMLESS.edits)
    assert HARMLESS.name not in MUTANTS
    assert replace(HARMLESS, name="x").kind in suite.KIND_LAYERS
