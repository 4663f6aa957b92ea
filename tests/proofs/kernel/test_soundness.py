"""The soundness suite: false derivations the kernel must refuse (autograd's test of its own checker).

Every case is a derivation of something false, or a derivation that smuggles in an assumption; each must
be refused with a message naming the reason, and no theorem may be issued.  ``COVERS`` lists the rules
and atoms each case attacks; a test checks that every rule, step kind and atom of the kernel has at
least one case, so a new rule without a failing case breaks the suite.
"""
from __future__ import annotations

import copy
import pickle

import pytest
import sympy as sp

from conftest import only_symbolic, refused, run, small_contexts, sym_run, symbolic_contexts
from resnet_lemmas.proofs import kernel
from resnet_lemmas.proofs.expressions import (
    E_bregman, E_loss_comparator, E_r_gap, E_rx, F, F_feat, F_lin, NamedScalar, V, a, b, c,
    comparator_pairs, d, grad_V, grad_w, inner, k, n, named, norm, residual_context, u, w)
from resnet_lemmas.proofs.hypotheses import convex_loss, local_minimum, w_nonzero, w_zero
from resnet_lemmas.proofs.kernel import (Bound, Cases, Certificate, Chain, Cite, Context, ConvexLoss,
                                         Definiteness, Equation, FirstOrder, Identity, Infimum,
                                         KernelError, LevelSet, NonZero, Positive, Projection, Proof,
                                         Theorem, check)
from resnet_lemmas.proofs.kernel.atoms import (ALL_ATOMS, BallProjectionVI, BregmanMean,
                                               CauchySchwarzGap, Declared, Divided, InfimumGap,
                                               NonNegative, NormRatioGap, OperatorNormGap, Scaled,
                                               Square, WeightedSum)
from resnet_lemmas.proofs.indexed.terms import Lam, as_expr
from resnet_lemmas.proofs.losses import LossError, P, Y, custom_loss, get_loss, NON_CONVEX_EXAMPLES

x_q = NamedScalar("x_q_soundness", "x", "x")
t_par = sp.Symbol("t", real=True)
e1_s = named("e1_soundness", d, 1, "e_1", "e_1")
stationary_w = Equation("stationary_w", grad_w, sp.ZeroMatrix(d, 1))
stationary_V = Equation("stationary_V", grad_V, sp.ZeroMatrix(d, k))
first_order = Equation("first_order", c, sp.ZeroMatrix(k, 1))  # stands for a cited c = 0
rx_zero = Equation("rx_zero", E_rx, sp.ZeroMatrix(d, 1))


def below_every_comparator(extra=(), name="below"):
    """The main theorem's first chain, from c = 0, E[l'(p) x] = 0 and grad_w F = 0 (plus ``extra``)."""
    using = ("first_order", "rx_zero", "stationary_w") + tuple(extra)
    return (Chain(name, F)
            .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w), Identity(using=using))
            .eq(F + E_r_gap, Identity())
            .le(F + E_r_gap + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),),
                                                     using=("convex_loss",)))
            .eq(E_loss_comparator, Identity()))


BASE = [convex_loss, first_order, rx_zero, stationary_w]


def to_infimum(name="below"):
    return Chain("inf", F).le(F_feat, Infimum(from_chain=name))


# ------------------------------------------------------------------------------------------------
# The cases: name -> (covers, builder).  A builder returns a ProofReport, or raises KernelError /
# LossError (refused at construction); the expected fragment must appear in the message.
# ------------------------------------------------------------------------------------------------
def case_infimum_laundered_through_a_fact():
    # a fact built from "a = w" (the comparator fixed to the point), then used by the bound
    fixes = Equation("fixes_a", a, w)
    fact = Chain("a_is_w", a).eq(w, Identity(using=("fixes_a",)))
    return run([fact, below_every_comparator(extra=("a_is_w",)), to_infimum()],
               BASE + [fixes], conclusion=(sp.Le(F, F_feat),))


def case_infimum_laundered_through_a_bound():
    bounded = Bound("a_bounded", sp.Le(norm(a), 1))
    chain = below_every_comparator()
    chain.links[2] = kernel.Link("<=", chain.links[2].expr, Certificate(
        (BregmanMean(E_bregman, comparator_pairs),), using=("convex_loss", "a_bounded")))
    return run([chain, to_infimum()], BASE + [bounded], conclusion=(sp.Le(F, F_feat),))


def case_infimum_laundered_through_a_nonzero_declaration():
    return run([below_every_comparator(extra=("a_nonzero",)), to_infimum()],
               BASE + [NonZero("a_nonzero", a)], conclusion=(sp.Le(F, F_feat),))


def case_infimum_through_a_definition():
    hidden = Equation("hidden", E_r_gap, sp.Integer(0))  # E_r_gap is defined with a and b
    return run([below_every_comparator(extra=("hidden",)), to_infimum()], BASE + [hidden],
               conclusion=(sp.Le(F, F_feat),))


def case_infimum_of_a_bound_that_depends_on_the_comparator():
    # E l(a^T x + b^T f) - a^T a <= E l(a^T x + b^T f) holds for every a, but its left side moves with a
    start = E_loss_comparator - inner(a, a)
    chain = Chain("dep", start).le(E_loss_comparator, Certificate((NonNegative(inner(a, a)),)))
    return run([chain, Chain("inf", start).le(F_feat, Infimum(from_chain="dep"))],
               conclusion=(sp.Le(start, F_feat),))


def case_infimum_restriction_the_wrong_way():
    return run([Chain("wrong_way", F_lin).le(F_feat, Infimum())])


def case_declared_bound_reused_by_name_across_proofs():
    ctx = [residual_context(2, 2, 2)[0]]
    first = Bound("h", sp.Le(F, 1))
    ok = run([Chain("c1", F).le(1, Certificate((Declared(1 - F, "h"),), using=("h",)))], [first], ctx)
    assert ok.ok, ok.summary()
    second = Bound("h", sp.Le(F, 2))  # same name, weaker content, same context
    return run([Chain("c2", F).le(1, Certificate((Declared(1 - F, "h"),), using=("h",)))], [second], ctx)


def case_positive_assumption_on_a_named_quantity():
    NamedScalar("x_positive_soundness", "x", positive=True)


def case_positive_symbol_hidden_in_a_definition():
    ctx = residual_context(2, 2, 2)[0]
    ctx.define(x_q, sp.Symbol("x0", positive=True))


def case_sign_rule_contradicted_by_an_equation_in_use():
    # x = -1 is used for the gap; the atom must be certified under the same substitution
    ctx = residual_context(2, 2, 2)[0]
    ctx.define(x_q, sp.Symbol("x0", real=True))
    minus = Equation("x_is_minus_one", x_q, sp.Integer(-1))
    return run([Chain("f", F).le(F + x_q, Certificate((NonNegative(x_q),), using=("x_is_minus_one",)))],
               [minus], [ctx])


