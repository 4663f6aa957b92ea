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


def test_witness_rejects_a_constant_that_is_not_the_best(monkeypatch):
    real = wit.best_constant
    monkeypatch.setattr(wit, "best_constant", lambda loss, y: (real(loss, y)[0] + 0.1,) + real(loss, y)[1:])
    report = wit.witness(seed=5, instances=2)
    assert not report.ok
    labels = {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert "E l(s_0; y) - inf_s E l(s; y) <= rounding (best constant, no skip)" in labels


def test_bad_values_are_enclosed_in_arb_balls():
    result = wit.one(31)
    enclosed = [c for c in result.claims if "Arb enclosure" in c.label]
    assert len(enclosed) == 2 and all(c.lhs > 0 for c in enclosed)
