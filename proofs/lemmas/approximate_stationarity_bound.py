"""Lemma approximate_stationarity_bound (DESIGN.md section 4; the paper's quantitative analysis).

At *every* point ``(w, V, theta)`` and for every linear comparator ``u in R^d``, with ``r = l'(p; y)``,
``c = E[r f_theta(x)]`` and ``D_l(q, p) = l(q) - l(p) - l'(p)(q - p)``:

    F - E l(u^T x) = (w - u)^T grad_w F + u^T V c - E[D_l(u^T x, p)]                 (identity)

because ``E[r p] = w^T grad_w F`` and ``E[r x] = grad_w F - V c`` (lemma residual_gradients).  Dropping
the Bregman term (convexity), Cauchy-Schwarz twice, the definition of ``||V||_2`` and
``||c|| = ||grad_V F||_F / ||w||`` (``grad_V F = w c^T``, so ``||grad_V F||_F = ||w|| ||c||``) give, for
``w != 0``,

    F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||.    (bound)

Corollary (eps-stationary points): if ``||grad_w F|| <= eps`` and ``||grad_V F||_F <= eps`` and ``u``
attains ``F_lin``, then ``F - F_lin <= eps (||w - u|| + ||u|| ||V||_2 / ||w||)``.

Shapes: ``w, u in R^d``, ``V in R^{d x k}``, ``c in R^k``, ``grad_w F in R^d``, ``grad_V F in R^{d x k}``.
"""
from __future__ import annotations

import sympy as sp

from ..atoms import BregmanMean, CauchySchwarzGap, OperatorNormGap, Scaled
from ..atoms_extra import Divided, NormRatioGap
from ..expressions import (F, F_lin, NamedScalar, V, c, grad_V, grad_w, inner, loss_terms, norm,
                           opnorm, standard_contexts, u, w)
from ..hypotheses import convex_loss, w_nonzero
from ..kernel import Certificate, Chain, Hypothesis, Identity, Proof
from ..lemma import SymbolicLemma
from ..atoms import BoundHypothesis, Declared

E_l_u = NamedScalar("E_l_u", r"\mathbb{E}\,\ell\left(u^{\top} x;\, y\right)")
E_bregman_u = NamedScalar("E_bregman_u", r"\mathbb{E}\left[D_{\ell}\left(u^{\top} x,\, p\right)\right]")
eps = NamedScalar("eps_stat", r"\varepsilon", positive=True)

#: The right-hand sides, written once: the numeric side (numerics.certificates.bounds) is tested equal to them.
FIRST_ORDER = inner(w - u, grad_w) + inner(u, V * c)
BOUND = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / norm(w)
EPS_BOUND = eps * (norm(w - u) + norm(u) * opnorm(V) / norm(w))


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


def _gradients_small(ctx) -> list:
    return [eps - norm(grad_w), eps - norm(grad_V)]


eps_stationary = BoundHypothesis(
    "eps_stationary", "the point is eps-stationary in (w, V): ||grad_w F|| <= eps and "
    "||grad_V F||_F <= eps", sp.And(sp.Le(norm(grad_w), eps), sp.Le(norm(grad_V), eps)),
    declares=_gradients_small)
u_attains_F_lin = Hypothesis(
    "u_attains_F_lin", "the comparator u attains the linear benchmark: E l(u^T x) = F_lin",
    sp.Eq(F_lin, E_l_u), equations={F_lin: E_l_u})

BREGMAN = BregmanMean(E_bregman_u, linear_pairs, "E[D_l(u^T x, p)]")


def _bound_steps(chain: Chain) -> Chain:
    """The steps from ``F - E l(u^T x)`` to the bound (shared by the bound and its corollary)."""
    return (
        chain
        .eq(FIRST_ORDER - E_bregman_u,
            Identity("E[l'(p) p] = w^T grad_w F and E[l'(p) x] = grad_w F - V c "
                     "(lemma residual_gradients); definition of D_l"))
        .le(FIRST_ORDER, Certificate((BREGMAN,), "Bregman divergences of a convex loss are >= 0"))
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


def build() -> Proof:
    contexts = standard_contexts()
    for ctx in contexts:
        _extend(ctx)
    chains = [
        Chain("gap_identity", F - E_l_u,
              text="F - E l(u^T x) = (w - u)^T grad_w F + u^T V c - E[D_l(u^T x, p)] at every point")
        .eq(FIRST_ORDER - E_bregman_u,
            Identity("E[l'(p) p] = w^T grad_w F and E[l'(p) x] = grad_w F - V c; definition of D_l")),
        Chain("norm_of_c", inner(c, c), text="||c||^2 = ||grad_V F||_F^2 / ||w||^2 when w != 0")
        .eq(inner(grad_V, grad_V) / inner(w, w),
            Identity("grad_V F = w c^T (lemma residual_gradients)", using=("w_nonzero",))),
        _bound_steps(Chain(
            "gap_bound", F - E_l_u,
            text="F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||")),
        _bound_steps(Chain(
            "eps_stationary_corollary", F - F_lin,
            text="at an eps-stationary point, F - F_lin <= eps (||w - u*|| + ||u*|| ||V||_2 / ||w||)")
            .eq(F - E_l_u, Identity("u attains F_lin", using=("u_attains_F_lin",))))
        .le(EPS_BOUND, Certificate(
            (Scaled(norm(w - u), Declared(eps - norm(grad_w), "eps_stationary")),
             Scaled(norm(u) * opnorm(V),
                    Divided(Declared(eps - norm(grad_V), "eps_stationary"), norm(w)))),
            "both gradients are at most eps", using=("eps_stationary", "w_nonzero"))),
    ]
    return Proof("approximate_stationarity_bound",
                 [convex_loss, w_nonzero, eps_stationary, u_attains_F_lin], chains, contexts)


LEMMA = SymbolicLemma(
    name="approximate_stationarity_bound",
    title="Approximate stationary points are approximately as good as linear predictors",
    statement=("At every point with w != 0 and for every u: F - E l(u^T x) = (w - u)^T grad_w F + "
               "u^T V c - E[D_l(u^T x, p)] <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / "
               "||w||. Hence if ||grad_w F||, ||grad_V F||_F <= eps and u* attains F_lin: "
               "F - F_lin <= eps (||w - u*|| + ||u*|| ||V||_2 / ||w||)."),
    statement_latex=(
        r"At every point with $w \neq 0$ and every $u \in \mathbb{R}^d$: "
        r"$F - \mathbb{E}\,\ell(u^\top x) = (w - u)^\top \nabla_w F + u^\top V c - "
        r"\mathbb{E}[D_\ell(u^\top x, p)] \le \|w - u\| \|\nabla_w F\| + \|u\| \|V\|_2 "
        r"\|\nabla_V F\|_F / \|w\|$. Hence if $\|\nabla_w F\|, \|\nabla_V F\|_F \le \varepsilon$ and "
        r"$u^\star$ attains $F_{\mathrm{lin}}$: $F - F_{\mathrm{lin}} \le \varepsilon (\|w - u^\star\| + "
        r"\|u^\star\| \|V\|_2 / \|w\|)$."),
    paper=("Shamir (2018), quantitative version of the main theorem (approximate stationary points); "
           "the explicit form of the bound is our derivation (DESIGN.md section 4). The 1/||w|| and "
           "||V|| factors are necessary: lemma bad_saddle_at_zero."),
    build=build,
    kind="lemma",
    order=50,
)
