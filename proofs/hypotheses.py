"""Hypotheses shared by several lemmas (each lemma may also declare its own)."""
from __future__ import annotations

import sympy as sp

from .expressions import E_rx, F, V, c, grad_V, grad_w, inner, k, d, w
from .kernel import Hypothesis

w_nonzero = Hypothesis(
    "w_nonzero", "the output weights are nonzero, w != 0", sp.Ne(w, sp.ZeroMatrix(d, 1)),
    nonzero=(inner(w, w),))
w_zero = Hypothesis("w_zero", "the output weights vanish, w = 0", sp.Eq(w, sp.ZeroMatrix(d, 1)),
                    equations={w: sp.ZeroMatrix(d, 1)})
stationary_w = Hypothesis(
    "stationary_w", "stationarity in w: grad_w F = 0", sp.Eq(grad_w, sp.ZeroMatrix(d, 1)),
    equations={grad_w: sp.ZeroMatrix(d, 1)})
stationary_V = Hypothesis(
    "stationary_V", "stationarity in V: grad_V F = 0", sp.Eq(grad_V, sp.ZeroMatrix(d, k)),
    equations={grad_V: sp.ZeroMatrix(d, k)})
convex_loss = Hypothesis(
    "convex_loss", "the loss l(p; y) is convex and differentiable in p", convex_loss=True)
stationarity_consequences = Hypothesis(
    "stationarity_consequences",
    "c = E[l'(p) f_theta(x)] = 0 and E[l'(p) x] = 0 (lemma stationarity_consequences for w != 0, "
    "lemma zero_w_case for w = 0)",
    sp.And(sp.Eq(c, sp.ZeroMatrix(k, 1)), sp.Eq(E_rx, sp.ZeroMatrix(d, 1))),
    equations={c: sp.ZeroMatrix(k, 1), E_rx: sp.ZeroMatrix(d, 1)})

__all__ = ["w_nonzero", "w_zero", "stationary_w", "stationary_V", "convex_loss",
           "stationarity_consequences", "F", "V"]
