"""Witness stationarity_consequences: at points made stationary in (w, V) by a solve, c and E[l'(p) x]
(from the data) vanish as far as the extrapolated gradients force them to; a wrong c or gradient in the
model fails; a solve stopped early certifies nothing (inconclusive); a wrong relation in the lemma's
conclusion fails numerically."""
import dataclasses

import sympy as sp

from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses import stationarity_consequences as wit
from resnet_lemmas.numerics.witnesses.harness import instance_seeds
from resnet_lemmas.proofs.expressions import E_rx, V, c, w

FEW = 6


def _patch_gradients(monkeypatch, change):
    original = ResNetProblem._gradients
    monkeypatch.setattr(ResNetProblem, "_gradients", lambda self, w, V, th: change(original(self, w, V, th)))


def test_witness_verifies_at_certified_stationary_points():
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "verified", report.failures
    assert report.details["stationary_points"] >= wit.minimum_stationary(FEW)
    assert report.details["max_c_norm_at_stationary_points"] < 1e-6
    assert report.details["max_E_rx_norm_at_stationary_points"] < 1e-6


def test_the_allowances_resolve_the_conclusion_relative_to_its_terms():
    report = wit.witness(seed=1, instances=FEW)
    largest = report.details["max_relative_stationarity_allowance_at_stationary_points"]
    assert 0 < largest <= wit.STATIONARITY_RESOLUTION


def test_a_loosened_stationarity_tolerance_certifies_nothing(monkeypatch):
    """tau 1e6 times larger: c = 0 within tau / ||w|| would hold whatever c is, so no point is checked
    (inconclusive, not verified), and each instance says why."""
    monkeypatch.setattr(wit, "STATIONARY_TOLERANCE", wit.STATIONARY_TOLERANCE * 1e6)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "inconclusive" and report.checked == 0 and not report.failures
    assert report.details["stationary_but_unresolved"] >= 1
    assert any("does not resolve c = 0" in wit.one(seed).description for seed in instance_seeds(1, FEW))


def test_a_flipped_sign_in_the_models_c_fails(monkeypatch):
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(g, c=-g.c))
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    assert any("c = E[l'(p) f] (model vs definition)" in c["label"]
               for f in report.failures for c in f["claims"] if c["margin"] < 0)


def test_a_gradient_without_the_V_c_term_fails(monkeypatch):
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(g, grad_w=g.r_x))
    assert wit.witness(seed=1, instances=FEW).status == "failed"


def test_a_solve_stopped_early_is_inconclusive_not_verified(monkeypatch):
    monkeypatch.setattr(wit, "SOLVE_MAXITER", 2)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "inconclusive" and report.details["stationary_points"] == 0
    assert report.unchecked == FEW and not report.failures   # the identities still held everywhere


def test_the_conclusion_is_claimed_at_stationary_points_only(monkeypatch):
    conclusion = {"c = 0", "E[l'(p) x] = 0"}
    checked = wit.one(11)
    assert checked.checked and conclusion <= {claim.label.split(" [")[0] for claim in checked.claims}
    monkeypatch.setattr(wit, "SOLVE_MAXITER", 2)
    stopped = wit.one(11)
    assert not stopped.checked and not conclusion & {claim.label.split(" [")[0] for claim in stopped.claims}


def test_a_wrong_relation_in_the_lemma_fails_numerically(wrong_conclusion, failing):
    """``E[l'(p) x] = w`` instead of ``= 0``: at every checked (stationary) point it fails."""
    wrong_conclusion("stationarity_consequences", wit.E_RX_VANISHES, sp.Eq(E_rx, w, evaluate=False))
    label = statement.conjunct("stationarity_consequences", wit.E_RX_VANISHES).label
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    assert any(failed.startswith(label) for failed in failing(report)), failing(report)


def test_c_equal_to_V_transpose_w_is_refused(wrong_conclusion, failing):
    wrong_conclusion("stationarity_consequences", wit.C_VANISHES, sp.Eq(c, V.T * w, evaluate=False))
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed" and any(label.startswith("c = V^T w") for label in failing(report))
