"""Witness of theorem sgd_regret: verified on sampled SGD trajectories, replayable by seed, and
failing (with the failing seeds listed) when the theorem's bound is wrong."""
import sympy as sp

from resnet_lemmas import registry
from resnet_lemmas.numerics.witnesses import sgd_regret
from resnet_lemmas.proofs.lemmas import sgd_regret as lemma

RELATION = "(1/T) sum_t E F(z_t, V_t, theta_t) <= B*L*b/sqrt(T) + E l(u*^T x; y)"


def test_witness_is_registered_with_the_theorem():
    registered = registry.get("sgd_regret")
    assert registered.witness_module is sgd_regret
    assert registered.default_instances >= 200


def test_witness_verifies_sampled_trajectories():
    report = sgd_regret.witness(seed=3, instances=40)
    assert report.ok, report.failures
    assert report.instances == 40 and report.worst_margin >= 0
    assert 0 < report.details["max_regret_over_bound"] <= 1


def test_an_instance_replays_from_its_seed():
    first = sgd_regret.one(123456)
    again = sgd_regret.one(123456)
    assert first.margin == again.margin and first.description == again.description
    assert first.ok


def test_a_dropped_square_root_in_the_theorem_fails_and_names_the_seeds(wrong_conclusion):
    """``B L b / T`` for ``B L b / sqrt(T)`` in the conclusion: the pathwise regret exceeds it."""
    wrong_conclusion("sgd_regret", sgd_regret.AGAINST_COMPARATOR,
                     sp.Le(lemma.AvgRisk, lemma.CompLoss + lemma.B * lemma.L * lemma.b_feat / lemma.T,
                           evaluate=False))
    report = sgd_regret.witness(seed=3, instances=20)
    assert not report.ok
    assert report.details["failed_instances"] > 0
    failure = report.failures[0]
    assert failure["margin"] < 0 and "seed" in failure["description"]
    failing = {c["label"] for c in failure["claims"] if c["margin"] < 0}
    assert any(label.startswith("(1/T) sum_t E F(z_t, V_t, theta_t) <= B*L*b/T + E l(u*^T x; y) (pathwise")
               for label in failing)


def test_the_theorems_relation_is_claimed_pathwise():
    labels = [claim.label for claim in sgd_regret.one(7).claims]
    assert labels[0].startswith(f"{RELATION} (pathwise, at the run's averages")


def _failing_labels(report):
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


def test_a_wrong_step_size_fails(monkeypatch):
    real = sgd_regret.step_size
    monkeypatch.setattr(sgd_regret, "step_size", lambda *args: 2.0 * real(*args))
    report = sgd_regret.witness(seed=3, instances=10)
    assert report.status == "failed"
    assert "B^2 / (2 eta T) + eta L^2 b^2 / 2 <= B L b / sqrt(T) (step size)" in _failing_labels(report)


def test_a_halved_bound_fails_even_where_the_regret_stays_below_it(monkeypatch):
    real = sgd_regret.regret_bound
    monkeypatch.setattr(sgd_regret, "regret_bound", lambda *args: 0.5 * real(*args))
    report = sgd_regret.witness(seed=3, instances=10)
    assert report.status == "failed" and report.details["failed_instances"] == 10


def test_instance_descriptions_state_the_constants():
    result = sgd_regret.one(7)
    for key in ("B=", "L=", "b=", "eta=", "T="):
        assert key in result.description
