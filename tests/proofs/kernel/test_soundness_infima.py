"""Fourth red team (issue 11): named infima were opaque, and the infimum atom used the step's premises.

Each case made the kernel issue a false theorem before its fix (the docstrings give the counterexample);
each must now be refused, with the reason in the message.
"""
from __future__ import annotations

import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.expressions import NamedScalar
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.terms import Lam, as_expr, ell, mean, sum_over
from resnet_lemmas.proofs.kernel import (Certificate, Chain, Cite, Equation, KernelError, Proof, check)
from resnet_lemmas.proofs.kernel.atoms import InfimumGap
from resnet_lemmas.proofs.kernel.rules import Infimum
from resnet_lemmas.proofs.lemmas import sgd_regret as sg


def _contexts(*concrete):
    return [model.symbolic_context()] + [ex.residual_context(*s)[0] for s in concrete]


def _messages(report) -> str:
    return "; ".join(f.message for f in report.failures) + report.conclusion_error


def test_an_infimum_over_b_alone_still_depends_on_a():
    """C(a) = inf_b E l(a^T x + b^T f) <= E l(a^T x) does not give C <= F_lin (d = k = n = 1, x = 1,
    f = 0, y = 0, l = p^2, a = 1: C = 1 > 0 = F_lin)."""
    C = NamedScalar("C_partial", "C", "C")
    contexts = _contexts((1, 1, 1), (2, 2, 3))
    for ctx in contexts:
        ctx.define_infimum(C, ex.E_loss_comparator, (ex.b,))
    first = Chain("at_b_zero", C).le(ex.E_loss_linear, Certificate(
        (InfimumGap(ex.E_loss_linear, C, ((ex.b, sp.ZeroMatrix(ex.k, 1)),)),)))
    second = Chain("to_F_lin", C).le(ex.F_lin, Infimum(from_chain="at_b_zero"))
    report = check(Proof("partial_infimum", [], [first, second], contexts,
                         conclusion=(sp.Le(C, ex.F_lin, evaluate=False),)))
    assert report.theorem is None
    assert "not uniform in the comparator" in _messages(report)


@pytest.mark.parametrize("concrete", [(), ((1, 1, 2), (2, 2, 3))])
def test_the_infimum_atom_does_not_move_a_premise_about_the_objective(concrete):
    """Premise E l(a^T x) = E l(a^T x + b^T f) holds at the current a only; at the point 2a it gave
    F_lin <= E l(2 a^T x + b^T f) (d = k = 1, n = 2, l = (p - y)^2, x = (1, 1), f = (1, 0), y = (0, 1),
    a = 1/2, b = -1: the premise holds, F_lin = 1/4 > 0 = Q)."""
    i, l, j = model.i, model.l, model.j
    Q = NamedScalar("Q_moved", "Q", "Q")
    q2 = sum_over(2 * model.a_t[i] * model.x_t[j, i], i) + sum_over(model.b_t[l] * model.f_t[j, l], l)
    ctx = model.symbolic_context()
    ctx.define(Q, Lam((), mean(ell(q2, model.y_t[j]), j)))
    contexts = [ctx]
    for sizes in concrete:
        c2, s2 = ex.residual_context(*sizes)
        ell_c, _, _ = ex.loss_terms(None)
        c2.define(Q, sp.Add(*[ell_c(2 * (s2.a.T * s2.x[jj])[0, 0] + (s2.b.T * s2.f[jj])[0, 0], s2.y[jj])
                              for jj in range(s2.n)]) / s2.n)
        contexts.append(c2)
    match = Equation("losses_match", ex.E_loss_linear, ex.E_loss_comparator)
    chain = Chain("below", ex.F_lin).le(Q, Certificate((InfimumGap(Q, ex.F_lin, ((ex.a, 2 * ex.a),)),),
                                                       using=("losses_match",)))
    report = check(Proof("moved_premise", [match], [chain], contexts,
                         conclusion=(sp.Le(ex.F_lin, Q, evaluate=False),)))
    assert report.theorem is None
    assert "objective" in _messages(report) or "differ" in _messages(report), _messages(report)


def test_a_citation_refuses_a_constant_defined_as_an_infimum_of_the_stream():
    """B = L = inf_a (1 + Y_1^2) = 1 + y_{i_1}^2: the third round's random constant, through an infimum."""
    ctx = model.sgd_symbolic_context()
    ctx.define_variable(ex.a, model.a_t)
    O = NamedScalar("O_noisy", "O", "O")
    ctx.define(O, Lam((), as_expr(1) + model.Y_s[1] * model.Y_s[1]))
    ctx.define_infimum(sg.B, O, (ex.a,))
    ctx.define_infimum(sg.L, O, (ex.a,))
    names = tuple(h.name for h in sg.HYPOTHESES if h.name != "comparator_attains_F_lin")
    report = check(Proof("random_infimum", list(sg.HYPOTHESES), [Cite("cited", "sgd_regret", sg.LEMMA.theorem)],
                         [ctx], conclusion=sg.CONCLUSION[0], assumes=names))
    assert report.theorem is None
    assert "depends on the sample stream" in _messages(report)


def test_an_infimum_cannot_be_a_coefficient_under_E():
    """C = inf_a y_{i_1}^2 used as the coefficient of E[C Y_1] would be pulled out of E as a constant."""
    ctx = model.sgd_symbolic_context()
    ctx.define_variable(ex.a, model.a_t)
    O, C, D = (NamedScalar(n, n, n) for n in ("O_sq", "C_inf", "D_mean"))
    ctx.define(O, Lam((), model.Y_s[1] * model.Y_s[1]))
    ctx.define_infimum(C, O, (ex.a,))
    from resnet_lemmas.proofs.indexed.terms import expect
    with pytest.raises(KernelError, match="coefficient symbol"):
        ctx.define(D, Lam((), expect(C * model.Y_s[1])))
