"""Lemma stationarity_consequences: stationarity in (w, V) with w != 0 forces c = 0 and E[l'(p) x] = 0.

Statement
    If ``w != 0``, ``grad_w F = 0`` and ``grad_V F = 0``, then ``c = E[l'(p) f_theta(x)] = 0`` and
    ``E[l'(p) x] = 0``.
Argument
    ``grad_V F = w c^T`` gives ``c = grad_V F^T w / ||w||^2 = 0``; then ``E[l'(p) x] = grad_w F - V c = 0``.
Paper
    Step of the main theorem of Shamir (2018) (first-order conditions in w and V only).
Checked at
    every size (symbolic ``d, k, n``: the index algebra), and explicitly at
    ``(d, k, n) = (2, 2, 2), (3, 1, 2), (2, 3, 4)``.
"""
from __future__ import annotations

import sympy as sp

from ..expressions import E_rx, V, c, d, grad_V, grad_w, inner, k, standard_contexts, w
from ..hypotheses import stationary_V, stationary_w, w_nonzero
from ..kernel import Chain, Identity, Proof
from ..lemma import SymbolicLemma

CONCLUSION = (sp.Eq(c, sp.ZeroMatrix(k, 1), evaluate=False),
              sp.Eq(E_rx, sp.ZeroMatrix(d, 1), evaluate=False))


def build() -> Proof:
    steps = [
        Chain("c_vanishes", c, text="c = 0")
        .eq(grad_V.T * w / inner(w, w), Identity("grad_V F = w c^T (lemma residual_gradients)",
                                                  using=("w_nonzero",)))
        .eq(sp.ZeroMatrix(k, 1), Identity("stationarity in V", using=("stationary_V", "w_nonzero"))),
        Chain("E_rx_vanishes", E_rx, text="E[l'(p) x] = 0")
        .eq(grad_w - V * c, Identity("grad_w F = E[l'(p) x] + V c (lemma residual_gradients)"))
        .eq(sp.ZeroMatrix(d, 1), Identity("stationarity in w and c = 0",
                                          using=("stationary_w", "c_vanishes"))),
    ]
    return Proof("stationarity_consequences", [w_nonzero, stationary_w, stationary_V], steps,
                 contexts(), conclusion=CONCLUSION)


def contexts():
    """Three concrete contexts and the symbolic one (every size)."""
    from ..indexed.model import symbolic_context
    return standard_contexts() + [symbolic_context()]


LEMMA = SymbolicLemma(
    name="stationarity_consequences",
    title="Stationarity with nonzero output weights",
    paper="Step of the main theorem of Shamir (2018) (first-order conditions in w and V only).",
    build=build,
    conclusion=CONCLUSION,
    kind="lemma",
)
