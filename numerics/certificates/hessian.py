"""The exact dense Hessian of ``F`` in ``(w, V)`` and the certificates built on it.

Parameters are packed as ``z = (w, vec_row(V))`` (length ``N = d + d k``; ``V_{i m}`` sits at ``d + i k + m``,
the layout of ``ResNetProblem.pack``).  With ``p = w^T phi``, ``phi = x + V f`` (``skip=False``:
``phi = V f``), the gradient of ``p`` in ``z`` is ``g = (phi, vec(w f^T))`` and its only second derivatives
are ``d^2 p / dw_i dV_{j m} = delta_ij f_m``.  Hence, exactly,

    H = E[ l''(p) g g^T ] + [[0, I_d (x) c^T], [I_d (x) c, 0]],        c = E[l'(p) f],

the second block being ``E[l'(p) d^2 p]`` (``(x)`` is the Kronecker product).  At ``w = 0`` it is the
cross term ``2 u^T S c`` of DESIGN.md section 5 that makes ``(0, V, theta)`` a strict saddle when ``c != 0``.

Certificates (each returns a report with ``ok`` and a message naming the reason when it fails):

* :func:`stationarity_certificate` -- every block of the gradient (``w``, ``V`` and ``theta``) is below a
  stated tolerance;
* :func:`negative_curvature_certificate` -- the smallest eigenvalue of ``H`` (``numpy.linalg.eigh``,
  float64) is below ``-tol``.  Without an error model ``tol = 64 (N + n) eps ||H||_F``: the symmetric
  eigensolver is backward stable (the computed eigenvalues are exact for ``H + E``,
  ``||E||_2 <= c N eps ||H||_2``, so by Weyl's inequality each is within ``c N eps ||H||_2`` of the true
  one) and every entry of ``H`` is a mean of ``n`` terms.  With the entrywise rounding bound ``Eb`` of
  :func:`dense_hessian` (``|H_computed - H| <= Eb`` entrywise) and a positive diagonal scaling ``S``, the
  test is applied to ``S H S`` with ``tol = ||S Eb S||_F + 64 N eps ||S H S||_F``: by Sylvester's law of
  inertia ``S H S`` and ``H`` have the same number of negative eigenvalues, and the scaling removes the
  spread of magnitudes that makes the unscaled test inconclusive (at ``(0, V0)`` with small ``c0`` the
  ``w``-block is huge while the negative curvature is tiny).  A given direction ``d`` is certified when
  ``d^T H d < -(|d|^T Eb |d| + 64 N eps |d|^T |H| |d|)`` (rounding of the entries and of the quadratic form).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps


def dense_hessian(problem, w, V, theta, error_bound: bool = False):
    """Exact ``(N, N)`` Hessian of ``F`` in ``z = (w, vec_row(V))``, ``N = d + d k`` (module docstring).

    With ``error_bound=True`` returns ``(H, Eb)``, ``Eb`` an entrywise bound on the float64 rounding of
    ``H``: ``64 (n + d + k) eps (E[|l''| |g_i| |g_j|] + |cross_ij|)`` (each entry is a mean of ``n``
    products whose factors carry ``O((d + k) eps)`` relative error; factor 64 of safety).
    """
    w = np.asarray(w, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    Fx = problem.features(theta)
    X, y, n, d, k = problem.X, problem.y, problem.n, problem.d, problem.k
    phi = Fx @ V.T + (X if problem.skip else 0.0)           # (n, d)
    p = phi @ w
    curv = problem.loss.curvature(p, y)
    r = problem.loss.grad(p, y)
    G = np.hstack((phi, (w[None, :, None] * Fx[:, None, :]).reshape(n, d * k)))  # rows: g_j^T
    H = (G.T * curv) @ G / n
    c = Fx.T @ r / n
    cross = np.kron(np.eye(d), c[None, :])                  # (d, d k): I_d (x) c^T
    H[:d, d:] += cross
    H[d:, :d] += cross.T
    if not error_bound:
        return H
    absG = np.abs(G)
    Eb = (absG.T * np.abs(curv)) @ absG / n
    abs_cross = np.kron(np.eye(d), (np.abs(Fx).T @ np.abs(r) / n)[None, :])
    Eb[:d, d:] += abs_cross
    Eb[d:, :d] += abs_cross.T
    return H, 64.0 * (n + d + k) * EPS * Eb


@dataclass
class StationarityReport:
    ok: bool
    grad_norm: float
    tolerance: float
    message: str


def stationarity_certificate(problem, w, V, theta, tolerance: float) -> StationarityReport:
    """``||(grad_w F, grad_V F, grad_theta F)|| <= tolerance`` (the caller states how it was derived)."""
    g = problem.gradients(w, V, theta)
    parts = {"w": np.linalg.norm(g.grad_w), "V": np.linalg.norm(g.grad_V),
             "theta": 0.0 if g.grad_theta is None else np.linalg.norm(g.grad_theta)}
    total = float(np.sqrt(sum(v * v for v in parts.values())))
    if total <= tolerance:
        return StationarityReport(True, total, tolerance,
                                  f"stationary: ||grad F|| = {total:.3e} <= {tolerance:.3e}")
    worst = max(parts, key=parts.get)
    return StationarityReport(False, total, tolerance,
                              f"not stationary: ||grad F|| = {total:.3e} > tolerance {tolerance:.3e} "
                              f"(largest block: grad_{worst} F with norm {parts[worst]:.3e})")


@dataclass
class CurvatureReport:
    ok: bool
    eigenvalue: float
    eigenvector: np.ndarray
    tolerance: float
    rayleigh: float | None
    message: str


def eigenvalue_tolerance(H: np.ndarray, n: int) -> float:
    """``64 (N + n) eps ||H||_F``: backward error of ``eigvalsh`` plus rounding of means of ``n`` terms."""
    return 64.0 * (H.shape[0] + n) * EPS * float(np.linalg.norm(H))


def negative_curvature_certificate(H, n: int, direction=None, error=None, scaling=None) -> CurvatureReport:
    """Certify that ``H`` has a negative eigenvalue (module docstring).  ``error``: entrywise rounding bound
    ``Eb`` (same shape as ``H``); ``scaling``: positive vector ``s`` (the test is run on ``S H S``,
    ``S = diag(s)``); ``direction``: also require ``d`` to be a certified negative-curvature direction."""
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be square; got shape {H.shape}")
    N = H.shape[0]
    Eb = np.zeros_like(H) if error is None else np.asarray(error, dtype=np.float64)
    asym = float(np.max(np.abs(H - H.T), initial=0.0))
    if asym > eigenvalue_tolerance(H, n) + float(np.max(Eb, initial=0.0)):
        raise ValueError(f"H is not symmetric: max |H - H^T| = {asym:.3e}")
    s = np.ones(N) if scaling is None else np.asarray(scaling, dtype=np.float64)
    if s.shape != (N,) or not np.all(s > 0):
        raise ValueError("scaling must be a positive vector of length N")
    outer = np.outer(s, s)
    Hs = H * outer
    if error is None:
        tol = eigenvalue_tolerance(Hs, n)
    else:
        # entry rounding (scaled), the scaling's own rounding (one relative eps per entry), eigh
        tol = float(np.linalg.norm(Eb * outer)) + 64.0 * N * EPS * float(np.linalg.norm(Hs))
    values, vectors = np.linalg.eigh(Hs)
    lam, vec = float(values[0]), vectors[:, 0]
    scaled = "" if scaling is None else " of S H S (same inertia as H, Sylvester)"
    rayleigh = None
    if direction is not None:
        dvec = np.asarray(direction, dtype=np.float64)
        quad = float(dvec @ H @ dvec)
        ad = np.abs(dvec)
        q_err = float(ad @ Eb @ ad) + 64.0 * N * EPS * float(ad @ np.abs(H) @ ad)
        rayleigh = quad / float(dvec @ dvec)
    if not lam < -tol:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"no negative curvature: lambda_min{scaled} = {lam:.3e} >= -{tol:.3e}, "
                               "the Hessian is positive semidefinite up to float64 rounding")
    if direction is not None and not quad < -q_err:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"the given direction has d^T H d = {quad:.3e} >= -{q_err:.3e}: not a "
                               f"certified negative-curvature direction (lambda_min{scaled} = {lam:.3e})")
    extra = f", direction's Rayleigh quotient {rayleigh:.3e}" if rayleigh is not None else ""
    return CurvatureReport(True, lam, vec, tol, rayleigh,
                           f"negative curvature: lambda_min{scaled} = {lam:.3e} < -{tol:.3e}{extra}")
