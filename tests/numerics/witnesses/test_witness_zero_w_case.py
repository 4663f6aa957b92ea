"""Witness zero_w_case: flatness on {w = 0}, the flatness argument for ||c||^2, and the second-order
formula checked against second differences of F alone; wrong curvature or a dropped 1/n fail."""
import numpy as np

from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import zero_w_case as wit

FEW = 6


def test_witness_verifies_and_certifies_points_that_are_not_local_minima():
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "verified", report.failures
    assert report.details["points_with_c_nonzero_not_local_minima"] == FEW
    result = wit.one(777)
    labels = [c.label for c in result.claims]
    assert "d2F < 0 at s_2 (c != 0: not a local minimum)" in labels
    assert any(label.startswith("||c||^2 = e_1^T") for label in labels)


def test_a_wrong_loss_curvature_fails(monkeypatch):
    loss_type = type(sample_instance(0).problem.loss)
    monkeypatch.setattr(loss_type, "curvature", lambda self, p, y: np.zeros(np.shape(p)))
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed"
    assert any(c["label"].startswith("d2F = E_l2_uphi") for f in report.failures for c in f["claims"]
               if c["margin"] < 0)


def test_a_dropped_one_over_n_in_the_models_F_fails(monkeypatch):
    original = ResNetProblem.objective
    monkeypatch.setattr(ResNetProblem, "objective", lambda self, w, V, th: self.n * original(self, w, V, th))
    report = wit.witness(seed=4, instances=FEW)
    assert report.status == "failed"
    assert report.failures[0]["claims"][0]["label"] == "F(0, V, theta) = E_l0"
