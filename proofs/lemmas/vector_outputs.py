"""Theorem vector_outputs (cf. Kawaguchi & Bengio, arXiv 1810.09038).

Model: ``p(x) = W (x + V f_theta(x)) in R^m`` with ``W in R^{m x d}``, ``V in R^{d x k}``, and a separable
convex loss ``L(p; y) = sum_o l(p_o; y_o)`` (``l`` convex and differentiable; ``y in R^m``).  With
``r = (l'(p_o; y_o))_o in R^m``, ``phi = x + V f``, ``C = E[r f^T] in R^{m x k}``:

* ``grad_W F = E[r x^T] + C V^T`` and ``grad_V F = W^T C`` (the scalar ``w c^T`` becomes ``W^T C``);
* **rank condition** ``rank W = m`` (``det(W W^T) != 0``): then ``C = (W W^T)^{-1} W grad_V F``, so at a
  point with ``grad_W F = 0`` and ``grad_V F = 0``, ``C = 0`` and ``E[r x^T] = 0``, and convexity gives, for
  every ``A in R^{m x d}``, ``B in R^{m x k}``,
  ``E L(A x + B f) >= F + <A, E[r x^T]> + <B, C> - <W, grad_W F> = F``: hence
  ``F <= F_feat = inf_{A,B} E L(A x + B f) <= F_lin = inf_A E L(A x)``.

What does not carry over: without the rank condition (always when ``m > d``) stationarity in ``V`` only
gives ``W^T C = 0``, i.e. the columns of ``C`` lie in the null space of ``W^T``, and ``E[r x^T] = -C V^T``
need not vanish; the ``w = 0`` flatness argument covers only ``W = 0``.  The kernel is shown this (the
recovery of ``C`` fails without the hypothesis, tests), and experiment
``vector_outputs_counterexample_search`` searches numerically for local minima worse than ``F_lin`` when
``m > d``.

Checked at every size (symbolic ``m, d, k, n``: the index algebra), and explicitly at :data:`SIZES`.
"""
from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from ..expressions import NamedScalar, V, d, inner, k, loss_terms, n, named
from ..hypotheses import convex_loss
from ..kernel import Certificate, Chain, Context, Equation, Identity, Infimum, NonZero, Proof
from ..kernel.atoms import BregmanMean, Scaled
from ..lemma import SymbolicLemma

m = sp.Symbol("m", integer=True, positive=True)

W = named("W_out", m, d, "W", "W")
A = named("A_cmp", m, d, "A", "A")
B = named("B_cmp", m, k, "B", "B")
C = named("C_vec", m, k, r"C", "C")
E_rxT = named("E_rxT", m, d, r"\mathbb{E}\left[r x^{\top}\right]", "E[r x^T]")
grad_W = named("grad_W", m, d, r"\nabla_{W} F", "grad_W F")
grad_V_vec = named("grad_V_vec", d, k, r"\nabla_{V} F", "grad_V F")
F_vec = NamedScalar("F_vec", r"F(W, V, \theta)", "F(W, V, theta)")
F_feat_vec = NamedScalar("F_feat_vec", r"F_{\mathrm{feat}}^{(m)}(\theta)", "F_feat(theta)")
F_lin_vec = NamedScalar("F_lin_vec", r"F_{\mathrm{lin}}^{(m)}", "F_lin")
E_L_AB = NamedScalar("E_L_AB", r"\mathbb{E}\,L\left(A x + B f_{\theta}(x);\, y\right)")
E_L_A = NamedScalar("E_L_A", r"\mathbb{E}\,L\left(A x;\, y\right)")
E_r_gap_vec = NamedScalar("E_r_gap_vec", r"\mathbb{E}\left[r^{\top}(A x + B f - p)\right]")
E_breg_vec = NamedScalar("E_breg_vec", r"\mathbb{E}\left[\sum_{o} D_{\ell}(q_o, p_o)\right]")
m_outputs = NamedScalar("m_outputs", "m", "m")  # the number of outputs as a quantity


