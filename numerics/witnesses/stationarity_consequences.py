"""Witness for lemma stationarity_consequences: ``w != 0``, ``grad_w F = 0``, ``grad_V F = 0`` imply
``c = 0`` and ``E[l'(p) x] = 0``.

Claim
-----
The two relations of the lemma's conclusion, ``c = 0`` and ``E[l'(p) x] = 0``, compiled by the bridge
(:mod:`._statement`) and evaluated, one claim per component, at ``c = E[l'(p) f]`` and ``E[l'(p) x]``
computed *directly from the data* (``_common.from_data``), at points certified stationary in ``(w, V)``.
A computed point is stationary only to a tolerance: the hypothesis holds as ``||(grad_w F, grad_V F)||
<= tau = STATIONARY_TOLERANCE (1 + |F|)`` (certified from gradients extrapolated from ``F`` alone,
``_common.extrapolated_gradient``), and the lemma's own argument turns that into the allowances
``|c_i| <= tau / ||w||`` (``c = grad_V F^T w / ||w||^2``) and ``|E[l'(p) x]_i| <= tau (1 + ||V||_2 / ||w||)``
(``E[l'(p) x] = grad_w F - V c``) -- a fixed tolerance of the certificate, never the point's own gradient.

Not in the conclusion, and labelled as such: the quantitative identities behind it, ``||c|| = ||grad_V||_F
/ ||w||`` and ``||E_rx|| <= ||grad_w|| + ||V||_2 ||grad_V||_F / ||w||`` (lemma residual_gradients, with the
extrapolated gradients: much tighter than the tolerance), which hold at every point; and the model's
``F``, ``c``, ``grad_w``, ``grad_V`` against the definitions and the extrapolated gradients.  The points are
made stationary by a solve that uses the *model's* gradients (L-BFGS in ``(w, V)`` at fixed ``theta``): a
wrong ``c`` or gradient formula in the model either fails those claims or leaves the solve at a point
that the extrapolated gradient does not certify stationary.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`), a random ``theta`` (``unit.init``)
and start ``(w, V)`` (standard normal, scaled by ``1 / sqrt(d)``); one L-BFGS-B run on ``(w, V) -> F``
(``SOLVE_MAXITER`` iterations, gradient tolerance ``SOLVE_GTOL``), repeated with a fresh ``theta`` and start
up to ``SOLVE_ATTEMPTS`` times until one ends stationary.  An instance is *checked* when its end
point has ``w != 0`` and is certified stationary: ``||(grad_w, grad_V)||`` (extrapolated, plus its
allowance) ``<= STATIONARY_TOLERANCE (1 + |F|)``, with allowances that resolve ``c = 0`` and ``E[l'(p) x] = 0``
relative to the magnitudes of their terms (``STATIONARITY_RESOLUTION``: else the claims would hold whatever
``c`` is -- far out, where ``l' ~ 0``, or at a loosened tolerance); otherwise only its claims that hold at
every point are evaluated and the instance is unchecked (at an end point beyond ``ESCAPE_NORM``, only the
rounding-level claims of the model against the definitions) (a search that does not converge certifies
nothing about stationary points).  At least ``MINIMUM_STATIONARY_SHARE`` of the instances must be checked, else the
report is inconclusive.

Tolerance
---------
The conclusion: the stationarity tolerance propagated as above plus the rounding of the means; the
identities: the propagated allowance of the extrapolated gradients (``ERROR_FACTOR`` times the
extrapolation error estimate plus rounding, :mod:`~..certificates.derivatives`) plus ``ROUNDING_FACTOR n
eps (1 + magnitudes)`` for the means; every extrapolation allowance must resolve relative errors of
``DERIVATIVE_RESOLUTION``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics._blas import blas_single_threaded
from resnet_lemmas.numerics.certificates.derivatives import ERROR_FACTOR, ROUNDING_MULTIPLE
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses._common import (BOTH_SIDES, DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      componentwise, extrapolated_gradient, from_data,
                                                      resolution_claim, rounding, rounding_array, worst_ratio)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "stationarity_consequences"
#: The relations of the lemma's conclusion, by position (``proofs/lemmas/stationarity_consequences.py``).
C_VANISHES, E_RX_VANISHES = range(2)
DEFAULT_INSTANCES = 200
#: L-BFGS-B iterations of the stationarity solve in ``(w, V)``.
SOLVE_MAXITER = 200
#: Its gradient tolerance (absolute, max-norm): far below the stationarity certificate's threshold.
SOLVE_GTOL = 1e-11
#: A point is certified stationary when the extrapolated ``||(grad_w, grad_V)||`` plus its allowance is at
#: most ``STATIONARY_TOLERANCE (1 + |F|)``.
STATIONARY_TOLERANCE = 1e-7
#: An end point with ``||(w, V)|| > ESCAPE_NORM`` has escaped towards an unattained infimum (margin losses
#: on separable features): not stationary, and too far out for the extrapolation to resolve (float64
#: cancellation in ``p`` and a loss that bends within the steps); only its rounding-level claims (model vs
#: definition) are evaluated there.
ESCAPE_NORM = 1e3
#: An instance whose solve escapes or does not end stationary tries again with a fresh ``theta`` and start,
#: at most this many times in all (a margin loss on features that separate the data has no stationary
#: point with ``w != 0`` to find: another ``theta`` changes the features).
SOLVE_ATTEMPTS = 3
#: At least this share of the instances must end certified stationary, else the witness is inconclusive.
MINIMUM_STATIONARY_SHARE = 0.5
#: The conclusion's allowances must resolve ``c = 0`` and ``E[l'(p) x] = 0`` relative to the magnitudes of their
#: terms: ``tau / ||w|| <= STATIONARITY_RESOLUTION ||E[|l'(p)| |f|]||`` and ``tau (1 + ||V||_2 / ||w||) <=
#: STATIONARITY_RESOLUTION ||E[|l'(p)| |x|]||``.  Otherwise the claims would hold whatever ``c`` is (a point far
#: out, where ``l' ~ 0`` on every sample, or a loosened tolerance) and the instance is unchecked: nothing was
#: certified there.  Measured at the defaults (seed 0): at most 4e-4 at the points counted, median 1.5e-6.
STATIONARITY_RESOLUTION = 1e-3
TOLERANCE = (f"the lemma's relations (compiled by the bridge) at certified stationary points: |c_i| <= tau "
             f"/ ||w||, |E[l'(p) x]_i| <= tau (1 + ||V||_2 / ||w||) with tau = {STATIONARY_TOLERANCE:g} (1 + "
             f"|F|), plus rounding; identities: propagated allowances of the extrapolated gradients "
             f"({ERROR_FACTOR:g} x extrapolation error estimate + {ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1)) + {ROUNDING_FACTOR:g} n "
             f"eps (1 + magnitudes) for means of n terms; extrapolation allowances must resolve relative "
             f"errors of {DERIVATIVE_RESOLUTION:g}; stationary: ||grad|| + allowance <= "
             f"{STATIONARY_TOLERANCE:g} (1 + |F|), the allowances of c and E[l'(p) x] at most "
             f"{STATIONARITY_RESOLUTION:g} of the magnitudes of their terms")


@blas_single_threaded
def stationary_point(problem, theta, rng, maxiter: int = SOLVE_MAXITER):
    """L-BFGS-B on ``(w, V) -> F(w, V, theta)`` with the model's gradients, from a random start.

    ``theta`` is fixed, so the model runs on its features as a table
    (:func:`~..fixed_features.table_unit`): the same :meth:`ResNetProblem.gradients`, without the
    network's forward and backward pass at every evaluation."""
    d, k = problem.d, problem.k
    z0 = np.concatenate((rng.normal(size=d), rng.normal(size=d * k))) / np.sqrt(d)
    fixed = ResNetProblem(table_unit(problem.X, problem.features(theta)), problem.X, problem.y,
                          problem.loss, skip=problem.skip)
    empty = np.zeros(0)

    def fun(z):
        with np.errstate(over="ignore", invalid="ignore"):
            g = fixed.gradients(z[:d], z[d:].reshape(d, k), empty)
        grad = np.concatenate((g.grad_w, g.grad_V.ravel()))
        if not (np.isfinite(g.F) and np.all(np.isfinite(grad))):
            return np.inf, np.zeros_like(z)
        return g.F, grad

    res = minimize(fun, z0, jac=True, method="L-BFGS-B",
                   options={"gtol": SOLVE_GTOL, "ftol": 0.0, "maxiter": int(maxiter),
                            "maxfun": 2 * int(maxiter) + 100})
    return res.x[:d].copy(), res.x[d:].reshape(d, k).copy(), int(res.nit)


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    rng = np.random.default_rng([seed, 3])
    for attempt in range(1, SOLVE_ATTEMPTS + 1):
        result = _attempt(inst, rng, seed, attempt)
        if result.checked:
            break
    return result


