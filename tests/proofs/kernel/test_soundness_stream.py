"""Soundness of the SGD stream at symbolic sizes: the pathwise atoms and the stream's rules for ``E``.

Each case is a false derivation in ``sgd_regret``'s symbolic context (proofs/indexed/model.py) that the
kernel must refuse, with the reason in its message.  The rules of ``E`` themselves (independence of the
step's sample, deterministic quantities) are attacked in tests/proofs/indexed/test_indexed_stream.py.
"""
from __future__ import annotations

import pytest
import sympy as sp

from conftest import run
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.terms import Lam, as_expr, ell, expect, index, mean, sum_over
from resnet_lemmas.proofs.kernel import Certificate, Chain, Identity, check
from resnet_lemmas.proofs.kernel.atoms import (ALL_ATOMS, PATHWISE_ATOMS, FamilyGap, PathwiseSum, SquareSum,
                                               WeightedSum)
from resnet_lemmas.proofs.lemmas import sgd_regret as sg

eta, T = sg.eta, model.T


def _ctx():
    return model.sgd_symbolic_context()


def _run(steps, hypotheses=None, contexts=None):
    """``steps`` under the lemma's hypotheses that they use (the conclusion must rest on all)."""
    used = {name for ch in steps for link in ch.links for name in link.justification.using}
    if hypotheses is None:
        hypotheses = [h for h in sg.HYPOTHESES if h.name in used]
    return run(steps, hypotheses, contexts or [_ctx()], conclusion=tuple(
                   (sp.Le if ch.relation == "<=" else sp.Eq)(ch.start, ch.end) for ch in steps))


def _gradient_chain(parts, using=("positive_constants", "features_bounded", "lipschitz_on_range"),
                    value=None):
    value = eta / 2 * (sg.L ** 2 * sg.b_feat ** 2 - sg.E_gsq) if value is None else value
    atom = PathwiseSum(value, parts, "gradient bound")
    return Chain("gradient", eta / 2 * sg.E_gsq).le(eta / 2 * sg.E_gsq + value,
                                                     Certificate((atom,), using=using))


def _honest_gradient_parts(ctx):
    return sg._gradient_bound_steps(ctx)


# -- cases --------------------------------------------------------------------------------------
def case_honest_gradient_bound_verifies():
    return _run([_gradient_chain(_honest_gradient_parts)])


def case_pathwise_sum_at_concrete_sizes():
    return _run([_gradient_chain(_honest_gradient_parts)], contexts=[sg.sgd_context(2, 1, 1)])


def case_negative_weight():
    def parts(ctx):
        steps, terms = sg._gradient_bound_steps(ctx)
        return steps, [(as_expr(-1) * w, a) for w, a in terms]
    return _run([_gradient_chain(parts, value=-(eta / 2) * (sg.L ** 2 * sg.b_feat ** 2 - sg.E_gsq))])


def case_weights_that_do_not_add_up():           # a dropped 1/T in the weights: twice the bound
    def parts(ctx):
        steps, terms = sg._gradient_bound_steps(ctx)
        return steps, [(w * T, a) for w, a in terms]
    return _run([_gradient_chain(parts)])


def case_family_gap_of_a_hypothesis_not_in_use():
    return _run([_gradient_chain(_honest_gradient_parts, using=("positive_constants", "features_bounded"))])


def case_family_gap_of_a_single_bound():
    def parts(ctx):
        steps, terms = sg._gradient_bound_steps(ctx)
        return steps, [(terms[0][0], FamilyGap("comparator_in_ball"))]
    return _run([_gradient_chain(parts, using=("positive_constants", "comparator_in_ball"))])


def case_family_gap_summed_over_other_steps():   # s = 1..T+1: one step more than the family has
    def parts(ctx):
        steps, terms = sg._gradient_bound_steps(ctx)
        return (index("s", lo=1, hi=T + 1),), terms
    return _run([_gradient_chain(parts)])


def case_not_a_pathwise_atom():
    from resnet_lemmas.proofs.kernel.atoms import Square
    def parts(ctx):
        return (), [(as_expr(1), Square(sg.B))]
    return _run([_gradient_chain(parts)])


def case_square_of_a_family_member_with_a_free_step():
    def parts(ctx):   # the component index e summed, but the vector is free in t: not summed over
        s = ctx.samples.stream
        return (), [(as_expr(1), SquareSum(s["psi"], (s["e"],)))]
    return _run([_gradient_chain(parts)])


