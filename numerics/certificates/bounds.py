"""The first-order gap to a comparator (DESIGN.md section 4), numerically.

For any point ``(w, V, theta)`` with ``w != 0`` and any comparator ``q = a^T x + b^T f_theta(x)``,
convexity of ``l`` gives (lemma ``local_minima_beat_linear``'s chain, without stationarity)

    F - E l(q) <= E[r (p - q)] = (w - a)^T grad_w F + a^T V c - b^T c          (first_order_gap)
              <= ||w - a|| ||grad_w F|| + (||a|| ||V||_2 + ||b||) ||grad_V F||_F / ||w||   (gap_bound)

using ``c = grad_V F^T w / ||w||^2``, so ``||c|| = ||grad_V F||_F / ||w||``.  These hold at *every*
point, so they turn the final gradient norm of an optimiser into a rigorous tolerance.

A fast path (``verify`` calls it at every point it visits).  With a linear comparator (``b = 0``, ``a = u``)
the formulas are lemma approximate_stationarity_bound's conclusion, and
``tests/numerics/certificates/test_bounds.py`` checks them equal to it as the bridge compiles it on random
inputs.  The feature-comparator terms (``b != 0``) are outside any theorem's conclusion (the main
theorem's proof uses such comparators, its statement does not): unchecked by the kernel as formulas
here, they are tested against their definition ``E[l'(p) (p - q)]``.
"""
from __future__ import annotations

import numpy as np


def first_order_gap(grads, w, V, a, b) -> float:
    """``(w - a)^T grad_w F + a^T V c - b^T c``; ``grads`` is a :class:`~.model.Gradients`."""
    return float((w - a) @ grads.grad_w + a @ (V @ grads.c) - b @ grads.c)


def gap_bound(grads, w, V, a, b) -> float:
    """``||w - a|| ||grad_w F|| + (||a|| ||V||_2 + ||b||) ||grad_V F||_F / ||w||`` (``inf`` at ``w = 0``)."""
    norm_w = float(np.linalg.norm(w))
    grad_V_norm = float(np.linalg.norm(grads.grad_V))
    first = float(np.linalg.norm(w - a) * np.linalg.norm(grads.grad_w))
    if grad_V_norm == 0.0:
        return first
    if norm_w == 0.0:
        return float("inf")
    return first + (float(np.linalg.norm(a)) * float(np.linalg.norm(V, 2)) + float(np.linalg.norm(b))) \
        * grad_V_norm / norm_w


def rounding_tolerance(*values: float, n: int = 1) -> float:
    """Float64 slack for comparing sums of ``n`` loss values of the given magnitudes.

    Each mean of ``n`` terms carries a relative rounding error below ``n eps``; we allow
    ``64 n eps (1 + sum |values|)``, a factor 64 above the worst case of a naive sum.
    """
    eps = np.finfo(np.float64).eps
    return 64.0 * max(n, 1) * eps * (1.0 + sum(abs(float(v)) for v in values))
