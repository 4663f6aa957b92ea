"""Lemma approximate_stationarity_bound: approximate stationary points are approximately as good as linear.

Statement
    At every point with ``w != 0`` and for every ``u in R^d`` (convex loss):
    ``F - E l(u^T x) = (w - u)^T grad_w F + u^T V c - E[D_l(u^T x, p)]`` and
    ``F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||``.  Hence if
    ``||grad_w F|| <= eps``, ``||grad_V F||_F <= eps`` and ``u`` attains ``F_lin``:
    ``F - F_lin <= eps (||w - u|| + ||u|| ||V||_2 / ||w||)``.
Argument
    ``E[r p] = w^T grad_w F`` and ``E[r x] = grad_w F - V c`` give the identity; dropping the Bregman term
    (convexity), Cauchy-Schwarz twice, the definition of ``||V||_2`` and ``||c|| = ||grad_V F||_F / ||w||``
    (``grad_V F = w c^T``) give the bound.
Paper
    Shamir (2018), quantitative version of the main theorem; the explicit form of the bound is ours.
    The ``1/||w||`` and ``||V||`` factors are necessary: example bad_saddle_at_zero.
Checked at
    every size (symbolic ``d, k, n``: the index algebra), and explicitly at
    ``(d, k, n) = (2, 2, 2), (3, 1, 2), (2, 3, 4)``.

Shapes: ``w, u in R^d``, ``V in R^{d x k}``, ``c in R^k``, ``grad_w F in R^d``, ``grad_V F in R^{d x k}``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (F, F_lin, NamedScalar, V, c, grad_V, grad_w, inner, loss_terms, norm,
                           opnorm, standard_contexts, u, w)
from ..hypotheses import convex_loss, w_nonzero
from ..kernel import Bound, Certificate, Chain, Equation, Identity, Proof
from ..kernel.atoms import (BregmanMean, CauchySchwarzGap, Declared, Divided, NormRatioGap,
                            OperatorNormGap, Scaled)
from ..lemma import SymbolicLemma

E_l_u = NamedScalar("E_l_u", r"\mathbb{E}\,\ell\left(u^{\top} x;\, y\right)", "E l(u^T x)")
E_bregman_u = NamedScalar("E_bregman_u", r"\mathbb{E}\left[D_{\ell}\left(u^{\top} x,\, p\right)\right]",
                          "E[D_l(u^T x, p)]")
eps = NamedScalar("eps_stat", r"\varepsilon", "eps")

#: The right-hand sides, written once: the numeric side is tested equal to them.
FIRST_ORDER = inner(w - u, grad_w) + inner(u, V * c)
BOUND = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / norm(w)
EPS_BOUND = eps * (norm(w - u) + norm(u) * opnorm(V) / norm(w))

CONCLUSION = (
    sp.Eq(F - E_l_u, FIRST_ORDER - E_bregman_u, evaluate=False),
    sp.Le(F - E_l_u, BOUND, evaluate=False),
    sp.Le(F - F_lin, EPS_BOUND, evaluate=False),
)


def _extend(ctx) -> None:
    """Define ``E l(u^T x)`` and ``E[D_l(u^T x, p)]`` in the context's components."""
    sm = ctx.samples
    ell, _, _ = loss_terms(ctx.loss)
    q = [(sm.u.T * sm.x[j])[0, 0] for j in range(sm.n)]
    ctx.define(E_l_u, sm.mean([ell(q[j], sm.y[j]) for j in range(sm.n)]))
    ctx.define(E_bregman_u, sm.mean([ell(q[j], sm.y[j]) - ell(sm.p[j], sm.y[j])
                                     - sm.r[j] * (q[j] - sm.p[j]) for j in range(sm.n)]))
    sm.q_u = q


def linear_pairs(ctx):
    """``(u^T x_j, p_j, y_j)``: the Bregman pairs of the linear comparator."""
    sm = ctx.samples
    return [(sm.q_u[j], sm.p[j], sm.y[j]) for j in range(sm.n)]