def _projection_chain(parts, value=None, using=("positive_constants", "ball_projection",
                                                "comparator_in_ball")):
    value = sg.E_post - sg.E_pre if value is None else value
    atom = PathwiseSum(value, parts, "projection gains")
    return Chain("projection", sg.E_pre).le(sg.E_pre + value, Certificate((atom,), using=using))


E_post_skip = NamedScalar("E_post_skip", "E_post'", "E_post'")


def case_projection_gain_towards_the_iterate_after_next():
    ctx = _ctx()           # ||z_{t+2} - z*|| is not bounded by ||z_t - eta g_t - z*||
    t, e, zs = model.t_idx, ctx.samples.stream["e"], ctx.samples.stream["zs"]
    from resnet_lemmas.proofs.indexed.terms import constant_in
    gap = lambda s: model.sgd_sq(model.z_t[s, e] - constant_in(zs, t), e)  # noqa: E731
    ctx.define(E_post_skip, Lam((), expect(sum_over(gap(t) - gap(t + 2), t) * (1 / (2 * eta * T)))))
    return _run([_projection_chain(sg._projection_steps, value=E_post_skip - sg.E_pre)], contexts=[ctx])


def case_projection_gain_without_the_comparator_bound():
    return _run([_projection_chain(sg._projection_steps, using=("positive_constants", "ball_projection"))])


def case_projection_gain_without_the_projection():
    return _run([_projection_chain(sg._projection_steps, using=("positive_constants", "comparator_in_ball"))])


AvgRisk_next = NamedScalar("AvgRisk_next", "AvgRisk'", "AvgRisk'")


def case_online_to_batch_with_the_next_iterate():
    """E l(z_{t+1}^T psi_t(x_t)) is not the risk of z_{t+1}: z_{t+1} depends on the sample of step t."""
    ctx = _ctx()
    s, t, j = ctx.samples.stream, model.t_idx, model.j
    e = s["e"]
    pred_next = sum_over(model.z_t[t + 1, e] * s["psi"], e)
    pred_next_j = sum_over(model.z_t[t + 1, e] * s["psi_j"], e)
    E_regret_next = NamedScalar("E_regret_next", "R'", "R'")
    ctx.define(AvgRisk_next, Lam((), expect(sum_over(mean(ell(pred_next_j, model.y_t[j]), j), t) / T)))
    ctx.define(E_regret_next, Lam((), expect(sum_over(ell(pred_next, model.Y_s[t]) - ell(s["comp"], model.Y_s[t]), t) / T)))
    return _run([Chain("o2b", AvgRisk_next).eq(sg.CompLoss + E_regret_next, Identity())], contexts=[ctx])




# -- second red team (issue 11) ------------------------------------------------------------------
def case_infimum_through_a_family_bound_whose_formula_mentions_the_comparator():
    """c <= E l(a^T x) for a family's (trivial) members does not give c <= F_lin = inf_a E l(a^T x)
    (d = n = 1, l = (p - y)^2, x = 1, y = 0, a = 1, c = 1: the hypothesis holds, F_lin = 0 < c)."""
    from resnet_lemmas.proofs import expressions as ex
    from resnet_lemmas.proofs.indexed.stream import Stream
    from resnet_lemmas.proofs.kernel import Bound, Proof
    from resnet_lemmas.proofs.kernel.rules import Infimum
    c, member = NamedScalar("c_level", "c", "c"), NamedScalar("m_member", "m", "m")
    ctx = model.symbolic_context()
    ctx.stream = Stream(lo=1, hi=1, deterministic=(model.x_t, model.y_t, model.a_t, model.b_t, model.w_t,
                                                   model.V_t, model.f_t, model.u_t, model.theta_t, model.J_t))
    one = index("t", lo=1, hi=1)
    ctx.define_family("the single step", one, (Lam((), as_expr(0)),))
    hyp = Bound("level_below_loss", sp.Lambda(member, sp.Le(c, ex.E_loss_linear, evaluate=False)),
                "the single step")
    parts = lambda _ctx: ((one,), [(as_expr(1), FamilyGap("level_below_loss"))])  # noqa: E731
    first = Chain("step1", c).le(ex.E_loss_linear, Certificate(
        (PathwiseSum(ex.E_loss_linear - c, parts, "family gap"),), using=("level_below_loss",)))
    second = Chain("step2", c).le(ex.F_lin, Infimum(from_chain="step1", using=("level_below_loss",)))
    return check(Proof("laundered", [hyp], [first, second], [ctx],
                       conclusion=(sp.Le(c, ex.F_lin, evaluate=False),)))


