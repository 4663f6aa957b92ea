"""Witness for example bad_saddle_at_zero: certified bad strict saddles at ``w = 0``, and the two families
showing that the ``1 / ||w||`` and ``||V||`` factors of the section-4 bound are necessary.

Claim
-----
Per instance, with ``a_0 = E[l'(0; y) x]``, ``c_0 = E[l'(0; y) f_theta(x)]`` and ``V_0 = -a_0 c_0^T / ||c_0||^2``
(the lemma's ``a_0, c_0, V_0``), at ``(0, V_0, theta)``, the six relations of the example's conclusion,
compiled by the bridge (:mod:`._statement`; a claim's label is the relation as printed):

1. hypothesis ``c_0 != 0`` (``||c_0|| > C_NONZERO_FACTOR`` times its rounding bound; an instance without it
   is unchecked, never passed);
2. stationary: ``grad_w F = 0``, ``grad_V F = 0``, ``grad_theta F = 0`` at the model's gradient
   (:meth:`ResNetProblem.gradients`; largest component within ``stat = STATIONARITY_FACTOR (n + d + k) eps
   (||a_0|| + ||V_0||_F ||c_0||)``, the rounding of ``a_0 + V_0 c_0``, which is zero exactly); and, not a
   relation of the conclusion, ``||a_0 + V_0 c_0|| <= stat`` *enclosed in Arb balls* (the exact gradient at
   the float64 point ``V_0``, from the data and the loss's SymPy derivative);
3. bad value: ``F(w, V, theta) = E l(0; y)`` (the model's ``F`` against the mean of the loss at 0) and
   ``d/dt E l(-t a_0^T x; y) at t = 0 = -a_0^T a_0`` (the derivative *extrapolated* from loss values along
   the path, ``a_0`` from the data): some linear predictor is strictly better.  Not in the conclusion:
   ``E_l0 - E l(u^T x; y) > 0`` *enclosed in Arb balls* for the linear benchmark's point ``u`` (so ``F >
   E l(u^T x) >= F_lin``: no float64 comparison decides it);
4. strict saddle, along ``d = (u, -s* u c_0^T)`` with the step ``s*`` *of the lemma* (``S_STAR``, compiled by
   the bridge from the hypothesis ``s = (E[l''(0; y)(u^T phi)^2] + 1) / (2 c_0^T c_0 u^T u)``): the
   relation ``d^2/dt^2 F(t u, V - t s u c_0^T, theta) at t = 0 = -1`` with the second derivative
   *extrapolated from F alone*, and again with the Hessian code's ``d^T H d`` (the exact dense Hessian,
   :func:`~..hessian.dense_hessian`).  Not in the conclusion: its formula ``E[l''(0; y)(u^T phi)^2] - 2 s*
   ||u||^2 ||c_0||^2`` *enclosed in Arb balls* is ``< 0``, and the smallest eigenvalue of the Hessian is
   certified negative (:func:`~..hessian.negative_curvature_certificate` on ``S H S``, Jacobi scaling) and
   confirmed without the Hessian code: the certificate's eigenvalue equals the second derivative of ``F``
   along ``S v`` (``v`` its eigenvector), extrapolated from ``F`` alone.  A Hessian with a flipped sign, or a
   certificate that flips the eigenvalue's sign or reports another eigenvalue, fails these claims;
5. ``||w|| -> 0`` family ``(t e, V_0, theta)``, ``t = tau T_VALUES``, ``tau = 1 / (1 + ||H_ww||_2)``: the
   section-4 bound -- the relation ``F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F|| /
   ||w||`` of lemma approximate_stationarity_bound, compiled by the bridge -- at every ``t`` with ``u = u*``
   (the worst is claimed); and, unchecked by the kernel (the family's point, witness-only): ``||grad F||``
   falls at least ``1 / GRADIENT_FALL_SMALL_W``-fold from ``t = 1e-3`` to ``1e-6``, and at the smallest ``t``,
   ``F - E l(u*^T x)`` exceeds the bound *without* the ``1 / ||w||`` factor;
6. ``||V|| -> inf`` family (``F_lin`` attained at ``u* != 0``): features ``f = g / R``, ``g(x) = -(u*^T x) /
   ||u*||``, ``V = R u* / ||u*||``, ``w`` the certified best linear predictor on ``P x``, ``P = I - u* u*^T /
   ||u*||^2`` (when that fit is certified worse than ``F_lin``); ``R`` in ``R_VALUES``: the bound (the
   lemma's relation, as in 5) holds, and, unchecked by the kernel, the gradient falls ``1 /
   GRADIENT_FALL_LARGE_V``-fold (down to the convex solver's stopping tolerance) and at the largest ``R``
   the gap exceeds the bound without the ``||V||`` factor.

The gradients in 5-6 are the formulas of lemma residual_gradients evaluated from the data (``grad_w =
E_rx + V c``, ``grad_V = w c^T``, ``_common.from_data``), which that lemma's witness checks against ``F``.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`), ``theta`` from ``unit.init``, ``u`` and
``e`` standard normal.  Families 5-6 need ``u*`` (``F_lin`` attained); the details count them.

Tolerance
---------
Float64 comparisons: ``ROUNDING_FACTOR n eps (1 + magnitudes)``; the extrapolated derivatives:
``ERROR_FACTOR`` times their error estimate plus ``ROUNDING_MULTIPLE eps (|F| + |derivative| + 1)``,
resolving relative errors of ``DERIVATIVE_RESOLUTION``; the Hessian code: its entrywise rounding bound
``Eb`` (eigenvalue: ``||S Eb S||_F + 64 N eps ||S H S||_F``; ``d^T H d``: ``|d|^T Eb |d| + 64 N eps |d|^T |H|
|d|``); Arb enclosures: none needed (a ball contains the exact value; only its sign is claimed).  The
families' gradient-fall thresholds and the bounds without a factor are witness-only (unchecked by the
kernel).
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
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      benchmark_point, from_data, linear_descent,
                                                      objective_batch, resolution_claim, rounding)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "bad_saddle_at_zero"
#: The relations of the example's conclusion, by position (``proofs/lemmas/bad_saddle_at_zero.py``).
GRAD_W_ZERO, GRAD_V_ZERO, GRAD_THETA_ZERO, F_VALUE, LINEAR_DESCENT, SADDLE_CURVATURE = range(6)
#: The section-4 bound, relation ``BOUND`` of lemma approximate_stationarity_bound (families 5-6).
BOUND_LEMMA, BOUND = "approximate_stationarity_bound", 1
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
#: Rounding of the quadratic form ``d^T H d``: ``QUADRATIC_FORM_ROUNDING N eps |d|^T |H| |d|`` (a sum of
#: ``N^2`` products; the factor of :mod:`~..hessian`), plus the entries' own bound ``|d|^T Eb |d|``.
QUADRATIC_FORM_ROUNDING = 64.0
TOLERANCE = (f"the example's relations compiled by the bridge; stationarity {STATIONARITY_FACTOR:g} (n + d + k) "
             "eps (||a_0|| + ||V_0|| ||c_0||), enclosed in Arb balls and for the model's gradient; F > F_lin and "
             "d2F_saddle < 0 enclosed in Arb balls; extrapolated derivatives (d/dt E l(-t a_0^T x), "
             f"d2F_saddle) within {ERROR_FACTOR:g} x error estimate + "
             f"{ROUNDING_MULTIPLE:g} eps (|F| + |d2F| + 1) (resolving {DERIVATIVE_RESOLUTION:g} relative); "
             "Hessian code: eigenvalue of S H S below -(||S Eb S||_F + 64 N eps ||S H S||_F) and equal to the "
             "extrapolated d^2/dt^2 F along S v within the extrapolation's allowance plus that bound, d^T H d = -1 "
             "within |d|^T Eb |d| + 64 N eps |d|^T |H| |d| (Eb: entrywise rounding bound of H); other "
             f"values {ROUNDING_FACTOR:g} n eps (1 + magnitudes); c_0, a_0 != 0 beyond {C_NONZERO_FACTOR:g} x "
             f"their rounding bound, the families' gradient-fall thresholds ({GRADIENT_FALL_SMALL_W:g}, "
             f"{GRADIENT_FALL_LARGE_V:g}) and bounds without a factor: witness-only, unchecked by the kernel")


def saddle_point(problem, theta):
    """``(a0, c0, V0)`` at ``w = 0`` for the given ``theta`` (shapes ``(d,), (k,), (d, k)``)."""
    g0 = problem.gradients(np.zeros(problem.d), np.zeros((problem.d, problem.k)), theta)
    a0, c0 = g0.r_x, g0.c
    return a0, c0, -np.outer(a0, c0) / (c0 @ c0)


def s_star(problem, theta, V0, u, c0) -> float:
    """The lemma's step ``S_STAR = (E[l''(0; y)(u^T phi)^2] + 1) / (2 ||u||^2 ||c0||^2)``, compiled by the
    bridge, at ``E[l''(0; y)(u^T phi)^2]`` computed from the data (``phi = x + V0 f``)."""
    phi = problem.X + problem.features(theta) @ V0.T
    curv0 = problem.loss.curvature(np.zeros(problem.n), problem.y)
    step = statement.expression(LEMMA, "S_STAR", ("E_l2_uphi", "u_dir", "c0"))
    return float(step(float(np.mean(curv0 * (phi @ u) ** 2)), u.reshape(-1, 1), c0.reshape(-1, 1)))


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


def eigenvalue_claim(problem, theta, z0, Fx, V0, curvature, scaling, F0) -> tuple[Claim, float]:
    """The saddle certificate's ``lambda_min(S H S)`` confirmed without the Hessian code: with ``v`` its unit
    eigenvector and ``e = S v``, ``e^T H e = v^T S H S v = lambda_min``, so the eigenvalue must equal the second
    derivative of ``F`` along ``e`` at ``z0 = (0, V_0)``, extrapolated from ``F`` alone.  Allowance: the
    extrapolation's (:func:`~..derivatives.derivative_allowance`) plus the certificate's own rounding bound
    on the eigenvalue (which also bounds ``v``'s Rayleigh quotient of the exact ``S H S``).  Returns the claim
    and the relative extrapolation allowance (for the resolution claim)."""
    e = scaling * curvature.eigenvector
    e_w, e_V = e[:problem.d], e[problem.d:].reshape(V0.shape)
    # p(t) = t e_w^T phi_0 + t^2 e_w^T e_V f along z0 + t e: the sensitivity of the predictions to t
    phi0 = problem.X + Fx @ V0.T
    sigma = max(1.0, float(np.max(np.abs(phi0 @ e_w))), float(np.sqrt(np.max(np.abs(Fx @ (e_V.T @ e_w))))))
    est, err = second_directional_derivatives(objective_batch(problem, theta), z0, (e / sigma)[None, :])
    d2, d2_err = float(est[0]) * sigma ** 2, float(err[0]) * sigma ** 2
    allow = derivative_allowance(d2_err, F0, curvature.eigenvalue)
    allow["rounding"] += float(curvature.tolerance)
    claim = Claim("lambda_min(S H S) = d^2/dt^2 F(z + t S v) (the certificate's eigenvalue, extrapolated from F "
                  "along its eigenvector v; not a relation of the conclusion)", curvature.eigenvalue, "=", d2, allow)
    return claim, allow["extrapolation"] / ((abs(F0) + 1.0) * sigma ** 2 + abs(d2))


def _full_grad_norm(g) -> float:
    theta_part = 0.0 if g.grad_theta is None else float(g.grad_theta @ g.grad_theta)
    return float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2) + theta_part))


def _section4_values(data, w, V, u, E_lu) -> dict:
    """The named quantities of the section-4 bound (lemma approximate_stationarity_bound) at ``(w, V)``
    and comparator ``u``, with ``grad_w = E_rx + V c`` and ``grad_V = w c^T`` from the data."""
    return {"F": data.F, "E_l_u": E_lu, "u": u, "w": w, "V": V, "grad_w": data.E_rx + V @ data.c,
            "grad_V": np.outer(w, data.c)}


def _bound_without(values, factor: str) -> float:
    """The section-4 bound with the factor ``1 / ||w||`` (``factor="w"``) or ``||V||_2`` (``"V"``) dropped:
    a witness-only formula (unchecked by the kernel), for the claims that the factor is necessary."""
    w, V, u = values["w"], values["V"], values["u"]
    second = float(np.linalg.norm(u)) * float(np.linalg.norm(values["grad_V"]))
    if factor != "V":
        second *= float(np.linalg.norm(V, 2))
    if factor != "w":
        second /= float(np.linalg.norm(w))
    return float(np.linalg.norm(w - u)) * float(np.linalg.norm(values["grad_w"])) + second


def _bound_claim(data, values, n: int, suffix: str) -> Claim:
    """The section-4 bound (the lemma's relation, through the bridge) at ``values``."""
    relation = statement.evaluate(BOUND_LEMMA, BOUND, values)
    return statement.as_claim(relation, {"rounding": data.err_F + rounding(values["E_l_u"], relation.rhs, n=n)},
                              suffix)


def _gradient_norm(values) -> float:
    return float(np.hypot(np.linalg.norm(values["grad_w"]), np.linalg.norm(values["grad_V"])))


def small_w_family(problem, theta, V0, u_star, rng, tau: float = 1.0):
    """Claims of item 5 and the figures at the smallest ``t`` (``t = tau * T_VALUES``)."""
    e = rng.normal(size=problem.d)
    e /= np.linalg.norm(e)
    n = problem.n
    E_lu = float(np.mean(problem.loss.value(problem.X @ u_star, problem.y)))
    grads, rows = [], []
    for t in T_VALUES:
        w = tau * t * e
        data = from_data(problem, w, V0, theta)
        values = _section4_values(data, w, V0, u_star, E_lu)
        rows.append(_bound_claim(data, values, n, f" (t = {tau * t:.3g})"))
        grads.append(_gradient_norm(values))
    worst = min(rows, key=lambda claim: claim.margin)
    without = _bound_without(values, "w")
    claims = [worst,
              Claim("F - E l(u*^T x) > bound without 1/||w|| (smallest t; unchecked by the kernel)",
                    data.F - E_lu, ">=", without + data.err_F + rounding(E_lu, without, n=n)),
              Claim(f"||grad F|| (t = 1e-6) <= {GRADIENT_FALL_SMALL_W:g} ||grad F|| (t = 1e-3) (unchecked by the "
                    "kernel)", grads[-1], "<=", GRADIENT_FALL_SMALL_W * grads[T_VALUES.index(1e-3)])]
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
    grads, rows = [], []
    for R in R_VALUES:
        unit = FixedFeatureUnit(lambda Z, h=u_hat: -(Z @ h)[:, None], scale=1.0 / R)
        prob = ResNetProblem(unit, X, y, loss)
        V = R * u_hat[:, None]
        data = from_data(prob, w, V, np.zeros(0))
        values = _section4_values(data, w, V, u_star, E_lu)
        rows.append(_bound_claim(data, values, n, f" (R = {R:g})"))
        grads.append(_gradient_norm(values))
    without = _bound_without(values, "V")
    solver_floor = SOLVER_FLOOR_FACTOR * fit.grad_norm * (1 + np.linalg.norm(P, 2))
    claims = [min(rows, key=lambda claim: claim.margin),
              Claim("F - E l(u*^T x) > bound without ||V||_2 (largest R; unchecked by the kernel)",
                    data.F - E_lu, ">=", without + data.err_F + rounding(E_lu, without, n=n)),
              Claim(f"||grad F|| (R = 1e6) <= {GRADIENT_FALL_LARGE_V:g} ||grad F|| (R = 1) + solver tolerance "
                    "(unchecked by the kernel)", grads[-1], "<=", GRADIENT_FALL_LARGE_V * grads[0] + solver_floor)]
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
    g = problem.gradients(zero, V0, theta)
    l0 = problem.loss.value(np.zeros(n), problem.y)
    E_l0 = float(np.mean(l0))
    F0 = problem.objective(zero, V0, theta)
    values = {"grad_w": g.grad_w, "grad_V": g.grad_V, "grad_theta": g.grad_theta, "F": F0, "E_l0": E_l0,
              "a_0": a0}
    claims = [statement.largest_claim(LEMMA, index, values, {"rounding": stat_tol}, " (model's gradient)")
              for index in (GRAD_W_ZERO, GRAD_V_ZERO, GRAD_THETA_ZERO)]
    claims.append(Claim("||grad_w F(0, V_0, theta)|| = ||a_0 + V_0 c_0|| <= stat (Arb enclosure; not a relation "
                        "of the conclusion)", balls["grad_w_norm_upper"], "<=", stat_tol))
    # bad value: F(0, V_0, theta) = E l(0; y), and a linear predictor does strictly better
    claims.append(statement.claim(LEMMA, F_VALUE, values,
                                  {"rounding": BOTH_SIDES * rounding(float(np.mean(np.abs(l0))), n=n)}))
    descent, descent_allow, descent_ratio = linear_descent(problem.X, problem.y, problem.loss, a0, E_l0)
    # -a_0^T a_0 from the data: its rounding is that of a_0 carried through the square
    descent_allow["rounding"] += (2.0 * float(np.abs(a0) @ at_zero.err_E_rx)
                                  + rounding(float(a0 @ a0), n=d))
    claims.append(statement.claim(LEMMA, LINEAR_DESCENT, {**values, "d_lin": descent}, descent_allow,
                                  " (extrapolated from loss values)"))
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    u_lin = benchmark_point(lin)
    gap = arb_.mean_loss_gap(problem.loss, problem.y, np.zeros(n), arb_.linear_predictions(problem.X, u_lin))
    claims.append(Claim("E_l0 - E l(u^T x) > 0, so F > F_lin (Arb enclosure, lower end; not a relation of the "
                        "conclusion)", arb_.lower(gap), ">=", np.finfo(np.float64).tiny))
    # strict saddle: independently extrapolated, enclosed, and by the Hessian code
    direction = np.concatenate((u, (-step * np.outer(u, c0)).ravel()))
    u_phi = (problem.X + Fx @ V0.T) @ u
    sigma = max(1.0, float(np.max(np.abs(u_phi))),
                float(np.sqrt(step * (u @ u) * np.max(np.abs(Fx @ c0)))))
    z0 = np.concatenate((zero, V0.ravel()))
    est, err = second_directional_derivatives(objective_batch(problem, theta), z0, (direction / sigma)[None, :])
    d2, d2_err = float(est[0]) * sigma ** 2, float(err[0]) * sigma ** 2
    allow = derivative_allowance(d2_err, F0, d2)
    H, Eb = dense_hessian(problem, zero, V0, theta, error_bound=True)
    diag = np.diag(H)
    scaling = np.where(diag > 0, 1.0 / np.sqrt(np.where(diag > 0, diag, 1.0)), 1.0)
    curvature = negative_curvature_certificate(H, n, None, error=Eb, scaling=scaling)
    eigen_claim, eigen_ratio = eigenvalue_claim(problem, theta, z0, Fx, V0, curvature, scaling, F0)
    claims += [statement.claim(LEMMA, SADDLE_CURVATURE, {"d2F_saddle": d2}, allow, " (extrapolated from F)"),
               Claim("d2F_saddle = E_l2_uphi - 2 s* ||u||^2 ||c_0||^2 < 0 (Arb enclosure, upper end; not a "
                     "relation of the conclusion)", balls["d2F_upper"], "<=", 0.0),
               eigen_claim,
               resolution_claim(max(descent_ratio, eigen_ratio,
                                    allow["extrapolation"] / ((abs(F0) + 1.0) * sigma ** 2 + abs(d2))))]
    rq_value = float(direction @ H @ direction)
    ad = np.abs(direction)
    rq_tol = float(ad @ Eb @ ad) + QUADRATIC_FORM_ROUNDING * H.shape[0] * _EPS * float(ad @ np.abs(H) @ ad)
    claims += [statement.claim(LEMMA, SADDLE_CURVATURE, {"d2F_saddle": rq_value}, {"rounding": rq_tol},
                               " (Hessian code: d^T H d)"),
               Claim("lambda_min(S H S) < 0 (Hessian code, certified; not a relation of the conclusion)",
                     curvature.eigenvalue, "<=", -curvature.tolerance)]
    values = {"lambda_min": curvature.eigenvalue, "F_minus_F_lin_lower": arb_.lower(gap),
              "stationarity": stat.grad_norm, "d_H_d": rq_value, "d2F_extrapolated": d2,
              "d_lin_extrapolated": descent}
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
