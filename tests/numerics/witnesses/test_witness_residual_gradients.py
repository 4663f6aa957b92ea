"""Witness residual_gradients: verified on sampled instances, and failing on a wrong c, a dropped 1/n, a
wrong grad_theta, and a loosened derivative tolerance (which also shows in the reported figures)."""
import dataclasses

import numpy as np

from resnet_lemmas.numerics.certificates import derivatives
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import residual_gradients as wit
from resnet_lemmas.numerics.witnesses._common import DERIVATIVE_RESOLUTION

FEW = 6


def _patch_gradients(monkeypatch, change):
    original = ResNetProblem._gradients
    monkeypatch.setattr(ResNetProblem, "_gradients", lambda self, w, V, th: change(self, original(self, w, V, th)))


def _failing_labels(report):
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


def test_witness_verifies_and_reports_its_resolution():
    report = wit.witness(seed=2, instances=FEW)
    assert report.status == "verified", report.failures
    assert 0 < report.details["max_relative_extrapolation_allowance"] < 1e-3 * DERIVATIVE_RESOLUTION
    assert report.details["max_discrepancy_over_allowance"] < 1.0


def test_a_flipped_sign_in_the_models_c_fails(monkeypatch):
    _patch_gradients(monkeypatch, lambda self, g: dataclasses.replace(g, c=-g.c))
    report = wit.witness(seed=2, instances=FEW)
    assert report.status == "failed"
    assert any(label.startswith("c = E[l'(p) f] (model vs definition)") for label in _failing_labels(report))


def test_a_dropped_one_over_n_in_F_fails(monkeypatch):
    _patch_gradients(monkeypatch, lambda self, g: dataclasses.replace(g, F=g.F * self.n))
    report = wit.witness(seed=2, instances=FEW)
    assert report.status == "failed" and "F = E[l(p; y)] (model vs definition)" in _failing_labels(report)


def test_a_loosened_derivative_tolerance_changes_the_figure_and_fails(monkeypatch):
    honest = wit.witness(seed=2, instances=FEW).details["max_relative_extrapolation_allowance"]
    monkeypatch.setattr(derivatives, "ERROR_FACTOR", 1e6 * derivatives.ERROR_FACTOR)
    loose = wit.witness(seed=2, instances=FEW)
    assert loose.details["max_relative_extrapolation_allowance"] > 1e5 * honest
    assert loose.status == "failed"
    assert any(label.startswith("derivative allowances resolve") for label in _failing_labels(loose))


def test_a_loosened_tolerance_does_not_let_a_slightly_wrong_grad_theta_through(monkeypatch):
    monkeypatch.setattr(derivatives, "ERROR_FACTOR", 1e6 * derivatives.ERROR_FACTOR)
    _patch_gradients(monkeypatch, lambda self, g: dataclasses.replace(g, grad_theta=g.grad_theta * (1 + 1e-6)))
    assert wit.witness(seed=2, instances=FEW).status == "failed"


def test_the_rank_one_claim_is_made_of_the_extrapolated_grad_V():
    seed = next(s for s in range(100) if min(sample_instance(s).problem.d, sample_instance(s).problem.k) > 1)
    result = wit.one(seed)
    claim = next(c for c in result.claims if c.label.startswith("sigma_2(grad_V)"))
    assert claim.relation == "=" and claim.rhs == 0.0 and claim.margin > 0
    assert np.isfinite(result.values["sigma_2_grad_V"])
