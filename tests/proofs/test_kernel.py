"""The proof kernel accepts correct steps and rejects broken ones with a message naming the step."""
import sympy as sp
import pytest

from resnet_lemmas.proofs.atoms import BregmanMean, CauchySchwarzGap, NonNegative, Square
from resnet_lemmas.proofs.expressions import (
    E_bregman, E_loss_comparator, E_r_gap, E_rx, F, F_feat, F_lin, V, a, b, c, comparator_pairs, d,
    grad_V, grad_w, inner, norm, residual_context, standard_contexts, u, w)
from resnet_lemmas.proofs.hypotheses import convex_loss, w_nonzero
from resnet_lemmas.proofs.kernel import (
    Certificate, Chain, Definiteness, Hypothesis, Identity, Infimum, KernelError, Proof,
    SimplificationTimeout, prove_zero, run_with_timeout)
from resnet_lemmas.proofs.losses import NON_CONVEX_EXAMPLES, get_loss


def check(chains, hypotheses=(), contexts=None):
    return Proof("test", list(hypotheses), chains, contexts or standard_contexts()).check()


def only_failure(report):
    assert not report.ok
    return report.failures[0]


def test_identity_accepts_the_true_gradient_in_V():
    report = check([Chain("gV", grad_V).eq(w * c.T, Identity())])
    assert report.ok, report.summary()


def test_identity_rejects_a_wrong_sign_and_names_the_step():
    report = check([Chain("gV", grad_V).eq(-w * c.T, Identity())])
    failure = only_failure(report)
    assert (failure.chain, failure.index) == ("gV", 1)
    assert "does not vanish" in failure.message
    assert "step 1" in report.summary() and "'gV'" in report.summary()


def test_identity_rejects_a_missing_term():
    failure = only_failure(check([Chain("gw", grad_w).eq(E_rx, Identity())]))
    assert "does not vanish" in failure.message


def test_identity_cannot_justify_an_inequality():
    failure = only_failure(check([Chain("gw", grad_w).le(E_rx + V * c, Identity())]))
    assert "identity justifies '='" in failure.message


def test_division_needs_a_hypothesis_declaring_the_denominator_nonzero():
    chain = lambda using: Chain("c", c).eq(grad_V.T * w / inner(w, w), Identity(using=using))
    assert check([chain(("w_nonzero",))], [w_nonzero]).ok
    failure = only_failure(check([chain(())], [w_nonzero]))
    assert "division by" in failure.message and "declares nonzero" in failure.message


def test_unknown_hypothesis_is_rejected_by_name():
    failure = only_failure(check([Chain("gw", grad_w).eq(E_rx + V * c, Identity(using=("nope",)))]))
    assert "unknown hypothesis 'nope'" in failure.message


def test_hypothesis_substitution_is_needed_for_a_stationarity_step():
    stationary = Hypothesis("stationary_w", "grad_w F = 0", equations={grad_w: sp.ZeroMatrix(2, 1)})
    ctx = [residual_context(2, 2, 2)[0]]
    good = Chain("z", grad_w).eq(sp.ZeroMatrix(2, 1), Identity(using=("stationary_w",)))
    assert check([good], [stationary], ctx).ok
    bad = Chain("z", grad_w).eq(sp.ZeroMatrix(2, 1), Identity())
    assert not check([bad], [stationary], ctx).ok


def test_mixed_inequality_directions_are_rejected():
    x = sp.Symbol("x", real=True)
    chain = Chain("mixed", F).le(F + x ** 2, Certificate((Square(x),))).ge(F, Certificate((Square(x),)))
    failure = only_failure(check([chain]))
    assert "mixes <= and >=" in failure.message


def _main_chain(atoms):
    return (Chain("main", F)
            .eq(F + E_r_gap - E_r_gap, Identity())
            .le(F + E_r_gap + E_bregman - E_r_gap, Certificate(atoms)))


def test_bregman_certificate_needs_convexity_of_the_generic_loss():
    atom = BregmanMean(E_bregman, comparator_pairs)
    assert check([_main_chain((atom,))], [convex_loss]).ok
    failure = only_failure(check([_main_chain((atom,))], []))
    assert "convex_loss" in failure.message


def test_certificate_rejects_atoms_that_do_not_add_up_to_the_gap():
    x = sp.Symbol("x", real=True)
    chain = Chain("gap", F).le(F + 2 * x ** 2, Certificate((Square(x),)))
    failure = only_failure(check([chain]))
    assert "certificate gap minus atoms" in failure.message


def test_certificate_rejects_a_false_inequality_even_with_a_plausible_atom():
    x = sp.Symbol("x", real=True)
    chain = Chain("false", F).le(F - x ** 2, Certificate((Square(x),)))
    assert not check([chain]).ok


def test_square_of_a_non_real_quantity_is_not_an_atom():
    z = sp.Symbol("z")  # no real assumption
    chain = Chain("sq", F).le(F + z ** 2, Certificate((Square(z),)))
    failure = only_failure(check([chain]))
    assert "not known to be real" in failure.message


def test_nonnegative_atom_rejects_a_signed_quantity():
    x = sp.Symbol("x", real=True)
    chain = Chain("nn", F).le(F + x, Certificate((NonNegative(x),)))
    assert "could not certify" in only_failure(check([chain])).message


