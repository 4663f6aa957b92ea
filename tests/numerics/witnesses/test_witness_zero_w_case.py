"""Witness zero_w_case: flatness on {w = 0}, the flatness argument for ||c||^2, and the second-order
formula checked against second differences of F alone; wrong curvature, a dropped 1/n or a wrong relation in
the lemma's conclusion fail."""
import numpy as np
import sympy as sp

from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses import zero_w_case as wit
from resnet_lemmas.proofs.expressions import F, c, inner
from resnet_lemmas.proofs.lemmas import zero_w_case as lemma

SECOND_ORDER = statement.conjunct("zero_w_case", wit.SECOND_ORDER).label

FEW = 6


def test_witness_verifies_and_certifies_points_that_are_not_local_minima():
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "verified", report.failures
    assert report.details["points_with_c_nonzero_not_local_minima"] == FEW
    result = wit.one(777)
    labels = [c.label for c in result.claims]
    assert any(label.startswith("d2F < 0 at s_2 (c != 0: not a local minimum") for label in labels)
    assert any(label.startswith("||c||^2 = e_1^T") for label in labels)
    assert "F(w, V, theta) = E l(0; y) (at w = 0)" in labels
    assert {f"{SECOND_ORDER} (at s_1)", f"{SECOND_ORDER} (at s_2 = 2 s_0 + 1)"} <= set(labels)


def test_a_wrong_loss_curvature_fails(monkeypatch):
    loss_type = type(sample_instance(0).problem.loss)
    monkeypatch.setattr(loss_type, "curvature", lambda self, p, y: np.zeros(np.shape(p)))
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed"
    assert any(c["label"].startswith(SECOND_ORDER) for f in report.failures for c in f["claims"]
               if c["margin"] < 0)


def test_a_dropped_one_over_n_in_the_models_F_fails(monkeypatch):
    original = ResNetProblem.objective
    monkeypatch.setattr(ResNetProblem, "objective", lambda self, w, V, th: self.n * original(self, w, V, th))
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed"
    assert report.failures[0]["claims"][0]["label"] == "F(w, V, theta) = E l(0; y) (at w = 0)"


def test_a_dropped_factor_2_in_the_lemmas_second_order_formula_fails(wrong_conclusion, failing):
    dropped = sp.Eq(lemma.second_derivative,
                    lemma.E_l2_uphi - lemma.s * inner(lemma.u_dir, lemma.u_dir) * inner(c, c), evaluate=False)
    wrong_conclusion("zero_w_case", wit.SECOND_ORDER, dropped)
    label = statement.conjunct("zero_w_case", wit.SECOND_ORDER).label
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed" and report.details["failed_instances"] == FEW
    assert f"{label} (at s_1)" in failing(report)


def test_a_wrong_flat_value_in_the_lemma_fails(wrong_conclusion, failing):
    wrong_conclusion("zero_w_case", wit.F_FLAT, sp.Eq(F, lemma.E_l0 - 1, evaluate=False))
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed" and "F(w, V, theta) = E l(0; y) - 1 (at w = 0)" in failing(report)
