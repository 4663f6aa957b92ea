"""Lemma approximate_stationarity_bound: the gap identity at every point, the bound with w != 0, and the
eps-stationary corollary; the kernel refuses a halved or factor-less bound, a doubled Bregman term,
the steps without w != 0, convexity or the eps hypotheses, and statements that drop what they rest on.

The registered proof is checked once at its sizes; the broken instances are checked in one small
context, (d, k, n) = (2, 2, 1) -- each mistake below is wrong at every size, and a failing certificate
costs SymPy's whole simplification cascade, seconds per context.  The statement tests check one chain
at a time against its own conjunct (a positive control shows such a one-chain proof verifies)."""
import dataclasses

import pytest
import sympy as sp

from resnet_lemmas.proofs.expressions import (F, F_lin, V, c, grad_V, grad_w, inner, norm, opnorm,
                                              residual_context, u, w)
from resnet_lemmas.proofs.hypotheses import convex_loss, w_nonzero
from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import (
    CONCLUSION, EPS_BOUND, FIRST_ORDER, LEMMA, E_bregman_u, E_l_u, _extend, eps,
    gradient_V_small, gradient_w_small, u_attains_F_lin)
from resnet_lemmas.proofs.printing import theorem_text

GAP = F - E_l_u


@pytest.fixture(scope="module")
def small(proof):
    """The lemma's proof in the one context (d, k, n) = (2, 2, 1), with the lemma's own definitions."""
    ctx, _ = residual_context(2, 2, 1)
    _extend(ctx)
    return dataclasses.replace(proof, contexts=[ctx])


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (convex_loss, w_nonzero, gradient_w_small, gradient_V_small,
                                  u_attains_F_lin)
    assert {"BregmanMean", "CauchySchwarzGap", "OperatorNormGap", "NormRatioGap",
            "Declared"} <= set(theorem.rules)
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)


def test_the_identity_holds_everywhere_and_each_bound_rests_on_what_it_uses(theorem):
    clauses = [(conjunct, [h.name for h in hyps]) for conjunct, hyps in theorem.clauses]
    assert clauses == [
        (CONCLUSION[0], []),
        (CONCLUSION[1], ["convex_loss", "w_nonzero"]),
        (CONCLUSION[2], ["convex_loss", "w_nonzero", "gradient_w_small", "gradient_V_small",
                         "u_attains_F_lin"]),
    ]


def test_the_printed_statement_says_what_the_lemma_claims(theorem):
    printed = theorem_text(theorem)
    assert ("If l(.; y) convex and differentiable; w != 0: -E l(u^T x) + F(w, V, theta) <= "
            "||-u + w||*||grad_w F|| + ||grad_V F||*||u||*||V||_2/||w||") in printed
    assert ("If l(.; y) convex and differentiable; w != 0; ||grad_w F|| <= eps; ||grad_V F|| <= eps; "
            "F_lin = E l(u^T x): F(w, V, theta) - F_lin <= eps*(||-u + w|| + ||u||*||V||_2/||w||)"
            ) in printed


# -- broken instances --------------------------------------------------------------------------------
def test_bound_with_a_halved_constant_is_rejected(small, variant, replace_link, kernel_check,
                                                  failed_steps):
    halved = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / (2 * norm(w))
    broken = replace_link(variant(small, only=["gap_bound"]), "gap_bound", 6, expr=halved)
    assert failed_steps(kernel_check(broken)) == [("gap_bound", 6)]


def test_bound_without_the_one_over_norm_w_factor_is_rejected(small, variant, replace_link,
                                                              kernel_check, failed_steps):
    no_factor = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V)
    broken = replace_link(variant(small, only=["gap_bound"]), "gap_bound", 6, expr=no_factor)
    assert failed_steps(kernel_check(broken)) == [("gap_bound", 6)]


def test_bregman_term_counted_twice_is_rejected(small, variant, replace_link, kernel_check,
                                                failed_steps):
    broken = replace_link(variant(small, only=["gap_bound"]), "gap_bound", 2,
                          expr=FIRST_ORDER - 2 * E_bregman_u)
    assert ("gap_bound", 2) in failed_steps(kernel_check(broken))


def test_identity_with_the_wrong_sign_of_u_V_c_is_rejected(small, variant, replace_link,
                                                           kernel_check, failed_steps):
    wrong = inner(w - u, grad_w) - inner(u, V * c) - E_bregman_u
    broken = replace_link(variant(small, only=["gap_identity"]), "gap_identity", 1, expr=wrong)
    assert failed_steps(kernel_check(broken)) == [("gap_identity", 1)]


