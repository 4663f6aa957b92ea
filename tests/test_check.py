"""check.py: a lemma's status follows its witness report (verified / completed / inconclusive / failed)."""
from resnet_lemmas.check import LemmaOutcome
from resnet_lemmas.commands.check import _row
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness


def _report(kind="witness", checked=True, holds=True):
    def one(seed):
        return InstanceResult(seed, checked=checked,
                              claims=[Claim("F >= F_feat", 1.0 if holds else 0.0, ">=", 0.5)])
    return run_witness("x", 0, 2, "none", one, n_jobs=1, kind=kind,
                       outcome=(lambda rs: "not found: 0 of 2") if kind == "experiment" else None)


def _outcome(report, kind="lemma"):
    return LemmaOutcome("x", kind, "statement", None, report, 0.1)


def test_status_of_a_verified_a_completed_an_inconclusive_and_a_failed_witness():
    assert _outcome(_report()).status == "verified"
    assert _outcome(_report("experiment"), "experiment").status == "completed"
    inconclusive = _outcome(_report(checked=False))
    assert inconclusive.status == "inconclusive" and not inconclusive.ok
    assert _outcome(_report(holds=False)).status == "failed"
    assert _outcome(_report(checked=False, holds=False)).status == "failed"


def test_the_table_row_shows_unchecked_instances_and_the_outcome_is_printed_below(capsys, monkeypatch):
    outcome = _outcome(_report("experiment", checked=False), "experiment")
    row = _row(outcome)
    assert "2 unchecked" in row[3] and row[3].startswith("inconclusive")
    # the outcome sentence is long: it is printed under the table, next to the statements
    from resnet_lemmas.commands import check as command

    monkeypatch.setattr("resnet_lemmas.check.run_check", lambda **kw: type(
        "R", (), {"outcomes": [outcome], "ok": False, "seed": 0, "seconds": 1.0,
                  "to_json": lambda self: {}})())
    command.run(type("A", (), {"seed": 0, "only": None, "instances": None, "json": False,
                               "output": None, "list": False, "no_progress": True})())
    assert "outcome: not found: 0 of 2" in capsys.readouterr().out


def test_the_pool_and_the_main_process_give_the_same_report():
    """Scheduling does not change results: the lemmas checked side by side in worker processes report
    the same statuses, margins and statements as when checked one after another here."""
    from resnet_lemmas.check import run_check

    only = ["stationarity_consequences", "no_skip_bad_minimum"]
    pooled = run_check(seed=4, only=only, instances=3, jobs=2).to_json()
    alone = run_check(seed=4, only=only, instances=3, jobs=1).to_json()
    for a, b in zip(pooled["lemmas"], alone["lemmas"]):
        assert (a["name"], a["status"], a["statement"]) == (b["name"], b["status"], b["statement"])
        assert a["numeric"]["worst_margin"] == b["numeric"]["worst_margin"]
        assert a["symbolic"]["sizes"] == b["symbolic"]["sizes"]
