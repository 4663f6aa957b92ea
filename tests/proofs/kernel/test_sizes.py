"""Symbolic-size contexts (proofs/kernel/sizes.py): the rules accept what is true at every size.

The soundness suite (test_soundness.py, cases ``sym_*``) checks that they refuse what is false.
"""
import importlib

import pytest
import sympy as sp

from conftest import only_symbolic, run, sym_run, symbolic_contexts
from resnet_lemmas.proofs.expressions import (E_rx, F, F_feat, F_lin, V, c, d, grad_V, grad_w, inner, k,
                                              norm, opnorm, u, w)
from resnet_lemmas.proofs.hypotheses import w_nonzero
from resnet_lemmas.proofs.kernel import (Certificate, Chain, Identity, Infimum, KernelError,
                                         Positive, check)
from resnet_lemmas.proofs.kernel.atoms import CauchySchwarzGap, NonNegative, Scaled, Square
from resnet_lemmas.proofs.kernel.sizes import SYMBOLIC_KEY, SymbolicContext
from resnet_lemmas.proofs.lemmas import vector_outputs as vo

ALL_SIZES = ["residual_gradients", "stationarity_consequences", "zero_w_case", "local_minima_beat_linear",
             "feature_benchmark_reached", "approximate_stationarity_bound", "vector_outputs", "sgd_regret"]


def _lemma(name):
    return importlib.import_module(f"resnet_lemmas.proofs.lemmas.{name}").LEMMA


@pytest.mark.parametrize("name", ALL_SIZES)
def test_the_lemma_is_a_theorem_at_all_sizes_and_keeps_its_concrete_sizes(name):
    theorem = _lemma(name).theorem()
    assert theorem.all_sizes
    assert len(theorem.concrete_sizes) >= 3 and theorem.concrete_sizes == theorem.sizes
    assert SYMBOLIC_KEY in theorem.definitions


def test_sgd_regret_is_proven_at_every_horizon_and_keeps_T_2_3_4():
    """The online-to-batch step is the stream's independence rule (proofs/indexed/stream.py)."""
    theorem = _lemma("sgd_regret").theorem()
    assert theorem.all_sizes and sorted(s["T"] for s in theorem.sizes) == [2, 3, 4]


@pytest.mark.parametrize("name", ALL_SIZES)
def test_every_step_also_verifies_in_the_symbolic_context_alone(name):
    proof = only_symbolic(_lemma(name).build())
    report = check(proof)
    assert report.ok, report.summary()
    assert report.theorem.all_sizes and list(report.theorem.sizes) == []


def test_a_symbolic_identity_is_decided_by_the_normal_form():
    report = sym_run([Chain("gV", grad_V).eq(w * c.T, Identity())])
    assert report.ok, report.summary()
    assert "normal form" in report.steps[0].message and "all sizes" in report.steps[0].message


def test_a_division_at_symbolic_sizes_needs_a_nonzero_premise_in_use():
    chain = lambda using: Chain("c", c).eq(grad_V.T * w / inner(w, w), Identity(using=using))  # noqa: E731
    assert sym_run([chain(("w_nonzero",))], [w_nonzero]).ok
    report = sym_run([chain(())], [w_nonzero], assumes=())
    assert "not declared nonzero" in report.failures[0].message


def test_the_structural_sign_rule_certifies_norms_sizes_and_declared_positive_symbols():
    x = sp.Symbol("x_pos_sizes", real=True)
    steps = [Chain("norms", F).le(F + norm(u) * opnorm(V) * x ** 2,
                                  Certificate((Scaled(norm(u) * opnorm(V), Square(x)),))),
             Chain("declared", F).le(F + x, Certificate((NonNegative(x),), using=("x_positive",)))]
    report = sym_run(steps, [Positive("x_positive", (x,))], conclusion=(sp.Le(F, F + x),))
    assert report.ok, report.summary()


def test_cauchy_schwarz_at_symbolic_sizes_for_vectors_and_matrices():
    steps = [Chain("vectors", inner(w - u, grad_w)).le(norm(w - u) * norm(grad_w),
                                                       Certificate((CauchySchwarzGap(w - u, grad_w),))),
             Chain("matrices", inner(V, grad_V)).le(norm(V) * norm(grad_V),
                                                    Certificate((CauchySchwarzGap(V, grad_V),)))]
    report = sym_run(steps, conclusion=(sp.Le(inner(V, grad_V), norm(V) * norm(grad_V)),))
    assert report.ok, report.summary()
    assert "every size" in report.steps[0].message


def test_restricting_an_infimum_at_symbolic_sizes():
    report = sym_run([Chain("restrict", F_feat).le(F_lin, Infimum())])
    assert report.ok, report.summary()


def test_the_level_set_parameter_is_a_nonzero_divisor_at_symbolic_sizes():
    """zero_w_case's ||c||^2 = 0 divides by t: t != 0 comes with the level-set rule at every size too."""
    from resnet_lemmas.proofs.lemmas import zero_w_case as zw
    report = check(only_symbolic(zw.build()))
    messages = {(s.chain, s.index): s.message for s in report.steps}
    assert report.ok, report.summary()
    assert "all sizes" in messages[("norm_c_vanishes", 2)]


