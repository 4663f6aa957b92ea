"""The identity steps of the lemmas, proven at symbolic sizes d, k, n, q, m by the index algebra.

Every ``Identity`` link of residual_gradients, stationarity_consequences, zero_w_case,
local_minima_beat_linear, approximate_stationarity_bound and vector_outputs is unfolded the way the
kernel unfolds it (definitions, hypothesis values) and decided by the normal form.  Two steps divide by
a quantity whose nonzero-ness they do not cite; the algebra refuses them until the hypothesis is added.
"""
import importlib

import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.matrix import translate
from resnet_lemmas.proofs.indexed.model import prove_identity
from resnet_lemmas.proofs.indexed.normal_form import IdentityFailure, equal
from resnet_lemmas.proofs.indexed.terms import IndexAlgebraError, index, sum_over
from resnet_lemmas.proofs.kernel import Cases, Certificate, Cite, Identity, LevelSet, NonZero, is_name
from resnet_lemmas.proofs.lemmas import vector_outputs as vo
from resnet_lemmas.proofs.linalg import inner, norm

LEMMAS = ["residual_gradients", "stationarity_consequences", "zero_w_case",
          "local_minima_beat_linear", "approximate_stationarity_bound", "vector_outputs"]
#: (lemma, chain, link): a step that divides by a quantity without citing the premise that declares it
#: nonzero, and that premise
UNDECLARED_DENOMINATOR = {("zero_w_case", "norm_c_vanishes", 2): "stationary_nearby_parameter"}

TABLE = {**model.DEFINITIONS, **model.lemma_definitions()}
VECTOR_TABLE, VECTOR_VARIABLES = model.vector_model()


def _cited_relations(lemma: str) -> list:
    conclusion = importlib.import_module(f"resnet_lemmas.proofs.lemmas.{lemma}").build().conclusion
    return list(conclusion.args) if isinstance(conclusion, sp.And) else (
        list(conclusion) if isinstance(conclusion, tuple) else [conclusion])


def _content(relations) -> tuple:
    """What a fact lets a step use, as the kernel reads it: equations of names, nonzero quantities."""
    equations = {r.lhs: r.rhs for r in relations if isinstance(r, sp.Eq) and is_name(r.lhs)}
    nonzero = [q for r in relations if isinstance(r, sp.Ne) for q in NonZero("_", r.lhs - r.rhs).nonzero()]
    return equations, nonzero


def identity_steps():
    """``(lemma, chain, index, lhs, rhs, equations, nonzero, premises)`` for every identity link, with
    the premises a step lists unfolded the way the kernel does (hypotheses, earlier chains as facts,
    citations as the cited lemma's conclusion, case splits as the relations both cases share)."""
    for name in LEMMAS:
        proof = importlib.import_module(f"resnet_lemmas.proofs.lemmas.{name}").build()
        facts = {}

        def premise(key, proof=proof, facts=facts):  # bound now: the loop moves on
            if key in facts:
                return _content(facts[key])
            hyp = proof.hypothesis(key)
            return hyp.equations(), list(hyp.nonzero())

        for step in proof.steps:
            if isinstance(step, Cite):
                facts[step.name] = _cited_relations(step.lemma)
                continue
            if isinstance(step, Cases):
                first, second = (facts[f] for f in step.facts)
                facts[step.name] = [r for r in first if r in second]
                continue
            previous = step.start
            for position, link in enumerate(step.links, start=1):
                if isinstance(link.justification, Identity):
                    equations, nonzero = {}, []
                    for used in link.justification.using:
                        more_equations, more_nonzero = premise(used)
                        equations.update(more_equations)
                        nonzero += more_nonzero
                    yield (name, step.name, position, previous, link.expr, equations, nonzero,
                           premise)
                if isinstance(link.justification, LevelSet):
                    facts[f"{step.name}_parameter"] = [sp.Ne(link.justification.parameter, 0)]
                previous = link.expr
            if step.relation == "=":
                facts[step.name] = [sp.Eq(step.start, step.end, evaluate=False)]


STEPS = list(identity_steps())


def _tables(lemma):
    return (VECTOR_TABLE, VECTOR_VARIABLES) if lemma == "vector_outputs" else (TABLE, model.VARIABLES)


@pytest.mark.parametrize("step", STEPS, ids=[f"{s[0]}:{s[1]}:{s[2]}" for s in STEPS])
def test_identity_step_holds_at_symbolic_sizes(step):
    lemma, chain, position, lhs, rhs, equations, nonzero, premise = step
    table, variables = _tables(lemma)
    missing = UNDECLARED_DENOMINATOR.get((lemma, chain, position))
    if missing is None:
        assert prove_identity(lhs, rhs, table, variables, equations=equations, nonzero=nonzero)
        return
    with pytest.raises(IdentityFailure, match="which is not declared nonzero"):
        prove_identity(lhs, rhs, table, variables, equations=equations, nonzero=nonzero)
    extra = premise(missing)[1]
    assert prove_identity(lhs, rhs, table, variables, equations=equations, nonzero=nonzero + extra)


