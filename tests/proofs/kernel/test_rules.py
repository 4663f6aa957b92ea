"""Each rule accepts what is true (the soundness suite checks it refuses what is false)."""
import sympy as sp

from conftest import refused, run, small_contexts
from resnet_lemmas.proofs.expressions import (
    E_bregman, E_loss_comparator, E_r_gap, E_rx, F, F_feat, F_lin, V, a, b, c, comparator_pairs, d,
    grad_V, grad_w, inner, k, norm, residual_context, u, w)
from resnet_lemmas.proofs.hypotheses import convex_loss, local_minimum, w_nonzero, w_zero
from resnet_lemmas.proofs.kernel import (Certificate, Chain, Definiteness, Equation, FirstOrder, Identity,
                                         Infimum)
from resnet_lemmas.proofs.kernel.atoms import BregmanMean, CauchySchwarzGap, Square
from resnet_lemmas.proofs.losses import get_loss


def test_identity_accepts_the_true_gradient_in_V_and_names_how():
    report = run([Chain("gV", grad_V).eq(w * c.T, Identity())])
    assert report.ok, report.summary()
    assert "identity" in report.steps[0].message and "2 context(s)" in report.steps[0].message


def test_identity_failure_names_the_chain_the_step_and_the_residual():
    report = run([Chain("gV", grad_V).eq(-w * c.T, Identity())])
    assert "does not vanish" in refused(report)
    assert (report.failures[0].chain, report.failures[0].index) == ("gV", 1)
    assert "'gV' step 1" in report.summary()


def test_division_is_allowed_by_a_nonzero_premise_in_use():
    chain = lambda using: Chain("c", c).eq(grad_V.T * w / inner(w, w), Identity(using=using))  # noqa: E731
    assert run([chain(("w_nonzero",))], [w_nonzero]).ok
    assert "division by" in refused(run([chain(())], [w_nonzero], assumes=()))


def test_a_substitution_from_a_premise_is_needed_for_a_stationarity_step():
    stationary = Equation("stationary_w", grad_w, sp.ZeroMatrix(d, 1))
    good = Chain("z", grad_w).eq(sp.ZeroMatrix(d, 1), Identity(using=("stationary_w",)))
    assert run([good], [stationary]).ok
    bad = Chain("z", grad_w).eq(sp.ZeroMatrix(d, 1), Identity())
    assert "does not vanish" in refused(run([bad], [stationary], assumes=()))


def _main_chain(loss_ctx=None, using=("convex_loss",)):
    return (Chain("main", F).eq(F + E_r_gap - E_r_gap, Identity())
            .le(F + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),), using=using)))


def test_bregman_certificate_of_a_concrete_convex_loss_is_proven_not_assumed():
    ctx = residual_context(1, 1, 1, loss=get_loss("squared"))[0]
    report = run([_main_chain(using=())], [], [ctx])
    assert report.ok, report.summary()
    assert "proven" in report.steps[1].message


def test_bregman_certificate_of_the_generic_loss_rests_on_the_convexity_hypothesis():
    report = run([_main_chain()], [convex_loss])
    assert report.ok and report.theorem.hypotheses == (convex_loss,)


def test_cauchy_schwarz_atom_is_certified_by_lagrange_identity():
    report = run([Chain("cs", inner(a, u)).le(norm(a) * norm(u), Certificate((CauchySchwarzGap(a, u),)))])
    assert report.ok, report.summary()
    assert "Lagrange" in report.steps[0].message


def test_a_square_of_a_real_component_is_an_atom():
    x = sp.Symbol("x_real_test", real=True)
    assert run([Chain("sq", F).le(F + x ** 2, Certificate((Square(x),)))]).ok


def _below(using):
    first = Equation("first_order", c, sp.ZeroMatrix(k, 1))
    rx = Equation("rx_zero", E_rx, sp.ZeroMatrix(d, 1))
    stat = Equation("stationary_w", grad_w, sp.ZeroMatrix(d, 1))
    chain = (Chain("below", F)
             .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w), Identity(using=using))
             .eq(F + E_r_gap, Identity())
             .le(F + E_r_gap + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),),
                                                      using=("convex_loss",)))
             .eq(E_loss_comparator, Identity()))
    return chain, [convex_loss, first, rx, stat]


def test_infimum_accepts_a_bound_uniform_in_the_comparator_and_restriction_to_b_zero():
    chain, hyps = _below(("first_order", "rx_zero", "stationary_w"))
    steps = [chain, Chain("inf", F).le(F_feat, Infimum(from_chain="below")).le(F_lin, Infimum())]
    report = run(steps, hyps, conclusion=(sp.Le(F, F_feat), sp.Le(F_feat, F_lin)))
    assert report.ok, report.summary()
    assert report.theorem.clauses[1][1] == ()  # F_feat <= F_lin rests on nothing


def test_definiteness_turns_a_zero_squared_norm_into_a_zero_vector():
    zero = Equation("c_norm_zero", c, sp.ZeroMatrix(k, 1))
    steps = [Chain("n", inner(c, c)).eq(0, Identity(using=("c_norm_zero",))),
             Chain("z", c).eq(sp.ZeroMatrix(k, 1), Definiteness("n"))]
    assert run(steps, [zero]).ok


def test_first_order_condition_at_a_local_minimum():
    steps = [Chain("sw", grad_w).eq(sp.ZeroMatrix(d, 1), FirstOrder("local_minimum", w)),
             Chain("sV", grad_V).eq(sp.ZeroMatrix(d, k), FirstOrder("local_minimum", V))]
    report = run(steps, [local_minimum], conclusion=(sp.Eq(grad_w, sp.ZeroMatrix(d, 1)),
                                                     sp.Eq(grad_V, sp.ZeroMatrix(d, k))))
    assert report.ok and report.theorem.hypotheses == (local_minimum,)


def test_a_theorems_clauses_carry_exactly_their_own_hypotheses():
    steps = [Chain("gV", grad_V).eq(w * c.T, Identity()),
             Chain("c", c).eq(grad_V.T * w / inner(w, w), Identity(using=("w_nonzero",)))]
    report = run(steps, [w_nonzero], conclusion=(sp.Eq(grad_V, w * c.T), sp.Eq(c, grad_V.T * w / inner(w, w))))
    assert [h for _, h in report.theorem.clauses] == [(), (w_nonzero,)]
    assert report.theorem.text().startswith("Eq(grad_V F, w*c.T). If")