def vector_context(mm: int, dd: int, kk: int, nn: int, loss=None) -> Context:
    """The model at sizes ``(m, d, k, n)``: data ``x_j``, targets ``y_j in R^m``, free features ``f_j``."""
    ell, ell_p, _ = loss_terms(loss)
    ctx = Context(f"(m, d, k, n) = ({mm}, {dd}, {kk}, {nn})", {m: mm, d: dd, k: kk, n: nn}, loss=loss)
    sym = lambda name, rows, cols: sp.Matrix(rows, cols, lambda i, j: sp.Symbol(  # noqa: E731
        f"{name}_{i}{j}", real=True))
    Wm, Vm, Am, Bm = sym("W", mm, dd), sym("V", dd, kk), sym("A", mm, dd), sym("B", mm, kk)
    xs = [sym(f"x{j}", dd, 1) for j in range(nn)]
    fs = [sym(f"f{j}", kk, 1) for j in range(nn)]
    ys = [sym(f"y{j}", mm, 1) for j in range(nn)]
    mean = lambda terms: sum(terms[1:], terms[0]) / nn  # noqa: E731
    P = [Wm * (xs[j] + Vm * fs[j]) for j in range(nn)]
    R = [sp.Matrix(mm, 1, lambda o, _, j=j: ell_p(P[j][o], ys[j][o])) for j in range(nn)]
    F_value = mean([sp.Add(*[ell(P[j][o], ys[j][o]) for o in range(mm)]) for j in range(nn)])
    for name, value in ((W, Wm), (V, Vm), (A, Am), (B, Bm)):
        ctx.define(name, value)
    ctx.define(m_outputs, sp.Integer(mm))
    ctx.define(F_vec, F_value)
    ctx.define(C, mean([R[j] * fs[j].T for j in range(nn)]))
    ctx.define(E_rxT, mean([R[j] * xs[j].T for j in range(nn)]))
    ctx.define(grad_W, sp.Matrix(mm, dd, lambda i, c_: sp.diff(F_value, Wm[i, c_])))
    ctx.define(grad_V_vec, sp.Matrix(dd, kk, lambda i, c_: sp.diff(F_value, Vm[i, c_])))
    # comparators written with the named A, B so that the infimum rules can substitute them
    Q = [A * xs[j] + B * fs[j] for j in range(nn)]
    QA = [A * xs[j] for j in range(nn)]
    explicit = lambda M: sp.ImmutableMatrix(M.xreplace({A: sp.ImmutableMatrix(Am),  # noqa: E731
                                                        B: sp.ImmutableMatrix(Bm)}).doit())
    ctx.define(E_L_AB, mean([sp.Add(*[ell(Q[j][o, 0], ys[j][o]) for o in range(mm)]) for j in range(nn)]))
    ctx.define(E_L_A, mean([sp.Add(*[ell(QA[j][o, 0], ys[j][o]) for o in range(mm)]) for j in range(nn)]))
    ctx.define(E_r_gap_vec, mean([sp.Add(*[R[j][o] * (Q[j][o, 0] - P[j][o]) for o in range(mm)])
                                  for j in range(nn)]))
    ctx.define(E_breg_vec, mean([sp.Add(*[ell(Q[j][o, 0], ys[j][o]) - ell(P[j][o], ys[j][o])
                                          - R[j][o] * (Q[j][o, 0] - P[j][o]) for o in range(mm)])
                                 for j in range(nn)]))
    ctx.define_infimum(F_feat_vec, E_L_AB, (A, B))
    ctx.define_infimum(F_lin_vec, E_L_A, (A,))
    Qe = [explicit(Q[j]) for j in range(nn)]
    ctx.samples = SimpleNamespace(pairs=[(Qe[j][o], P[j][o], ys[j][o]) for j in range(nn)
                                         for o in range(mm)])
    return ctx


def _pairs(ctx):
    return ctx.samples.pairs


full_row_rank = NonZero("full_row_rank", sp.Determinant(W * W.T), gloss="rank W = m: W W^T is invertible")
stationary_W = Equation("stationary_W", grad_W, sp.ZeroMatrix(m, d))
stationary_V_vec = Equation("stationary_V_vec", grad_V_vec, sp.ZeroMatrix(d, k))

