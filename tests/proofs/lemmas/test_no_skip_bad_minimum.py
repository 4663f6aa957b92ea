"""Example no_skip_bad_minimum: on data with mirrored targets, the no-skip prediction w^T V f0 is never
better than the constant 0, while a linear predictor improves on it; the kernel refuses the argument
without the mirrored-targets hypothesis, for the (asymmetric) Poisson loss, with the wrong sign of the
linear descent, and statements that drop the hypothesis or reverse the inequality."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.lemmas.no_skip_bad_minimum import (CONCLUSION, LEMMA, SYMMETRIC_LOSSES,
                                                             E_l0_ns, F_ns, a0_ns, build,
                                                             mirrored_targets, symmetric_context)
from resnet_lemmas.proofs.losses import LOSSES, P, Y
from resnet_lemmas.proofs.printing import theorem_text


@pytest.fixture(scope="module")
def small():
    """The argument in the one context (d, k, n) = (1, 1, 2) with the logistic loss."""
    return build([symmetric_context(1, 1, 1, "logistic")])


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (mirrored_targets,)
    assert [[h.name for h in hyps] for _, hyps in theorem.clauses] == [["mirrored_targets"], []]
    # every size names its concrete loss; one has n >= 3 and d, k, n pairwise different
    assert {size["loss"] for size in theorem.sizes} <= set(SYMMETRIC_LOSSES)
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)


def test_the_printed_statement_says_what_the_example_claims(theorem):
    # checked for four concrete losses only (red team P3: the statement must say so)
    assert theorem_text(theorem) == ("For the loss l = squared, logistic, softplus_hinge or pseudo_huber "
                                     "(each at the sizes listed): If y' = -y: E l(w^T V f_0; y) >= E l(0; y). "
                                     "d/dt E l(-t a_0^T x; y) at t = 0 = -a_0^T a_0")


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_symmetric_losses_are_exactly_the_ones_with_l_of_minus_p_minus_y_equal_l(name):
    expr = LOSSES[name].expr
    symmetric = sp.simplify(expr.xreplace({P: -P, Y: -Y}) - expr) == 0
    assert symmetric == (name in SYMMETRIC_LOSSES)


@pytest.mark.parametrize("loss", SYMMETRIC_LOSSES)
def test_the_argument_verifies_for_every_symmetric_loss(loss, kernel_check):
    report = kernel_check(build([symmetric_context(1, 1, 1, loss)]))
    assert report.ok, report.summary()


# -- broken instances --------------------------------------------------------------------------------
def test_best_constant_argument_fails_without_the_mirrored_targets(small, variant, drop_using,
                                                                   kernel_check, failed_steps):
    broken = drop_using(variant(small, only=["best_constant_is_zero"]), "best_constant_is_zero", 1,
                        "mirrored_targets")
    report = kernel_check(broken)
    assert failed_steps(report) == [("best_constant_is_zero", 1)]
    assert "does not vanish" in report.failures[0].message


def test_best_constant_argument_fails_for_the_poisson_loss(variant, kernel_check, failed_steps):
    """Poisson l(p; y) = e^p - y p is convex but not symmetric: the linear terms do not cancel."""
    proof = variant(build([symmetric_context(1, 1, 1, "poisson")]), only=["best_constant_is_zero"])
    assert failed_steps(kernel_check(proof)) == [("best_constant_is_zero", 1)]


def test_linear_descent_with_the_wrong_sign_is_rejected(small, variant, replace_link, kernel_check,
                                                        failed_steps):
    broken = replace_link(variant(small, only=["linear_descent"]), "linear_descent", 1,
                          expr=(a0_ns.T * a0_ns)[0, 0])
    assert failed_steps(kernel_check(broken)) == [("linear_descent", 1)]


# -- statements the chains do not establish ----------------------------------------------------------
def test_the_best_constant_on_any_data_is_refused(small, variant, kernel_check, refused_statement):
    message = refused_statement(kernel_check(variant(small, assumes=())))
    assert "(not assumed: ['mirrored_targets'])" in message


def test_a_reversed_inequality_is_refused(small, variant, kernel_check, refused_statement):
    false = sp.Le(F_ns, E_l0_ns, evaluate=False)
    message = refused_statement(kernel_check(variant(small, conclusion=(false, CONCLUSION[1]))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")