def case_bregman_of_a_complex_pair():
    ctx = residual_context(1, 1, 1)[0]
    s = ctx.samples
    tt = sp.Symbol("tt", real=True)
    pairs = lambda _: [(s.p[0] + sp.I * tt, s.p[0], s.y[0])]  # noqa: E731
    value = named("D_complex", 1, 1)  # unused; the value below is the divergence itself
    from resnet_lemmas.proofs.expressions import loss_terms
    ell, ell_p, _ = loss_terms(None)
    q = s.p[0] + sp.I * tt
    ctx.define(x_q, ell(q, s.y[0]) - ell(s.p[0], s.y[0]) - ell_p(s.p[0], s.y[0]) * (q - s.p[0]))
    del value
    return run([Chain("bc", F).le(F + x_q, Certificate((BregmanMean(x_q, pairs),), using=("convex_loss",)))],
               [convex_loss], [ctx])


def case_cauchy_schwarz_of_complex_vectors():
    ctx = residual_context(2, 2, 2)[0]
    zz = named("z_complex", d, 1, "z", "z")
    ctx.define(zz, sp.Matrix([sp.I, 1]))
    return run([Chain("cs", inner(zz, zz)).le(norm(zz) * norm(zz), Certificate((CauchySchwarzGap(zz, zz),)))],
               [], [ctx])


def case_square_of_a_complex_number():
    return run([Chain("sq", F).le(F + sp.I ** 2 * 0 + (sp.I * x_q) ** 2 * 0 + sp.Symbol("zc") ** 2,
                                  Certificate((Square(sp.Symbol("zc")),)))])


def case_jumping_custom_loss():
    custom_loss("jumps", (P - Y) ** 2 + 10 * sp.arg(P - Y))


def case_non_convex_concrete_loss_in_a_bregman_atom():
    ctx = residual_context(1, 1, 1, loss=NON_CONVEX_EXAMPLES["sigmoid"])[0]
    chain = (Chain("m", F).eq(F + E_r_gap - E_r_gap, Identity())
             .le(F + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),))))
    return run([chain], [], [ctx])


def case_generic_loss_without_convexity():
    chain = (Chain("m", F).eq(F + E_r_gap - E_r_gap, Identity())
             .le(F + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),))))
    return run([chain])


def case_bregman_value_not_the_mean():
    chain = Chain("m", F).le(F + 2 * E_bregman, Certificate((BregmanMean(2 * E_bregman, comparator_pairs),),
                                                          using=("convex_loss",)))
    return run([chain], [convex_loss])


def case_redefinition():
    ctx = residual_context(2, 2, 2)[0]
    ctx.define(F, sp.Integer(0))


def case_cancelled_denominator_in_a_substitution():
    # x s = 1 with s = 1/x: true only when x != 0, which nothing declares
    ctx = residual_context(2, 2, 2)[0]
    ctx.define(x_q, sp.Symbol("x0", real=True))
    s = sp.Symbol("s_sound", real=True)
    return run([Chain("cancel", x_q * s).eq(1, Identity(using=("s_inverse",)))],
               [Equation("s_inverse", s, 1 / x_q)], [ctx])


def case_saddle_curvature_without_nonzero_declarations():
    from resnet_lemmas.proofs.lemmas import bad_saddle_at_zero as saddle
    proof = saddle.build()
    for chain in proof.chains:
        if chain.name == "negative_curvature":
            chain.links[1] = kernel.Link("=", chain.links[1].expr, Identity(using=("s_is_s_star",)))
    return check(proof)


def case_identity_true_only_at_n_2():
    return run([Chain("half", c).eq(grad_V.T * w / inner(w, w) * (n - 1), Identity(using=("w_nonzero",)))],
               [w_nonzero])


def case_sum_replaced_by_half_of_it():
    # c = E[r f] written as (sum_j r_j f_j) / 2: the right mean only when n = 2
    return run([Chain("c_half", c).eq(c * n / 2, Identity())])


def case_false_statement_with_a_trivial_proof():
    return run([Chain("triv", F).eq(F, Identity())], conclusion=(sp.Le(F, F_feat),))


def case_conclusion_not_the_chains_endpoints():
    return run([Chain("gw", grad_w).eq(E_rx + V * c, Identity())],
               conclusion=(sp.Eq(grad_w, E_rx),))


def case_F_below_F_feat_at_every_point():
    chain = (Chain("below", F)
             .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w), Identity())
             .eq(F + E_r_gap, Identity())
             .le(F + E_r_gap + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),),
                                                      using=("convex_loss",)))
             .eq(E_loss_comparator, Identity()))
    return run([chain, to_infimum()], [convex_loss], conclusion=(sp.Le(F, F_feat),))


def case_F_below_F_minus_one():
    return run([Chain("minus", F).le(F - 1, Certificate((NonNegative(sp.Integer(-1)),)))])


def case_c_vanishes_with_no_hypothesis():
    return run([Chain("c0", c).eq(sp.ZeroMatrix(k, 1), Identity())])


def case_statement_assumes_an_unused_hypothesis_or_omits_a_used_one():
    chain = Chain("c_from_gV", c).eq(grad_V.T * w / inner(w, w), Identity(using=("w_nonzero",)))
    return run([chain], [w_nonzero, stationary_V], assumes=("stationary_V",))


def case_mixed_chain():
    return run([Chain("mixed", F).le(F + x_q ** 2, Certificate((Square(x_q),)))
                .ge(F, Certificate((Square(x_q),)))])


def case_identity_justifying_an_inequality():
    return run([Chain("gw", grad_w).le(E_rx + V * c, Identity())])


def case_certificate_with_atoms_that_do_not_add_up():
    return run([Chain("gap", F).le(F + 2 * x_q ** 2, Certificate((Square(x_q),)))])


def case_scaled_by_a_negative_coefficient():
    return run([Chain("neg", F).le(F - x_q ** 2, Certificate((Scaled(sp.Integer(-1), Square(x_q)),)))])


def case_divided_by_an_undeclared_divisor():
    return run([Chain("div", F).le(F + x_q ** 2 / inner(w, w),
                                   Certificate((Divided(Square(x_q), inner(w, w)),)))])


def case_weighted_sum_with_a_negative_weight():
    atom = WeightedSum(-x_q ** 2, lambda ctx: [(sp.Integer(-1), Square(x_q))])
    return run([Chain("ws", F).le(F - x_q ** 2, Certificate((atom,)))])


def case_norm_ratio_without_a_nonzero_declaration():
    atom = NormRatioGap(grad_V, w, c)
    return run([Chain("nr", norm(c)).le(norm(grad_V) / norm(w), Certificate((atom,)))])


def case_norm_ratio_with_a_false_identity():
    atom = NormRatioGap(grad_V, w, E_rx)
    return run([Chain("nr", norm(E_rx)).le(norm(grad_V) / norm(w), Certificate((atom,), using=("w_nonzero",)))],
               [w_nonzero])


