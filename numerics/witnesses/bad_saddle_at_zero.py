"""Witness for example bad_saddle_at_zero: certified bad strict saddles at ``w = 0``, and the two families
showing that the ``1 / ||w||`` and ``||V||`` factors of the section-4 bound are necessary.

Claim
-----
Per instance, with ``a_0 = E[l'(0; y) x]``, ``c_0 = E[l'(0; y) f_theta(x)]`` and ``V_0 = -a_0 c_0^T / ||c_0||^2``
(the lemma's ``a_0, c_0, V_0``), at ``(0, V_0, theta)``:

1. hypothesis ``c_0 != 0`` (``||c_0|| > C_NONZERO_FACTOR`` times its rounding bound; an instance without it
   is unchecked, never passed);
2. stationary: ``||grad_w F|| = ||a_0 + V_0 c_0|| <= stat`` *enclosed in Arb balls* (the exact gradient at the
   float64 point ``V_0``, computed from the data and the loss's SymPy derivative), and the model's gradient
   ``||(grad_w, grad_V, grad_theta)|| <= stat`` (:func:`~..hessian.stationarity_certificate`), with
   ``stat = STATIONARITY_FACTOR (n + d + k) eps (||a_0|| + ||V_0||_F ||c_0||)``;
3. bad value: ``F = E_l0`` (the model's ``F`` against ``E l(0; y)``) and ``E_l0 - E l(u^T x; y) > 0`` *enclosed
   in Arb balls* for the linear benchmark's point ``u`` (so ``F > E l(u^T x) >= F_lin``: no float64
   comparison decides it);
4. strict saddle, along ``d = (u, -s* u c_0^T)`` with the lemma's ``s* = S_STAR``: the second derivative
   ``d2F_saddle`` of ``t -> F(t u, V_0 - t s* u c_0^T, theta)`` *extrapolated from F alone* equals ``-1`` (the
   value the kernel proves); its formula ``E[l''(0; y)(u^T phi)^2] - 2 s* ||u||^2 ||c_0||^2`` *enclosed in
   Arb balls* is ``< 0``; and the Hessian code agrees: ``d^T H d = -1`` for the exact dense Hessian
   (:func:`~..hessian.dense_hessian`) and its smallest eigenvalue is certified negative
   (:func:`~..hessian.negative_curvature_certificate` on ``S H S``, Jacobi scaling).  A Hessian with a
   flipped sign, or a certificate that flips the eigenvalue's sign, fails these claims;
5. ``||w|| -> 0`` family ``(t e, V_0, theta)``, ``t = tau T_VALUES``, ``tau = 1 / (1 + ||H_ww||_2)``: the
   section-4 bound ``F - E l(u*^T x) <= ||w - u*|| ||grad_w|| + ||u*|| ||V||_2 ||grad_V||_F / ||w||`` at every
   ``t``; ``||grad F||`` falls at least ``1 / GRADIENT_FALL_SMALL_W``-fold from ``t = 1e-3`` to ``1e-6``; and at
   the smallest ``t``, ``F - E l(u*^T x)`` exceeds the bound *without* the ``1 / ||w||`` factor;
6. ``||V|| -> inf`` family (``F_lin`` attained at ``u* != 0``): features ``f = g / R``, ``g(x) = -(u*^T x) /
   ||u*||``, ``V = R u* / ||u*||``, ``w`` the certified best linear predictor on ``P x``, ``P = I - u* u*^T /
   ||u*||^2`` (when that fit is certified worse than ``F_lin``); ``R`` in ``R_VALUES``: the bound holds, the
   gradient falls ``1 / GRADIENT_FALL_LARGE_V``-fold (down to the convex solver's stopping tolerance), and at
   the largest ``R`` the gap exceeds the bound without the ``||V||`` factor.

The gradients in 5-6 are the lemma's formulas evaluated from the data (``grad_w = E_rx + V c``,
``grad_V = w c^T``, ``_common.from_data``), which residual_gradients checks against ``F``.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`), ``theta`` from ``unit.init``, ``u`` and
``e`` standard normal.  Families 5-6 need ``u*`` (``F_lin`` attained); the details count them.

Tolerance
---------
Float64 comparisons: ``ROUNDING_FACTOR n eps (1 + magnitudes)``; the extrapolated second derivative:
``ERROR_FACTOR`` times its error estimate plus ``ROUNDING_MULTIPLE eps (|F| + |d2F| + 1)``, resolving
relative errors of ``DERIVATIVE_RESOLUTION``; the Hessian code: its entrywise rounding bound ``Eb``
(eigenvalue: ``||S Eb S||_F + 64 N eps ||S H S||_F``; ``d^T H d``: ``|d|^T Eb |d| + 64 N eps |d|^T |H| |d|``);
Arb enclosures: none needed (a ball contains the exact value; only its sign is claimed).
"""
from __future__ import annotations

