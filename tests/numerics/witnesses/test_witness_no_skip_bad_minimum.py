"""Witness no_skip_bad_minimum: certified bad minima without the skip connection, the example's conclusion
through the bridge; live ReLUs, a constant that is not the best and a wrong relation in the example fail."""
import numpy as np
import sympy as sp

from resnet_lemmas.numerics.witnesses import no_skip_bad_minimum as wit
from resnet_lemmas.proofs.expressions import inner
from resnet_lemmas.proofs.lemmas import no_skip_bad_minimum as lemma


def test_witness_certifies_bad_minima():
    report = wit.witness(seed=5, instances=3)
    assert report.ok, report.failures
    assert report.details["no_skip_F_minus_F_lin"]["min"] > 0


def test_witness_rejects_points_whose_relus_are_alive(monkeypatch):
    monkeypatch.setattr(wit, "kill_first_layer", lambda unit, X, theta, margin: np.asarray(theta))
    report = wit.witness(seed=5, instances=2)
    assert not report.ok
    assert "active on sample" in report.failures[0]["description"]


def test_witness_rejects_a_constant_that_is_not_the_best(monkeypatch):
    real = wit.best_constant
    monkeypatch.setattr(wit, "best_constant", lambda loss, y: (real(loss, y)[0] + 0.1,) + real(loss, y)[1:])
    report = wit.witness(seed=5, instances=2)
    assert not report.ok
    labels = {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert ("E l(s_0; y) - inf_s E l(s; y) <= rounding (best constant, no skip; a certificate, not a relation "
            "of the conclusion)") in labels


def test_bad_values_are_enclosed_in_arb_balls():
    result = wit.one(31)
    enclosed = [c for c in result.claims if "Arb enclosure" in c.label]
    assert len(enclosed) == 2 and all(c.lhs > 0 for c in enclosed)


def test_the_examples_relations_are_claimed():
    labels = {c.label for c in wit.one(31).claims}
    assert {"E l(w^T V f_0; y) >= E l(0; y) (at random (w, V))",
            "E l(w^T V f_0; y) >= E l(0; y) (at the constructed minimum)",
            "d/dt E l(-t a_0^T x; y) at t = 0 = -a_0^T a_0 (extrapolated from loss values)"} <= labels


def test_a_flipped_relation_in_the_example_fails(wrong_conclusion):
    wrong_conclusion("no_skip_bad_minimum", wit.NO_BETTER_CONSTANT,
                     sp.Le(lemma.F_ns, lemma.E_l0_ns, evaluate=False))
    report = wit.witness(seed=5, instances=3)
    assert report.status == "failed"
    labels = {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert "E l(w^T V f_0; y) <= E l(0; y) (at random (w, V))" in labels


def test_a_halved_descent_in_the_example_fails(wrong_conclusion):
    wrong_conclusion("no_skip_bad_minimum", wit.LINEAR_DESCENT,
                     sp.Eq(lemma.d_lin_ns, -inner(lemma.a0_ns, lemma.a0_ns) / 2, evaluate=False))
    report = wit.witness(seed=5, instances=3)
    assert report.status == "failed" and report.details["failed_instances"] == 3