def case_infimum_gap_at_a_wrong_point():
    atom = InfimumGap(F, F_feat, ((a, 2 * w), (b, V.T * w)))
    return run([Chain("ig", F).ge(F_feat, Certificate((atom,)))])


def case_operator_norm_of_mismatched_shapes():
    from resnet_lemmas.proofs.linalg import opnorm
    atom = OperatorNormGap(V, w)  # V is d x k, w has d rows: V w is undefined when k != d
    return run([Chain("op", norm(V * w)).le(opnorm(V) * norm(w), Certificate((atom,)))],
               contexts=[residual_context(2, 3, 4)[0]])


def case_declared_bound_not_in_use():
    bound = Bound("x_small", sp.Le(x_q, 1))
    return run([Chain("dec", x_q).le(1, Certificate((Declared(1 - x_q, "x_small"),)))], [bound])


def case_declared_bound_that_was_not_declared():
    bound = Bound("x_small", sp.Le(x_q, 1))
    return run([Chain("dec", x_q).le(sp.Rational(1, 2), Certificate((Declared(sp.Rational(1, 2) - x_q, "x_small"),),
                                                                   using=("x_small",)))], [bound])


def case_projection_factor_of_another_point():
    from resnet_lemmas.proofs.lemmas import sgd_regret as sgd
    ctx = sgd.sgd_context(1, 1, 1)
    s = ctx.samples
    (rho,) = list(s.rho.values())
    y_other = s.z_star  # not the point whose projection rho is
    atom = BallProjectionVI(y_other, rho, s.z_star, sgd.B)
    return run([Chain("proj", sgd.CompLoss).le(sgd.CompLoss + atom.expr, Certificate(
        (atom,), using=("ball_projection", "comparator_in_ball")))],
        [sgd.ball_projection, sgd.comparator_in_ball], [ctx])


def case_definiteness_from_an_unrelated_fact():
    return run([Chain("not_norm", inner(c, a)).eq(inner(c, a), Identity()),
                Chain("c_zero", c).eq(sp.ZeroMatrix(k, 1), Definiteness("not_norm"))])


def case_first_order_condition_for_a_quantity_that_is_not_the_gradient():
    return run([Chain("fo", E_rx).eq(sp.ZeroMatrix(d, 1), FirstOrder("local_minimum", w))],
               [local_minimum])


def case_first_order_condition_without_a_local_minimum():
    return run([Chain("fo", grad_w).eq(sp.ZeroMatrix(d, 1), FirstOrder("stationary_V", w))],
               [stationary_V])


def case_level_set_along_a_path_that_changes_F():
    shifted = named("grad_w_moved_soundness", d, 1)
    ctxs = small_contexts()
    for ctx in ctxs:
        sm = ctx.samples
        g = ctx.definitions[grad_w].xreplace({sm.w[i]: t_par * (1 if i == 0 else 0) for i in range(sm.d)})
        ctx.define(shifted, g)
        ctx.define(e1_s, sp.Matrix(sm.d, 1, lambda i, _: 1 if i == 0 else 0))
    path = ((w, w + t_par * e1_s),)
    return run([Chain("ls", shifted).eq(sp.ZeroMatrix(d, 1), LevelSet("local_minimum", path, t_par, w,
                                                                      using=("w_zero",)))],
               [local_minimum, w_zero], ctxs)


def case_open_eigenvariable_in_the_conclusion():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    proof = zw.build()
    proof.conclusion = (sp.Eq(zw.grad_w_shift, sp.ZeroMatrix(d, 1), evaluate=False),)
    return check(proof)


def case_level_set_parameter_that_is_not_fresh():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    proof = zw.build()
    pinned = Equation("t_is_one", named("t_holder_soundness", 1, 1), sp.ImmutableMatrix([[zw.t]]))
    for ctx in proof.contexts:
        if ctx.symbolic:
            ctx.define(pinned.lhs, Lam((), as_expr(sp.Symbol("t_h", real=True))))
        else:
            ctx.define(pinned.lhs, sp.ImmutableMatrix([[sp.Symbol("t_h", real=True)]]))
    proof.hypotheses.append(pinned)
    for chain in proof.chains:
        if chain.name == "stationary_nearby":
            just = chain.links[0].justification
            chain.links[0] = kernel.Link("=", chain.links[0].expr, LevelSet(
                just.local_minimum, just.path, just.parameter, just.variable, using=("w_zero", "t_is_one")))
    return check(proof)


def case_cases_on_statements_that_are_not_negations():
    f1 = Chain("c_a", c).eq(sp.ZeroMatrix(k, 1), Identity(using=("first_order",)))
    f2 = Chain("c_b", c).eq(sp.ZeroMatrix(k, 1), Identity(using=("first_order",)))
    both = Cases("joined", ("w_nonzero", "stationary_V"), ("c_a", "c_b"))
    return run([f1, f2, both], [first_order, w_nonzero, stationary_V],
               conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),), assumes=("first_order",))


def case_citation_that_does_not_discharge_a_hypothesis():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    cite = Cite("cited", "stationarity_consequences", sc.LEMMA.theorem)
    return run([cite], [w_nonzero, stationary_w], conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),))


def case_citation_at_sizes_it_was_not_checked_at():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    cite = Cite("cited", "stationarity_consequences", sc.LEMMA.theorem)
    return run([cite], [w_nonzero, stationary_w, stationary_V], [residual_context(5, 1, 3)[0]],
               conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),))


def case_citation_of_a_forged_theorem():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    real = sc.LEMMA.theorem()
    forged = object.__new__(Theorem)
    for slot in Theorem.__slots__:
        if slot != "__weakref__":
            object.__setattr__(forged, slot, getattr(real, slot))
    object.__setattr__(forged, "conclusion", (sp.Eq(F, F_lin - 1, evaluate=False),))
    cite = Cite("cited", "forged", lambda: forged)
    return run([cite], [w_nonzero, stationary_w, stationary_V], conclusion=(sp.Eq(F, F_lin - 1),))


def case_citation_of_a_broken_dependency():
    def broken():
        raise kernel.ProofFailed(check(Proof("broken_dep", [], [Chain("x", c).eq(sp.ZeroMatrix(k, 1), Identity())],
                                             small_contexts(), conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),))))
    cite = Cite("cited", "broken_dep", broken)
    return run([cite], [], conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),))


def case_constructing_a_theorem_outside_the_kernel():
    Theorem(object(), "fake", (), (sp.Eq(F, F_lin - 1),), (), [], (), (), {}, 0)


def case_equation_whose_left_side_is_not_a_name():
    Equation("bad", F + 1, sp.Integer(0))


def case_bound_that_is_not_a_relation():
    Bound("bad", F - 1)


def case_positivity_of_an_expression():
    Positive("bad", (F + 1,))


def case_positive_symbol_written_in_a_step():
    # a raw SymPy symbol with positive=True, outside any definition: its assumption is no sign fact
    xp = sp.Symbol("xp_step", positive=True)
    return run([Chain("pos", F).le(F + xp, Certificate((NonNegative(xp),)))])