import numpy as np
from flint import arb, ctx

from resnet_lemmas.numerics.certificates import enclosures as arb_
from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.derivatives import (ERROR_FACTOR, ROUNDING_MULTIPLE,
                                                             derivative_allowance,
                                                             second_directional_derivatives)
from resnet_lemmas.numerics.certificates.hessian import EPS as _EPS
from resnet_lemmas.numerics.certificates.hessian import (dense_hessian, negative_curvature_certificate,
                                                         stationarity_certificate)
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.fixed_features import FixedFeatureUnit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      benchmark_point, from_data, objective_batch,
                                                      resolution_claim, rounding)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

DEFAULT_INSTANCES = 200
T_VALUES = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6)
R_VALUES = (1.0, 1e2, 1e4, 1e6)
EPS = np.finfo(np.float64).eps
#: Stationarity of ``(0, V_0, theta)``: ``||grad F|| <= STATIONARITY_FACTOR (n + d + k) eps (||a_0|| +
#: ||V_0||_F ||c_0||)`` (rounding of ``a_0 + V_0 c_0``, which is zero exactly).
STATIONARITY_FACTOR = 64.0
#: ``c_0`` (and ``a_0``) count as nonzero beyond this many times their float64 error bound.
C_NONZERO_FACTOR = 1e3
#: ``||grad F||`` at ``t = 1e-6`` must be at most this fraction of its value at ``t = 1e-3`` (it is linear in
#: ``t``: the fraction is 1e-3 up to rounding).
GRADIENT_FALL_SMALL_W = 1e-2
#: ``||grad F||`` at ``R = 1e6`` must be at most this fraction of its value at ``R = 1`` (it falls like
#: ``1 / R``), plus the convex solver's stopping tolerance on ``grad_w``.
GRADIENT_FALL_LARGE_V = 1e-4
#: The convex solver stops at ``||grad_w||`` = its ``grad_norm``; the large-``V`` family's gradient cannot
#: fall below this many times it (times ``1 + ||P||``).
SOLVER_FLOOR_FACTOR = 10.0
#: The value of ``d^T H d`` (and of the second derivative along ``d``) that the kernel proves with
#: ``s = s*`` (lemma bad_saddle_at_zero, chain ``negative_curvature``).
PROVEN_CURVATURE = -1.0
#: Rounding of the quadratic form ``d^T H d``: ``QUADRATIC_FORM_ROUNDING N eps |d|^T |H| |d|`` (a sum of
#: ``N^2`` products; the factor of :mod:`~..hessian`), plus the entries' own bound ``|d|^T Eb |d|``.
QUADRATIC_FORM_ROUNDING = 64.0
TOLERANCE = (f"stationarity {STATIONARITY_FACTOR:g} (n + d + k) eps (||a_0|| + ||V_0|| ||c_0||), enclosed in "
             "Arb balls and for the model's gradient; F > F_lin and d2F_saddle < 0 enclosed in Arb balls; "
             f"extrapolated d2F_saddle = -1 within {ERROR_FACTOR:g} x error estimate + "
             f"{ROUNDING_MULTIPLE:g} eps (|F| + |d2F| + 1) (resolving {DERIVATIVE_RESOLUTION:g} relative); "
             "Hessian code: eigenvalue of S H S below -(||S Eb S||_F + 64 N eps ||S H S||_F), d^T H d = -1 "
             "within |d|^T Eb |d| + 64 N eps |d|^T |H| |d| (Eb: entrywise rounding bound of H); other "
             f"values {ROUNDING_FACTOR:g} n eps (1 + magnitudes)")


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


