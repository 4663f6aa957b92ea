import numpy as np

from resnet_lemmas.numerics.witnesses import no_skip_bad_minimum as wit


def test_witness_certifies_bad_minima():
    report = wit.witness(seed=5, instances=3)
    assert report.ok, report.failures
    assert report.details["no_skip_F_minus_F_lin"]["min"] > 0


def test_witness_rejects_points_whose_relus_are_alive(monkeypatch):
    monkeypatch.setattr(wit, "kill_first_layer", lambda unit, X, theta, margin: np.asarray(theta))
    report = wit.witness(seed=5, instances=2)
    assert not report.ok
    assert "active on sample" in report.failures[0]["description"]