def _attempt(inst, rng, seed: int, attempt: int) -> InstanceResult:
    """One ``theta`` and one solve (docstring of the module); ``checked`` iff certified stationary."""
    problem = inst.problem
    d, k = problem.d, problem.k
    theta = problem.unit.init(rng)
    w, V, nit = stationary_point(problem, theta, rng, maxiter=SOLVE_MAXITER)
    norm_w = float(np.linalg.norm(w))
    if norm_w == 0.0:
        return InstanceResult(seed, checked=False, description=f"{inst.description}: w = 0 at the end "
                              "point (the lemma assumes w != 0); see zero_w_case")
    data = from_data(problem, w, V, theta)
    model = problem.gradients(w, V, theta)
    absV, aw = np.abs(V), np.abs(w)
    definitions = [Claim("F = E[l(p; y)] (model vs definition)", model.F, "=", data.F,
                         {"rounding": BOTH_SIDES * data.err_F})]
    definitions += componentwise("c = E[l'(p) f] (model vs definition)", model.c, data.c,
                                 {"rounding": BOTH_SIDES * data.err_c})
    size = float(np.hypot(norm_w, np.linalg.norm(V)))
    if size > ESCAPE_NORM:
        return InstanceResult(seed, claims=definitions, checked=False,
                              description=(f"{inst.description}; escaped: ||(w, V)|| = {size:.3g} > "
                                           f"{ESCAPE_NORM:g} after {nit} L-BFGS iterations (attempt "
                                           f"{attempt})"),
                              values={"stationary": False, "escaped": True, "attempts": attempt})
    fd = extrapolated_gradient(problem, w, V, theta)
    eps_w, eps_V = float(np.linalg.norm(fd.grad_w)), float(np.linalg.norm(fd.grad_V))
    tol_w, tol_V = float(np.linalg.norm(fd.tolerance_w)), float(np.linalg.norm(fd.tolerance_V))
    opnorm_V = float(np.linalg.norm(V, 2))
    c_norm, rx_norm = float(np.linalg.norm(data.c)), float(np.linalg.norm(data.E_rx))
    claims = definitions + [
        # the quantitative identities behind the lemma (residual_gradients), true at every point
        Claim("||c|| = ||grad_V||_F / ||w|| (identity of residual_gradients; not in the conclusion)",
              c_norm, "=", eps_V / norm_w,
              {"extrapolation": tol_V / norm_w,
               "rounding": float(np.linalg.norm(data.err_c)) + rounding(eps_V / norm_w, n=d * k)}),
        Claim("||E_rx|| <= ||grad_w|| + ||V||_2 ||grad_V||_F / ||w|| (identity of residual_gradients; not "
              "in the conclusion)", rx_norm, "<=", eps_w + opnorm_V * eps_V / norm_w,
              {"extrapolation": tol_w + opnorm_V * tol_V / norm_w,
               "rounding": float(np.linalg.norm(data.err_E_rx))
               + rounding(eps_w + opnorm_V * eps_V / norm_w, n=d * k)}),
    ]
    # the model that made the point stationary agrees with the gradient extrapolated from F
    claims += componentwise("grad_w (model) = grad_w (extrapolated)", model.grad_w, fd.grad_w,
                            {"extrapolation": fd.allow_w["extrapolation"],
                             "rounding": fd.allow_w["rounding"] + data.err_E_rx + absV @ data.err_c
                             + rounding_array(np.abs(data.E_rx) + absV @ np.abs(data.c), k + 1)})
    claims += componentwise("grad_V (model) = grad_V (extrapolated)", model.grad_V, fd.grad_V,
                            {"extrapolation": fd.allow_V["extrapolation"],
                             "rounding": fd.allow_V["rounding"] + np.outer(aw, data.err_c)
                             + rounding_array(np.outer(aw, np.abs(data.c)), 1)})
    ratio = fd.resolution()
    claims.append(resolution_claim(ratio))
    grad_bound = float(np.hypot(eps_w + tol_w, eps_V + tol_V))
    tau = STATIONARY_TOLERANCE * (1.0 + abs(data.F))
    stationary = grad_bound <= tau
    tiny = np.finfo(np.float64).tiny
    ar = np.abs(data.r) / problem.n
    resolution = max(tau / norm_w / max(float(np.linalg.norm(np.abs(data.Fx).T @ ar)), tiny),
                     tau * (1.0 + opnorm_V / norm_w) / max(float(np.linalg.norm(np.abs(problem.X).T @ ar)), tiny))
    checked = stationary and resolution <= STATIONARITY_RESOLUTION
    if checked:
        # the lemma's conclusion, with the hypothesis grad = 0 relaxed to ||grad|| <= tau (certified)
        values = {"c": data.c, "E_rx": data.E_rx, "w": w, "V": V, "grad_w": fd.grad_w, "grad_V": fd.grad_V}
        claims += statement.component_claims(LEMMA, C_VANISHES, values,
                                             {"stationarity tolerance": tau / norm_w,
                                              "rounding": data.err_c})
        claims += statement.component_claims(LEMMA, E_RX_VANISHES, values,
                                             {"stationarity tolerance": tau * (1.0 + opnorm_V / norm_w),
                                              "rounding": data.err_E_rx})
    worst = worst_ratio(claims)
    verdict = ("stationary" if checked else "NOT stationary" if not stationary else
               f"stationary, but tau does not resolve c = 0 and E[l'(p) x] = 0 relative to their terms "
               f"({resolution:.1e} > {STATIONARITY_RESOLUTION:g})")
    return InstanceResult(
        seed, claims=claims, checked=checked,
        description=(f"{inst.description}; {verdict} after "
                     f"{nit} L-BFGS iterations: ||grad|| <= {grad_bound:.3e}, ||w|| = {norm_w:.3g}; "
                     f"||c|| = {c_norm:.3e}, ||E_rx|| = {rx_norm:.3e}"),
        values={"stationary": checked, "unresolved": stationary and not checked, "attempts": attempt,
                "grad_bound": grad_bound, "c_norm": c_norm, "E_rx_norm": rx_norm, "w_norm": norm_w,
                "worst_ratio": worst, "resolution": ratio, "stationarity_resolution": resolution})