def case_family_placeholder_that_is_a_size_name():
    """A template over the placeholder T_steps (a size name here) lost its binder: 'every slope <= c'
    gave 0 <= c (false for l(p; y) = -5 p and c = -1)."""
    from resnet_lemmas.proofs.kernel import Bound
    from resnet_lemmas.proofs.kernel.atoms import NonNegative
    c = NamedScalar("c_cap", "c", "c")
    hyp = Bound("slopes_below_c", sp.Lambda(sg.T, sp.Le(sg.T, c, evaluate=False)), "t and x in the run")
    parts = lambda ctx: ((ctx.samples.t,), [(as_expr(1 / T), FamilyGap("slopes_below_c"))])  # noqa: E731
    chain = Chain("c_nonneg", sp.Integer(0)).le(c, Certificate(
        (PathwiseSum(c - sg.T, parts, "slopes below c"), NonNegative(sg.T)), using=("slopes_below_c",)))
    return run([chain], [hyp], [_ctx()], conclusion=(sp.Le(0, c, evaluate=False),))


def case_concrete_projection_member_that_is_not_rho_y():
    """At concrete sizes the projected point of a member must be rho y (the printed hypothesis)."""
    ctx = sg.sgd_context(2, 1, 1)
    label = "t and history"
    members = ctx.families[label]
    ctx.families[label] = [(rho, y, 2 * nxt) for rho, y, nxt in members]
    return run([sg.regret_chain()], list(sg.HYPOTHESES), [ctx], conclusion=sg.CONCLUSION)


CASES = {
    # name: (attacks, builder, refusal fragment)
    "infimum_through_a_family_formula": (("sym:Infimum", "sym:Bound"),
                                         case_infimum_through_a_family_bound_whose_formula_mentions_the_comparator,
                                         "says something about ['a']"),
    "family_placeholder_that_is_a_size_name": (("sym:FamilyGap",), case_family_placeholder_that_is_a_size_name,
                                               "already a name of context"),
    "projection_member_not_rho_y": (("Projection",), case_concrete_projection_member_that_is_not_rho_y,
                                    "is not rho"),
    "pathwise_sum_at_concrete_sizes": (("PathwiseSum",), case_pathwise_sum_at_concrete_sizes,
                                       "symbolic-size certificate"),
    "negative_weight": (("sym:PathwiseSum",), case_negative_weight, "not certified nonnegative"),
    "weights_that_do_not_add_up": (("sym:PathwiseSum",), case_weights_that_do_not_add_up,
                                   "not E of the weighted pathwise atoms"),
    "family_gap_not_in_use": (("sym:FamilyGap",), case_family_gap_of_a_hypothesis_not_in_use,
                              "not a bound over a family in use"),
    "family_gap_of_a_single_bound": (("sym:FamilyGap",), case_family_gap_of_a_single_bound,
                                     "not a bound over a family"),
    "family_gap_over_other_steps": (("sym:FamilyGap",), case_family_gap_summed_over_other_steps,
                                    "must sum over the same steps"),
    "not_a_pathwise_atom": (("sym:PathwiseSum",), case_not_a_pathwise_atom, "not a pathwise atom"),
    "square_with_a_free_step": (("sym:SquareSum",), case_square_of_a_family_member_with_a_free_step,
                                "outside the summed"),
    "projection_towards_the_iterate_after_next": (("sym:ProjectionGain",),
                                                  case_projection_gain_towards_the_iterate_after_next,
                                                  "not E of the weighted pathwise atoms"),
    "projection_without_comparator_bound": (("sym:ProjectionGain",),
                                            case_projection_gain_without_the_comparator_bound,
                                            "comparator_in_ball"),
    "projection_without_projection": (("sym:ProjectionGain",), case_projection_gain_without_the_projection,
                                      "needs the projection hypothesis"),
    "online_to_batch_with_the_next_iterate": (("sym:expect_sample",), case_online_to_batch_with_the_next_iterate,
                                              "differ"),
}


