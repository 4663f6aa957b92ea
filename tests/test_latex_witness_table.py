"""The LaTeX witness table shows an experiment's status and outcome, and unchecked instances; a report
read back from check's JSON keeps them."""
import json

from resnet_lemmas.latex.document import _witness_table
from resnet_lemmas.latex.records import NumericResult, _witness_from_json
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness


def _one(seed, index):
    return InstanceResult(seed, checked=index % 2 == 0, claims=[Claim("F >= F_feat", 1.0, ">=", 0.5)])


def test_experiment_table_has_status_outcome_and_unchecked_count():
    report = run_witness("regularised_bad_minima", 0, 3, "none", _one, n_jobs=1, kind="experiment", indexed=True,
                         outcome=lambda rs: "found: 2 of 5 certified minima worse than F_lin")
    tex = _witness_table(NumericResult(report), "regularised_bad_minima")
    assert "status & " + report.status in tex and "outcome & found: 2 of 5" in tex
    assert report.status == "completed" and "$1$ unchecked" in tex
    again = _witness_from_json(json.loads(json.dumps(report.to_json())))
    assert (again.status, again.outcome, again.unchecked) == (report.status, report.outcome, report.unchecked)


def test_a_relation_never_evaluated_survives_the_round_trip_through_json():
    report = run_witness("zero_w_case", 0, 2, "none", lambda seed: InstanceResult(
        seed, claims=[Claim("F >= F_feat", 1.0, ">=", 0.5)]), n_jobs=1)
    report.uncovered = ["c = 0"]
    again = _witness_from_json(json.loads(json.dumps(report.to_json())))
    assert again.uncovered == ["c = 0"] and again.status == "failed" and not again.ok