def test_citing_an_all_sizes_theorem_in_a_symbolic_context():
    from resnet_lemmas.proofs.lemmas import local_minima_beat_linear as main
    report = check(only_symbolic(main.build()))
    assert report.ok, report.summary()
    assert report.theorem.depends_on == ["stationarity_consequences", "zero_w_case"]


def test_a_symbolic_context_has_no_explicit_components():
    (ctx,) = symbolic_contexts()
    with pytest.raises(KernelError, match="explicit components"):
        ctx.instantiate(F)
    assert ctx.sizes == "all" and ctx.symbolic


def test_vector_outputs_recovers_C_at_symbolic_sizes_only_under_the_rank_condition():
    from resnet_lemmas.proofs.indexed.model import vector_symbolic_context
    ctx = [vector_symbolic_context()]
    chain = lambda using: Chain("C", vo.C).eq(vo.C_RECOVERED, Identity(using=using))  # noqa: E731
    assert run([chain(("full_row_rank",))], [vo.full_row_rank], ctx).ok
    report = run([chain(())], [vo.full_row_rank], ctx, assumes=())
    assert "without declaring it invertible" in report.failures[0].message


def test_a_true_telescoping_sum_is_not_decided_by_the_kernel():
    """A known limit (docs/trust.md): the normal form does not shift indices, so even a true telescoping
    identity is refused -- incomplete, never unsound; sgd_regret keeps its concrete check."""
    from resnet_lemmas.proofs.indexed.terms import SEQ, Lam, Tensor, index, sum_over
    from test_soundness import S_first, S_second, T_size
    z = Tensor("z", (SEQ,))
    t = index("t", lo=1, hi=T_size)
    ctx = SymbolicContext("all sizes (T)", (T_size,))
    ctx.define(S_first, Lam((), sum_over(z[t] - z[t + 1], t)))
    ctx.define(S_second, Lam((), z[1] - z[T_size + 1]))
    report = run([Chain("tele", S_first).eq(S_second, Identity())], contexts=[ctx])
    assert not report.ok and "differ" in report.failures[0].message


def test_nonzero_of_a_vector_declares_its_norm_nonzero_at_symbolic_sizes():
    chain = lambda using: Chain("ratio", F * (norm(w) + norm(u)) / norm(w)).eq(  # noqa: E731
        F + F * norm(u) / norm(w), Identity(using=using))
    report = sym_run([chain(("w_nonzero",))], [w_nonzero])
    assert report.ok, report.summary()
    assert "not declared nonzero" in sym_run([chain(())], [w_nonzero], assumes=()).failures[0].message


def test_redefinition_and_shape_errors_in_a_symbolic_context():
    from resnet_lemmas.proofs.indexed import model as im
    ctx = SymbolicContext("test", (d, k))
    ctx.define_variable(w, im.w_t)
    with pytest.raises(KernelError, match="cannot be overwritten"):
        ctx.define_variable(w, im.w_t)
    with pytest.raises(KernelError, match="dimensions"):
        ctx.define_variable(V, im.w_t)
    with pytest.raises(KernelError, match="not a variable"):
        ctx.define_infimum(F_feat, F, (V,))



# -- sgd_regret's pathwise steps at symbolic T, one by one ---------------------------------------------
from resnet_lemmas.proofs.expressions import NamedScalar  # noqa: E402

E_tele_wrong = NamedScalar("E_tele_wrong_sizes", "E_tele'", "E_tele'")


def _sgd_pathwise(telescoped=None):
    from resnet_lemmas.proofs.indexed import model
    from resnet_lemmas.proofs.indexed.terms import Lam, expect
    from resnet_lemmas.proofs.lemmas import sgd_regret as sg
    ctx = model.sgd_symbolic_context()
    # the boundary term with z_T in place of z_{T+1}
    ctx.define(E_tele_wrong, Lam((), expect(model.sq_dist(1) - model.sq_dist(model.T))
                                 * (1 / (2 * sg.eta * model.T))))
    C, g2 = sg.CompLoss, sg.eta / 2 * sg.E_gsq
    steps = [
        Chain("per_step", C + sg.E_lin).eq(C + sg.E_pre + g2, Identity(using=("positive_constants",))),
        Chain("telescoping", C + sg.E_post + g2).eq(C + (telescoped or sg.E_tele) + g2,
                                                      Identity(using=("positive_constants",))),
        Chain("choice_of_eta", C + sg.BOUND_ANY_STEP).eq(C + sg.REGRET_BOUND,
                                                      Identity(using=("step_size", "positive_constants"))),
    ]
    return run(steps, [sg.positive_constants, sg.step_size], [ctx],
               conclusion=tuple(sp.Eq(ch.start, ch.end) for ch in steps))


def test_sgd_per_step_identity_telescoping_and_step_size_are_theorems_at_every_T():
    report = _sgd_pathwise()
    assert report.ok, report.summary()
    assert report.theorem.all_sizes
    assert "telescoping over t" in report.steps[1].message


def test_sgd_telescoping_with_the_last_iterate_z_T_is_refused_at_symbolic_T():
    report = _sgd_pathwise(E_tele_wrong)
    assert not report.ok
    assert [f.chain for f in report.failures] == ["telescoping"]
    assert "differ" in report.failures[0].message
