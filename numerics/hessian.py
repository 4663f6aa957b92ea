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
* :func:`negative_curvature_certificate` -- the smallest eigenvalue of ``H`` (``numpy.linalg.eigvalsh``,
  float64) is below ``-tol`` with ``tol = 64 (N + n) eps ||H||_F``: the symmetric eigensolver is backward
  stable (the computed eigenvalues are exact for ``H + E``, ``||E||_2 <= c N eps ||H||_2``, so by Weyl's
  inequality each is within ``c N eps ||H||_2`` of the true one) and every entry of ``H`` is a mean of ``n``
  terms; optionally also the Rayleigh quotient of a given direction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EPS = np.finfo(np.float64).eps


def dense_hessian(problem, w, V, theta) -> np.ndarray:
    """Exact ``(N, N)`` Hessian of ``F`` in ``z = (w, vec_row(V))``, ``N = d + d k`` (module docstring)."""
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
    return H


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


def negative_curvature_certificate(H, n: int, direction=None) -> CurvatureReport:
    """Certify ``lambda_min(H) < 0`` in float64 (module docstring); with ``direction``, also require its
    Rayleigh quotient ``d^T H d / d^T d`` to be ``< -tol`` (a negative-curvature direction)."""
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be square; got shape {H.shape}")
    asym = float(np.max(np.abs(H - H.T), initial=0.0))
    tol = eigenvalue_tolerance(H, n)
    if asym > tol:
        raise ValueError(f"H is not symmetric: max |H - H^T| = {asym:.3e} > {tol:.3e}")
    values, vectors = np.linalg.eigh(H)
    lam, vec = float(values[0]), vectors[:, 0]
    rayleigh = None
    if direction is not None:
        dvec = np.asarray(direction, dtype=np.float64)
        rayleigh = float(dvec @ H @ dvec / (dvec @ dvec))
    if not lam < -tol:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"no negative curvature: lambda_min(H) = {lam:.3e} >= -{tol:.3e}, the "
                               "Hessian is positive semidefinite up to float64 rounding")
    if rayleigh is not None and not rayleigh < -tol:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"the given direction has Rayleigh quotient {rayleigh:.3e} >= -{tol:.3e}: "
                               f"not a negative-curvature direction (lambda_min = {lam:.3e})")
    extra = f", direction's Rayleigh quotient {rayleigh:.3e}" if rayleigh is not None else ""
    return CurvatureReport(True, lam, vec, tol, rayleigh,
                           f"negative curvature: lambda_min(H) = {lam:.3e} < -{tol:.3e}{extra}")
