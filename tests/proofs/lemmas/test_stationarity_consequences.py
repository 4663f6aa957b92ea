"""Lemma stationarity_consequences: w != 0 and stationarity in (w, V) give c = 0 and E[l'(p) x] = 0; the
kernel refuses the argument without stationarity in V or without w != 0, and refuses the statement for
stationary points with w = 0 (where it is false: example bad_saddle_at_zero)."""
import sympy as sp

from resnet_lemmas.proofs.expressions import grad_theta, q
from resnet_lemmas.proofs.hypotheses import stationary_V, stationary_w, w_nonzero
from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.lemmas.stationarity_consequences import CONCLUSION, LEMMA
from resnet_lemmas.proofs.printing import theorem_text


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (w_nonzero, stationary_w, stationary_V)
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)


def test_c_vanishing_needs_only_w_nonzero_and_stationarity_in_V(theorem, clauses_by_text):
    assert clauses_by_text(theorem) == {
        "c = 0": ["w_nonzero", "stationary_V"],
        "E[l'(p) x] = 0": ["w_nonzero", "stationary_w", "stationary_V"],
    }


def test_the_printed_statement_says_what_the_lemma_claims(theorem):
    assert theorem_text(theorem) == ("If w != 0; grad_V F = 0: c = 0. "
                                     "If w != 0; grad_w F = 0; grad_V F = 0: E[l'(p) x] = 0")


# -- broken instances --------------------------------------------------------------------------------
def test_concluding_c_is_zero_without_stationarity_in_V_is_rejected(proof, variant, drop_using,
                                                                    kernel_check, failed_steps,
                                                                    failure_message):
    broken = drop_using(variant(proof), "c_vanishes", 2, "stationary_V")
    report = kernel_check(broken)
    assert failed_steps(report) == [("c_vanishes", 2), ("E_rx_vanishes", 2)]
    assert "does not vanish" in failure_message(report, "c_vanishes", 2)
    # the later chain, which relies on the fact c = 0, cannot use it any more
    assert "unknown hypothesis 'c_vanishes'" in failure_message(report, "E_rx_vanishes", 2)


def test_dividing_by_the_squared_norm_of_w_needs_w_nonzero(proof, variant, drop_using, kernel_check,
                                                           failed_steps, failure_message):
    broken = drop_using(variant(proof, only=["c_vanishes"]), "c_vanishes", 2, "w_nonzero")
    report = kernel_check(broken)
    assert failed_steps(report) == [("c_vanishes", 2)]
    assert "which no premise in use declares nonzero" in failure_message(report, "c_vanishes", 2)


# -- statements the chains do not establish ----------------------------------------------------------
def test_the_statement_for_stationary_points_with_w_zero_is_refused(proof, variant, kernel_check,
                                                                    refused_statement):
    """Without w != 0 the claim is false (bad_saddle_at_zero is stationary with c = c0 != 0)."""
    message = refused_statement(kernel_check(variant(proof, assumes=("stationary_w", "stationary_V"))))
    assert "(not assumed: ['w_nonzero'])" in message


def test_a_conclusion_no_chain_establishes_is_refused(proof, variant, kernel_check,
                                                      refused_statement):
    """grad_theta F = E[l'(p) J^T V^T w] need not vanish at a point stationary in (w, V) only."""
    false = sp.Eq(grad_theta, sp.ZeroMatrix(q, 1), evaluate=False)
    message = refused_statement(kernel_check(variant(proof, conclusion=CONCLUSION + (false,))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")
