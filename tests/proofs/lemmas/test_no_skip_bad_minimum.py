import pytest
import sympy as sp

from resnet_lemmas.proofs.losses import LOSSES, P, Y
from resnet_lemmas.proofs.lemmas.no_skip_bad_minimum import (LEMMA, SYMMETRIC_LOSSES, a0_ns,
                                                             symmetric_context)


def test_no_skip_bad_minimum_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_symmetric_losses_are_exactly_the_ones_with_l_of_minus_p_minus_y_equal_l(name):
    expr = LOSSES[name].expr
    symmetric = sp.simplify(expr.xreplace({P: -P, Y: -Y}) - expr) == 0
    assert symmetric == (name in SYMMETRIC_LOSSES)


def test_best_constant_argument_fails_on_data_that_are_not_symmetric(failed_steps):
    proof = LEMMA.build()
    proof.contexts = [symmetric_context(2, 1, 1, "logistic", mirrored=False)]
    proof.chains = [ch for ch in proof.chains if ch.name == "best_constant_is_zero"]
    assert ("best_constant_is_zero", 1) in failed_steps(proof.check())


def test_best_constant_argument_fails_for_the_poisson_loss(failed_steps):
    """Poisson l(p; y) = e^p - y p is convex but not symmetric: the linear terms do not cancel."""
    proof = LEMMA.build()
    proof.contexts = [symmetric_context(1, 1, 1, "poisson")]
    proof.chains = [ch for ch in proof.chains if ch.name == "best_constant_is_zero"]
    assert ("best_constant_is_zero", 1) in failed_steps(proof.check())


def test_linear_descent_with_the_wrong_sign_is_rejected(replace_link, failed_steps):
    proof = LEMMA.build()
    proof.chains = [ch for ch in proof.chains if ch.name == "linear_descent"]
    proof = replace_link(proof, "linear_descent", 1, expr=(a0_ns.T * a0_ns)[0, 0])
    assert failed_steps(proof.check()) == [("linear_descent", 1)]