def case_imaginary_symbol_written_in_a_step():
    xi = sp.Symbol("xi_step", imaginary=True)   # -xi^2 >= 0 by SymPy's rules for an imaginary xi
    return run([Chain("neg", F).le(F - xi ** 2, Certificate((NonNegative(-xi ** 2),)))])


def case_division_by_a_positive_symbol_written_in_a_step():
    xp = sp.Symbol("xp_div", positive=True)
    return run([Chain("div", x_q * (1 + xp) / xp).eq(x_q / xp + x_q, Identity())])


# ------------------------------------------------------------------------------------------------
# At symbolic sizes (proofs/kernel/sizes.py): each case runs in the symbolic context alone, so it is the
# index-algebra rule or atom that must refuse it.
# ------------------------------------------------------------------------------------------------
from resnet_lemmas.proofs.indexed import model as im  # noqa: E402
from resnet_lemmas.proofs.indexed.calculus import substitute  # noqa: E402
from resnet_lemmas.proofs.indexed.terms import SEQ, Tensor, delta, index, mean, sqrt, sum_over  # noqa: E402
from resnet_lemmas.proofs.kernel.sizes import SymbolicContext  # noqa: E402

T_size = sp.Symbol("T", integer=True, positive=True)
S_first = NamedScalar("S_first_soundness", "S_1", "S_1")
S_second = NamedScalar("S_second_soundness", "S_2", "S_2")


def _sequence_context(first, second):
    """A symbolic context over the horizon T in which S_1 and S_2 mean the given index expressions."""
    ctx = SymbolicContext("all sizes (T)", (T_size,))
    ctx.define(S_first, Lam((), first))
    ctx.define(S_second, Lam((), second))
    return [ctx]


def case_sym_interchange_of_dependent_sums():
    # sum_{t=1}^T sum_{s=1}^t g_s  is  sum_s (T - s + 1) g_s, not  sum_{s=1}^T sum_{t=1}^s g_s = sum_s s g_s
    g = Tensor("g", (SEQ,))
    t = index("t", lo=1, hi=T_size)
    s_in = index("s", lo=1, hi=t)
    s2 = index("s2", lo=1, hi=T_size)
    t2 = index("t2", lo=1, hi=s2)
    first = sum_over(sum_over(g[s_in], s_in), t)
    second = sum_over(sum_over(g[s2], t2), s2)
    return run([Chain("swap", S_first).eq(S_second, Identity())], contexts=_sequence_context(first, second))


def case_sym_telescoping_with_a_wrong_boundary_term():
    z = Tensor("z", (SEQ,))
    t = index("t", lo=1, hi=T_size)
    telescoped = sum_over(z[t] - z[t + 1], t)
    contexts = _sequence_context(telescoped, z[1] - z[T_size])   # z_{T+1} is right, not z_T
    s = index("s", lo=1, hi=T_size + 1)
    contexts[0].define_sequence(Lam((s,), z[s]), t)            # the rule is tried, with the right A
    return run([Chain("tele", S_first).eq(S_second, Identity())], contexts=contexts)


E_r_s = NamedScalar("E_r_soundness", "E[r]", "E[l'(p)]")
E_f_s = named("E_f_soundness", k, 1, "E[f]", "E[f]")


def case_sym_factor_that_depends_on_the_sample_pulled_out_of_E():
    # c = E[r f] is not E[r] E[f]: r_j depends on the sample j
    extra = {E_r_s: Lam((), mean(im.res, im.j)), E_f_s: Lam((im.l,), mean(im.f_t[im.j, im.l], im.j))}
    return sym_run([Chain("pulled", c).eq(E_f_s * E_r_s, Identity())],
                   contexts=symbolic_contexts(extra=extra))


def case_sym_identity_true_only_at_n_2():
    return sym_run([Chain("c_half", c).eq(c * n / 2, Identity())])


def case_sym_c_vanishes_with_no_hypothesis():
    return sym_run([Chain("c0", c).eq(sp.ZeroMatrix(k, 1), Identity())])


def case_sym_identity_between_different_shapes():
    return sym_run([Chain("transposed", w).eq(w.T, Identity())])


def case_sym_cancelled_denominator_in_a_coefficient():
    s_q, x_c = sp.Symbol("s_coef", real=True), sp.Symbol("x_coef", real=True)
    inverse = Equation("s_inverse", NamedScalar("s_named_soundness"), 1 / x_c)
    s_named = inverse.lhs
    del s_q
    return sym_run([Chain("cancel", x_c * s_named).eq(1, Identity(using=("s_inverse",)))], [inverse])


def case_sym_F_below_F_feat_at_every_point():
    chain = (Chain("below", F)
             .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w), Identity())
             .eq(F + E_r_gap, Identity())
             .le(F + E_r_gap + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),),
                                                      using=("convex_loss",)))
             .eq(E_loss_comparator, Identity()))
    return sym_run([chain, to_infimum()], [convex_loss], conclusion=(sp.Le(F, F_feat),))


def case_sym_comparator_hidden_in_a_hypothesis():
    fixes = Equation("fixes_a", a, w)
    fact = Chain("a_is_w", a).eq(w, Identity(using=("fixes_a",)))
    return sym_run([fact, below_every_comparator(extra=("a_is_w",)), to_infimum()], BASE + [fixes],
                   conclusion=(sp.Le(F, F_feat),))


def case_sym_comparator_in_a_declared_bound():
    bounded = Bound("a_bounded", sp.Le(norm(a), 1))
    chain = below_every_comparator()
    chain.links[2] = kernel.Link("<=", chain.links[2].expr, Certificate(
        (BregmanMean(E_bregman, comparator_pairs),), using=("convex_loss", "a_bounded")))
    return sym_run([chain, to_infimum()], BASE + [bounded], conclusion=(sp.Le(F, F_feat),))


def case_sym_comparator_in_a_nonzero_declaration():
    return sym_run([below_every_comparator(extra=("a_nonzero",)), to_infimum()],
                   BASE + [NonZero("a_nonzero", a)], conclusion=(sp.Le(F, F_feat),))


def case_sym_infimum_of_a_comparator_dependent_bound():
    start = E_loss_comparator - inner(a, a)
    chain = Chain("dep", start).le(E_loss_comparator, Certificate((NonNegative(inner(a, a)),)))
    return sym_run([chain, Chain("inf", start).le(F_feat, Infimum(from_chain="dep"))],
                   conclusion=(sp.Le(start, F_feat),))


def case_sym_infimum_restriction_the_wrong_way():
    return sym_run([Chain("wrong_way", F_lin).le(F_feat, Infimum())])


def case_sym_bregman_atom_whose_divergence_is_not_one():
    # E[l'(p)(q - p)] is no mean of Bregman divergences
    chain = Chain("m", F).le(F + E_r_gap, Certificate((BregmanMean(E_r_gap, comparator_pairs),),
                                                      using=("convex_loss",)))
    return sym_run([chain], [convex_loss])


