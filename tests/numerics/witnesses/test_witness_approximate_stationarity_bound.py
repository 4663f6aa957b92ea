"""Witness approximate_stationarity_bound: the lemma's identity, bound and corollary through the bridge at
the fast path's worst points, the fast path checked against the bridge at random points; a shrunk bound or
a broken identity in the fast path, and a wrong relation in the lemma, all fail."""
import numpy as np
import sympy as sp

from resnet_lemmas.numerics.certificates import stationarity_bound
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses import approximate_stationarity_bound as wit
from resnet_lemmas.proofs.expressions import F, F_lin
from resnet_lemmas.proofs.lemmas import approximate_stationarity_bound as lemma


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


def _bridge_labels():
    return [c.label for c in statement.conjuncts("approximate_stationarity_bound")]


def test_every_relation_is_claimed_at_the_worst_point_and_checked_against_the_fast_path():
    result = wit.one(7)
    labels = [c.label for c in result.claims]
    for label in _bridge_labels():
        assert any(claim.startswith(f"{label} (worst of") for claim in labels), label
        assert any(claim.startswith(f"{label}: its slack rhs - lhs by the bridge") for claim in labels), label


def test_a_halved_bound_in_the_lemma_fails_numerically(wrong_conclusion, failing):
    halved = sp.Le(F - lemma.E_l_u, lemma.BOUND / 2, evaluate=False)
    wrong_conclusion("approximate_stationarity_bound", wit.BOUND, halved)
    label = statement.conjunct("approximate_stationarity_bound", wit.BOUND).label
    report = wit.witness(seed=3, instances=4)
    assert report.status == "failed" and report.details["failed_instances"] == 4
    assert any(failed.startswith(label) for failed in failing(report))


def test_a_dropped_norm_factor_in_the_corollary_fails(wrong_conclusion, failing):
    dropped = sp.Le(F - F_lin, lemma.eps * lemma.norm(lemma.w - lemma.u), evaluate=False)
    wrong_conclusion("approximate_stationarity_bound", wit.EPS_BOUND, dropped)
    report = wit.witness(seed=3, instances=4)
    assert report.status == "failed"
    assert any(label.startswith("F(w, V, theta) - F_lin <= eps*||-u + w||") for label in failing(report))


def test_a_flipped_sign_in_the_identity_fails(wrong_conclusion, failing):
    flipped = sp.Eq(F - lemma.E_l_u, lemma.FIRST_ORDER + lemma.E_bregman_u, evaluate=False)
    wrong_conclusion("approximate_stationarity_bound", wit.IDENTITY, flipped)
    label = statement.conjunct("approximate_stationarity_bound", wit.IDENTITY).label
    report = wit.witness(seed=3, instances=4)
    assert report.status == "failed" and any(failed.startswith(label) for failed in failing(report))
