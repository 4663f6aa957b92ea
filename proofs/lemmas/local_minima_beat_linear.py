"""Theorem local_minima_beat_linear: the paper's main theorem.

Statement
    For a convex differentiable loss, if ``(w, V)`` is a local minimum of ``F(w, V, theta)``:
    ``F <= F_feat(theta) = inf_{a,b} E l(a^T x + b^T f_theta(x))`` and ``F_feat(theta) <= F_lin``.
Argument
    At a local minimum ``grad_w F = 0`` and ``grad_V F = 0`` (kernel rule FirstOrder).  Case ``w != 0``:
    lemma stationarity_consequences gives ``c = 0`` and ``E[l'(p) x] = 0``; case ``w = 0``: lemma
    zero_w_case gives the same (the kernel's case rule joins them).  For any comparator
    ``q = a^T x + b^T f_theta(x)``, convexity gives ``E l(q) = F + E[l'(p)(q - p)] + E[D_l(q, p)] >=
    F + a^T E[l'(p) x] + b^T c - w^T grad_w F = F``; ``(a, b)`` are arbitrary, so ``F <= F_feat``, and
    ``b = 0`` gives ``F_feat <= F_lin``.
Paper
    Main theorem of Shamir (2018): no local minimum is worse than the best linear predictor.
Checked at
    every size (symbolic ``d, k, n``), and explicitly at ``(d, k, n) = (2, 2, 2), (3, 1, 2), (2, 3, 4)``;
    the cited lemmas at the same sizes and at all sizes.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import (E_bregman, E_loss_comparator, E_r_gap, E_rx, F, F_feat, F_lin, V, a, b, c,
                           comparator_pairs, d, grad_V, grad_w, inner, k, standard_contexts, w)
from ..hypotheses import convex_loss, local_minimum, w_nonzero, w_zero
from ..kernel import Cases, Certificate, Chain, Cite, FirstOrder, Identity, Infimum, Proof
from ..kernel.atoms import BregmanMean
from ..lemma import SymbolicLemma

CONCLUSION = (sp.Le(F, F_feat, evaluate=False), sp.Le(F_feat, F_lin, evaluate=False))


def _theorem_of(name):
    def get():
        from importlib import import_module
        return import_module(f"{__package__}.{name}").LEMMA.theorem()
    return get


def below_every_comparator(premise: str) -> Chain:
    """``F <= E l(a^T x + b^T f)`` for every ``(a, b)``, given the premise ``c = 0, E[l'(p) x] = 0``."""
    return (
        Chain("below_every_comparator", F, text="F <= E l(a^T x + b^T f_theta(x)) for every a, b")
        .eq(F + inner(a, E_rx) + inner(b, c) - inner(w, grad_w),
            Identity("first-order conditions", using=(premise, "stationary_w")))
        .eq(F + E_r_gap, Identity("E[l'(p) p] = w^T grad_w F (lemma residual_gradients)"))
        .le(F + E_r_gap + E_bregman,
            Certificate((BregmanMean(E_bregman, comparator_pairs, "E[D_l(q, p)]"),),
                        "Bregman divergences of a convex loss are nonnegative", using=("convex_loss",)))
        .eq(E_loss_comparator, Identity("definition of the Bregman divergence"))
    )


def first_order_steps() -> list:
    """``grad_w F = 0``, ``grad_V F = 0``, then ``c = 0`` and ``E[l'(p) x] = 0`` at a local minimum."""
    return [
        Chain("stationary_w", grad_w, text="stationarity in w")
        .eq(sp.ZeroMatrix(d, 1), FirstOrder("local_minimum", w)),
        Chain("stationary_V", grad_V, text="stationarity in V")
        .eq(sp.ZeroMatrix(d, k), FirstOrder("local_minimum", V)),
        Cite("consequences_if_w_nonzero", "stationarity_consequences",
             _theorem_of("stationarity_consequences"), text="case w != 0"),
        Cite("consequences_if_w_zero", "zero_w_case", _theorem_of("zero_w_case"), text="case w = 0"),
        Cases("first_order_consequences", ("w_nonzero", "w_zero"),
              ("consequences_if_w_nonzero", "consequences_if_w_zero"),
              text="c = 0 and E[l'(p) x] = 0 whether w = 0 or not"),
    ]


def build() -> Proof:
    steps = first_order_steps() + [
        below_every_comparator("first_order_consequences"),
        Chain("feature_and_linear_benchmarks", F, text="F <= F_feat(theta) <= F_lin")
        .le(F_feat, Infimum(from_chain="below_every_comparator"))
        .le(F_lin, Infimum("b = 0 is one of the comparators")),
    ]
    return Proof("local_minima_beat_linear", [local_minimum, convex_loss, w_nonzero, w_zero], steps,
                 contexts(), conclusion=CONCLUSION, assumes=("local_minimum", "convex_loss"))


def contexts():
    """Three concrete contexts and the symbolic one (every size; the cited lemmas hold at all sizes)."""
    from ..indexed.model import symbolic_context
    return standard_contexts() + [symbolic_context()]


LEMMA = SymbolicLemma(
    name="local_minima_beat_linear",
    title="Local minima are at least as good as the best linear predictor",
    paper="Main theorem of Shamir (2018): no local minimum is worse than the best linear predictor.",
    build=build,
    conclusion=CONCLUSION,
    kind="theorem",
    cites=("stationarity_consequences", "zero_w_case"),
)
