"""The foundation witnesses verify the true formulas and reject broken ones (they can fail)."""
import dataclasses

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates import main_theorem
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import (local_minima_beat_linear, residual_gradients,
                                              stationarity_consequences, zero_w_case)

FEW = 8


@pytest.mark.parametrize("module", [residual_gradients, stationarity_consequences, zero_w_case])
def test_witness_verifies_with_recorded_seed(module):
    report = module.witness(seed=3, instances=FEW)
    assert report.status == "verified", report.failures
    assert report.instances == FEW and report.seed == 3 and report.worst_margin >= 0


def test_witness_is_replayable_from_its_seed():
    a = zero_w_case.witness(seed=11, instances=4)
    b = zero_w_case.witness(seed=11, instances=4)
    assert a.worst_margin == b.worst_margin


def _patch_gradients(monkeypatch, change):
    original = ResNetProblem.gradients

    def broken(self, w, V, theta):
        return change(original(self, w, V, theta))

    monkeypatch.setattr(ResNetProblem, "gradients", broken)


def test_gradient_witness_rejects_a_wrong_sign_in_grad_V(monkeypatch):
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(g, grad_V=-g.grad_V))
    report = residual_gradients.witness(seed=0, instances=FEW)
    assert report.status == "failed" and report.failures
    assert any(c["label"].startswith("grad_V = w c^T") and c["margin"] < 0
               for c in report.failures[0]["claims"])


def test_gradient_witness_rejects_a_missing_V_c_term(monkeypatch):
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(g, grad_w=g.r_x))
    assert residual_gradients.witness(seed=0, instances=FEW).status == "failed"


def test_stationarity_witness_rejects_a_wrong_c(monkeypatch):
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(g, c=2.0 * g.c))
    assert stationarity_consequences.witness(seed=0, instances=FEW).status == "failed"


def test_zero_w_witness_rejects_a_wrong_curvature(monkeypatch):
    inst = sample_instance(0)
    loss_type = type(inst.problem.loss)
    monkeypatch.setattr(loss_type, "curvature", lambda self, p, y: np.zeros(np.shape(p)))
    assert zero_w_case.witness(seed=0, instances=FEW).status == "failed"


def test_main_theorem_witness_verifies_a_few_instances():
    report = local_minima_beat_linear.witness(seed=1, instances=4)
    assert report.status == "verified", report.failures
    assert report.details["runs"] >= 4 and report.details["certified_local_minima"] >= 2


def test_point_check_rejects_a_fake_stationary_point(monkeypatch):
    """A random point reported as stationary (zero gradients) must fail: its F exceeds F_feat."""
    inst = sample_instance(5, losses=("squared",))
    problem = inst.problem
    rng = np.random.default_rng(5)
    w, V = 3.0 * rng.normal(size=problem.d), 3.0 * rng.normal(size=(problem.d, problem.k))
    theta = problem.unit.init(rng)
    honest = main_theorem.check_point(problem, w, V, theta)
    assert honest.ok  # the honest slack covers any point
    _patch_gradients(monkeypatch, lambda g: dataclasses.replace(
        g, grad_w=0 * g.grad_w, grad_V=0 * g.grad_V, c=0 * g.c))
    faked = main_theorem.check_point(problem, w, V, theta)
    assert not faked.ok and faked.margin < 0
    assert "gradient slack 0.00e+00" in faked.message


def test_point_check_rejects_a_bad_point_of_the_no_skip_model():
    """Without the skip connection, w = 0-like dead points can be worse than linear: the check flags
    a point whose value exceeds F_feat when its true (zero) gradient slack is used."""
    inst = sample_instance(2, losses=("squared",))
    p = inst.problem
    no_skip = ResNetProblem(p.unit, p.X, p.y, p.loss, skip=False)
    theta = p.unit.init(np.random.default_rng(2))
    zero_w, zero_V = np.zeros(p.d), np.zeros((p.d, p.k))
    # at (0, 0, theta) the no-skip model has zero gradient in (w, V) and F = E l(0; y) > F_lin
    g = no_skip.gradients(zero_w, zero_V, theta)
    assert np.allclose(g.grad_w, 0) and np.allclose(g.grad_V, 0)
    check = main_theorem.check_point(no_skip, zero_w, zero_V, theta)
    assert check.F > check.F_lin
    assert not check.ok and "F_lin" in check.message