def test_every_lemma_contributes_identity_steps():
    assert {s[0] for s in STEPS} == set(LEMMAS)
    assert len([s for s in STEPS if s[0] == "residual_gradients"]) == 6


def _certificate_links():
    for name in ("local_minima_beat_linear", "approximate_stationarity_bound"):
        proof = importlib.import_module(f"resnet_lemmas.proofs.lemmas.{name}").build()
        for chain in proof.chains:
            previous = chain.start
            for position, link in enumerate(chain.links, start=1):
                just = link.justification
                if isinstance(just, Certificate) and all(
                        type(a).__name__ in ("CauchySchwarzGap", "BregmanMean") for a in just.atoms):
                    gap = link.expr - previous if link.relation == "<=" else previous - link.expr
                    yield f"{name}:{chain.name}:{position}", gap, sp.Add(*[a.expr for a in just.atoms])
                previous = link.expr


CERTIFICATES = list(_certificate_links())


@pytest.mark.parametrize("case", CERTIFICATES, ids=[c[0] for c in CERTIFICATES])
def test_certificate_gap_equals_its_atoms_at_symbolic_sizes(case):
    _, gap, atoms = case
    assert prove_identity(gap, atoms, TABLE)


# -- the statements the issue names, directly --------------------------------------------------------
def test_frobenius_norm_of_grad_V_is_norm_c_times_norm_w():
    lhs = inner(ex.c, ex.c) * inner(ex.w, ex.w)
    assert prove_identity(lhs, inner(ex.grad_V, ex.grad_V), TABLE)


@pytest.mark.parametrize("pair", [(ex.w - ex.u, ex.grad_w), (ex.u, ex.V * ex.c), (ex.a, ex.E_rx)],
                         ids=["w-u,grad_w", "u,Vc", "a,E_rx"])
def test_lagrange_identity_for_cauchy_schwarz_at_symbolic_d(pair):
    """``||a||^2 ||b||^2 - (a^T b)^2 = (1/2) sum_{i,j} (a_i b_j - a_j b_i)^2`` for every d."""
    first, second = pair
    i, i2 = index("i", ex.d), index("i2", ex.d)
    A = lambda idx: translate(first, TABLE, (idx,)).num   # noqa: E731
    B = lambda idx: translate(second, TABLE, (idx,)).num  # noqa: E731
    lhs = (translate(inner(first, first), TABLE).num * translate(inner(second, second), TABLE).num
           - translate(inner(first, second), TABLE).num ** 2)
    cross = A(i) * B(i2) - A(i2) * B(i)
    assert equal(lhs, sp.Rational(1, 2) * sum_over(cross * cross, i, i2))


def test_perturbation_identity_of_the_zero_w_case_at_symbolic_sizes():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    lhs = zw.inner(zw.e1, zw.grad_w_shift - ex.grad_w) / zw.t
    assert prove_identity(lhs, inner(ex.c, ex.c), TABLE, equations={ex.w: sp.ZeroMatrix(ex.d, 1)},
                          nonzero=(zw.t,))


# -- false variants are refused ----------------------------------------------------------------------
def test_a_gradient_with_a_wrong_sign_is_refused():
    with pytest.raises(IdentityFailure, match="differ"):
        prove_identity(ex.grad_w, ex.E_rx - ex.V * ex.c, TABLE)


def test_a_gradient_missing_a_term_is_refused():
    with pytest.raises(IdentityFailure, match="differ"):
        prove_identity(ex.grad_w, ex.E_rx, TABLE)


def test_rank_one_gradient_with_a_wrong_factor_is_refused():
    with pytest.raises(IdentityFailure, match="differ"):
        prove_identity(ex.grad_V, 2 * ex.w * ex.c.T, TABLE)


def test_recovering_C_without_the_rank_condition_is_refused():
    with pytest.raises(IndexAlgebraError, match="without declaring it invertible"):
        prove_identity(vo.C, vo.C_RECOVERED, VECTOR_TABLE, VECTOR_VARIABLES)


def test_recovering_c_without_w_nonzero_is_refused():
    with pytest.raises(IdentityFailure, match="not declared nonzero"):
        prove_identity(ex.c, ex.grad_V.T * ex.w / inner(ex.w, ex.w), TABLE)


def test_the_zero_w_flatness_fails_without_w_zero():
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    with pytest.raises(IdentityFailure):
        prove_identity(ex.F, zw.E_l0, TABLE)