def case_sym_bregman_of_the_generic_loss_without_convexity():
    chain = Chain("m", F).le(F + E_bregman, Certificate((BregmanMean(E_bregman, comparator_pairs),)))
    return sym_run([chain])


def case_sym_bregman_pairs_the_context_does_not_know():
    pairs = lambda ctx: comparator_pairs(ctx)  # noqa: E731  (another function: no symbolic pairs)
    chain = Chain("m", F).le(F + E_bregman, Certificate((BregmanMean(E_bregman, pairs),),
                                                        using=("convex_loss",)))
    return sym_run([chain], [convex_loss])


def case_sym_cauchy_schwarz_gap_with_the_wrong_sign():
    return sym_run([Chain("cs", inner(a, u)).ge(norm(a) * norm(u), Certificate((CauchySchwarzGap(a, u),)))])


def case_sym_cauchy_schwarz_of_a_complex_vector():
    return sym_run([Chain("cs", inner(sp.I * a, u)).le(norm(sp.I * a) * norm(u),
                                                       Certificate((CauchySchwarzGap(sp.I * a, u),)))])


def case_sym_cauchy_schwarz_of_vectors_of_different_shapes():
    return sym_run([Chain("cs", F).le(F + norm(w) * norm(c) - inner(w, w),
                                      Certificate((CauchySchwarzGap(w, c),)))])


def case_sym_square_of_a_complex_number():
    zc = sp.Symbol("zc_sym", real=True)
    return sym_run([Chain("sq", F).le(F - zc ** 2, Certificate((Square(sp.I * zc),)))])


def case_sym_positive_symbol_assumption_is_not_a_sign_fact():
    xp = sp.Symbol("xp_sym", positive=True)
    return sym_run([Chain("pos", F).le(F + xp, Certificate((NonNegative(xp),)))])


def case_sym_norm_of_a_complex_vector_is_not_nonnegative():
    # ||i w|| = sqrt(-||w||^2) is imaginary
    return sym_run([Chain("cn", F).le(F + norm(sp.I * w), Certificate((NonNegative(norm(sp.I * w)),)))])


root_s = NamedScalar("root_of_a_negative_soundness", "r", "r")


def case_sym_square_root_of_a_negative_is_not_nonnegative():
    i2 = index("i2", d)
    extra = {root_s: Lam((), sqrt(-sum_over(im.w_t[i2] * im.w_t[i2], i2)))}
    return sym_run([Chain("root", F).le(F + root_s, Certificate((NonNegative(root_s),)))],
                   contexts=symbolic_contexts(extra=extra))


def case_sym_scaled_by_a_negative_coefficient():
    return sym_run([Chain("neg", F).le(F - x_q ** 2, Certificate((Scaled(sp.Integer(-1), Square(x_q)),)))])


def case_sym_divided_by_an_undeclared_divisor():
    return sym_run([Chain("div", F).le(F + x_q ** 2 / norm(w), Certificate((Divided(Square(x_q), norm(w)),)))])


def case_sym_divided_by_a_divisor_of_unknown_sign():
    # x != 0 is declared, but x may be negative: Square / x is not nonnegative
    return sym_run([Chain("div", F).le(F + x_q ** 2 / x_q ** 3, Certificate((Divided(Square(x_q), x_q ** 3),),
                                                                          using=("x_nonzero",)))],
                   [NonZero("x_nonzero", x_q)])


def case_sym_weighted_sum_lists_concrete_terms():
    atom = WeightedSum(x_q ** 2, lambda ctx: [(sp.Integer(1), Square(x_q))])
    return sym_run([Chain("ws", F).le(F + x_q ** 2, Certificate((atom,)))])


def case_sym_norm_ratio_without_a_nonzero_declaration():
    return sym_run([Chain("nr", norm(c)).le(norm(grad_V) / norm(w), Certificate((NormRatioGap(grad_V, w, c),),
                                                                                  using=("stationary_V",)))],
                   [stationary_V])


def case_sym_norm_ratio_with_a_false_identity():
    atom = NormRatioGap(grad_V, w, E_rx)
    return sym_run([Chain("nr", norm(E_rx)).le(norm(grad_V) / norm(w), Certificate((atom,), using=("w_nonzero",)))],
                   [w_nonzero])


def case_sym_infimum_gap_at_a_wrong_point():
    atom = InfimumGap(F, F_feat, ((a, 2 * w), (b, V.T * w)))
    return sym_run([Chain("ig", F).ge(F_feat, Certificate((atom,)))])


def case_sym_operator_norm_of_mismatched_shapes():
    from resnet_lemmas.proofs.linalg import opnorm
    return sym_run([Chain("op", norm(V * c)).le(opnorm(V) * norm(w),
                                                Certificate((OperatorNormGap(V, w),)))])


def case_sym_declared_bound_that_was_not_declared():
    bound = Bound("x_small", sp.Le(x_q, 1))
    return sym_run([Chain("dec", x_q).le(sp.Rational(1, 2), Certificate(
        (Declared(sp.Rational(1, 2) - x_q, "x_small"),), using=("x_small",)))], [bound])


def case_sym_family_bound_has_no_symbolic_instance():
    psi = named("psi_soundness", d, 1)
    bound = Bound("each_small", sp.Lambda(psi, sp.Le(inner(psi, psi), 1)), "family")
    return sym_run([Chain("dec", inner(w, w)).le(1, Certificate((Declared(1 - inner(w, w), "each_small"),),
                                                                using=("each_small",)))], [bound])


def case_sym_ball_projection_has_no_symbolic_certificate():
    from resnet_lemmas.proofs.lemmas import sgd_regret as sgd
    rho = sp.Symbol("rho_sym", real=True)
    atom = BallProjectionVI(sp.Matrix([x_q]), rho, sp.Matrix([sgd.B]), sgd.B)
    return sym_run([Chain("proj", F).le(F + atom.expr, Certificate((atom,), using=("ball_projection",)))],
                   [sgd.ball_projection])


def case_sym_certificate_atoms_do_not_add_up():
    return sym_run([Chain("gap", F).le(F + 2 * x_q ** 2, Certificate((Square(x_q),)))])


def case_sym_definiteness_of_a_claimed_zero_that_is_not_zero():
    zero = Equation("c_norm_zero", c, sp.ZeroMatrix(k, 1))
    return sym_run([Chain("n", inner(c, c)).eq(0, Identity(using=("c_norm_zero",))),
                    Chain("z", c).eq(b, Definiteness("n"))], [zero])


def case_sym_first_order_for_a_non_gradient():
    return sym_run([Chain("fo", E_rx).eq(sp.ZeroMatrix(d, 1), FirstOrder("local_minimum", w))],
                   [local_minimum])


moved_s = named("grad_w_moved_sym", d, 1)


