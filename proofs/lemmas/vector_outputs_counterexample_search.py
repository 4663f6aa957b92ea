"""Experiment vector_outputs_counterexample_search: m > d, rank condition fails.

With ``p = W (x + V f_theta(x)) in R^m`` and ``m > d``, ``rank W <= d < m`` always, so theorem
vector_outputs does not apply: stationarity in ``V`` only gives ``W^T C = 0``.  The witness searches,
by multi-start L-BFGS over ``(W, V, theta)`` on sampled instances, for near-stationary points with a
positive semidefinite (finite-difference) Hessian whose value exceeds ``F_lin``: candidate
counterexamples.  Numeric only (``build=None``); the outcome is recorded in the witness details.

For the squared loss with fixed features none can exist (the problem reduces to maximising
``tr(P_S M)`` over ``d``-dimensional subspaces ``S``, which has no spurious local maxima), so candidates,
if any, must come from other losses or from the residual unit's own parameters.
"""
from __future__ import annotations

from ..lemma import SymbolicLemma

LEMMA = SymbolicLemma(
    name="vector_outputs_counterexample_search",
    title="Vector outputs with m > d: search for local minima worse than linear",
    description=("Experiment: for p = W (x + V f_theta(x)) with m > d outputs (rank W < m), multi-start "
               "search for near-stationary points with PSD Hessian and F > F_lin."),
    description_latex=(r"Experiment: for $p = W(x + V f_\theta(x))$ with $m > d$ outputs "
                     r"($\operatorname{rank} W < m$), multi-start search for near-stationary points with "
                     r"positive semidefinite Hessian and $F > F_{\mathrm{lin}}$."),
    paper=("Kawaguchi & Bengio (arXiv 1810.09038) study vector outputs; the m > d search is ours."),
    build=None,
    kind="experiment",
)