def test_norm_of_c_is_not_the_norm_of_grad_w():
    with pytest.raises(IdentityFailure):
        prove_identity(norm(ex.c), norm(ex.grad_w) / norm(ex.w), TABLE, nonzero=(norm(ex.w),))


# -- sgd_regret at symbolic T: the identity links of its chain -----------------------------------
def _sgd():
    from resnet_lemmas.proofs.lemmas import sgd_regret as sg
    return sg, model.sgd_model()


def test_sgd_per_step_identity_summed_under_the_expectation():
    """``E (1/T) sum_t g_t^T (z_t - z*) = E (1/(2 eta T)) sum_t (||z_t - z*||^2 - ||z_t - eta g_t -
    z*||^2) + (eta/2) E (1/T) sum_t ||g_t||^2`` for every T and dimension."""
    sg, table = _sgd()
    C, g2 = sg.CompLoss, sg.eta / 2 * sg.E_gsq
    assert prove_identity(C + sg.E_lin, C + sg.E_pre + g2, table, {}, nonzero=(sg.eta,))
    with pytest.raises(IdentityFailure):                     # the eta^2 ||g||^2 term forgotten
        prove_identity(C + sg.E_lin, C + sg.E_pre, table, {}, nonzero=(sg.eta,))


def _telescoping_link():
    from resnet_lemmas.proofs.indexed.terms import Lam, expect
    sg, table = _sgd()
    C, g2 = sg.CompLoss, sg.eta / 2 * sg.E_gsq
    s = index("s", lo=1, hi=model.T + 1)
    A = Lam((s,), expect(model.sq_dist(s)) / (2 * sg.eta * model.T))
    lhs = translate(C + sg.E_post + g2, table).num
    return sg, table, A, lhs


def test_sgd_telescoping_link_at_symbolic_T():
    from resnet_lemmas.proofs.indexed.normal_form import Assume
    from resnet_lemmas.proofs.indexed.rules import by_telescoping
    sg, table, A, lhs = _telescoping_link()
    rhs = translate(sg.CompLoss + sg.E_tele + sg.eta / 2 * sg.E_gsq, table).num
    assert by_telescoping(lhs, rhs, A, model.t_idx, Assume(nonzero=(sg.eta,)))


def test_sgd_telescoping_with_the_last_iterate_z_T_is_refused():
    from resnet_lemmas.proofs.indexed.normal_form import Assume
    from resnet_lemmas.proofs.indexed.rules import by_telescoping
    from resnet_lemmas.proofs.indexed.terms import expect
    sg, table, A, lhs = _telescoping_link()
    wrong_tele = expect((model.sq_dist(1) - model.sq_dist(model.T)) / (2 * sg.eta * model.T))
    rhs = translate(sg.CompLoss + sg.eta / 2 * sg.E_gsq, table).num + wrong_tele
    with pytest.raises(IdentityFailure, match="boundary terms"):
        by_telescoping(lhs, rhs, A, model.t_idx, Assume(nonzero=(sg.eta,)))


def test_sgd_step_size_makes_the_bound_B_L_b_over_sqrt_T():
    """The link uses only ``step_size`` in the lemma; at symbolic sizes it also needs B, L, b, T != 0
    (``positive_constants``; T_steps is a real symbol, not a size)."""
    sg, table = _sgd()
    C = sg.CompLoss
    nonzero = tuple(sg.positive_constants.nonzero()) + (sg.T,)
    with pytest.raises(IdentityFailure, match="not declared nonzero"):
        prove_identity(C + sg.BOUND_ANY_STEP, C + sg.REGRET_BOUND, table, {},
                       equations={sg.eta: sg.STEP_SIZE})
    assert prove_identity(C + sg.BOUND_ANY_STEP, C + sg.REGRET_BOUND, table, {},
                          equations={sg.eta: sg.STEP_SIZE}, nonzero=nonzero)
    with pytest.raises(IdentityFailure, match="differ"):      # half the step size: not the bound
        prove_identity(C + sg.BOUND_ANY_STEP, C + sg.REGRET_BOUND, table, {},
                       equations={sg.eta: sg.STEP_SIZE / 2}, nonzero=nonzero)


def test_expectation_commutes_with_the_sum_over_t_and_constants():
    from resnet_lemmas.proofs.indexed.terms import expect
    t, e = model.t_idx, index("e", 2 * model.d)
    g, z = (lambda s: model.z_t[s + 1, e]), (lambda s: model.z_t[s, e])
    inside = expect(sum_over(3 * g(t) * z(t), t, e) / model.T)
    outside = sum_over(expect(g(t) * z(t)), t, e) * (3 / model.T)
    assert equal(inside, outside)
    with pytest.raises(IdentityFailure):   # E[z_{t+1} z_t] is not E[z_{t+1}] E[z_t]
        equal(outside, sum_over(expect(g(t)) * expect(z(t)), t, e) * (3 / model.T))