#: ``C`` recovered from ``grad_V F`` under the rank condition (written once; the numerics use it).
C_RECOVERED = (W * W.T).inv() * W * grad_V_vec


#: ``(m, d, k, n)``: the scalar case ``m = 1``; ``m < d`` with one sample; and ``m < d`` with ``d, k, n``
#: pairwise different and ``n >= 3``.
SIZES = ((1, 2, 2, 2), (2, 3, 1, 1), (2, 3, 1, 4))


def contexts():
    """The concrete contexts at :data:`SIZES` and the symbolic one (every ``m, d, k, n``)."""
    from ..indexed.model import vector_symbolic_context
    return [vector_context(*size) for size in SIZES] + [vector_symbolic_context()]


CONCLUSION = (
    sp.Eq(grad_W, E_rxT + C * V.T, evaluate=False),
    sp.Eq(grad_V_vec, W.T * C, evaluate=False),
    sp.Le(F_vec, F_feat_vec, evaluate=False),
    sp.Le(F_feat_vec, F_lin_vec, evaluate=False),
)


def build() -> Proof:
    chains = [
        Chain("gradient_in_W", grad_W, text="grad_W F = E[r x^T] + C V^T")
        .eq(E_rxT + C * V.T, Identity("differentiation of F component by component")),
        Chain("gradient_in_V", grad_V_vec, text="grad_V F = W^T C")
        .eq(W.T * C, Identity("differentiation of F component by component")),
        Chain("C_vanishes", C, text="C = (W W^T)^{-1} W grad_V F when rank W = m; = 0 at a "
              "stationary point")
        .eq(C_RECOVERED, Identity("grad_V F = W^T C", using=("full_row_rank",)))
        .eq(sp.ZeroMatrix(m, k), Identity("stationarity in V", using=("stationary_V_vec",
                                                                      "full_row_rank"))),
        Chain("E_rxT_vanishes", E_rxT, text="E[r x^T] = 0")
        .eq(grad_W - C * V.T, Identity("grad_W F = E[r x^T] + C V^T"))
        .eq(sp.ZeroMatrix(m, d), Identity("stationarity in W and C = 0",
                                          using=("stationary_W", "C_vanishes"))),
        Chain("below_every_comparator", F_vec, text="F <= E L(A x + B f) for every A, B")
        .eq(F_vec + inner(A, E_rxT) + inner(B, C) - inner(W, grad_W),
            Identity("first-order conditions", using=("E_rxT_vanishes", "C_vanishes", "stationary_W")))
        .eq(F_vec + E_r_gap_vec, Identity("E[r^T p] = <W, grad_W F>"))
        .le(F_vec + E_r_gap_vec + E_breg_vec,
            Certificate((Scaled(m_outputs, BregmanMean(E_breg_vec / m_outputs, _pairs,
                                                        "mean over (j, o) of D_l")),),
                        "Bregman divergences of a convex loss are >= 0", using=("convex_loss",)))
        .eq(E_L_AB, Identity("definition of the Bregman divergence")),
        Chain("benchmarks", F_vec, text="F <= F_feat <= F_lin")
        .le(F_feat_vec, Infimum(from_chain="below_every_comparator"))
        .le(F_lin_vec, Infimum("B = 0 is one of the comparators")),
    ]
    return Proof("vector_outputs", [convex_loss, full_row_rank, stationary_W, stationary_V_vec], chains,
                 contexts(), conclusion=CONCLUSION)


LEMMA = SymbolicLemma(
    name="vector_outputs",
    title="Vector outputs W (x + V f_theta(x)): stationary points with rank W = m beat linear predictors",
    paper=("Extension claimed by Kawaguchi & Bengio (arXiv 1810.09038); our statement and its rank "
           "condition are our reconstruction of what the scalar argument of Shamir (2018) gives."),
    build=build,
    conclusion=CONCLUSION,
    kind="theorem",
)
