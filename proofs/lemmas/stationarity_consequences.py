"""Lemma stationarity_consequences (DESIGN.md section 3, case w != 0).

At a point with ``w != 0`` where ``grad_w F = 0`` and ``grad_V F = 0``: ``c = E[l'(p) f_theta(x)] = 0``
(because ``grad_V F = w c^T``) and then ``E[l'(p) x] = grad_w F - V c = 0``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import E_rx, V, c, d, grad_V, grad_w, inner, k, standard_contexts, w
from ..hypotheses import stationary_V, stationary_w, w_nonzero
from ..kernel import Chain, Identity, Proof
from ..lemma import SymbolicLemma


def build() -> Proof:
    chains = [
        Chain("c_vanishes", c, text="c = 0", fact=True)
        .eq(grad_V.T * w / inner(w, w), Identity("lemma residual_gradients: grad_V F = w c^T",
                                                  using=("w_nonzero",)))
        .eq(sp.ZeroMatrix(k, 1), Identity("stationarity in V", using=("stationary_V",))),
        Chain("E_rx_vanishes", E_rx, text="E[l'(p) x] = 0", fact=True)
        .eq(grad_w - V * c, Identity("lemma residual_gradients: grad_w F = E[l'(p) x] + V c"))
        .eq(sp.ZeroMatrix(d, 1), Identity("stationarity in w and c = 0",
                                          using=("stationary_w", "c_vanishes"))),
    ]
    return Proof("stationarity_consequences", [w_nonzero, stationary_w, stationary_V], chains,
                 standard_contexts())


LEMMA = SymbolicLemma(
    name="stationarity_consequences",
    title="Stationarity with nonzero output weights",
    statement=("If w != 0, grad_w F = 0 and grad_V F = 0, then c = E[l'(p) f_theta(x)] = 0 and "
               "E[l'(p) x] = 0."),
    statement_latex=(r"If $w \neq 0$, $\nabla_w F = 0$ and $\nabla_V F = 0$, then "
                     r"$c = \mathbb{E}[\ell'(p)\, f_\theta(x)] = 0$ and $\mathbb{E}[\ell'(p)\, x] = 0$."),
    paper="Step of the main theorem of Shamir (2018) (first-order conditions in w and V only).",
    build=build,
    kind="lemma",
    order=20,
)
