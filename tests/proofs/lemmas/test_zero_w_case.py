"""Lemma zero_w_case: at a local minimum with w = 0, c = 0 and E[l'(p) x] = 0 (level-set argument), and
the second-order formula; the kernel refuses the argument at a mere stationary point, along a path
that leaves the level set, or with the path parameter left open in the statement."""
import sympy as sp

from resnet_lemmas.proofs.expressions import c, d, grad_w, inner, w
from resnet_lemmas.proofs.hypotheses import local_minimum, w_zero
from resnet_lemmas.proofs.kernel import Equation, LevelSet, is_issued
from resnet_lemmas.proofs.lemmas.zero_w_case import (CONCLUSION, LEMMA, E_l2_uphi, e1,
                                                     grad_w_shift, s, second_derivative, t,
                                                     u_dir)
from resnet_lemmas.proofs.printing import theorem_text


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (w_zero, local_minimum)
    assert {"FirstOrder", "LevelSet", "Definiteness"} <= set(theorem.rules)
    assert any(s_["n"] >= 3 and len({s_["d"], s_["k"], s_["n"]}) == 3 for s_ in theorem.sizes)


def test_only_the_first_order_consequences_need_the_local_minimum(theorem, clauses_by_text):
    clauses = clauses_by_text(theorem)
    assert clauses["F(w, V, theta) = E l(0; y)"] == ["w_zero"]
    assert clauses["c = 0"] == ["w_zero", "local_minimum"]
    assert clauses["E[l'(p) x] = 0"] == ["w_zero", "local_minimum"]
    (second_order,) = [hyps for printed, hyps in clauses.items() if printed.startswith("d^2/dt^2")]
    assert second_order == ["w_zero"]


def test_the_printed_statement_says_what_the_lemma_claims(theorem):
    printed = theorem_text(theorem)
    assert "If w = 0: F(w, V, theta) = E l(0; y)" in printed
    assert ("If w = 0; (w, V) is a local minimum of F(w, V, theta): c = 0 and E[l'(p) x] = 0"
            in printed)


# -- broken instances --------------------------------------------------------------------------------
def test_wrong_constant_in_the_second_derivative_is_rejected(proof, variant, replace_link,
                                                             kernel_check, failed_steps):
    wrong = E_l2_uphi - s * inner(u_dir, u_dir) * inner(c, c)  # the factor 2 dropped
    broken = replace_link(variant(proof, only=["second_order_direction"]), "second_order_direction", 1,
                          expr=wrong)
    assert failed_steps(kernel_check(broken)) == [("second_order_direction", 1)]


def test_dividing_by_the_step_t_needs_t_nonzero(proof, variant, drop_using, kernel_check,
                                                failed_steps, failure_message):
    broken = drop_using(variant(proof, only=["stationary_w", "stationary_nearby", "norm_c_vanishes"]),
                        "norm_c_vanishes", 1, "stationary_nearby_parameter")
    report = kernel_check(broken)
    assert failed_steps(report) == [("norm_c_vanishes", 1)]
    assert failure_message(report, "norm_c_vanishes", 1).startswith("division by t ")


def test_flatness_on_w_zero_fails_without_the_w_zero_hypothesis(proof, variant, drop_using,
                                                                kernel_check, failed_steps):
    broken = drop_using(variant(proof, only=["F_constant_on_w_zero"]), "F_constant_on_w_zero", 1,
                        "w_zero")
    assert failed_steps(kernel_check(broken)) == [("F_constant_on_w_zero", 1)]


def test_a_stationary_point_does_not_stand_in_for_the_local_minimum(proof, variant, kernel_check,
                                                                    failed_steps, failure_message):
    """The first-order and level-set rules need a LocalMinimum hypothesis, not gradient equations
    under the same name: at w = 0 a stationary point can have c != 0 (bad_saddle_at_zero)."""
    impostor = Equation("local_minimum", grad_w, sp.ZeroMatrix(d, 1), gloss="only stationary in w")
    broken = variant(proof, only=["stationary_w", "stationary_nearby"], hypotheses=[w_zero, impostor])
    report = kernel_check(broken)
    assert failed_steps(report) == [("stationary_w", 1), ("stationary_nearby", 1)]
    for chain in ("stationary_w", "stationary_nearby"):
        assert ("'local_minimum' is not a local-minimum hypothesis the step uses"
                in failure_message(report, chain))


def test_a_path_that_leaves_the_level_set_is_rejected(proof, variant, replace_link, kernel_check,
                                                      failed_steps, failure_message):
    """Moving w away from 0 changes F: points of that path are not local minima for free."""
    leaving = LevelSet("local_minimum", ((w, t * e1),), t, w, using=("w_zero",))
    broken = replace_link(variant(proof, only=["stationary_nearby"]), "stationary_nearby", 1,
                          justification=leaving)
    report = kernel_check(broken)
    assert failed_steps(report) == [("stationary_nearby", 1)]
    assert "the objective is constant along the path" in failure_message(report, "stationary_nearby")


# -- statements the chains do not establish ----------------------------------------------------------
def test_c_vanishing_at_w_zero_without_the_local_minimum_is_refused(proof, variant, kernel_check,
                                                                   refused_statement):
    message = refused_statement(kernel_check(variant(proof, assumes=("w_zero",))))
    assert "(not assumed: ['local_minimum'])" in message


def test_a_statement_that_keeps_the_path_parameter_open_is_refused(proof, variant, kernel_check,
                                                                   refused_statement):
    """grad_w F(0, V + t e_1 c^T) = 0 holds for small t only; t may not appear in a conclusion."""
    open_t = sp.Eq(grad_w_shift, sp.ZeroMatrix(d, 1), evaluate=False)
    message = refused_statement(kernel_check(variant(proof, conclusion=CONCLUSION + (open_t,))))
    assert message == (f"no verified step establishes {sp.sstr(open_t)} (without open "
                       "eigenvariables)")


def test_a_second_order_formula_with_the_wrong_sign_is_refused(proof, variant, kernel_check,
                                                               refused_statement):
    """With + 2 s the direction (u, -s u c^T) would never have negative curvature."""
    false = sp.Eq(second_derivative, E_l2_uphi + 2 * s * inner(u_dir, u_dir) * inner(c, c),
                  evaluate=False)
    message = refused_statement(kernel_check(variant(proof, conclusion=CONCLUSION[:3] + (false,))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")
