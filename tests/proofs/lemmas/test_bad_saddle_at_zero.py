import sympy as sp

from resnet_lemmas.proofs.expressions import V, inner
from resnet_lemmas.proofs.kernel import Hypothesis
from resnet_lemmas.proofs.lemmas.bad_saddle_at_zero import (LEMMA, E_l2_uphi, V0, a0, c0, s,
                                                            u_dir)


def _only(*names):
    proof = LEMMA.build()
    proof.chains = [ch for ch in proof.chains if ch.name in names]
    return proof


def test_saddle_construction_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_a_non_stationary_point_is_rejected(failed_steps):
    """V = +a0 c0^T / ||c0||^2 (wrong sign) is not stationary in w: the kernel refuses grad_w F = 0."""
    proof = _only("stationary_in_w")
    wrong = Hypothesis("V_is_V0", "V = +a0 c0^T / ||c0||^2 (wrong sign)", sp.Eq(V, -V0),
                       equations={V: -V0})
    proof.hypotheses = [wrong if h.name == "V_is_V0" else h for h in proof.hypotheses]
    assert failed_steps(proof.check()) == [("stationary_in_w", 2)]


def test_wrong_curvature_constant_is_rejected(replace_link, failed_steps):
    proof = _only("negative_curvature")
    wrong = E_l2_uphi - s * inner(u_dir, u_dir) * inner(c0, c0)   # the cross term counted once
    proof = replace_link(proof, "negative_curvature", 1, expr=wrong)
    assert ("negative_curvature", 1) in failed_steps(proof.check())


def test_claiming_curvature_below_minus_one_is_rejected(replace_link, failed_steps):
    proof = replace_link(_only("negative_curvature"), "negative_curvature", 2, expr=-2)
    assert failed_steps(proof.check()) == [("negative_curvature", 2)]


def test_linear_descent_with_the_wrong_sign_is_rejected(replace_link, failed_steps):
    proof = replace_link(_only("linear_descent"), "linear_descent", 1, expr=inner(a0, a0))
    assert failed_steps(proof.check()) == [("linear_descent", 1)]
