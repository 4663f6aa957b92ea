"""Hypotheses shared by several lemmas (each lemma may also declare its own).

Each is a kernel hypothesis whose content *is* its formal statement (``resnet_lemmas.proofs.kernel.
hypotheses``): what users read is printed from it.
"""
from __future__ import annotations

import sympy as sp

from .expressions import F, V, d, grad_V, grad_w, k, w
from .kernel import ConvexLoss, Equation, LocalMinimum, NonZero

w_nonzero = NonZero("w_nonzero", w, gloss="the output weights are nonzero")
w_zero = Equation("w_zero", w, sp.ZeroMatrix(d, 1), gloss="the output weights vanish")
stationary_w = Equation("stationary_w", grad_w, sp.ZeroMatrix(d, 1), gloss="stationarity in w")
stationary_V = Equation("stationary_V", grad_V, sp.ZeroMatrix(d, k), gloss="stationarity in V")
convex_loss = ConvexLoss("convex_loss", gloss="the loss is convex and differentiable in p")
local_minimum = LocalMinimum(
    "local_minimum", F, (w, V),
    gloss="(w, V) is a local minimum of F for the current theta; in particular every local minimum in "
          "(w, V, theta) is one (the proofs use derivatives in w and V only)")

__all__ = ["w_nonzero", "w_zero", "stationary_w", "stationary_V", "convex_loss", "local_minimum"]