def case_sym_level_set_along_a_path_that_changes_F():
    i2 = index("i2", d)
    along = Lam((i2,), t_par * delta(i2, 0))
    extra = {e1_s: Lam((im.i,), delta(im.i, 0)),
             moved_s: Lam((im.i,), substitute(im.DEFINITIONS[grad_w].body, im.w_t, along))}
    path = ((w, w + t_par * e1_s),)
    return sym_run([Chain("ls", moved_s).eq(sp.ZeroMatrix(d, 1), LevelSet("local_minimum", path, t_par, w,
                                                                          using=("w_zero",)))],
                   [local_minimum, w_zero], contexts=symbolic_contexts(extra=extra))


def case_sym_level_set_along_a_path_that_is_not_polynomial():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    proof = only_symbolic(zw.build())
    for chain in proof.chains:
        if chain.name == "stationary_nearby":
            just = chain.links[0].justification
            path = ((V, V + sp.sqrt(zw.t ** 2) * zw.e1 * c.T),)
            chain.links[0] = kernel.Link("=", chain.links[0].expr, LevelSet(
                just.local_minimum, path, just.parameter, just.variable, using=just.using))
    return check(proof)


def case_sym_open_eigenvariable_in_the_conclusion():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    proof = only_symbolic(zw.build())
    proof.conclusion = (sp.Eq(zw.grad_w_shift, sp.ZeroMatrix(d, 1), evaluate=False),)
    return check(proof)


def case_sym_level_set_parameter_that_is_not_fresh():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    proof = only_symbolic(zw.build())
    pinned = Equation("t_is_pinned", NamedScalar("t_pinned_soundness"), zw.t)
    proof.hypotheses.append(pinned)
    for chain in proof.chains:
        if chain.name == "stationary_nearby":
            just = chain.links[0].justification
            chain.links[0] = kernel.Link("=", chain.links[0].expr, LevelSet(
                just.local_minimum, just.path, just.parameter, just.variable, using=("w_zero", "t_is_pinned")))
    return check(proof)


def _concrete_only_theorem():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    proof = sc.build()
    proof.name = "stationarity_consequences_concrete"
    proof.contexts = [ctx for ctx in proof.contexts if not ctx.symbolic]
    return kernel.prove(proof)


def case_sym_citation_of_a_theorem_checked_only_at_concrete_sizes():
    cite = Cite("cited", "stationarity_consequences_concrete", _concrete_only_theorem)
    return sym_run([cite], [w_nonzero, stationary_w, stationary_V], conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),))


def case_sym_citation_where_a_name_means_something_else():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    (ctx,) = symbolic_contexts()
    ctx.definitions[c] = Lam((im.l,), mean(im.f_t[im.j, im.l], im.j))  # c = E[f], not E[l'(p) f]
    cite = Cite("cited", "stationarity_consequences", sc.LEMMA.theorem)
    return sym_run([cite], [w_nonzero, stationary_w, stationary_V], conclusion=(sp.Eq(c, sp.ZeroMatrix(k, 1)),),
                   contexts=[ctx])


def case_sym_redefinition():
    (ctx,) = symbolic_contexts()
    ctx.define(F, Lam((), mean(im.y_t[im.j], im.j)))


SYMBOLIC_CASES = {
    "sym_interchange_of_dependent_sums": (("sym:Identity",), case_sym_interchange_of_dependent_sums, "differ"),
    "sym_telescoping_with_a_wrong_boundary_term": (("sym:Identity", "sym:Telescoping"), case_sym_telescoping_with_a_wrong_boundary_term, "differ"),
    "sym_factor_pulled_out_of_E": (("sym:Identity",), case_sym_factor_that_depends_on_the_sample_pulled_out_of_E, "differ"),
    "sym_identity_true_only_at_n_2": (("sym:Identity",), case_sym_identity_true_only_at_n_2, "differ"),
    "sym_c_vanishes_with_no_hypothesis": (("sym:Identity",), case_sym_c_vanishes_with_no_hypothesis, "differ"),
    "sym_identity_between_different_shapes": (("sym:Identity",), case_sym_identity_between_different_shapes, "shapes"),
    "sym_cancelled_denominator_in_a_coefficient": (("sym:Identity", "sym:Equation"), case_sym_cancelled_denominator_in_a_coefficient, "divides by x_coef"),
    "sym_F_below_F_feat_at_every_point": (("sym:Identity", "sym:Infimum"), case_sym_F_below_F_feat_at_every_point, "differ"),
    "sym_comparator_hidden_in_a_hypothesis": (("sym:Infimum",), case_sym_comparator_hidden_in_a_hypothesis, "fixes_a"),
    "sym_comparator_in_a_declared_bound": (("sym:Infimum", "sym:Bound"), case_sym_comparator_in_a_declared_bound, "a_bounded"),
    "sym_comparator_in_a_nonzero_declaration": (("sym:Infimum", "sym:NonZero"), case_sym_comparator_in_a_nonzero_declaration, "a_nonzero"),
    "sym_infimum_of_a_comparator_dependent_bound": (("sym:Infimum",), case_sym_infimum_of_a_comparator_dependent_bound, "not uniform"),
    "sym_infimum_restriction_the_wrong_way": (("sym:Infimum",), case_sym_infimum_restriction_the_wrong_way, "not a subset"),
    "sym_bregman_whose_divergence_is_not_one": (("sym:BregmanMean",), case_sym_bregman_atom_whose_divergence_is_not_one, "not the mean of divergences"),
    "sym_bregman_without_convexity": (("sym:BregmanMean", "sym:ConvexLoss"), case_sym_bregman_of_the_generic_loss_without_convexity, "convex_loss"),
    "sym_bregman_pairs_unknown": (("sym:BregmanMean",), case_sym_bregman_pairs_the_context_does_not_know, "no Bregman pairs"),
    "sym_cauchy_schwarz_with_the_wrong_sign": (("sym:CauchySchwarzGap", "sym:Certificate"), case_sym_cauchy_schwarz_gap_with_the_wrong_sign, "gap minus atoms"),
    "sym_cauchy_schwarz_of_a_complex_vector": (("sym:CauchySchwarzGap",), case_sym_cauchy_schwarz_of_a_complex_vector, "not known to be real"),
    "sym_cauchy_schwarz_of_different_shapes": (("sym:CauchySchwarzGap",), case_sym_cauchy_schwarz_of_vectors_of_different_shapes, "shapes (d, 1) and (k, 1)"),
    "sym_square_of_a_complex_number": (("sym:Square",), case_sym_square_of_a_complex_number, "not known to be real"),
    "sym_positive_symbol_assumption": (("sym:NonNegative",), case_sym_positive_symbol_assumption_is_not_a_sign_fact, "assumption beyond 'real'"),
    "sym_norm_of_a_complex_vector": (("sym:NonNegative",), case_sym_norm_of_a_complex_vector_is_not_nonnegative, "could not certify"),
    "sym_square_root_of_a_negative": (("sym:NonNegative",), case_sym_square_root_of_a_negative_is_not_nonnegative, "could not certify"),
    "sym_scaled_by_a_negative_coefficient": (("sym:Scaled",), case_sym_scaled_by_a_negative_coefficient, "not certified nonnegative"),
    "sym_divided_by_an_undeclared_divisor": (("sym:Divided",), case_sym_divided_by_an_undeclared_divisor, "not declared nonzero"),
    "sym_divided_by_a_divisor_of_unknown_sign": (("sym:Divided",), case_sym_divided_by_a_divisor_of_unknown_sign, "not certified nonnegative"),
    "sym_weighted_sum": (("sym:WeightedSum",), case_sym_weighted_sum_lists_concrete_terms, "concrete sizes only"),
    "sym_norm_ratio_without_nonzero": (("sym:NormRatioGap",), case_sym_norm_ratio_without_a_nonzero_declaration, "not declared nonzero"),
    "sym_norm_ratio_with_a_false_identity": (("sym:NormRatioGap",), case_sym_norm_ratio_with_a_false_identity, "differ"),
    "sym_infimum_gap_at_a_wrong_point": (("sym:InfimumGap",), case_sym_infimum_gap_at_a_wrong_point, "differ"),
    "sym_operator_norm_of_mismatched_shapes": (("sym:OperatorNormGap",), case_sym_operator_norm_of_mismatched_shapes, "product of shapes (d, k) and (d, 1)"),
    "sym_declared_bound_that_was_not_declared": (("sym:Declared",), case_sym_declared_bound_that_was_not_declared, "differ"),
    "sym_family_bound": (("sym:Declared", "sym:Bound"), case_sym_family_bound_has_no_symbolic_instance, "no instances"),
    "sym_ball_projection": (("sym:BallProjectionVI", "sym:Projection"), case_sym_ball_projection_has_no_symbolic_certificate, "concrete sizes only"),
    "sym_certificate_atoms_do_not_add_up": (("sym:Certificate",), case_sym_certificate_atoms_do_not_add_up, "gap minus atoms"),
    "sym_definiteness_of_a_nonzero_claim": (("sym:Definiteness",), case_sym_definiteness_of_a_claimed_zero_that_is_not_zero, "is not zero"),
    "sym_first_order_for_a_non_gradient": (("sym:FirstOrder", "sym:LocalMinimum"), case_sym_first_order_for_a_non_gradient, "differ"),
    "sym_level_set_along_a_path_that_changes_F": (("sym:LevelSet",), case_sym_level_set_along_a_path_that_changes_F, "differ"),
    "sym_level_set_path_not_polynomial": (("sym:LevelSet",), case_sym_level_set_along_a_path_that_is_not_polynomial, "not polynomial"),
    "sym_open_eigenvariable_in_the_conclusion": (("sym:LevelSet", "sym:conclusion"), case_sym_open_eigenvariable_in_the_conclusion, "eigenvariables"),
    "sym_level_set_parameter_not_fresh": (("sym:LevelSet",), case_sym_level_set_parameter_that_is_not_fresh, "not fresh"),
    "sym_citation_of_a_concrete_only_theorem": (("sym:Cite",), case_sym_citation_of_a_theorem_checked_only_at_concrete_sizes, "checked only at concrete sizes"),
    "sym_citation_where_a_name_means_something_else": (("sym:Cite",), case_sym_citation_where_a_name_means_something_else, "means something else"),
    "sym_redefinition": (("sym:SymbolicContext",), case_sym_redefinition, "cannot be overwritten"),
}