gradient_w_small = Bound("gradient_w_small", sp.Le(norm(grad_w), eps, evaluate=False))
gradient_V_small = Bound("gradient_V_small", sp.Le(norm(grad_V), eps, evaluate=False))
u_attains_F_lin = Equation("u_attains_F_lin", F_lin, E_l_u,
                           gloss="the comparator u attains the linear benchmark")

BREGMAN = BregmanMean(E_bregman_u, linear_pairs, "E[D_l(u^T x, p)]")


def _bound_steps(chain: Chain) -> Chain:
    """The steps from ``F - E l(u^T x)`` to the bound (shared by the bound and its corollary)."""
    return (
        chain
        .eq(FIRST_ORDER - E_bregman_u,
            Identity("E[l'(p) p] = w^T grad_w F and E[l'(p) x] = grad_w F - V c "
                     "(lemma residual_gradients); definition of D_l"))
        .le(FIRST_ORDER, Certificate((BREGMAN,), "Bregman divergences of a convex loss are >= 0",
                                     using=("convex_loss",)))
        .le(norm(w - u) * norm(grad_w) + inner(u, V * c),
            Certificate((CauchySchwarzGap(w - u, grad_w),), "Cauchy-Schwarz"))
        .le(norm(w - u) * norm(grad_w) + norm(u) * norm(V * c),
            Certificate((CauchySchwarzGap(u, V * c),), "Cauchy-Schwarz"))
        .le(norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(c),
            Certificate((Scaled(norm(u), OperatorNormGap(V, c)),), "||V c|| <= ||V||_2 ||c||"))
        .le(BOUND, Certificate((NormRatioGap(grad_V, w, c, norm(u) * opnorm(V)),),
                               "||c|| = ||grad_V F||_F / ||w|| since grad_V F = w c^T",
                               using=("w_nonzero",)))
    )


def contexts():
    """Three concrete contexts (with this lemma's quantities) and the symbolic one (every size)."""
    from ..indexed import model
    out = standard_contexts()
    for ctx in out:
        _extend(ctx)
    return out + [model.symbolic_context(extra=model.lemma_definitions(),
                                         pairs=((linear_pairs, model.linear_pairs),))]


def build() -> Proof:
    steps = [
        Chain("gap_identity", F - E_l_u,
              text="F - E l(u^T x) = (w - u)^T grad_w F + u^T V c - E[D_l(u^T x, p)] at every point")
        .eq(FIRST_ORDER - E_bregman_u,
            Identity("E[l'(p) p] = w^T grad_w F and E[l'(p) x] = grad_w F - V c; definition of D_l")),
        _bound_steps(Chain(
            "gap_bound", F - E_l_u,
            text="F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||")),
        _bound_steps(Chain(
            "eps_stationary_corollary", F - F_lin,
            text="at an eps-stationary point, F - F_lin <= eps (||w - u*|| + ||u*|| ||V||_2 / ||w||)")
            .eq(F - E_l_u, Identity("u attains F_lin", using=("u_attains_F_lin",))))
        .le(EPS_BOUND, Certificate(
            (Scaled(norm(w - u), Declared(eps - norm(grad_w), "gradient_w_small")),
             Scaled(norm(u) * opnorm(V),
                    Divided(Declared(eps - norm(grad_V), "gradient_V_small"), norm(w)))),
            "both gradients are at most eps",
            using=("gradient_w_small", "gradient_V_small", "w_nonzero"))),
    ]
    return Proof("approximate_stationarity_bound",
                 [convex_loss, w_nonzero, gradient_w_small, gradient_V_small, u_attains_F_lin], steps,
                 contexts(), conclusion=CONCLUSION)


LEMMA = SymbolicLemma(
    name="approximate_stationarity_bound",
    title="Approximate stationary points are approximately as good as linear predictors",
    paper=("Shamir (2018), quantitative version of the main theorem (approximate stationary points); "
           "the explicit form of the bound is our derivation. The 1/||w|| and ||V|| factors are "
           "necessary: example bad_saddle_at_zero."),
    build=build,
    conclusion=CONCLUSION,
    kind="lemma",
)
