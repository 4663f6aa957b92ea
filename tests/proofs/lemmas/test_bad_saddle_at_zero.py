"""Example bad_saddle_at_zero: (0, V0, theta) is stationary with F = E l(0; y) and a direction of
curvature exactly -1; the kernel refuses a non-stationary V, wrong curvature constants, the "= -1" step
without u != 0 or c0 != 0, and statements that drop the hypotheses they rest on.

The registered proof is checked once at its sizes; the broken instances in the one small context
(d, k, n, q) = (2, 2, 1, 1) (each mistake is wrong at every size; the registered contexts take seconds
to build)."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.expressions import V, inner, residual_context
from resnet_lemmas.proofs.kernel import Equation, is_issued
from resnet_lemmas.proofs.lemmas import bad_saddle_at_zero as saddle
from resnet_lemmas.proofs.lemmas.bad_saddle_at_zero import (CONCLUSION, LEMMA, E_l2_uphi, V0, a0, c0,
                                                            c0_nonzero, d2F, d_lin, s, s_is_s_star,
                                                            u_dir, u_nonzero, V_is_V0, w_zero)
from resnet_lemmas.proofs.printing import theorem_text


@pytest.fixture(scope="module")
def small():
    """The lemma's proof, built by its own ``build`` in the one context (2, 2, 1) with q = 1."""
    ctx, _ = residual_context(2, 2, 1, theta_size=1)
    saddle._extend(ctx)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(saddle, "contexts", lambda: [ctx])
        return saddle.build()


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (w_zero, V_is_V0, c0_nonzero, u_nonzero, s_is_s_star)
    assert list(theorem.sizes) == [dict(zip("dknq", (*size, 1))) for size in saddle.SIZES]
    assert any(s_["n"] >= 3 and len({s_["d"], s_["k"], s_["n"]}) == 3 for s_ in theorem.sizes)


def test_each_claim_rests_on_exactly_the_hypotheses_it_needs(theorem):
    clauses = [[h.name for h in hyps] for _, hyps in theorem.clauses]
    assert clauses == [["w_zero", "V_is_V0", "c0_nonzero"],   # grad_w F = 0
                       ["w_zero"], ["w_zero"], ["w_zero"],     # grad_V F, grad_theta F, F = E l(0; y)
                       [],                                     # d/dt E l(-t a0^T x) = -||a0||^2
                       ["w_zero", "c0_nonzero", "u_nonzero", "s_is_s_star"]]  # curvature -1


def test_the_printed_statement_says_what_the_example_claims(theorem):
    printed = theorem_text(theorem)
    assert "If w = 0; V = V_0; c_0 != 0: grad_w F = 0" in printed
    assert "If w = 0: grad_V F = 0 and grad_theta F = 0 and F(w, V, theta) = E l(0; y)" in printed
    assert "d/dt E l(-t a_0^T x; y) at t = 0 = -a_0^T a_0" in printed
    assert ("If w = 0; c_0 != 0; u != 0; s = (E[l''(0; y) (u^T phi)^2] + 1)/(2*c_0^T c_0*u^T u): "
            "d^2/dt^2 F(t u, V - t s u c_0^T, theta) at t = 0 = -1") in printed


# -- broken instances --------------------------------------------------------------------------------
def test_a_non_stationary_point_is_rejected(small, variant, kernel_check, failed_steps):
    """V = +a0 c0^T / ||c0||^2 (wrong sign) is not stationary in w: the kernel refuses grad_w F = 0."""
    wrong = Equation("V_is_V0", V, -V0, gloss="V = +a0 c0^T / ||c0||^2 (wrong sign)")
    hypotheses = [wrong if h.name == "V_is_V0" else h for h in small.hypotheses]
    broken = variant(small, only=["stationary_in_w"], hypotheses=hypotheses)
    assert failed_steps(kernel_check(broken)) == [("stationary_in_w", 2)]


def test_wrong_curvature_constant_is_rejected(small, variant, replace_link, kernel_check,
                                              failed_steps):
    wrong = E_l2_uphi - s * inner(u_dir, u_dir) * inner(c0, c0)   # the cross term counted once
    broken = replace_link(variant(small, only=["negative_curvature"]), "negative_curvature", 1,
                          expr=wrong)
    assert ("negative_curvature", 1) in failed_steps(kernel_check(broken))


def test_claiming_curvature_below_minus_one_is_rejected(small, variant, replace_link, kernel_check,
                                                        failed_steps):
    broken = replace_link(variant(small, only=["negative_curvature"]), "negative_curvature", 2,
                          expr=-2)
    assert failed_steps(kernel_check(broken)) == [("negative_curvature", 2)]


@pytest.mark.parametrize("dropped", ["u_nonzero", "c0_nonzero"])
def test_the_curvature_minus_one_step_needs_u_and_c0_nonzero(small, variant, drop_using,
                                                             kernel_check, failed_steps,
                                                             failure_message, dropped):
    """s* divides by ||u||^2 ||c0||^2: the substitution cancels it, the kernel still sees it."""
    broken = drop_using(variant(small, only=["negative_curvature"]), "negative_curvature", 2, dropped)
    report = kernel_check(broken)
    assert failed_steps(report) == [("negative_curvature", 2)]
    message = failure_message(report, "negative_curvature", 2)
    assert message.startswith("division by") and "which no premise in use declares nonzero" in message


def test_linear_descent_with_the_wrong_sign_is_rejected(small, variant, replace_link, kernel_check,
                                                        failed_steps):
    broken = replace_link(variant(small, only=["linear_descent"]), "linear_descent", 1,
                          expr=inner(a0, a0))
    assert failed_steps(kernel_check(broken)) == [("linear_descent", 1)]


# -- statements the chains do not establish ----------------------------------------------------------
def test_the_small_proof_verifies(small, kernel_check):
    """Control for the tests below: the refusals come from the statements, not from the context."""
    report = kernel_check(small)
    assert report.ok, report.summary()


def test_curvature_minus_one_stated_without_u_nonzero_is_refused(small, variant, kernel_check,
                                                                 refused_statement):
    assumes = ("w_zero", "V_is_V0", "c0_nonzero", "s_is_s_star")
    message = refused_statement(kernel_check(variant(small, assumes=assumes)))
    assert "(not assumed: ['u_nonzero'])" in message


def test_stationarity_stated_for_every_V_is_refused(small, variant, kernel_check, refused_statement):
    """At w = 0 only V = V0 makes grad_w F = a0 + V c0 vanish."""
    assumes = ("w_zero", "c0_nonzero", "u_nonzero", "s_is_s_star")
    message = refused_statement(kernel_check(variant(small, assumes=assumes)))
    assert "(not assumed: ['V_is_V0'])" in message


@pytest.mark.parametrize("false", [sp.Eq(d2F, -2, evaluate=False),
                                   sp.Eq(d_lin, inner(a0, a0), evaluate=False)],
                         ids=["curvature -2", "linear ascent"])
def test_a_false_claim_is_refused(small, variant, kernel_check, refused_statement, false):
    message = refused_statement(kernel_check(variant(small, conclusion=CONCLUSION + (false,))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")
