"""Witness for lemma approximate_stationarity_bound: the section-4 identity and bound at arbitrary points.

Claim
-----
At every point ``(w, V, theta)`` with ``w != 0`` and every comparator ``u`` (``gap = F - E l(u^T x)``,
``E[D_l] = E[l(u^T x) - l(p) - l'(p)(u^T x - p)]`` the mean Bregman divergence):

1. identity ``gap = first_order - E[D_l]``, ``first_order = (w - u)^T grad_w F + u^T V c``;
2. ``E[D_l] >= 0`` (convexity);
3. bound ``gap <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||``;
4. corollary: the same with both gradient norms replaced by ``eps = max(||grad_w F||, ||grad_V F||_F)``,
   and, at ``u = u*`` (attained ``F_lin``), ``F - F_lin <= bound`` (``F_lin`` the certified solver value
   minus its suboptimality bound, a lower bound on it).

Each relation is one claim per instance, the one at the instance's worst point (smallest margin) of
its ``THETAS x POINTS_PER_THETA`` points, with that point's quantities as the claim's sides
(:func:`~..stationarity_bound.batched_terms`).

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`: every loss, units of depth 1-4),
``THETAS`` random ``theta`` each (init scale log-uniform on ``[0.5, 2]``) and ``POINTS_PER_THETA``
points ``(w, V, u)`` per ``theta`` (:func:`~..stationarity_bound.sample_points`: ``||w||`` from ``1e-3`` to
``3``, ``V`` from ``1e-2`` to ``3``, comparators random, ``u = u*`` or near ``w``): 10,000 points by default.

Tolerance
---------
``ROUNDING_FACTOR n eps (1 + sum of the magnitudes of F, E l(u^T x), E[l'(p)(u^T x - p)] and the bound's
terms)`` (float64 rounding of means of ``n`` terms); at ``u = u*`` also the certified suboptimality of
``u*`` and the rounding of ``F_lin``.  Details: points checked per loss and depth, and the smallest
relative slack ``(bound - gap) / bound`` among points with ``gap > 0`` (how tight the bound is).  A point
where a loss value overflows float64 (exponential-type losses at large predictions) cannot be evaluated:
it is left out of the claims and counted in the details.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.stationarity_bound import batched_terms, sample_points
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses._common import ROUNDING_FACTOR
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

DEFAULT_INSTANCES = 200
THETAS = 2
POINTS_PER_THETA = 25
EPS = np.finfo(np.float64).eps
TOLERANCE = (f"{ROUNDING_FACTOR:g} n eps (1 + magnitudes of F, E l(u^T x), E[l'(p)(u^T x - p)] and of the "
             "bound's terms): float64 rounding of means of n terms; at u = u* also the certified "
             "suboptimality of u* and the rounding of F_lin")


def _worst(label, lhs, relation, rhs, allowance, keep):
    """The claim ``lhs relation rhs`` at the point (among ``keep``) with the smallest margin."""
    slack = np.where(keep, np.asarray(allowance, dtype=np.float64), 0.0)
    with np.errstate(invalid="ignore"):
        margin = {"<=": rhs - lhs + slack, ">=": lhs - rhs + slack, "=": slack - np.abs(lhs - rhs)}[relation]
    margin = np.where(np.isfinite(lhs) & np.isfinite(rhs), margin, -np.inf)
    margin = np.where(keep, margin, np.inf)
    j = int(np.argmin(margin))
    return Claim(f"{label} (worst of {int(np.sum(keep))} points)", float(lhs[j]), relation, float(rhs[j]),
                 {"rounding": float(slack[j])}), j


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 4])
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    u_star = lin.argmin  # None when F_lin is not attained (then no u = u* points)
    n = problem.n
    counts = {"points": 0, "positive_gap": 0, "u_star_points": 0, "overflowed": 0}
    tightest = np.inf
    per_theta = []
    for _ in range(THETAS):
        theta = problem.unit.init(rng, scale=float(np.exp(rng.uniform(np.log(0.5), np.log(2.0)))))
        Fx = problem.features(theta)
        W, Vs, U = sample_points(rng, POINTS_PER_THETA, problem.d, problem.k, u_star)
        with np.errstate(over="ignore", invalid="ignore"):
            t = batched_terms(problem.X, problem.y, Fx, problem.loss, W, Vs, U)
            tol = t.tolerance(n)
        # a point where a loss value overflows float64 (exponential-type losses at large p) cannot be
        # evaluated: it is counted, never passed or failed
        everywhere = np.all(np.isfinite(np.vstack((t.gap, t.first_order, t.bregman, t.bound, t.eps_bound(),
                                                   tol))), axis=0)
        counts["overflowed"] += int(np.sum(~everywhere))
        if not everywhere.any():
            continue
        candidates = [
            _worst("F - E l(u^T x) = first_order - E[D_l]", t.gap, "=", t.first_order - t.bregman, tol,
                   everywhere),
            _worst("E[D_l] >= 0", t.bregman, ">=", np.zeros_like(tol), tol, everywhere),
            _worst("F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||", t.gap,
                   "<=", t.bound, tol, everywhere),
            _worst("F - E l(u^T x) <= eps (||w - u|| + ||u|| ||V||_2 / ||w||)", t.gap, "<=", t.eps_bound(),
                   tol, everywhere),
        ]
        if u_star is not None:
            at_star = np.all(U == u_star, axis=1) & everywhere
            counts["u_star_points"] += int(at_star.sum())
            if at_star.any():
                F_lin_lower = lin.value - lin.suboptimality_bound
                allowance = np.where(everywhere, tol, 0.0) + ROUNDING_FACTOR * n * EPS * abs(lin.value)
                candidates.append(_worst("F - F_lin <= ||w - u*|| ||grad_w F|| + ||u*|| ||V||_2 "
                                         "||grad_V F||_F / ||w||", t.F - F_lin_lower, "<=", t.bound,
                                         allowance, at_star))
        per_theta.append([claim for claim, _ in candidates])
        positive = everywhere & (np.nan_to_num(t.gap, nan=0.0) > 0)
        counts["points"] += int(np.sum(everywhere))
        counts["positive_gap"] += int(positive.sum())
        if positive.any():
            tightest = min(tightest, float(np.min((t.bound[positive] - t.gap[positive])
                                                  / t.bound[positive])))
    # one claim per relation: the worse of the thetas
    claims = {}
    for group in per_theta:
        for claim in group:
            key = claim.label.split(" (worst of")[0]
            if key not in claims or claim.margin < claims[key].margin:
                claims[key] = claim
    claims = list(claims.values())
    if not claims:
        return InstanceResult(seed, checked=False, values={**counts, "loss": problem.loss.name,
                                                           "depth": problem.unit.depth},
                              description=f"{inst.description}: every point overflowed float64")
    worst = min(c.margin for c in claims)
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description}; worst slack {worst:.3e} over "
                                       f"{counts['points']} points"),
                          values={**counts, "loss": problem.loss.name, "depth": problem.unit.depth,
                                  "tightest_relative_slack": tightest})


def _details(results):
    points = sum(r.values.get("points", 0) for r in results)
    by_loss, by_depth = {}, {}
    for r in results:
        if "loss" in r.values:
            by_loss[r.values["loss"]] = by_loss.get(r.values["loss"], 0) + r.values["points"]
            key = str(r.values["depth"])
            by_depth[key] = by_depth.get(key, 0) + r.values["points"]
    tight = [r.values.get("tightest_relative_slack", np.inf) for r in results]
    return {"points_checked": points,
            "points_with_F_above_comparator": sum(r.values.get("positive_gap", 0) for r in results),
            "points_at_u_star": sum(r.values.get("u_star_points", 0) for r in results),
            "points_overflowed_float64": sum(r.values.get("overflowed", 0) for r in results),
            "points_by_loss": dict(sorted(by_loss.items())),
            "points_by_unit_depth": dict(sorted(by_depth.items())),
            "smallest_relative_slack_of_bound": float(min(tight)) if tight else None}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("approximate_stationarity_bound", seed, instances or DEFAULT_INSTANCES,
                       TOLERANCE, one, progress, details=_details)