def enclosed_saddle(problem, Fx, V0, u, s) -> dict:
    """Arb enclosures at ``(0, V0, theta)`` from the data and the loss's SymPy derivatives: upper bounds of
    ``||a_0 + V_0 c_0||`` (the exact ``grad_w F``) and of ``E[l''(0; y)(u^T phi)^2] - 2 s ||u||^2 ||c_0||^2``."""
    X, y, n = problem.X, problem.y, problem.n
    with ctx.workprec(arb_.PRECISION_BITS):
        zeros = [0.0] * n      # floats: repeated (0, y) pairs are evaluated once
        r0 = arb_.loss_balls(problem.loss, 1, zeros, y)
        q0 = arb_.loss_balls(problem.loss, 2, zeros, y)
        a0 = arb_.weighted_mean(r0, X)
        c0 = arb_.weighted_mean(r0, Fx)
        grad_w = [a + b for a, b in zip(a0, arb_.matvec(V0, c0))]
        Vt_u = arb_.matvec(V0.T, [arb_.ball(v) for v in u])       # V_0^T u, so u^T phi = u^T x + f^T V_0^T u
        u_phi = [arb_.dot(X[i], u) + arb_.dot(Fx[i], Vt_u) for i in range(n)]
        E_l2 = arb(0)
        for qi, up in zip(q0, u_phi):
            E_l2 += qi * up * up
        E_l2 = E_l2 / n
        d2 = E_l2 - 2 * arb_.ball(s) * arb_.squared_norm([arb_.ball(v) for v in u]) * arb_.squared_norm(c0)
        return {"grad_w_norm_upper": arb_.upper(arb_.squared_norm(grad_w).sqrt()),
                "d2F_upper": arb_.upper(d2)}


def _full_grad_norm(g) -> float:
    theta_part = 0.0 if g.grad_theta is None else float(g.grad_theta @ g.grad_theta)
    return float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2) + theta_part))


def _bound(data, w, V, u, with_w: bool = True, with_V: bool = True) -> tuple[float, float, float]:
    """``(bound, ||grad_w||, ||grad_V||_F)``: ``||w - u|| ||grad_w|| + ||u|| ||V||_2 ||grad_V||_F / ||w||`` with
    ``grad_w = E_rx + V c``, ``grad_V = w c^T`` from the data (``with_w=False`` drops ``1 / ||w||``,
    ``with_V=False`` drops ``||V||_2``)."""
    grad_w = data.E_rx + V @ data.c
    gw, gv = float(np.linalg.norm(grad_w)), float(np.linalg.norm(w) * np.linalg.norm(data.c))
    second = float(np.linalg.norm(u)) * gv
    if with_V:
        second *= float(np.linalg.norm(V, 2))
    if with_w:
        second /= float(np.linalg.norm(w))
    return float(np.linalg.norm(w - u)) * gw + second, gw, gv


def small_w_family(problem, theta, V0, u_star, rng, tau: float = 1.0):
    """Claims of item 5 and the figures at the smallest ``t`` (``t = tau * T_VALUES``)."""
    e = rng.normal(size=problem.d)
    e /= np.linalg.norm(e)
    n = problem.n
    E_lu = float(np.mean(problem.loss.value(problem.X @ u_star, problem.y)))
    margins, grads, rows = [], [], []
    for t in T_VALUES:
        w = tau * t * e
        data = from_data(problem, w, V0, theta)
        bound, gw, gv = _bound(data, w, V0, u_star)
        rows.append(Claim("F - E l(u*^T x) <= ||w - u*|| ||grad_w|| + ||u*|| ||V||_2 ||grad_V||_F / ||w|| "
                          f"(t = {tau * t:.3g})", data.F - E_lu, "<=", bound,
                          {"rounding": data.err_F + rounding(E_lu, bound, n=n)}))
        margins.append(rows[-1].margin)
        grads.append(float(np.hypot(gw, gv)))
    worst = rows[int(np.argmin(margins))]
    without, _, _ = _bound(data, w, V0, u_star, with_w=False)
    claims = [worst,
              Claim("F - E l(u*^T x) > bound without 1/||w|| (smallest t)", data.F - E_lu, ">=",
                    without + data.err_F + rounding(E_lu, without, n=n)),
              Claim(f"||grad F|| (t = 1e-6) <= {GRADIENT_FALL_SMALL_W:g} ||grad F|| (t = 1e-3)", grads[-1],
                    "<=", GRADIENT_FALL_SMALL_W * grads[T_VALUES.index(1e-3)])]
    return claims, {"t": tau * T_VALUES[-1], "grad_norm": grads[-1], "F_minus_E_l_u_star": data.F - E_lu,
                    "bound_without_1_over_w": without}


