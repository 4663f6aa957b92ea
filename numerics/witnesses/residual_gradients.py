"""Witness for lemma residual_gradients: the gradients of ``F`` and the identities that follow from them.

Claim
-----
The six relations of the lemma's conclusion (``LEMMA.conclusion``), compiled by the bridge and evaluated
at independently computed values of their named quantities (:mod:`._statement`; a claim's label is the
relation as printed): ``grad_w F = E[l'(p) x] + V c``, ``grad_V F = w c^T``, ``grad_theta F =
E[l'(p) J_theta(x)^T V^T w]``, ``c = grad_V F^T w / (w^T w)``, ``E[l'(p) x] = -V c + grad_w F`` and
``E[l'(p) p] = w^T grad_w F``, one claim per component.  The values:

* ``grad_w F``, ``grad_V F``: Richardson-extrapolated differences of ``F`` (evaluated from its definition,
  ``_common.objective_batch``) along every coordinate of ``(w, V)`` -- independent of the model;
* ``c``, ``E[l'(p) x]``, ``E[l'(p) p]``: computed directly from the data (``_common.from_data``);
* ``grad_theta F`` is known only along random directions ``v`` of ``theta`` (extrapolated ``D_v F``;
  the full gradient would cost ``q`` extrapolations through the unit): the relation, linear in both its
  quantities, is evaluated at the projections ``(v^T grad_theta F, v^T E[l'(p) J^T V^T w])``
  (:func:`._statement.along` checks the linearity symbolically).  ``E[l'(p) J_theta(x)^T V^T w]`` itself
  is the model's ``grad_theta`` (``unit.vjp(X, theta, r (V^T w)^T) / n`` with ``r = l'(p)``: its only
  implementation).

The first two relations are also evaluated with the model's own ``grad_w``, ``grad_V``
(:meth:`ResNetProblem.gradients`, suffix ``(model's gradient)``).  Not in the conclusion, and labelled as
such: the model's ``F``, ``c``, ``E_rx`` against the definitions; the model's full gradient along one
random direction of all parameters; ``sigma_2(grad_V) = 0`` (rank one, a consequence of the second
relation) of the *extrapolated* ``grad_V``, with Weyl's bound (the Frobenius norm of its allowances) as
allowance; and the resolution of the derivative allowances.

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
allowances resolve ..." fails: a loose derivative check is not evidence).  The allowances are derived
for the relations as the kernel proves them; a wrong relation in the lemma module misses them.  Reported
per instance: the largest ratio discrepancy / allowance and the largest relative allowance used.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.derivatives import ERROR_FACTOR, ROUNDING_MULTIPLE
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      componentwise, directional_checks,
                                                      extrapolated_gradient, from_data, resolution_claim,
                                                      rounding, rounding_array, worst_ratio)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "residual_gradients"
#: The relations of the lemma's conclusion, by position (``proofs/lemmas/residual_gradients.py``).
GRAD_W, GRAD_V, GRAD_THETA, C_FROM_GRAD_V, E_RX_FROM_GRAD_W, E_R_P = range(6)
DEFAULT_INSTANCES = 200
#: Random unit directions in ``theta`` per instance (plus one in all parameters).
THETA_DIRECTIONS = 2
TOLERANCE = (f"extrapolated derivative vs the lemma's relation (compiled by the bridge): {ERROR_FACTOR:g} x "
             f"extrapolation error estimate + {ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1); "
             f"identities between means of n terms: {ROUNDING_FACTOR:g} n eps (1 + magnitudes); every "
             f"extrapolation allowance must resolve relative errors of {DERIVATIVE_RESOLUTION:g}")


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
    # float64 error of the right sides at the data's quantities: their bounds (``Direct.err_*``)
    # propagated through the relation, plus the rounding of its own products
    err_w = (data.err_E_rx + absV @ data.err_c
             + rounding_array(np.abs(data.E_rx) + absV @ np.abs(data.c), k + 1))
    err_V = np.outer(aw, data.err_c) + rounding_array(np.outer(aw, np.abs(data.c)), 1)
    known = {"w": w, "V": V, "c": data.c, "E_rx": data.E_rx, "E_r_p": data.E_r_p}
    lemma = {**known, "grad_w": fd.grad_w, "grad_V": fd.grad_V}
    claims = [Claim("F = E[l(p; y)] (model vs definition)", model.F, "=", data.F,
                    {"rounding": BOTH_SIDES * data.err_F})]
    claims += componentwise("c = E[l'(p) f] (model vs definition)", model.c, data.c,
                            {"rounding": BOTH_SIDES * data.err_c})
    claims += componentwise("E_rx = E[l'(p) x] (model vs definition)", model.r_x, data.E_rx,
                            {"rounding": BOTH_SIDES * data.err_E_rx})
    # the lemma's first two relations with the model's own gradients
    with_model = {**known, "grad_w": model.grad_w, "grad_V": model.grad_V}
    claims += statement.component_claims(LEMMA, GRAD_W, with_model, {"rounding": BOTH_SIDES * err_w},
                                         " (model's gradient)")
    claims += statement.component_claims(LEMMA, GRAD_V, with_model, {"rounding": BOTH_SIDES * err_V},
                                         " (model's gradient)")
    # the lemma's relations, with the gradients extrapolated from F
    claims += statement.component_claims(LEMMA, GRAD_W, lemma,
                                         {"extrapolation": fd.allow_w["extrapolation"],
                                          "rounding": fd.allow_w["rounding"] + err_w})
    claims += statement.component_claims(LEMMA, GRAD_V, lemma,
                                         {"extrapolation": fd.allow_V["extrapolation"],
                                          "rounding": fd.allow_V["rounding"] + err_V})
    claims += statement.component_claims(
        LEMMA, C_FROM_GRAD_V, lemma,
        {"extrapolation": fd.allow_V["extrapolation"].T @ aw / w2,
         "rounding": fd.allow_V["rounding"].T @ aw / w2 + data.err_c
         + rounding_array(np.abs(fd.grad_V).T @ aw / w2, d + 1)})
    claims += statement.component_claims(LEMMA, E_RX_FROM_GRAD_W, lemma,
                                         {"extrapolation": fd.allow_w["extrapolation"],
                                          "rounding": fd.allow_w["rounding"] + err_w})
    claims.append(statement.claim(LEMMA, E_R_P, lemma,
                                  {"extrapolation": float(aw @ fd.allow_w["extrapolation"]),
                                   "rounding": float(aw @ fd.allow_w["rounding"]) + data.err_E_r_p
                                   + rounding(float(aw @ np.abs(fd.grad_w)), n=d)}))
    singular = np.linalg.svd(fd.grad_V, compute_uv=False)
    if singular.size > 1:
        claims.append(Claim("sigma_2(grad_V) = 0 (rank one, a consequence of grad_V F = w c^T)",
                            float(singular[1]), "=", 0.0,
                            {"extrapolation": float(np.linalg.norm(fd.allow_V["extrapolation"])),
                             "rounding": float(np.linalg.norm(fd.allow_V["rounding"]))
                             + rounding(float(singular[0]), n=d * k)}))
    # grad_theta along random directions of theta (the lemma's relation, projected), and the model's
    # whole gradient along one random direction of all parameters
    N = d + d * k + q
    idx = np.arange(N)
    theta_directions = THETA_DIRECTIONS if q else 0
    directions = [_unit(rng, N, idx >= d + d * k) for _ in range(theta_directions)]
    directions.append(_unit(rng, N, idx >= 0))
    directions = np.array(directions)
    packed = np.concatenate((model.grad_w, model.grad_V.ravel(), model.grad_theta))
    analytic = directions @ packed
    _, estimates, allowances = directional_checks(problem, w, V, theta, directions, analytic)
    for j in range(theta_directions):
        # v has no (w, V) part, so v . (model's packed gradient) = v_theta^T E[l'(p) J^T V^T w]
        claims.append(statement.along(LEMMA, GRAD_THETA, {"grad_theta": estimates[j],
                                                          "E_rJVw": analytic[j]},
                                      allowances[j], f" (along theta direction {j})"))
    claims.append(Claim("(grad_w, grad_V, grad_theta) (model) . v = D_v F (all parameters; not in the "
                        "conclusion)", float(estimates[-1]), "=", float(analytic[-1]), allowances[-1]))
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
