"""Theorem vector_outputs: with rank W = m, stationary points of W (x + V f_theta(x)) beat linear
predictors; the kernel refuses the recovery of C without the rank condition, wrong gradients, the
argument without stationarity in V, and statements that drop the rank condition or lower F_lin.

The registered proof is checked once at its sizes; broken instances in the one small context
(m, d, k, n) = (2, 2, 1, 1)."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.hypotheses import convex_loss
from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.lemmas import vector_outputs
from resnet_lemmas.proofs.lemmas.vector_outputs import (CONCLUSION, LEMMA, C, E_rxT, F_lin_vec, W,
                                                        full_row_rank, stationary_V_vec,
                                                        stationary_W)
from resnet_lemmas.proofs.printing import theorem_text


@pytest.fixture(scope="module")
def small():
    """The theorem's proof, built by its own ``build`` in the one context (m, d, k, n) = (2, 2, 1, 1)."""
    ctx = vector_outputs.vector_context(2, 2, 1, 1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vector_outputs, "contexts", lambda: [ctx])
        return vector_outputs.build()


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (convex_loss, full_row_rank, stationary_W, stationary_V_vec)
    assert [[h.name for h in hyps] for _, hyps in theorem.clauses] == [
        [], [], ["convex_loss", "full_row_rank", "stationary_W", "stationary_V_vec"], []]
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)
    assert any(s["m"] < s["d"] for s in theorem.sizes)


def test_the_printed_statement_says_what_the_theorem_claims(theorem):
    printed = theorem_text(theorem)
    assert "grad_V F = W^T C" in printed
    assert ("If l(.; y) convex and differentiable; det(W W^T) != 0; grad_W F = 0; "
            "grad_V F = 0: F(W, V, theta) <= F_feat(theta)") in printed


# -- broken instances --------------------------------------------------------------------------------
def test_recovering_C_without_the_rank_condition_is_rejected(small, variant, drop_using, kernel_check,
                                                             failed_steps, failure_message):
    broken = drop_using(variant(small, only=["C_vanishes"]), "C_vanishes", 1, "full_row_rank")
    report = kernel_check(broken)
    assert failed_steps(report)[0] == ("C_vanishes", 1)
    message = failure_message(report, "C_vanishes", 1)
    assert message.startswith("division by") and "declares nonzero" in message


def test_grad_V_with_a_factor_two_is_rejected(small, variant, replace_link, kernel_check,
                                              failed_steps):
    broken = replace_link(variant(small, only=["gradient_in_V"]), "gradient_in_V", 1,
                          expr=(W.T * C) * 2)
    assert failed_steps(kernel_check(broken)) == [("gradient_in_V", 1)]


def test_grad_W_without_the_residual_term_is_rejected(small, variant, replace_link, kernel_check,
                                                      failed_steps):
    broken = replace_link(variant(small, only=["gradient_in_W"]), "gradient_in_W", 1, expr=E_rxT)
    assert failed_steps(kernel_check(broken)) == [("gradient_in_W", 1)]


def test_theorem_without_stationarity_in_V_is_rejected(small, variant, kernel_check, failed_steps,
                                                       failure_message):
    broken = variant(small, hypotheses=[h for h in small.hypotheses if h.name != "stationary_V_vec"])
    report = kernel_check(broken)
    assert ("C_vanishes", 2) in failed_steps(report)
    assert "unknown hypothesis 'stationary_V_vec'" in failure_message(report, "C_vanishes", 2)
    assert "benchmarks" in {chain for chain, _ in failed_steps(report)}


# -- statements the chains do not establish ----------------------------------------------------------
def test_the_small_proof_verifies(small, kernel_check):
    """Control for the tests below: the refusals come from the statements, not from the context."""
    report = kernel_check(small)
    assert report.ok, report.summary()


def test_the_theorem_without_the_rank_condition_is_refused(small, variant, kernel_check,
                                                           refused_statement):
    """For m > d (rank W < m always) the argument does not go through; the kernel will not state it."""
    assumes = ("convex_loss", "stationary_W", "stationary_V_vec")
    message = refused_statement(kernel_check(variant(small, assumes=assumes)))
    assert "(not assumed: ['full_row_rank'])" in message


def test_a_linear_benchmark_lowered_by_one_is_refused(small, variant, kernel_check,
                                                      refused_statement):
    false = tuple(rel.xreplace({F_lin_vec: F_lin_vec - 1}) for rel in CONCLUSION)
    message = refused_statement(kernel_check(variant(small, conclusion=false)))
    assert message.startswith(f"no verified step establishes {sp.sstr(false[3])}")