def test_cauchy_schwarz_atom_is_certified_by_lagrange_identity():
    chain = Chain("cs", inner(a, u)).le(norm(a) * norm(u), Certificate((CauchySchwarzGap(a, u),)))
    report = check([chain])
    assert report.ok, report.summary()
    assert "Lagrange" in report.steps[0].message


def test_bregman_atom_of_a_non_convex_concrete_loss_is_rejected():
    sigmoid_loss = NON_CONVEX_EXAMPLES["sigmoid"]
    ctx, _ = residual_context(1, 1, 1, loss=sigmoid_loss)
    atom = BregmanMean(E_bregman, comparator_pairs)
    failure = only_failure(check([_main_chain((atom,))], [], [ctx]))
    assert "not convex" in failure.message


def test_bregman_atom_of_a_concrete_convex_loss_is_proven_not_assumed():
    ctx, _ = residual_context(1, 1, 1, loss=get_loss("squared"))
    report = check([_main_chain((BregmanMean(E_bregman, comparator_pairs),))], [], [ctx])
    assert report.ok, report.summary()
    assert "proven" in report.steps[1].message


def _below_every_comparator(extra_using=()):
    """The main theorem's first chain, optionally also using an extra hypothesis in step 1."""
    from resnet_lemmas.proofs.hypotheses import stationarity_consequences, stationary_w

    using = ("stationarity_consequences", "stationary_w") + tuple(extra_using)
    chain = (Chain("below", F)
             .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w), Identity(using=using))
             .eq(F + E_r_gap, Identity())
             .le(F + E_r_gap + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),)))
             .eq(E_loss_comparator, Identity()))
    return chain, [convex_loss, stationarity_consequences, stationary_w]


def test_infimum_accepts_a_bound_uniform_in_the_comparator():
    chain, hyps = _below_every_comparator()
    report = check([chain, Chain("inf", F).le(F_feat, Infimum(from_chain="below"))], hyps)
    assert report.ok, report.summary()


def test_infimum_requires_the_earlier_chain_to_end_at_the_objective():
    chain, hyps = _below_every_comparator()
    chain.links.pop()  # now ends at F + E_r_gap + E_bregman
    failure = only_failure(check([chain, Chain("inf", F).le(F_feat, Infimum(from_chain="below"))],
                                 hyps))
    assert "not at the objective" in failure.message


def test_infimum_is_refused_when_a_hypothesis_constrains_the_comparator():
    fixes_a = Hypothesis("fixes_a", "a = 0", equations={a: sp.ZeroMatrix(d, 1)})
    chain, hyps = _below_every_comparator(extra_using=("fixes_a",))
    report = check([chain, Chain("inf", F).le(F_feat, Infimum(from_chain="below"))],
                   hyps + [fixes_a])
    failure = only_failure(report)
    assert failure.chain == "inf" and "constrains ['a']" in failure.message


def test_infimum_needs_a_verified_earlier_chain():
    failure = only_failure(check([Chain("inf", F).le(F_feat, Infimum(from_chain="missing"))]))
    assert "needs an earlier verified chain" in failure.message


def test_infimum_restriction_checks_the_restricted_objective():
    # F_lin <= F_feat is false in general: the restriction goes the other way.
    chains = [Chain("wrong_way", F_lin).le(F_feat, Infimum())]
    failure = only_failure(check(chains))
    assert "not a subset" in failure.message


def test_definiteness_needs_a_chain_proving_the_squared_norm_vanishes():
    chains = [Chain("not_norm", inner(c, a)).eq(inner(c, a), Identity()),
              Chain("c_zero", c).eq(sp.ZeroMatrix(2, 1), Definiteness("not_norm"))]
    failure = only_failure(check(chains))
    assert "does not prove" in failure.message


def test_simplification_timeout_is_a_clear_failure_not_a_hang():
    x, y = sp.symbols("x y")
    huge = sp.expand((x + y + 1) ** 60) - (x + y + 1) ** 60
    with pytest.raises(SimplificationTimeout, match="did not finish"):
        prove_zero(huge + x, timeout=0.05, what="a huge identity")


def test_timeout_also_works_outside_the_main_thread():
    import threading
    import time

    box = {}

    def worker():
        try:
            run_with_timeout(lambda: time.sleep(2), 0.1, "sleeping")
        except SimplificationTimeout as exc:
            box["error"] = str(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert "sleeping" in box["error"]


def test_prove_zero_reports_the_nonvanishing_component():
    m = sp.Matrix([0, sp.Symbol("x")])
    with pytest.raises(KernelError, match="component 1"):
        prove_zero(m, timeout=5, what="vector")


def test_infimum_is_refused_when_a_hypothesis_constrains_the_comparator_through_a_definition():
    """The hypothesis names a derived quantity (E_r_gap, defined with a and b), not a itself."""
    hidden = Hypothesis("hidden", "E[l'(p)(a^T x + b^T f - p)] = 0", equations={E_r_gap: 0})
    chain, hyps = _below_every_comparator(extra_using=("hidden",))
    report = check([chain, Chain("inf", F).le(F_feat, Infimum(from_chain="below"))],
                   hyps + [hidden])
    failure = only_failure(report)
    assert failure.chain == "inf" and "through its definition" in failure.message
