import numpy as np

from resnet_lemmas.numerics.certificates import stationarity_bound
from resnet_lemmas.numerics.witnesses import approximate_stationarity_bound as wit


def test_witness_verifies_the_bound_on_a_small_run():
    report = wit.witness(seed=3, instances=4)
    assert report.ok, report.failures
    assert report.details["points_checked"] == 4 * wit.THETAS * wit.POINTS_PER_THETA
    assert report.worst_margin >= 0


def test_witness_rejects_a_shrunk_bound(monkeypatch):
    real = stationarity_bound.batched_terms

    def shrunk(*args):
        terms = real(*args)
        terms.bound = 0.5 * terms.bound  # the bound with a wrong constant
        return terms

    monkeypatch.setattr(wit, "batched_terms", shrunk)
    report = wit.witness(seed=3, instances=4)
    assert not report.ok
    assert report.worst_margin < 0
    assert report.failures and "worst slack" in report.failures[0]["description"]


def test_witness_rejects_a_broken_identity(monkeypatch):
    real = stationarity_bound.batched_terms

    def broken(*args):
        terms = real(*args)
        terms.bregman = np.abs(terms.bregman) + 1e-3  # Bregman term off by a constant
        return terms

    monkeypatch.setattr(wit, "batched_terms", broken)
    assert not wit.witness(seed=3, instances=2).ok
