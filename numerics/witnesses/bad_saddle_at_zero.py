"""Witness for example bad_saddle_at_zero: certified bad strict saddles, and the two necessity families.

Per instance (sampled loss, unit, data; random ``theta``), with ``a0 = E[l'(0; y) x]``, ``c0 = E[l'(0; y) f]``,
``V0 = -a0 c0^T / ||c0||^2``:

1. stationarity of ``(0, V0, theta)``: ``||grad F||`` (all of ``w, V, theta``) ``<= 64 (n + d + k) eps
   (||a0|| + ||V0||_F ||c0||)`` (rounding of ``a0 + V0 c0``, which is zero exactly);
2. bad value: ``F - F_lin >= E l(0; y) - F_lin^solver > rounding`` (the convex solver's value is an upper
   bound on ``F_lin``);
3. strict saddle: the exact dense Hessian in ``(w, V)`` (:func:`~..hessian.dense_hessian`, with its
   entrywise rounding bound ``Eb``) has a certified negative eigenvalue
   (:func:`~..hessian.negative_curvature_certificate` on ``S H S`` with the Jacobi scaling
   ``S_ii = H_ii^{-1/2}`` where ``H_ii > 0``, else 1: same inertia as ``H``), and the symbolic direction
   ``d = (u, -s* u c0^T)`` has ``d^T H d = -1`` (the value proven in the kernel) to within the rounding
   bound ``|d|^T Eb |d| + 64 N eps |d|^T |H| |d|``;
4. ``||w|| -> 0`` family ``(t e, V0, theta)``, ``t = tau 1e-1 .. tau 1e-6`` with ``tau = 1 / (1 + ||H_ww||_2)``
   (``grad_w F ~ t H_ww e``, and ``H_ww`` is large when ``c0`` is small): the bound with ``1/||w||`` holds at
   every ``t``; ``||grad F||`` falls at least 100-fold from ``t = 1e-3`` to ``1e-6``; and at ``t = 1e-6``
   ``F - E l(u*^T x)`` exceeds the bound *without* the ``1/||w||`` factor (so that factor is necessary);
5. ``||V|| -> inf`` family (``d >= 2``, ``F_lin`` attained at ``u* != 0``): features ``f = g / R``,
   ``g(x) = -(u*^T x) / ||u*||``, ``V = R u* / ||u*||``, ``w = w*`` the certified best linear predictor on
   ``P x``, ``P = I - u* u*^T / ||u*||^2`` (when that fit is certified worse than ``F_lin``); ``R = 1 .. 1e6``:
   the bound holds, ``||grad F||`` falls at least ``1e4``-fold, and at ``R = 1e6`` ``F - E l(u*^T x)``
   exceeds the bound without the ``||V||`` factor.

Families 4-5 need ``u*`` (``F_lin`` attained); instances without it are counted in the details.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import gap_bound, rounding_tolerance
from resnet_lemmas.numerics.models.fixed_features import FixedFeatureUnit
from resnet_lemmas.numerics.certificates.hessian import EPS as _EPS
from resnet_lemmas.numerics.certificates.hessian import dense_hessian, negative_curvature_certificate, stationarity_certificate
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
T_VALUES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
R_VALUES = (1.0, 1e2, 1e4, 1e6)
EPS = np.finfo(np.float64).eps
TOLERANCE = ("stationarity 64 (n + d + k) eps (||a0|| + ||V0|| ||c0||); eigenvalue of S H S: "
             "||S Eb S||_F + 64 N eps ||S H S||_F (entrywise rounding bound Eb of H + eigh backward "
             "error); d^T H d: |d|^T Eb |d| + 64 N eps |d|^T |H| |d|; values 64 n eps (1 + magnitudes)")


def saddle_point(problem, theta):
    """``(a0, c0, V0)`` at ``w = 0`` for the given ``theta`` (shapes ``(d,), (k,), (d, k)``)."""
    g0 = problem.gradients(np.zeros(problem.d), np.zeros((problem.d, problem.k)), theta)
    a0, c0 = g0.r_x, g0.c
    return a0, c0, -np.outer(a0, c0) / (c0 @ c0)


def s_star(problem, theta, V0, u, c0) -> float:
    """``(E[l''(0; y)(u^T phi)^2] + 1) / (2 ||u||^2 ||c0||^2)`` (``S_STAR`` of the lemma), ``phi = x + V0 f``."""
    phi = problem.X + problem.features(theta) @ V0.T
    curv0 = problem.loss.curvature(np.zeros(problem.n), problem.y)
    return float((np.mean(curv0 * (phi @ u) ** 2) + 1.0) / (2.0 * (u @ u) * (c0 @ c0)))


def _bound_without_w(g, w, V, u) -> float:
    return float(np.linalg.norm(w - u) * np.linalg.norm(g.grad_w)
                 + np.linalg.norm(u) * np.linalg.norm(V, 2) * np.linalg.norm(g.grad_V))


def _full_grad_norm(g) -> float:
    theta_part = 0.0 if g.grad_theta is None else float(g.grad_theta @ g.grad_theta)
    return float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2) + theta_part))


def small_w_family(problem, theta, V0, u_star, rng, tau: float = 1.0):
    """Slacks of check 4 and the figures at the smallest ``t`` (``t = tau * T_VALUES``)."""
    e = rng.normal(size=problem.d)
    e /= np.linalg.norm(e)
    E_lu = float(np.mean(problem.loss.value(problem.X @ u_star, problem.y)))
    slacks, grads = [], []
    zero_b = np.zeros(problem.k)
    for t in T_VALUES:
        w = tau * t * e
        g = problem.gradients(w, V0, theta)
        bound = gap_bound(g, w, V0, u_star, zero_b)
        slacks.append(bound + rounding_tolerance(g.F, E_lu, bound, n=problem.n) - (g.F - E_lu))
        grads.append(_full_grad_norm(g))
    without = _bound_without_w(g, w, V0, u_star)
    tol = rounding_tolerance(g.F, E_lu, without, n=problem.n)
    slacks.append((g.F - E_lu) - without - tol)                    # the 1/||w|| factor is needed
    slacks.append(1e-2 * grads[T_VALUES.index(1e-3)] - grads[-1])  # gradient -> 0 (linearly in t)
    return slacks, {"t": tau * T_VALUES[-1], "grad_norm": grads[-1], "F_minus_E_l_u_star": g.F - E_lu,
                    "bound_without_1_over_w": without}


def large_V_family(problem, u_star):
    """Slacks of check 5 (``None`` when the projected fit is not certified worse than ``F_lin``)."""
    X, y, loss, n = problem.X, problem.y, problem.loss, problem.n
    u_hat = u_star / np.linalg.norm(u_star)
    P = np.eye(problem.d) - np.outer(u_hat, u_hat)
    fit = linear_benchmark(X @ P, y, loss)
    E_lu = float(np.mean(loss.value(X @ u_star, y)))
    if fit.argmin is None or not (fit.value - fit.suboptimality_bound
                                  > E_lu + rounding_tolerance(fit.value, E_lu, n=n)):
        return None, {}
    w = P @ fit.argmin
    slacks, grads = [], []
    for R in R_VALUES:
        unit = FixedFeatureUnit(lambda Z, h=u_hat: -(Z @ h)[:, None], scale=1.0 / R)
        prob = ResNetProblem(unit, X, y, loss)
        V = R * u_hat[:, None]
        g = prob.gradients(w, V, np.zeros(0))
        bound = gap_bound(g, w, V, u_star, np.zeros(1))
        slacks.append(bound + rounding_tolerance(g.F, E_lu, bound, n=n) - (g.F - E_lu))
        grads.append(_full_grad_norm(g))
    without = float(np.linalg.norm(w - u_star) * np.linalg.norm(g.grad_w)
                    + np.linalg.norm(u_star) * np.linalg.norm(g.grad_V) / np.linalg.norm(w))
    slacks.append((g.F - E_lu) - without - rounding_tolerance(g.F, E_lu, without, n=n))
    # the gradient falls like 1/R down to the convex solver's stopping tolerance on grad_w
    slacks.append(1e-4 * grads[0] + 10 * fit.grad_norm * (1 + np.linalg.norm(P, 2)) - grads[-1])
    return slacks, {"R": R_VALUES[-1], "grad_norm": grads[-1], "F_minus_E_l_u_star": g.F - E_lu,
                    "bound_without_V_factor": without}


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 5])
    n, d, k = problem.n, problem.d, problem.k
    theta = problem.unit.init(rng)
    a0, c0, V0 = saddle_point(problem, theta)
    zero = np.zeros(d)
    stat_tol = 64 * (n + d + k) * EPS * (np.linalg.norm(a0) + np.linalg.norm(V0) * np.linalg.norm(c0))
    stat = stationarity_certificate(problem, zero, V0, theta, stat_tol)
    E_l0 = float(np.mean(problem.loss.value(np.zeros(n), problem.y)))
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    bad_slack = E_l0 - lin.value - rounding_tolerance(E_l0, lin.value, n=n)
    H, Eb = dense_hessian(problem, zero, V0, theta, error_bound=True)
    u = rng.normal(size=d)
    step = s_star(problem, theta, V0, u, c0)
    direction = np.concatenate((u, (-step * np.outer(u, c0)).ravel()))
    diag = np.diag(H)
    scaling = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    curvature = negative_curvature_certificate(H, n, direction, error=Eb, scaling=scaling)
    rq_value = float(direction @ H @ direction)
    ad = np.abs(direction)
    rq_tol = float(ad @ Eb @ ad) + 64 * H.shape[0] * _EPS * float(ad @ np.abs(H) @ ad)
    rq_slack = rq_tol - abs(rq_value + 1.0)
    slacks = [stat.tolerance - stat.grad_norm, bad_slack,
              curvature.tolerance - curvature.eigenvalue if curvature.ok else -abs(curvature.eigenvalue) - 1.0,
              rq_slack]
    values = {"lambda_min": curvature.eigenvalue, "F_minus_F_lin_lower": E_l0 - lin.value,
              "stationarity": stat.grad_norm, "d_H_d": rq_value}
    notes = [stat.message, curvature.message]
    if lin.argmin is not None and np.linalg.norm(lin.argmin) > 0:
        tau = 1.0 / (1.0 + float(np.linalg.norm(H[:d, :d], 2)))
        fam_slacks, fam = small_w_family(problem, theta, V0, lin.argmin, rng, tau)
        slacks += fam_slacks
        values["small_w"] = fam
        big_slacks, big = large_V_family(problem, lin.argmin)
        if big_slacks is not None:
            slacks += big_slacks
            values["large_V"] = big
    margin = float(min(slacks))
    return InstanceResult(seed, margin, f"{inst.description}; " + "; ".join(notes)
                          + f"; d^T H d = {rq_value:.6g} (proven: -1)", values)


def _details(results):
    small = [r.values["small_w"] for r in results if "small_w" in r.values]
    large = [r.values["large_V"] for r in results if "large_V" in r.values]
    out = {"saddles_certified": sum(r.ok for r in results),
           "max_lambda_min_of_SHS": max((r.values.get("lambda_min", 0.0) for r in results), default=None),
           "min_F_minus_F_lin": min((r.values.get("F_minus_F_lin_lower", np.inf) for r in results),
                                    default=None),
           "small_w_family_instances": len(small), "large_V_family_instances": len(large)}
    if small:
        out["small_w_at_smallest_t"] = {
            "max_grad_norm": max(f["grad_norm"] for f in small),
            "min_F_minus_E_l_u_star": min(f["F_minus_E_l_u_star"] for f in small),
            "max_bound_without_1_over_w": max(f["bound_without_1_over_w"] for f in small)}
    if large:
        out["large_V_at_R_1e6"] = {
            "max_grad_norm": max(f["grad_norm"] for f in large),
            "min_F_minus_E_l_u_star": min(f["F_minus_E_l_u_star"] for f in large),
            "max_bound_without_V_factor": max(f["bound_without_V_factor"] for f in large)}
    return out


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("bad_saddle_at_zero", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)