def test_dropping_the_bregman_term_needs_convexity(small, variant, drop_using, kernel_check,
                                                   failed_steps, failure_message):
    broken = drop_using(variant(small, only=["gap_bound"]), "gap_bound", 2, "convex_loss")
    report = kernel_check(broken)
    assert failed_steps(report) == [("gap_bound", 2)]
    assert "needs a convex_loss premise in use" in failure_message(report, "gap_bound", 2)


def test_norm_of_c_step_needs_w_nonzero(small, variant, drop_using, kernel_check, failed_steps,
                                        failure_message):
    broken = drop_using(variant(small, only=["gap_bound"]), "gap_bound", 6, "w_nonzero")
    report = kernel_check(broken)
    assert failed_steps(report) == [("gap_bound", 6)]
    assert "declares nonzero" in failure_message(report, "gap_bound", 6)


def test_corollary_without_the_eps_stationarity_hypotheses_is_rejected(small, variant, drop_using,
                                                                       kernel_check, failed_steps,
                                                                       failure_message):
    broken = variant(small, only=["eps_stationary_corollary"])
    last = len(broken.chains[0].links)
    broken = drop_using(broken, "eps_stationary_corollary", last, "gradient_w_small",
                        "gradient_V_small")
    report = kernel_check(broken)
    assert failed_steps(report) == [("eps_stationary_corollary", last)]
    assert ("needs hypothesis 'gradient_w_small', which the step does not use"
            in failure_message(report, "eps_stationary_corollary", last))


def test_corollary_with_eps_squared_is_rejected(small, variant, replace_link, kernel_check,
                                                failed_steps):
    broken = variant(small, only=["eps_stationary_corollary"])
    last = len(broken.chains[0].links)
    wrong = eps ** 2 * (norm(w - u) + norm(u) * opnorm(V) / norm(w))
    broken = replace_link(broken, "eps_stationary_corollary", last, expr=wrong)
    assert failed_steps(kernel_check(broken)) == [("eps_stationary_corollary", last)]


# -- statements the chains do not establish ----------------------------------------------------------
def _one_bound(proof, variant, chain, conclusion, assumes):
    return variant(proof, only=[chain], conclusion=(conclusion,), assumes=assumes)


def test_one_chain_with_its_own_conjunct_verifies(small, variant, kernel_check):
    """Control for the tests below: the refusals come from the statements, not from the cut."""
    report = kernel_check(_one_bound(small, variant, "gap_bound", CONCLUSION[1],
                                     ("convex_loss", "w_nonzero")))
    assert report.ok, report.summary()


def test_the_bound_without_the_one_over_norm_w_factor_is_refused(small, variant, kernel_check,
                                                                 refused_statement):
    false = sp.Le(GAP, norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V),
                  evaluate=False)
    message = refused_statement(kernel_check(_one_bound(small, variant, "gap_bound", false,
                                                        ("convex_loss", "w_nonzero"))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")


def test_the_bound_stated_without_w_nonzero_is_refused(small, variant, kernel_check,
                                                       refused_statement):
    message = refused_statement(kernel_check(_one_bound(small, variant, "gap_bound", CONCLUSION[1],
                                                        ("convex_loss",))))
    assert "(not assumed: ['w_nonzero'])" in message


def test_the_corollary_for_a_comparator_that_does_not_attain_F_lin_is_refused(small, variant,
                                                                              kernel_check,
                                                                              refused_statement):
    assumes = ("convex_loss", "w_nonzero", "gradient_w_small", "gradient_V_small")
    message = refused_statement(kernel_check(_one_bound(small, variant, "eps_stationary_corollary",
                                                        CONCLUSION[2], assumes)))
    assert "(not assumed: ['u_attains_F_lin'])" in message


def test_the_corollary_with_a_smaller_bound_is_refused(small, variant, kernel_check,
                                                       refused_statement):
    false = sp.Le(F - F_lin, EPS_BOUND / 2, evaluate=False)
    assumes = ("convex_loss", "w_nonzero", "gradient_w_small", "gradient_V_small", "u_attains_F_lin")
    message = refused_statement(kernel_check(_one_bound(small, variant, "eps_stationary_corollary",
                                                        false, assumes)))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")