def _details(results):
    vals = [r.values for r in results if "grad_bound" in r.values]
    stat = [v for v in vals if v["stationary"]]
    return {"stationary_points": len(stat),
            "not_stationary": sum(not v["stationary"] and not v.get("unresolved") for v in vals),
            "stationary_but_unresolved": sum(bool(v.get("unresolved")) for v in vals),
            "max_relative_stationarity_allowance_at_stationary_points": max(
                (v["stationarity_resolution"] for v in stat), default=None),
            "escaped": sum(bool(r.values.get("escaped")) for r in results),
            "solves": sum(r.values.get("attempts", 1) for r in results),
            "max_grad_bound_at_stationary_points": max((v["grad_bound"] for v in stat), default=None),
            "max_c_norm_at_stationary_points": max((v["c_norm"] for v in stat), default=None),
            "max_E_rx_norm_at_stationary_points": max((v["E_rx_norm"] for v in stat), default=None),
            "min_w_norm_at_stationary_points": min((v["w_norm"] for v in stat), default=None),
            "max_discrepancy_over_allowance": max((v["worst_ratio"] for v in vals), default=None),
            "max_relative_extrapolation_allowance": max((v["resolution"] for v in vals), default=None)}


def minimum_stationary(instances: int) -> int:
    """Checked (certified stationary) instances needed: ``ceil(MINIMUM_STATIONARY_SHARE instances)``."""
    return max(1, int(np.ceil(MINIMUM_STATIONARY_SHARE * instances)))


def witness(seed: int = 0, instances: int | None = None, progress=None):
    count = instances or DEFAULT_INSTANCES
    return run_witness("stationarity_consequences", seed, count, TOLERANCE, one, progress,
                       details=_details, minimum_checked=minimum_stationary(count))