def large_V_family(problem, u_star):
    """Claims of item 6 (``None`` when the projected fit is not certified worse than ``F_lin``)."""
    X, y, loss, n = problem.X, problem.y, problem.loss, problem.n
    u_hat = u_star / np.linalg.norm(u_star)
    P = np.eye(problem.d) - np.outer(u_hat, u_hat)
    fit = linear_benchmark(X @ P, y, loss)
    E_lu = float(np.mean(loss.value(X @ u_star, y)))
    if fit.argmin is None or not (fit.value - fit.suboptimality_bound
                                  > E_lu + rounding(fit.value, E_lu, n=n)):
        return None, {}
    w = P @ fit.argmin
    margins, grads, rows = [], [], []
    for R in R_VALUES:
        unit = FixedFeatureUnit(lambda Z, h=u_hat: -(Z @ h)[:, None], scale=1.0 / R)
        prob = ResNetProblem(unit, X, y, loss)
        V = R * u_hat[:, None]
        data = from_data(prob, w, V, np.zeros(0))
        bound, gw, gv = _bound(data, w, V, u_star)
        rows.append(Claim("F - E l(u*^T x) <= ||w - u*|| ||grad_w|| + ||u*|| ||V||_2 ||grad_V||_F / ||w|| "
                          f"(R = {R:g})", data.F - E_lu, "<=", bound,
                          {"rounding": data.err_F + rounding(E_lu, bound, n=n)}))
        margins.append(rows[-1].margin)
        grads.append(float(np.hypot(gw, gv)))
    without, _, _ = _bound(data, w, V, u_star, with_V=False)
    solver_floor = SOLVER_FLOOR_FACTOR * fit.grad_norm * (1 + np.linalg.norm(P, 2))
    claims = [rows[int(np.argmin(margins))],
              Claim("F - E l(u*^T x) > bound without ||V||_2 (largest R)", data.F - E_lu, ">=",
                    without + data.err_F + rounding(E_lu, without, n=n)),
              Claim(f"||grad F|| (R = 1e6) <= {GRADIENT_FALL_LARGE_V:g} ||grad F|| (R = 1) + solver tolerance",
                    grads[-1], "<=", GRADIENT_FALL_LARGE_V * grads[0] + solver_floor)]
    return claims, {"R": R_VALUES[-1], "grad_norm": grads[-1], "F_minus_E_l_u_star": data.F - E_lu,
                    "bound_without_V_factor": without}


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 5])
    n, d, k = problem.n, problem.d, problem.k
    theta = problem.unit.init(rng)
    zero = np.zeros(d)
    at_zero = from_data(problem, zero, np.zeros((d, k)), theta)
    a0, c0 = at_zero.E_rx, at_zero.c
    nonzero = (np.linalg.norm(c0) > C_NONZERO_FACTOR * np.linalg.norm(at_zero.err_c)
               and np.linalg.norm(a0) > C_NONZERO_FACTOR * np.linalg.norm(at_zero.err_E_rx))
    if not nonzero:
        return InstanceResult(seed, checked=False, description=(
            f"{inst.description}: c0 or a0 is zero within rounding (||c0|| = {np.linalg.norm(c0):.2e}, "
            f"||a0|| = {np.linalg.norm(a0):.2e}); the construction needs both nonzero"))
    _, _, V0 = saddle_point(problem, theta)
    Fx = at_zero.Fx
    u = rng.normal(size=d)
    step = s_star(problem, theta, V0, u, c0)
    stat_tol = STATIONARITY_FACTOR * (n + d + k) * EPS * (np.linalg.norm(a0) + np.linalg.norm(V0)
                                                          * np.linalg.norm(c0))
    balls = enclosed_saddle(problem, Fx, V0, u, step)
    stat = stationarity_certificate(problem, zero, V0, theta, stat_tol)
    claims = [
        Claim("||grad_w F(0, V_0, theta)|| = ||a_0 + V_0 c_0|| <= stat (Arb enclosure)",
              balls["grad_w_norm_upper"], "<=", stat_tol),
        Claim("||grad F|| <= stat (model)", stat.grad_norm, "<=", stat_tol),
    ]
    # bad value: F(0, V_0, theta) = E l(0; y) > E l(u^T x; y) >= F_lin
    l0 = problem.loss.value(np.zeros(n), problem.y)
    E_l0 = float(np.mean(l0))
    F0 = problem.objective(zero, V0, theta)
    claims.append(Claim("F(0, V_0, theta) = E_l0", F0, "=", E_l0,
                        {"rounding": BOTH_SIDES * rounding(float(np.mean(np.abs(l0))), n=n)}))
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    u_lin = benchmark_point(lin)
    gap = arb_.mean_loss_gap(problem.loss, problem.y, np.zeros(n), arb_.linear_predictions(problem.X, u_lin))
    claims.append(Claim("E_l0 - E l(u^T x) > 0, so F > F_lin (Arb enclosure, lower end)", arb_.lower(gap),
                        ">=", np.finfo(np.float64).tiny))
    # strict saddle: independently extrapolated, enclosed, and by the Hessian code
    direction = np.concatenate((u, (-step * np.outer(u, c0)).ravel()))
    u_phi = (problem.X + Fx @ V0.T) @ u
    sigma = max(1.0, float(np.max(np.abs(u_phi))),
                float(np.sqrt(step * (u @ u) * np.max(np.abs(Fx @ c0)))))
    est, err = second_directional_derivatives(objective_batch(problem, theta),
                                              np.concatenate((zero, V0.ravel())), (direction / sigma)[None, :])
    d2, d2_err = float(est[0]) * sigma ** 2, float(err[0]) * sigma ** 2
    allow = derivative_allowance(d2_err, F0, d2)
    claims += [Claim("d2F_saddle = -1 (extrapolated from F)", d2, "=", PROVEN_CURVATURE, allow),
               Claim("d2F_saddle = E_l2_uphi - 2 s* ||u||^2 ||c_0||^2 < 0 (Arb enclosure, upper end)",
                     balls["d2F_upper"], "<=", 0.0),
               resolution_claim(allow["extrapolation"] / ((abs(F0) + 1.0) * sigma ** 2 + abs(d2)))]
    H, Eb = dense_hessian(problem, zero, V0, theta, error_bound=True)
    diag = np.diag(H)
    scaling = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    curvature = negative_curvature_certificate(H, n, None, error=Eb, scaling=scaling)
    rq_value = float(direction @ H @ direction)
    ad = np.abs(direction)
    rq_tol = float(ad @ Eb @ ad) + QUADRATIC_FORM_ROUNDING * H.shape[0] * _EPS * float(ad @ np.abs(H) @ ad)
    claims += [Claim("d^T H d = -1 (Hessian code)", rq_value, "=", PROVEN_CURVATURE, {"rounding": rq_tol}),
               Claim("lambda_min(S H S) < 0 (Hessian code, certified)", curvature.eigenvalue, "<=",
                     -curvature.tolerance)]
    values = {"lambda_min": curvature.eigenvalue, "F_minus_F_lin_lower": arb_.lower(gap),
              "stationarity": stat.grad_norm, "d_H_d": rq_value, "d2F_extrapolated": d2}
    if lin.argmin is not None and np.linalg.norm(lin.argmin) > 0:
        tau = 1.0 / (1.0 + float(np.linalg.norm(H[:d, :d], 2)))
        fam_claims, fam = small_w_family(problem, theta, V0, lin.argmin, rng, tau)
        claims += fam_claims
        values["small_w"] = fam
        big_claims, big = large_V_family(problem, lin.argmin)
        if big_claims is not None:
            claims += big_claims
            values["large_V"] = big
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description}; {stat.message}; {curvature.message}; "
                                       f"d^T H d = {rq_value:.6g}, extrapolated d2F = {d2:.6g} "
                                       f"(proven: -1)"),
                          values=values)


def _details(results):
    vals = [r.values for r in results if "lambda_min" in r.values]
    small = [v["small_w"] for v in vals if "small_w" in v]
    large = [v["large_V"] for v in vals if "large_V" in v]
    out = {"saddles_certified": sum(r.ok and r.checked for r in results),
           "max_lambda_min_of_SHS": max((v["lambda_min"] for v in vals), default=None),
           "min_F_minus_F_lin_lower_bound": min((v["F_minus_F_lin_lower"] for v in vals), default=None),
           "max_abs_d2F_extrapolated_plus_1": max((abs(v["d2F_extrapolated"] + 1.0) for v in vals),
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
