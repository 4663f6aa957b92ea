"""Regularised and norm-constrained residual objectives: local minima and their KKT certificates.

Experiment regularised_bad_minima (DESIGN.md section 5).  The residual unit is a fixed feature map
(``q = 0``; the paper's theorem holds for every ``f``, so a counterexample with fixed ``f`` is a valid
counterexample for the modified objectives), and the variables are ``z = (w, vec_row V)``.

* Regularised: ``G(w, V) = F(w, V) + lam (||w||^2 + ||V||_F^2)``; its linear benchmark is
  ``G_lin = min_u E l(u^T x) + lam ||u||^2`` (the points ``(u, 0)``), strongly convex with modulus ``2 lam``,
  so ``G_lin^solver - G_lin <= ||grad||^2 / (4 lam)`` exactly (:func:`regularised_linear_benchmark`).
  A point is certified a strict local minimum when ``||grad G|| <= tol_grad`` and
  ``lambda_min(H_F + 2 lam I) >= tol_curv > 0`` (second-order sufficient condition).
* Constrained: ``min F(w, V)`` s.t. ``||V||_F <= R``; the linear benchmark is unchanged (``V = 0`` is
  feasible), ``F_lin``.  Interior local minima obey the main theorem, so bad ones lie on the sphere.
  KKT at ``||V||_F = R``: ``grad_w F = 0``, ``grad_V F + mu V = 0`` with ``mu >= 0``; with ``mu > 0`` (strict
  complementarity) the second-order sufficient condition is ``Q^T (H_F + mu diag(0, I)) Q`` positive
  definite, ``Q`` an orthonormal basis of the tangent space ``{(dw, dV) : <V, dV> = 0}``
  (:func:`ball_kkt_point`, :func:`ball_kkt_certificate`).

Float64 caveat (stated, not proven): a computed point with residual ``r`` and curvature ``lambda >= tol``
is within about ``r / lambda`` of an exact strict local minimum whose value differs by about
``r^2 / lambda`` (Newton-Kantorovich, assuming the Hessian changes by less than ``lambda / 2`` over that
distance); the bad-value margins reported are compared against this.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics.certificates.hessian import dense_hessian


# ------------------------------------------------------------------------------------------------
# Benchmarks
# ------------------------------------------------------------------------------------------------
def regularised_linear_benchmark(X, y, loss, lam: float, steps: int = 50) -> tuple[float, np.ndarray, float]:
    """``(value, u, suboptimality bound)`` for ``min_u E l(u^T x; y) + lam ||u||^2`` by damped Newton."""
    if not lam > 0:
        raise ValueError(f"lam must be > 0; got {lam}")
    n, d = X.shape
    u = np.zeros(d)

    def parts(u):
        p = X @ u
        val = float(np.mean(loss.value(p, y)) + lam * u @ u)
        grad = X.T @ loss.grad(p, y) / n + 2 * lam * u
        hess = (X.T * loss.curvature(p, y)) @ X / n + 2 * lam * np.eye(d)
        return val, grad, hess

    val, grad, hess = parts(u)
    for _ in range(steps):
        if np.linalg.norm(grad) <= 1e-13 * max(1.0, abs(val)):
            break
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-8:
            new = parts(u - t * step)
            if new[0] <= val:
                break
            t *= 0.5
        u = u - t * step
        val, grad, hess = new
    return val, u, float(grad @ grad) / (4 * lam)


# ------------------------------------------------------------------------------------------------
# Regularised objective
# ------------------------------------------------------------------------------------------------
@dataclass
class PointCertificate:
    ok: bool
    value: float
    residual: float
    curvature: float
    multiplier: float
    message: str


def _theta(problem):
    return np.zeros(problem.q) if problem.q == 0 else getattr(problem.unit, "theta0")


def regularised_value_grad(problem, lam: float, z):
    d, k = problem.d, problem.k
    w, V = z[:d], z[d:].reshape(d, k)
    g = problem.gradients(w, V, _theta(problem))
    return (g.F + lam * (w @ w + np.sum(V * V)),
            np.concatenate((g.grad_w + 2 * lam * w, (g.grad_V + 2 * lam * V).ravel())))


def regularised_certificate(problem, lam: float, z, tol_grad: float = 1e-8,
                            tol_curv: float = 1e-6) -> PointCertificate:
    """Strict local minimum of ``G`` at ``z`` (module docstring); message names what fails."""
    d, k = problem.d, problem.k
    value, grad = regularised_value_grad(problem, lam, z)
    H = dense_hessian(problem, z[:d], z[d:].reshape(d, k), _theta(problem)) + 2 * lam * np.eye(z.size)
    lam_min = float(np.linalg.eigvalsh(H)[0])
    res = float(np.linalg.norm(grad))
    if res > tol_grad:
        return PointCertificate(False, value, res, lam_min, 0.0,
                                f"not stationary: ||grad G|| = {res:.3e} > {tol_grad:.1e}")
    if lam_min < tol_curv:
        return PointCertificate(False, value, res, lam_min, 0.0,
                                f"second-order condition fails: lambda_min(Hessian of G) = {lam_min:.3e} "
                                f"< {tol_curv:.1e}")
    return PointCertificate(True, value, res, lam_min, 0.0,
                            f"strict local minimum of G: ||grad G|| = {res:.2e}, lambda_min = {lam_min:.3e}")


def regularised_local_minimum(problem, lam: float, z0, newton_steps: int = 8):
    """L-BFGS on ``G`` from ``z0``, then Newton steps with the exact Hessian (kept while ``||grad||`` drops)."""
    res = minimize(lambda z: regularised_value_grad(problem, lam, z), z0, jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 500})
    z = res.x
    d, k = problem.d, problem.k
    _, grad = regularised_value_grad(problem, lam, z)
    for _ in range(newton_steps):
        H = dense_hessian(problem, z[:d], z[d:].reshape(d, k), _theta(problem)) + 2 * lam * np.eye(z.size)
        try:
            z_new = z - np.linalg.solve(H, grad)
        except np.linalg.LinAlgError:
            break
        _, g_new = regularised_value_grad(problem, lam, z_new)
        if not np.linalg.norm(g_new) < np.linalg.norm(grad):
            break
        z, grad = z_new, g_new
    return z


# ------------------------------------------------------------------------------------------------
# Norm-constrained objective
# ------------------------------------------------------------------------------------------------
def _kkt_parts(problem, z, mu):
    d, k = problem.d, problem.k
    w, V = z[:d], z[d:].reshape(d, k)
    g = problem.gradients(w, V, _theta(problem))
    e = np.concatenate((np.zeros(d), V.ravel()))
    residual = np.concatenate((g.grad_w, (g.grad_V + mu * V).ravel()))
    return g, e, residual


def ball_kkt_certificate(problem, R: float, z, mu: float, tol_res: float = 1e-8,
                         tol_curv: float = 1e-6) -> PointCertificate:
    """KKT + second-order sufficient conditions for ``min F s.t. ||V||_F <= R`` at ``z`` (on the sphere)."""
    d, k = problem.d, problem.k
    g, e, residual = _kkt_parts(problem, z, mu)
    sphere = abs(float(e @ e) - R * R) / (R * R)
    res = float(max(np.linalg.norm(residual), sphere))
    H = dense_hessian(problem, z[:d], z[d:].reshape(d, k), _theta(problem))
    H[d:, d:] += mu * np.eye(d * k)
    # orthonormal basis of the tangent space {dz : e^T dz = 0}
    Q = np.linalg.svd(e[None, :])[2][1:].T
    curv = float(np.linalg.eigvalsh(Q.T @ H @ Q)[0]) if Q.shape[1] else np.inf
    if res > tol_res:
        return PointCertificate(False, g.F, res, curv, mu,
                                f"not a KKT point: residual {res:.3e} > {tol_res:.1e}")
    if not mu > tol_curv:
        return PointCertificate(False, g.F, res, curv, mu,
                                f"multiplier mu = {mu:.3e} is not positive: the constraint is not "
                                "strictly active, F decreases into the ball")
    if curv < tol_curv:
        return PointCertificate(False, g.F, res, curv, mu,
                                f"second-order condition fails on the tangent space: lambda_min = "
                                f"{curv:.3e} < {tol_curv:.1e}")
    return PointCertificate(True, g.F, res, curv, mu,
                            f"strict local minimum on ||V|| <= {R:g}: KKT residual {res:.2e}, "
                            f"mu = {mu:.3e} > 0, tangent curvature {curv:.3e}")


def ball_kkt_point(problem, R: float, z0, newton_steps: int = 10):
    """Minimise ``F`` on the sphere ``||V||_F = R`` (``V = R U / ||U||``, L-BFGS in ``(w, U)``), then Newton
    on the KKT system ``(grad F + mu (0, V), (||V||^2 - R^2) / 2) = 0``.  Returns ``(z, mu)``."""
    d, k = problem.d, problem.k

    def on_sphere(y):
        w, U = y[:d], y[d:]
        nu = np.linalg.norm(U)
        V = R * U / nu
        g = problem.gradients(w, V.reshape(d, k), _theta(problem))
        gV = g.grad_V.ravel()
        # chain rule through V = R U / ||U||: dV/dU = (R / ||U||) (I - u u^T), u = U / ||U||
        u = U / nu
        gU = (R / nu) * (gV - u * (u @ gV))
        return g.F, np.concatenate((g.grad_w, gU))

    res = minimize(on_sphere, z0, jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-12, "ftol": 0.0, "maxiter": 500})
    w, U = res.x[:d], res.x[d:]
    z = np.concatenate((w, R * U / np.linalg.norm(U)))
    g, e, _ = _kkt_parts(problem, z, 0.0)
    mu = -float(g.grad_V.ravel() @ z[d:]) / (R * R)
    for _ in range(newton_steps):
        g, e, residual = _kkt_parts(problem, z, mu)
        full = np.concatenate((residual, [(e @ e - R * R) / 2]))
        H = dense_hessian(problem, z[:d], z[d:].reshape(d, k), _theta(problem))
        H[d:, d:] += mu * np.eye(d * k)
        J = np.block([[H, e[:, None]], [e[None, :], np.zeros((1, 1))]])
        try:
            step = np.linalg.solve(J, full)
        except np.linalg.LinAlgError:
            break
        z_new, mu_new = z - step[:-1], mu - step[-1]
        g2, e2, r2 = _kkt_parts(problem, z_new, mu_new)
        if not np.linalg.norm(np.concatenate((r2, [(e2 @ e2 - R * R) / 2]))) < np.linalg.norm(full):
            break
        z, mu = z_new, mu_new
    return z, mu
