"""Theorem local_minima_beat_linear (DESIGN.md section 3; the paper's main theorem).

Every local minimum of ``F(w, V, theta) = E l(w^T (x + V f_theta(x)); y)`` with ``l`` convex and
differentiable satisfies ``F <= F_feat(theta) <= F_lin``.  At a local minimum ``c = 0`` and
``E[l'(p) x] = 0`` (lemma stationarity_consequences if ``w != 0``, lemma zero_w_case if ``w = 0``),
and ``grad_w F = 0``.  For any comparator ``q = a^T x + b^T f_theta(x)`` convexity gives
``E l(q) = F + E[l'(p)(q - p)] + E[D_l(q, p)] >= F + a^T E[l'(p) x] + b^T c - w^T grad_w F = F``.
"""
from __future__ import annotations

from ..atoms import BregmanMean
from ..expressions import (E_bregman, E_loss_comparator, E_r_gap, E_rx, F, F_feat, F_lin, a, b, c,
                           comparator_pairs, grad_w, inner, standard_contexts, w)
from ..hypotheses import convex_loss, stationarity_consequences, stationary_w
from ..kernel import Certificate, Chain, Identity, Infimum, Proof
from ..lemma import SymbolicLemma


def build() -> Proof:
    chains = [
        Chain("below_every_comparator", F,
              text="F <= E l(a^T x + b^T f_theta(x)) for every a, b")
        .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w),
            Identity("first-order conditions", using=("stationarity_consequences", "stationary_w")))
        .eq(F + E_r_gap, Identity("E[l'(p) p] = w^T grad_w F (lemma residual_gradients)"))
        .le(F + E_r_gap + E_bregman,
            Certificate((BregmanMean(E_bregman, comparator_pairs, "E[D_l(q, p)]"),),
                        "Bregman divergences of a convex loss are nonnegative"))
        .eq(E_loss_comparator, Identity("definition of the Bregman divergence")),
        Chain("feature_and_linear_benchmarks", F, text="F <= F_feat(theta) <= F_lin")
        .le(F_feat, Infimum(from_chain="below_every_comparator"))
        .le(F_lin, Infimum("b = 0 is one of the comparators")),
    ]
    return Proof("local_minima_beat_linear",
                 [convex_loss, stationary_w, stationarity_consequences], chains,
                 standard_contexts())


LEMMA = SymbolicLemma(
    name="local_minima_beat_linear",
    title="Local minima are at least as good as the best linear predictor",
    statement=("For a convex differentiable loss, every local minimum (w, V, theta) of F satisfies "
               "F(w, V, theta) <= F_feat(theta) = inf_{a,b} E l(a^T x + b^T f_theta(x)) <= "
               "F_lin = inf_a E l(a^T x)."),
    statement_latex=(
        r"For a convex differentiable loss $\ell$, every local minimum $(w, V, \theta)$ of $F$ "
        r"satisfies $F(w, V, \theta) \le F_{\mathrm{feat}}(\theta) = \inf_{a, b} \mathbb{E}\, "
        r"\ell(a^\top x + b^\top f_\theta(x)) \le F_{\mathrm{lin}} = \inf_a \mathbb{E}\,\ell(a^\top x)$."),
    paper="Main theorem of Shamir (2018): no local minimum is worse than the best linear predictor.",
    build=build,
    kind="theorem",
    order=40,
)