def test_the_honest_pathwise_certificate_verifies():
    report = case_honest_gradient_bound_verifies()
    assert report.ok, report.summary()


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_kernel_refuses(name):
    _, build, fragment = CASES[name]
    report = build()
    message = "; ".join(f.message for f in report.failures)
    assert report.theorem is None, f"{name}: a theorem was issued for a false derivation"
    assert fragment in message, f"{name}: refused, but the message does not say why: {message[:400]}"


def test_every_pathwise_atom_has_a_refused_case():
    covered = {c for covers, _, _ in CASES.values() for c in covers}
    names = ["PathwiseSum"] + [f"sym:{a.__name__}" for a in (PathwiseSum,) + PATHWISE_ATOMS]
    assert not [n for n in names if n not in covered]
    assert PathwiseSum in ALL_ATOMS


def test_a_weighted_sum_stands_for_its_symbolic_atom_only_when_the_values_agree():
    """The weighted sum's value must equal its symbolic stand-in's (a stand-in for another gap fails)."""
    atom = WeightedSum(sg.E_post - sg.E_pre, sg._projection_terms, "projection gains",
                       PathwiseSum(sg.E_post - sg.E_pre + 1, sg._projection_steps, "projection gains"))
    chain = Chain("projection", sg.E_pre).le(sg.E_post, Certificate((atom,), using=(
        "positive_constants", "ball_projection", "comparator_in_ball")))
    report = _run([chain])
    assert report.theorem is None and "differ" in report.failures[0].message


def test_a_halved_regret_bound_is_refused_at_symbolic_sizes():
    chain = sg.regret_chain(final_bound=sg.REGRET_BOUND / 2)
    proof = sg.build([_ctx()])
    proof.steps = [chain]
    proof.conclusion = (sp.Le(sg.AvgRisk, sg.F_lin + sg.REGRET_BOUND / 2, evaluate=False),)
    report = check(proof)
    assert report.theorem is None
    assert any("differ" in f.message for f in report.failures), report.summary()


def test_a_name_means_something_else_under_another_stream():
    """Red-team hardening: the meaning of a name (what a citation compares) includes the stream, so a
    theorem proven under a different declaration of what is random cannot be cited here."""
    from resnet_lemmas.proofs.indexed.stream import Stream
    honest, other = _ctx(), _ctx()
    S = model.STREAM
    other.stream = Stream(S.lo, S.hi, deterministic=S.deterministic + (model.z_t,),
                          predictable=(model.rho_t, model.phi_t), sampled=S.sampled)
    assert honest.meaning(sg.AvgRisk) != other.meaning(sg.AvgRisk)
    assert honest.meaning(sg.AvgRisk) == _ctx().meaning(sg.AvgRisk)


# -- third red team (issue 11): a citation may not make a constant random ---------------------------
def test_a_citation_refuses_a_constant_that_depends_on_the_stream():
    """sgd_regret holds for constants B, L; a context defining B = L = 1 + Y_1^2 (the label of step 1's
    sample) and citing it got a false theorem (T = 1, n = 2, l(p; y) = -y p, y = (10, 1/2): on the
    stream i_1 = 1 the bound is 25/16 - 21/4 < 0 = AvgRisk)."""
    from resnet_lemmas.proofs.kernel import Cite, Proof
    ctx = _ctx()
    noisy = Lam((), as_expr(1) + model.Y_s[1] * model.Y_s[1])
    ctx.define(sg.B, noisy)
    ctx.define(sg.L, noisy)
    names = tuple(h.name for h in sg.HYPOTHESES if h.name != "comparator_attains_F_lin")
    proof = Proof("random_constant", list(sg.HYPOTHESES), [Cite("cited", "sgd_regret", sg.LEMMA.theorem)],
                  [ctx], conclusion=sg.CONCLUSION[0], assumes=names)
    report = check(proof)
    assert report.theorem is None
    assert "depends on the sample stream" in "; ".join(f.message for f in report.failures), report.summary()


def test_a_name_cannot_be_both_defined_and_a_coefficient_symbol():
    from resnet_lemmas.proofs.kernel import KernelError
    ctx = _ctx()          # eta is a coefficient of z_t - eta g_t in the model's definitions
    with pytest.raises(KernelError, match="both defined and used as a coefficient"):
        ctx.define(sg.eta, Lam((), as_expr(2)))
