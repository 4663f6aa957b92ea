"""Witness for lemma residual_gradients: the gradients of ``F`` and the identities that follow from them.

Claim
-----
At every point ``(w, V, theta)``, with ``c = E[l'(p) f_theta(x)]`` and ``E_rx = E[l'(p) x]``:
``grad_w = E_rx + V c``, ``grad_V = w c^T`` (rank one), ``grad_theta = E[l'(p) J_theta^T V^T w]``; hence
``c = grad_V^T w / ||w||^2``, ``E_rx = grad_w - V c`` and ``E_r_p = E[l'(p) p] = w^T grad_w``.  Each
relation is a claim per component, with the gradients obtained *independently of the model*: Richardson-
extrapolated differences of ``F`` (evaluated from its definition, ``_common.objective_batch``) along every
coordinate of ``(w, V)`` and along random directions of ``theta`` and of all parameters; and ``c``,
``E_rx``, ``E_r_p``, ``F`` computed directly from the data (``_common.from_data``).  The model's own
``F``, ``c``, ``E_rx``, ``grad_w``, ``grad_V`` (:meth:`ResNetProblem.gradients`) are claimed equal to those
definitions, and its ``grad_theta`` (the only implementation of ``E[l'(p) J^T V^T w]``, through the unit's
``vjp``) to the extrapolated derivatives.  ``sigma_2(grad_V) = 0`` is claimed of the *extrapolated*
``grad_V``, with Weyl's bound (the Frobenius norm of its allowances) as allowance.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`: every registered loss, units of
depth 1-4, tanh/relu/...), one random point each (``w, V`` standard normal, ``theta`` from
``unit.init``), ``THETA_DIRECTIONS`` random unit directions in ``theta`` and one in all parameters.

Tolerance
---------
Extrapolated derivative vs a formula: ``ERROR_FACTOR`` times the extrapolation's error estimate plus
``ROUNDING_MULTIPLE eps (|F| + |derivative| + 1)`` (:mod:`~..certificates.derivatives`); identities
between means of ``n`` terms: ``ROUNDING_FACTOR n eps (1 + magnitudes)``; and every extrapolation
allowance must resolve relative errors of ``DERIVATIVE_RESOLUTION`` (else the claim "derivative
allowances resolve ..." fails: a loose derivative check is not evidence).  Reported per instance: the
largest ratio discrepancy / allowance and the largest relative allowance used.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.derivatives import ERROR_FACTOR, ROUNDING_MULTIPLE
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR, componentwise,
                                                      directional_checks, extrapolated_gradient,
                                                      from_data, resolution_claim, rounding,
                                                      rounding_array, worst_ratio)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

DEFAULT_INSTANCES = 200
#: Random unit directions in ``theta`` per instance (plus one in all parameters).
THETA_DIRECTIONS = 2
TOLERANCE = (f"extrapolated derivative vs formula: {ERROR_FACTOR:g} x extrapolation error estimate + "
             f"{ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1); identities between means of n terms: "
             f"{ROUNDING_FACTOR:g} n eps (1 + magnitudes); every extrapolation allowance must resolve "
             f"relative errors of {DERIVATIVE_RESOLUTION:g}")


def _unit(rng, size, mask):
    v = np.where(mask, rng.normal(size=size), 0.0)
    return v / np.linalg.norm(v)


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    d, k, q = problem.d, problem.k, problem.q
    rng = np.random.default_rng([seed, 1])
    w, V = rng.normal(size=d), rng.normal(size=(d, k))
    theta = problem.unit.init(rng)
    data = from_data(problem, w, V, theta)
    model = problem.gradients(w, V, theta)
    fd = extrapolated_gradient(problem, w, V, theta)
    absV, aw = np.abs(V), np.abs(w)
    w2 = float(w @ w)
    formula_w = data.E_rx + V @ data.c
    # float64 error of each side: the direct quantities' bounds (``Direct.err_*``) propagated through
    # the formula, plus the rounding of the formula's own products
    err_w = (data.err_E_rx + absV @ data.err_c
             + rounding_array(np.abs(data.E_rx) + absV @ np.abs(data.c), k + 1))
    err_V = np.outer(aw, data.err_c) + rounding_array(np.outer(aw, np.abs(data.c)), 1)
    claims = [Claim("F = E[l(p; y)] (model vs definition)", model.F, "=", data.F,
                    {"rounding": BOTH_SIDES * data.err_F})]
    claims += componentwise("c = E[l'(p) f] (model vs definition)", model.c, data.c,
                            {"rounding": BOTH_SIDES * data.err_c})
    claims += componentwise("E_rx = E[l'(p) x] (model vs definition)", model.r_x, data.E_rx,
                            {"rounding": BOTH_SIDES * data.err_E_rx})
    claims += componentwise("grad_w = E_rx + V c (model)", model.grad_w, formula_w, {"rounding": BOTH_SIDES * err_w})
    claims += componentwise("grad_V = w c^T (model)", model.grad_V, np.outer(w, data.c),
                            {"rounding": BOTH_SIDES * err_V})
    # the lemma, with the gradients extrapolated from F
    claims += componentwise("grad_w = E_rx + V c", fd.grad_w, formula_w,
                            {"extrapolation": fd.allow_w["extrapolation"],
                             "rounding": fd.allow_w["rounding"] + err_w})
    claims += componentwise("grad_V = w c^T", fd.grad_V, np.outer(w, data.c),
                            {"extrapolation": fd.allow_V["extrapolation"],
                             "rounding": fd.allow_V["rounding"] + err_V})
    claims += componentwise("c = grad_V^T w / ||w||^2", data.c, fd.grad_V.T @ w / w2,
                            {"extrapolation": fd.allow_V["extrapolation"].T @ aw / w2,
                             "rounding": fd.allow_V["rounding"].T @ aw / w2 + data.err_c
                             + rounding_array(np.abs(fd.grad_V).T @ aw / w2, d + 1)})
    claims += componentwise("E_rx = grad_w - V c", data.E_rx, fd.grad_w - V @ data.c,
                            {"extrapolation": fd.allow_w["extrapolation"],
                             "rounding": fd.allow_w["rounding"] + err_w})
    claims.append(Claim("E_r_p = w^T grad_w", data.E_r_p, "=", float(w @ fd.grad_w),
                        {"extrapolation": float(aw @ fd.allow_w["extrapolation"]),
                         "rounding": float(aw @ fd.allow_w["rounding"]) + data.err_E_r_p
                         + rounding(float(aw @ np.abs(fd.grad_w)), n=d)}))
    singular = np.linalg.svd(fd.grad_V, compute_uv=False)
    if singular.size > 1:
        claims.append(Claim("sigma_2(grad_V) = 0 (rank one)", float(singular[1]), "=", 0.0,
                            {"extrapolation": float(np.linalg.norm(fd.allow_V["extrapolation"])),
                             "rounding": float(np.linalg.norm(fd.allow_V["rounding"]))
                             + rounding(float(singular[0]), n=d * k)}))
    # grad_theta (and everything at once) against extrapolated directional derivatives
    N = d + d * k + q
    idx = np.arange(N)
    directions = [_unit(rng, N, idx >= d + d * k) for _ in range(THETA_DIRECTIONS if q else 0)]
    labels = ["grad_theta . v = D_v F"] * len(directions)
    directions.append(_unit(rng, N, idx >= 0))
    labels.append("(grad_w, grad_V, grad_theta) . v = D_v F")
    directions = np.array(directions)
    packed = np.concatenate((model.grad_w, model.grad_V.ravel(), model.grad_theta))
    analytic = directions @ packed
    _, estimates, allowances = directional_checks(problem, w, V, theta, directions, analytic)
    for j, (label, est, allow) in enumerate(zip(labels, estimates, allowances)):
        claims.append(Claim(f"{label} (direction {j})", float(est), "=", float(analytic[j]), allow))
    ratio = max(fd.resolution(), max(a["extrapolation"] / (abs(fd.F) + abs(e) + 1.0)
                                     for a, e in zip(allowances, estimates)))
    claims.append(resolution_claim(ratio))
    worst = worst_ratio(claims)
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description}; worst discrepancy/allowance {worst:.3g}, "
                                       f"relative extrapolation allowance {ratio:.3g}"),
                          values={"worst_ratio": worst, "resolution": ratio,
                                  "sigma_2_grad_V": float(singular[1]) if singular.size > 1 else 0.0})


def _details(results):
    vals = [r.values for r in results if "worst_ratio" in r.values]
    if not vals:
        return {}
    return {"max_discrepancy_over_allowance": max(v["worst_ratio"] for v in vals),
            "max_relative_extrapolation_allowance": max(v["resolution"] for v in vals),
            "max_sigma_2_of_extrapolated_grad_V": max(v["sigma_2_grad_V"] for v in vals)}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("residual_gradients", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)
