"""Witness stationarity_consequences: at points made stationary in (w, V) by a solve, c and E[l'(p) x]
(from the data) vanish as far as the extrapolated gradients force them to; a wrong c or gradient in the
model fails; a solve stopped early certifies nothing (inconclusive)."""
import dataclasses

from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import stationarity_consequences as wit

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
