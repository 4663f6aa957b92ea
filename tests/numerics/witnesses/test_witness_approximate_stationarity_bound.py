"""Witness approximate_stationarity_bound: the lemma's identity, bound and corollary through the bridge at
the fast path's worst points, the fast path checked against the bridge at random points; a shrunk bound or
a broken identity in the fast path, and a wrong relation in the lemma, all fail.  The identity's terms are
computed independently (loss values; the Bregman term's definition; the model's gradients), so a wrong
l' (doubled, zero, or the Bregman term's sign), a dropped 1/n or a wrong model gradient fails the identity
itself, in every instance."""
import numpy as np
import pytest
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


def _identity_label():
    return statement.conjunct("approximate_stationarity_bound", wit.IDENTITY).label


def _assert_identity_fails_everywhere(report, failing, instances):
    """Every instance fails, and the failing claims include the lemma's identity itself (not only the
    convexity step or the consistency with the bridge)."""
    assert not report.ok and report.status == "failed"
    assert report.details["failed_instances"] == instances
    label = _identity_label()
    identity_failures = [f for f in report.failures
                         if any(c["label"].startswith(f"{label} (worst of") and c["margin"] < 0
                                for c in f["claims"])]
    assert len(identity_failures) == instances, failing(report)
    assert all("worst slack" in f["description"] for f in report.failures)


PLANTED = {"doubled": lambda r: 2 * r, "zero": lambda r: 0 * r, "bregman_sign": lambda r: -r}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_a_wrong_derivative_in_the_fast_path_fails_the_identity(planted, monkeypatch, failing, planted_derivative):
    """r -> 2 r, r -> 0 and the Bregman term's l' (q - p) with the wrong sign: before the first-order term
    came from the model, the identity held for each (only E[D_l] >= 0 could fail)."""
    real = stationarity_bound.batched_terms

    def planted_terms(X, y, Fx, loss, *rest):
        return real(X, y, Fx, planted_derivative(loss, PLANTED[planted]), *rest)

    monkeypatch.setattr(wit, "batched_terms", planted_terms)
    _assert_identity_fails_everywhere(wit.witness(seed=3, instances=3), failing, 3)


@pytest.mark.parametrize("term", ["bregman", "E_l_u"])
def test_a_dropped_mean_fails_the_identity(term, monkeypatch, failing):
    """E[D_l] or E l(u^T x) summed over the n samples instead of averaged."""
    real = stationarity_bound.batched_terms

    def summed(X, y, *rest):
        terms = real(X, y, *rest)
        setattr(terms, term, len(y) * getattr(terms, term))
        terms.gap = terms.F - terms.E_l_u
        return terms

    monkeypatch.setattr(wit, "batched_terms", summed)
    _assert_identity_fails_everywhere(wit.witness(seed=3, instances=3), failing, 3)


def test_a_wrong_model_gradient_fails_the_identity(monkeypatch, failing):
    """The first-order term is the model's: grad_w F without its V c term (a model bug) fails the identity."""
    real = stationarity_bound.model_gradients

    def missing_term(problem, Fx, W, Vs):
        g = real(problem, Fx, W, Vs)
        g.grad_w = g.grad_w - np.einsum("pdk,pk->pd", Vs, g.c)
        return g

    monkeypatch.setattr(wit, "model_gradients", missing_term)
    _assert_identity_fails_everywhere(wit.witness(seed=3, instances=3), failing, 3)


def test_a_wrong_loss_derivative_kernel_fails_the_extrapolated_check(monkeypatch):
    """Red team 2: l' evaluated at p rounded to float32 is shared by both sides of the identity, so only
    the kernel check (l' against a derivative extrapolated from loss values) can see it."""
    from resnet_lemmas.numerics.data.instances import sample_instance

    problem = sample_instance(3757552657).problem
    rng = np.random.default_rng(0)
    theta = problem.unit.init(rng)
    Fx = problem.features(theta)
    w, V = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k))
    good = wit._loss_derivative_claim(problem, Fx, w, V, np.random.default_rng(1))
    assert good is not None and good.margin >= 0
    exact = type(problem.loss).grad
    monkeypatch.setattr(type(problem.loss), "grad",
                        lambda self, p, y: exact(self, np.asarray(p, dtype=np.float32).astype(float), y))
    bad = wit._loss_derivative_claim(problem, Fx, w, V, np.random.default_rng(1))
    assert bad.margin < 0 and "loss kernel" in bad.label
