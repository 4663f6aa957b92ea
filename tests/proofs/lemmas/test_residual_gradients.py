"""Lemma residual_gradients: the kernel issues its theorem, with exactly the declared statement, and
refuses broken gradient formulas and statements the chains do not establish."""
import sympy as sp

from resnet_lemmas.proofs.expressions import E_rx, V, c, grad_V, w
from resnet_lemmas.proofs.hypotheses import w_nonzero
from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.lemmas.residual_gradients import CONCLUSION, LEMMA
from resnet_lemmas.proofs.printing import theorem_text


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (w_nonzero,)
    assert theorem.depends_on == []
    # three sizes, one with n >= 3 and d, k, n pairwise different
    assert len(theorem.sizes) >= 3
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)


def test_only_the_recovery_of_c_assumes_w_nonzero(theorem, clauses_by_text):
    clauses = clauses_by_text(theorem)
    assert clauses.pop("c = grad_V F^T w / (w^T w)") == ["w_nonzero"]
    assert len(clauses) == 5 and all(hyps == [] for hyps in clauses.values())


def test_the_printed_statement_says_what_the_lemma_claims(theorem):
    printed = theorem_text(theorem)
    assert "grad_w F = E[l'(p) x] + V c" in printed
    assert "grad_V F = w c^T" in printed
    assert "grad_theta F = E[l'(p) J_theta(x)^T V^T w]" in printed
    assert "If w != 0: c = grad_V F^T w / (w^T w)" in printed
    assert "E[l'(p) p] = w^T grad_w F" in printed


# -- broken instances --------------------------------------------------------------------------------
def test_wrong_sign_in_grad_V_is_rejected(proof, variant, replace_link, kernel_check, failed_steps):
    broken = replace_link(variant(proof, only=["gradient_in_V"]), "gradient_in_V", 1, expr=-w * c.T)
    assert failed_steps(kernel_check(broken)) == [("gradient_in_V", 1)]


def test_missing_V_c_term_in_grad_w_is_rejected(proof, variant, replace_link, kernel_check,
                                                failed_steps):
    broken = replace_link(variant(proof, only=["gradient_in_w"]), "gradient_in_w", 1, expr=E_rx)
    report = kernel_check(broken)
    assert failed_steps(report) == [("gradient_in_w", 1)]
    assert "does not vanish" in report.failures[0].message


def test_recovering_c_without_w_nonzero_is_rejected(proof, variant, drop_using, kernel_check,
                                                    failed_steps):
    broken = drop_using(variant(proof, only=["c_from_grad_V"]), "c_from_grad_V", 1, "w_nonzero")
    report = kernel_check(broken)
    assert failed_steps(report) == [("c_from_grad_V", 1)]
    assert "division by" in report.failures[0].message
    assert "declares nonzero" in report.failures[0].message


def test_transposed_rank_one_gradient_is_rejected(proof, variant, replace_link, kernel_check,
                                                  failed_steps):
    # grad_V = w c^T, not (V c) c^T: a plausible but wrong rank-one matrix
    broken = replace_link(variant(proof, only=["gradient_in_V"]), "gradient_in_V", 1,
                          expr=(V * c) * c.T)
    assert failed_steps(kernel_check(broken)) == [("gradient_in_V", 1)]


# -- statements the chains do not establish ----------------------------------------------------------
def test_a_conclusion_with_the_wrong_sign_of_grad_V_is_refused(proof, variant, kernel_check,
                                                               refused_statement):
    false = sp.Eq(grad_V, -w * c.T, evaluate=False)
    wrong = tuple(false if rel.lhs == grad_V else rel for rel in CONCLUSION)
    message = refused_statement(kernel_check(variant(proof, conclusion=wrong)))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")


def test_recovering_c_at_every_point_is_refused(proof, variant, kernel_check, refused_statement):
    """At w = 0, grad_V F = 0 says nothing about c: the statement must assume w != 0."""
    message = refused_statement(kernel_check(variant(proof, assumes=())))
    assert "the statement assumes [] but its derivation rests on ['w_nonzero']" in message
    assert "(not assumed: ['w_nonzero'])" in message