# name -> (what it attacks, builder, fragment of the refusal message)
CASES = {
    "infimum_laundered_through_a_fact": (("Infimum",), case_infimum_laundered_through_a_fact, "fixes_a"),
    "infimum_laundered_through_a_bound": (("Infimum", "Bound"), case_infimum_laundered_through_a_bound, "a_bounded"),
    "infimum_laundered_through_a_nonzero_declaration": (("Infimum", "NonZero"), case_infimum_laundered_through_a_nonzero_declaration, "a_nonzero"),
    "infimum_through_a_definition": (("Infimum",), case_infimum_through_a_definition, "hidden"),
    "infimum_of_a_comparator_dependent_bound": (("Infimum",), case_infimum_of_a_bound_that_depends_on_the_comparator, "not uniform"),
    "infimum_restriction_the_wrong_way": (("Infimum",), case_infimum_restriction_the_wrong_way, "not a subset"),
    "declared_bound_reused_by_name": (("Declared", "Bound"), case_declared_bound_reused_by_name_across_proofs, "not among"),
    "positive_assumption_on_a_named_quantity": (("NamedScalar",), case_positive_assumption_on_a_named_quantity, "not allowed"),
    "positive_symbol_hidden_in_a_definition": (("Context",), case_positive_symbol_hidden_in_a_definition, "assumption"),
    "sign_rule_contradicted_by_an_equation": (("NonNegative", "Equation"), case_sign_rule_contradicted_by_an_equation_in_use, "could not certify"),
    "bregman_of_a_complex_pair": (("BregmanMean",), case_bregman_of_a_complex_pair, "not known to be real"),
    "cauchy_schwarz_of_complex_vectors": (("CauchySchwarzGap",), case_cauchy_schwarz_of_complex_vectors, "not known to be real"),
    "square_of_a_complex_number": (("Square",), case_square_of_a_complex_number, "not known to be real"),
    "jumping_custom_loss": (("losses",), case_jumping_custom_loss, "arg"),
    "non_convex_concrete_loss": (("BregmanMean",), case_non_convex_concrete_loss_in_a_bregman_atom, "not convex"),
    "generic_loss_without_convexity": (("BregmanMean", "ConvexLoss"), case_generic_loss_without_convexity, "convex_loss"),
    "bregman_value_not_the_mean": (("BregmanMean",), case_bregman_value_not_the_mean, "not the mean"),
    "redefinition": (("Context",), case_redefinition, "cannot be overwritten"),
    "cancelled_denominator_in_a_substitution": (("Identity", "Equation"), case_cancelled_denominator_in_a_substitution, "division by"),
    "saddle_curvature_without_nonzero_declarations": (("Identity", "NonZero"), case_saddle_curvature_without_nonzero_declarations, "division by"),
    "identity_true_only_at_n_2": (("Identity",), case_identity_true_only_at_n_2, "does not vanish"),
    "sum_replaced_by_half_of_it": (("Identity",), case_sum_replaced_by_half_of_it, "does not vanish"),
    "false_statement_with_a_trivial_proof": (("conclusion",), case_false_statement_with_a_trivial_proof, "no verified step establishes"),
    "conclusion_not_the_chains_endpoints": (("conclusion",), case_conclusion_not_the_chains_endpoints, "no verified step establishes"),
    "F_below_F_feat_at_every_point": (("Identity", "Infimum"), case_F_below_F_feat_at_every_point, "does not vanish"),
    "F_below_F_minus_one": (("NonNegative", "Certificate"), case_F_below_F_minus_one, "could not certify"),
    "c_vanishes_with_no_hypothesis": (("Identity",), case_c_vanishes_with_no_hypothesis, "does not vanish"),
    "statement_hypotheses_differ_from_the_derivation": (("conclusion",), case_statement_assumes_an_unused_hypothesis_or_omits_a_used_one, "derivation rests on"),
    "mixed_chain": (("Chain",), case_mixed_chain, "mixes"),
    "identity_justifying_an_inequality": (("Identity",), case_identity_justifying_an_inequality, "identity justifies"),
    "certificate_atoms_do_not_add_up": (("Certificate",), case_certificate_with_atoms_that_do_not_add_up, "gap minus atoms"),
    "scaled_by_a_negative_coefficient": (("Scaled",), case_scaled_by_a_negative_coefficient, "not certified nonnegative"),
    "divided_by_an_undeclared_divisor": (("Divided",), case_divided_by_an_undeclared_divisor, "not declared nonzero"),
    "weighted_sum_with_a_negative_weight": (("WeightedSum",), case_weighted_sum_with_a_negative_weight, "weight -1"),
    "norm_ratio_without_nonzero": (("NormRatioGap",), case_norm_ratio_without_a_nonzero_declaration, "not declared nonzero"),
    "norm_ratio_with_a_false_identity": (("NormRatioGap",), case_norm_ratio_with_a_false_identity, "does not vanish"),
    "infimum_gap_at_a_wrong_point": (("InfimumGap",), case_infimum_gap_at_a_wrong_point, "does not vanish"),
    "operator_norm_of_mismatched_shapes": (("OperatorNormGap",), case_operator_norm_of_mismatched_shapes, ""),
    "declared_bound_not_in_use": (("Declared",), case_declared_bound_not_in_use, "does not use"),
    "declared_bound_that_was_not_declared": (("Declared",), case_declared_bound_that_was_not_declared, "not among"),
    "projection_factor_of_another_point": (("BallProjectionVI", "Projection"), case_projection_factor_of_another_point, "not the projection factor"),
    "definiteness_from_an_unrelated_fact": (("Definiteness",), case_definiteness_from_an_unrelated_fact, "definiteness needs"),
    "first_order_for_a_non_gradient": (("FirstOrder",), case_first_order_condition_for_a_quantity_that_is_not_the_gradient, "does not vanish"),
    "first_order_without_a_local_minimum": (("FirstOrder", "LocalMinimum"), case_first_order_condition_without_a_local_minimum, "not a local-minimum hypothesis"),
    "level_set_along_a_path_that_changes_F": (("LevelSet",), case_level_set_along_a_path_that_changes_F, "constant along the path"),
    "open_eigenvariable_in_the_conclusion": (("LevelSet", "conclusion"), case_open_eigenvariable_in_the_conclusion, "eigenvariables"),
    "level_set_parameter_not_fresh": (("LevelSet",), case_level_set_parameter_that_is_not_fresh, "not fresh"),
    "cases_on_non_negations": (("Cases",), case_cases_on_statements_that_are_not_negations, "not a statement and its negation"),
    "citation_without_discharge": (("Cite",), case_citation_that_does_not_discharge_a_hypothesis, "stationary_V"),
    "citation_at_unchecked_sizes": (("Cite",), case_citation_at_sizes_it_was_not_checked_at, "was not checked at"),
    "citation_of_a_forged_theorem": (("Cite", "Theorem"), case_citation_of_a_forged_theorem, "not a theorem issued by the kernel"),
    "citation_of_a_broken_dependency": (("Cite",), case_citation_of_a_broken_dependency, "depends on broken_dep"),
    "theorem_outside_the_kernel": (("Theorem",), case_constructing_a_theorem_outside_the_kernel, "only be made by the kernel"),
    "equation_with_a_non_name_lhs": (("Equation",), case_equation_whose_left_side_is_not_a_name, "must be a named"),
    "bound_that_is_not_a_relation": (("Bound",), case_bound_that_is_not_a_relation, ""),
    "positivity_of_an_expression": (("Positive",), case_positivity_of_an_expression, "only symbols"),
    "positive_symbol_written_in_a_step": (("NonNegative",), case_positive_symbol_written_in_a_step, "assumption beyond 'real'"),
    "imaginary_symbol_written_in_a_step": (("NonNegative",), case_imaginary_symbol_written_in_a_step, "assumption beyond 'real'"),
    "division_by_a_positive_symbol_written_in_a_step": (("Identity",), case_division_by_a_positive_symbol_written_in_a_step, "assumption beyond 'real'"),
    **SYMBOLIC_CASES,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_kernel_refuses(name):
    covers, build, fragment = CASES[name]
    try:
        report = build()
    except (KernelError, LossError, ValueError) as exc:
        assert fragment in str(exc), f"{name}: refused at construction, but with: {exc}"
        return
    message = "; ".join(f.message for f in report.failures) if report.failures else ""
    assert report.theorem is None, f"{name}: a theorem was issued for a false derivation"
    assert report.failures, f"{name}: refused without a message"
    assert fragment in message, f"{name}: refused, but the message does not say why: {message[:400]}"


def test_the_suite_has_at_least_thirty_cases():
    assert len(CASES) >= 30


RULES = ("Identity", "Certificate", "Infimum", "Definiteness", "FirstOrder", "LevelSet", "Cite", "Cases",
         "Chain", "conclusion", "Theorem", "Context", "Equation", "NonZero", "Positive", "Bound",
         "ConvexLoss", "LocalMinimum", "Projection")


#: What a symbolic-size context changes: every rule, the context itself, and every atom (sizes.py).
SYMBOLIC_RULES = ("Identity", "Telescoping", "Certificate", "Infimum", "Definiteness", "FirstOrder",
                  "LevelSet", "Cite", "SymbolicContext")


def _covered() -> set:
    """What the cases here and the stream's cases (test_soundness_stream.py) attack."""
    from test_soundness_stream import CASES as STREAM_CASES
    return {c for cases in (CASES, STREAM_CASES) for covers, _, _ in cases.values() for c in covers}


def test_every_rule_step_hypothesis_kind_and_atom_has_a_refused_case():
    covered = _covered()
    missing = [r for r in RULES + tuple(a.__name__ for a in ALL_ATOMS) if r not in covered]
    assert not missing, f"no soundness case attacks {missing}"


def test_every_rule_and_atom_has_a_refused_case_at_symbolic_sizes():
    covered = _covered()
    missing = [r for r in SYMBOLIC_RULES + tuple(a.__name__ for a in ALL_ATOMS) if f"sym:{r}" not in covered]
    assert not missing, f"no soundness case attacks {missing} at symbolic sizes"


def test_a_theorem_cannot_be_copied_or_pickled():
    from resnet_lemmas.proofs.lemmas import stationarity_consequences as sc
    thm = sc.LEMMA.theorem()
    for attempt in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError):
            attempt(thm)
    with pytest.raises(AttributeError):
        thm.conclusion = ()
