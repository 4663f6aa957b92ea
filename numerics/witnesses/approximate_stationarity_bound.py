"""Witness for lemma approximate_stationarity_bound: the section-4 identity and bound at arbitrary points.

Per instance (a sampled loss, residual unit of depth 1-4 and data, :func:`~..instances.sample_instance`):
``THETAS`` random ``theta`` (init scale log-uniform on ``[0.5, 2]``) and ``POINTS_PER_THETA`` points
``(w, V, u)`` each (:func:`~..stationarity_bound.sample_points`: ``||w||`` from ``1e-3`` to ``3``, ``V``
from ``1e-2`` to ``3``, comparators random, ``u = u*`` of the certified linear benchmark, or near ``w``),
so the default run checks ``200 x 2 x 25 = 10,000`` points.  At each point:

1. identity: ``|F - E l(u^T x) - (first_order - E[D_l])| <= tol``;
2. Bregman term ``E[D_l(u^T x, p)] >= -tol``;
3. bound: ``F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w|| + tol``;
4. corollary: the same with both gradient norms replaced by ``eps = max(||grad_w F||, ||grad_V F||_F)``,
   and, at ``u = u*`` (attained ``F_lin``), ``F - F_lin <= bound + suboptimality bound of u* + tol``.

``tol = 64 n eps (1 + sum of the magnitudes of the terms)`` (float64 rounding of means of ``n`` terms).
The margin of an instance is its smallest slack.  Details: points checked, per loss and depth; the
smallest relative slack ``(bound - gap) / bound`` among points with ``gap > 0`` (how tight the bound is).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.certificates.stationarity_bound import batched_terms, sample_points
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
THETAS = 2
POINTS_PER_THETA = 25
TOLERANCE = ("64 n eps (1 + magnitudes of F, E l(u^T x), E[l'(p)(u^T x - p)] and of the bound's terms): "
             "float64 rounding of means of n terms; at u = u* also + the certified suboptimality of u*")


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 4])
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    u_star = lin.argmin  # None when F_lin is not attained (then no u = u* points)
    n = problem.n
    worst = np.inf
    counts = {"points": 0, "positive_gap": 0, "u_star_points": 0}
    tightest = np.inf
    for _ in range(THETAS):
        theta = problem.unit.init(rng, scale=float(np.exp(rng.uniform(np.log(0.5), np.log(2.0)))))
        Fx = problem.features(theta)
        W, Vs, U = sample_points(rng, POINTS_PER_THETA, problem.d, problem.k, u_star)
        t = batched_terms(problem.X, problem.y, Fx, problem.loss, W, Vs, U)
        tol = t.tolerance(n)
        identity = tol - np.abs(t.gap - (t.first_order - t.bregman))
        bregman = t.bregman + tol
        bound = t.bound + tol - t.gap
        corollary = t.eps_bound() + tol - t.gap
        slacks = [identity, bregman, bound, corollary]
        if u_star is not None:
            at_star = np.all(U == u_star, axis=1)
            counts["u_star_points"] += int(at_star.sum())
            lin_slack = (t.bound + lin.suboptimality_bound + tol + 64 * n * np.finfo(float).eps
                         * abs(lin.value) - (t.F - lin.value))
            slacks.append(np.where(at_star, lin_slack, np.inf))
        margins = np.min(np.vstack(slacks), axis=0)
        margins = np.where(np.isfinite(t.bound) & np.isfinite(t.gap), margins, -np.inf)
        worst = min(worst, float(margins.min()))
        positive = t.gap > 0
        counts["points"] += len(margins)
        counts["positive_gap"] += int(positive.sum())
        if positive.any():
            tightest = min(tightest, float(np.min((t.bound[positive] - t.gap[positive])
                                                  / t.bound[positive])))
    loss = problem.loss.name
    depth = problem.unit.depth
    return InstanceResult(seed, worst, f"{inst.description}; worst slack {worst:.3e} over "
                          f"{counts['points']} points", {**counts, "loss": loss, "depth": depth,
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
            "points_by_loss": dict(sorted(by_loss.items())),
            "points_by_unit_depth": dict(sorted(by_depth.items())),
            "smallest_relative_slack_of_bound": float(min(tight)) if tight else None}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("approximate_stationarity_bound", seed, instances or DEFAULT_INSTANCES,
                       TOLERANCE, one, progress, details=_details)
