"""Witness for lemma zero_w_case: at ``w = 0``, ``F`` is flat, and a point with ``c != 0`` is not a local
minimum.

Claim
-----
The lemma's conclusion (``LEMMA.conclusion``, compiled by the bridge, :mod:`._statement`; labels are the
relations as printed), at ``(0, V, theta)`` with ``c = E[l'(0; y) f_theta(x)]`` and ``phi = x + V f_theta(x)``
computed directly from the data (``_common.from_data``):

1. ``F(w, V, theta) = E l(0; y)`` at ``w = 0``: ``F`` the model's objective, ``E l(0; y)`` the mean of the
   loss at 0;
2. the second-order formula ``d2F = E[l''(0; y) (u^T phi)^2] - 2 s c^T c u^T u``: ``d2F``, the second
   derivative of ``t -> F(t u, V - t s u c^T, theta)`` at ``t = 0``, *extrapolated from F alone* (second
   differences, ``derivatives.second_directional_derivatives``; never the model's gradients or Hessian);
   ``E[l''(0; y)(u^T phi)^2]`` and ``c`` from the data; at ``s = s_1`` (random) and at ``s = s_2 = 2 s_0 + 1``
   beyond the threshold ``s_0 = E_l2_uphi / (2 ||u||^2 ||c||^2)`` (a witness-only choice of point);
3. ``c = 0`` and ``E[l'(p) x] = 0`` *at local minima* with ``w = 0``: the sampled points are not local minima,
   so these two relations are not evaluated as such; the witness certifies their contrapositive instead:
   where ``c != 0`` (``||c||`` at least ``C_NONZERO_FACTOR`` times its rounding bound), ``d2F(s_2) < 0``
   (the extrapolated value plus its allowance is negative), so ``(0, V, theta)`` is not a local minimum.

Not in the conclusion, and labelled as such: the proof's flatness step ``||c||^2 = e_1^T (grad_w F(0, V + t
e_1 c^T) - grad_w F(0, V)) / t`` (chain ``norm_c_vanishes``), both gradients extrapolated from ``F`` alone.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`), ``V`` and ``u`` standard normal,
``theta`` from ``unit.init``, ``s_1`` uniform on ``[0, S_MAX]``, shift ``t = SHIFT``.

Tolerance
---------
Extrapolated derivatives: ``ERROR_FACTOR`` times the error estimate plus ``ROUNDING_MULTIPLE eps (|F| +
|derivative| + 1)``, and each must resolve relative errors of ``DERIVATIVE_RESOLUTION``; means of ``n``
terms: ``ROUNDING_FACTOR n eps (1 + magnitudes)``; the formula's own products: ``FORMULA_TERMS`` roundings
of its magnitude.  The allowances are derived for the relations as the kernel proves them.  Reported: the
largest ratio discrepancy / allowance and the largest relative extrapolation allowance.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.derivatives import (ERROR_FACTOR, ROUNDING_MULTIPLE,
                                                             derivative_allowance,
                                                             directional_derivatives,
                                                             second_directional_derivatives)
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      from_data,
                                                      objective_batch, resolution_claim, rounding,
                                                      worst_ratio)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "zero_w_case"
#: The relations of the lemma's conclusion, by position (``proofs/lemmas/zero_w_case.py``); ``c = 0`` and
#: ``E[l'(p) x] = 0`` (at local minima) are certified by contraposition, not evaluated.
F_FLAT, C_VANISHES, E_RX_VANISHES, SECOND_ORDER = range(4)
#: The relations of the conclusion that no claim evaluates, with the reason (``check`` requires every other
#: relation to be evaluated).
UNEVALUATED = {
    C_VANISHES: "a relation at local minima with w = 0; the sampled points are not local minima: the witness "
                "certifies its contrapositive (c != 0 gives d2F < 0 at s_2)",
    E_RX_VANISHES: "a relation at local minima with w = 0, which the sampled points are not; it follows from c = 0 "
                   "and the gradient relation that residual_gradients' witness evaluates",
}
DEFAULT_INSTANCES = 200
#: ``s_1`` is drawn uniformly from ``[0, S_MAX]``.
S_MAX = 3.0
#: The shift ``t`` of ``V -> V + t e_1 c^T`` in the flatness claim.
SHIFT = 1.0
#: ``c`` counts as nonzero when ``||c||`` exceeds this many times its float64 error bound.
C_NONZERO_FACTOR = 1e3
#: Roundings in evaluating the formula ``E_l2_uphi - 2 s ||u||^2 ||c||^2`` from its parts.
FORMULA_TERMS = 4
TOLERANCE = (f"the lemma's relations compiled by the bridge; extrapolated derivatives: {ERROR_FACTOR:g} x "
             f"error estimate + {ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1), each resolving relative "
             f"errors of {DERIVATIVE_RESOLUTION:g}; means of n terms: {ROUNDING_FACTOR:g} n eps (1 + "
             f"magnitudes); c != 0 when ||c|| > {C_NONZERO_FACTOR:g} x its rounding bound (a witness-only "
             "threshold, unchecked by the kernel)")


def _second_derivative(fun, z0, direction, sensitivity):
    """``(d2, err, sigma)``: ``d^2/dt^2 fun(z0 + t direction)`` at 0 and its error estimate, extrapolated
    along ``direction / sigma`` with ``sigma = max(1, sensitivity)`` (a unit step then moves every
    prediction by at most about 1; the derivative along ``direction`` is ``sigma^2`` times that)."""
    sigma = max(1.0, float(sensitivity))
    est, err = second_directional_derivatives(fun, z0, (direction / sigma)[None, :])
    return float(est[0]) * sigma ** 2, float(err[0]) * sigma ** 2, sigma


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    n, d, k = problem.n, problem.d, problem.k
    rng = np.random.default_rng([seed, 2])
    V = rng.normal(size=(d, k))
    theta = problem.unit.init(rng)
    u = rng.normal(size=d)
    s1 = float(rng.uniform(0.0, S_MAX))
    zero = np.zeros(d)
    data = from_data(problem, zero, V, theta)
    c, Fx = data.c, data.Fx
    y0 = np.zeros(n)
    l0 = problem.loss.value(y0, problem.y)
    E_l0 = float(np.mean(l0))
    F0 = problem.objective(zero, V, theta)
    claims = [statement.claim(LEMMA, F_FLAT, {"F": F0, "E_l0": E_l0},
                              {"rounding": BOTH_SIDES * rounding(float(np.mean(np.abs(l0))), n=n)},
                              " (at w = 0)")]

    fun = objective_batch(problem, theta)
    z0 = np.concatenate((zero, V.ravel()))
    # 2. flatness: grad_w along e_1 at (0, V) and (0, V + t e_1 c^T), extrapolated from F
    e1 = np.zeros(d + d * k)
    e1[0] = 1.0
    shifted = V.copy()
    shifted[0] += SHIFT * c
    z1 = np.concatenate((zero, shifted.ravel()))
    g0, err0 = directional_derivatives(fun, z0, e1[None, :])
    g1, err1 = directional_derivatives(fun, z1, e1[None, :])
    a0, a1 = derivative_allowance(err0[0], data.F, g0[0]), derivative_allowance(err1[0], data.F, g1[0])
    c_sq = float(c @ c)
    err_c_sq = float(2.0 * np.abs(c) @ data.err_c)
    claims.append(Claim("||c||^2 = e_1^T (grad_w F(0, V + t e_1 c^T) - grad_w F(0, V)) / t (the proof's "
                        "flatness step; not in the conclusion)", c_sq, "=",
                        float(g1[0] - g0[0]) / SHIFT,
                        {"extrapolation": (a0["extrapolation"] + a1["extrapolation"]) / SHIFT,
                         "rounding": (a0["rounding"] + a1["rounding"]) / SHIFT + err_c_sq}))

    # 3. the second-order formula at s_1 and beyond the threshold
    phi = problem.X + Fx @ V.T
    u_phi = phi @ u
    curv0 = problem.loss.curvature(y0, problem.y)
    E_l2_uphi = float(np.mean(curv0 * u_phi ** 2))
    err_E_l2 = rounding(float(np.mean(np.abs(curv0) * u_phi ** 2)), n=n)
    uu = float(u @ u)
    c_nonzero = bool(np.sqrt(c_sq) > C_NONZERO_FACTOR * float(np.linalg.norm(data.err_c)))
    threshold = E_l2_uphi / (2.0 * uu * c_sq) if c_sq > 0 else np.inf
    s_values = [s1] + ([2.0 * threshold + 1.0] if c_nonzero else [])
    ratios = [max(a0["extrapolation"] / (abs(data.F) + abs(g0[0]) + 1.0),
                  a1["extrapolation"] / (abs(data.F) + abs(g1[0]) + 1.0))]
    d2_values = []
    for j, s in enumerate(s_values):
        direction = np.concatenate((u, (-s * np.outer(u, c)).ravel()))
        # p(t) = t u^T phi - t^2 s ||u||^2 c^T f: the sensitivity of p to t
        sensitivity = max(float(np.max(np.abs(u_phi))),
                          float(np.sqrt(s * uu * np.max(np.abs(Fx @ c)))))
        est, err, sigma = _second_derivative(fun, z0, direction, sensitivity)
        allow = derivative_allowance(err, data.F, est)
        # the formula's own products: a handful of roundings of its magnitude (the size of the proven
        # right side, E_l2_uphi - 2 s ||u||^2 ||c||^2)
        magnitude = abs(E_l2_uphi) + 2.0 * s * uu * c_sq
        allow["rounding"] += err_E_l2 + 2.0 * s * uu * err_c_sq + rounding(magnitude, n=FORMULA_TERMS)
        label = "s_1" if j == 0 else "s_2 = 2 s_0 + 1"
        claims.append(statement.claim(LEMMA, SECOND_ORDER,
                                      {"d2F": est, "E_l2_uphi": E_l2_uphi, "s": s, "u_dir": u, "c": c},
                                      allow, f" (at {label})"))
        # relative to the derivative's natural scale along the rescaled direction (sigma^2 per unit t^2)
        ratios.append(allow["extrapolation"] / ((abs(data.F) + 1.0) * sigma ** 2 + abs(est)))
        d2_values.append((est, sum(allow.values())))
    if c_nonzero:
        est, total = d2_values[-1]
        claims.append(Claim("d2F < 0 at s_2 (c != 0: not a local minimum; the contrapositive of c = 0 at "
                            "local minima)", est, "<=", -total))
    ratio = float(max(ratios))
    claims.append(resolution_claim(ratio))
    worst = worst_ratio(claims)
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description}; F(0,V,theta) - E l(0;y) = {F0 - E_l0:.2e}; "
                                       f"||c|| = {np.sqrt(c_sq):.3e}; d2F(s_1 = {s1:.3f}) = "
                                       f"{d2_values[0][0]:.6g}; worst discrepancy/allowance {worst:.3g}"),
                          values={"c_norm": float(np.sqrt(c_sq)), "c_nonzero": c_nonzero,
                                  "negative_beyond_s": float(threshold), "worst_ratio": worst,
                                  "resolution": ratio})


def _details(results):
    vals = [r.values for r in results if "c_norm" in r.values]
    if not vals:
        return {}
    return {"points_with_c_nonzero_not_local_minima": int(sum(v["c_nonzero"] for v in vals)),
            "median_s_threshold_for_negative_curvature":
                float(np.median([v["negative_beyond_s"] for v in vals])),
            "max_discrepancy_over_allowance": max(v["worst_ratio"] for v in vals),
            "max_relative_extrapolation_allowance": max(v["resolution"] for v in vals)}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("zero_w_case", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one, progress,
                       details=_details)
