"""The section-4 identity and bound evaluated at many points at once (lemma approximate_stationarity_bound).

For a residual unit's features ``Fx = f_theta(X)`` (shape ``(n, k)``) and ``P`` points stacked as
``W (P, d)``, ``Vs (P, d, k)``, ``U (P, d)`` (comparators ``u``), :func:`batched_terms` returns, per
point, with ``p = w^T (x + V f)``, ``r = l'(p; y)``, ``c = E[r f]``:

* ``gap = F - E l(u^T x)``;
* ``first_order = (w - u)^T grad_w F + u^T V c``;
* ``bregman = E[D_l(u^T x, p)]`` (so ``gap = first_order - bregman`` exactly);
* ``bound = ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||``;
* the gradient norms and the scale of every term (for the rounding tolerance).

The formulas are those of ``proofs.lemmas.approximate_stationarity_bound`` (``FIRST_ORDER``, ``BOUND``);
``tests/numerics/test_stationarity_bound.py`` checks that this vectorised form, the per-point
``numerics.certificates.bounds.first_order_gap``/``gap_bound`` and ``lambdify`` of the symbolic right-hand sides agree
on random inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps
#: :meth:`BatchTerms.tolerance`: ``ROUNDING_FACTOR n eps (1 + scale)``, a factor above the worst case
#: ``n eps`` of a naive sum of ``n`` terms (the same rule as the witnesses' ``_common.rounding``).
ROUNDING_FACTOR = 64.0


@dataclass
class BatchTerms:
    """Per-point quantities, each of shape ``(P,)``."""

    F: np.ndarray
    E_l_u: np.ndarray
    gap: np.ndarray
    first_order: np.ndarray
    bregman: np.ndarray
    bound: np.ndarray
    grad_w_norm: np.ndarray
    grad_V_norm: np.ndarray
    w_norm: np.ndarray
    u_norm: np.ndarray
    V_opnorm: np.ndarray
    w_minus_u_norm: np.ndarray
    scale: np.ndarray

    def tolerance(self, n: int) -> np.ndarray:
        """``ROUNDING_FACTOR n eps (1 + scale)``: float64 rounding of means of ``n`` terms of the magnitudes
        (the same rule as ``numerics.certificates.bounds.rounding_tolerance``, per point)."""
        return ROUNDING_FACTOR * max(n, 1) * EPS * (1.0 + self.scale)

    def eps_bound(self) -> np.ndarray:
        """``eps (||w - u|| + ||u|| ||V||_2 / ||w||)`` with ``eps = max(||grad_w F||, ||grad_V F||_F)``."""
        eps = np.maximum(self.grad_w_norm, self.grad_V_norm)
        return eps * (self.w_minus_u_norm + self.u_norm * self.V_opnorm / self.w_norm)


def batched_terms(X, y, Fx, loss, W, Vs, U) -> BatchTerms:
    """Evaluate the identity and the bound at ``P`` points (shapes in the module docstring)."""
    X, y, Fx = (np.asarray(a, dtype=np.float64) for a in (X, y, Fx))
    W, Vs, U = (np.asarray(a, dtype=np.float64) for a in (W, Vs, U))
    n, d = X.shape
    P = W.shape[0]
    k = Fx.shape[1]
    if W.shape != (P, d) or U.shape != (P, d) or Vs.shape != (P, d, k):
        raise ValueError(f"expected W, U of shape (P, d) = ({P}, {d}) and Vs of shape (P, d, k) = "
                         f"({P}, {d}, {k}); got {W.shape}, {U.shape}, {Vs.shape}")
    b = np.einsum("pdk,pd->pk", Vs, W)                     # V^T w, (P, k)
    p = W @ X.T + b @ Fx.T                                  # (P, n)
    yy = np.broadcast_to(y, p.shape)
    L = loss.value(p, yy)
    r = loss.grad(p, yy)
    F = L.mean(axis=1)
    c = r @ Fx / n                                          # (P, k)
    Vc = np.einsum("pdk,pk->pd", Vs, c)
    grad_w = r @ X / n + Vc
    q = U @ X.T                                             # u^T x, (P, n)
    Lq = loss.value(q, yy)
    E_l_u = Lq.mean(axis=1)
    bregman = (Lq - L - r * (q - p)).mean(axis=1)
    first_order = np.sum((W - U) * grad_w, axis=1) + np.sum(U * Vc, axis=1)
    w_norm = np.linalg.norm(W, axis=1)
    grad_w_norm = np.linalg.norm(grad_w, axis=1)
    grad_V = W[:, :, None] * c[:, None, :]                 # grad_V F = w c^T, (P, d, k)
    grad_V_norm = np.sqrt(np.sum(grad_V ** 2, axis=(1, 2)))
    u_norm = np.linalg.norm(U, axis=1)
    V_opnorm = np.linalg.norm(Vs, ord=2, axis=(1, 2))
    wmu = np.linalg.norm(W - U, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(grad_V_norm == 0.0, 0.0, grad_V_norm / w_norm)
    bound = wmu * grad_w_norm + u_norm * V_opnorm * ratio
    scale = (np.abs(L).mean(axis=1) + np.abs(Lq).mean(axis=1) + np.abs(r * (q - p)).mean(axis=1)
             + wmu * grad_w_norm + u_norm * np.linalg.norm(Vc, axis=1) + bound)
    return BatchTerms(F=F, E_l_u=E_l_u, gap=F - E_l_u, first_order=first_order, bregman=bregman,
                      bound=bound, grad_w_norm=grad_w_norm, grad_V_norm=grad_V_norm, w_norm=w_norm,
                      u_norm=u_norm, V_opnorm=V_opnorm, w_minus_u_norm=wmu, scale=scale)


def sample_points(rng: np.random.Generator, P: int, d: int, k: int, u_star=None):
    """``P`` points ``(W, Vs, U)`` spread over scales: ``||w||`` log-uniform on ``[1e-3, 3]``, ``V``
    entries ``N(0, s^2)`` with ``s`` log-uniform on ``[1e-2, 3]``; comparators ``u``: a third random
    (log-uniform scale on ``[1e-2, 3]``), a third ``u = u*`` (when given), the rest ``u = w + noise``."""
    directions = rng.normal(size=(P, d))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    W = directions * np.exp(rng.uniform(np.log(1e-3), np.log(3.0), size=(P, 1)))
    Vs = rng.normal(size=(P, d, k)) * np.exp(rng.uniform(np.log(1e-2), np.log(3.0), size=(P, 1, 1)))
    U = rng.normal(size=(P, d)) * np.exp(rng.uniform(np.log(1e-2), np.log(3.0), size=(P, 1)))
    kind = rng.integers(0, 3, size=P)
    if u_star is not None:
        U[kind == 1] = u_star
    near = kind == 2
    U[near] = W[near] + 0.1 * rng.normal(size=(int(near.sum()), d)) * np.linalg.norm(
        W[near], axis=1, keepdims=True)
    return W, Vs, U
