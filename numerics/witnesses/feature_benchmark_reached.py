"""Witness for lemma feature_benchmark_reached: local minima attain F_feat(theta); by how much they beat F_lin.

Per instance (sampled loss, unit, data): ``RANDOM_POINTS`` random points ``(w, V, theta)``, at each of
which ``F >= F_feat(theta)`` is checked (the solver's ``F_feat`` value is an upper bound on the infimum,
so the slack is ``F - F_feat^solver + suboptimality bound + rounding``).  One instance in
``SEARCH_EVERY`` (those whose seed is divisible by it: about ``200 / SEARCH_EVERY`` in a default run; the
local-minimum search is what costs time, and the main theorem's witness already runs 400 of them) also
computes the certified ``F_lin`` and runs one L-BFGS search over ``(w, V, theta)`` (``MAXITER``
iterations, gtol ``GTOL``), whose end point must satisfy
``F_feat(theta) - rounding - subopt <= F <= E l(a*^T x + b*^T f) + gradient slack + rounding``
(:func:`~..main_theorem.check_point`: the section-4 inequality with the point's own gradient norms, so
an unconverged run is still a valid check, only a looser one).

Details: ``|F - F_feat|`` at the end points (large only where the run stopped far from stationarity,
e.g. margin losses on features that separate the data, where ``F_feat = 0`` is not attained and no local
minimum exists; the gradient slack then says how loose the check was), ``F_lin - F`` (by how much they beat the linear predictor) and
``F_lin - F_feat(theta)``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.certificates.main_theorem import TOLERANCE as POINT_TOLERANCE
from resnet_lemmas.numerics.certificates.main_theorem import check_point
from resnet_lemmas.numerics.solvers.search import local_minimum_search
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
RANDOM_POINTS = 1
MAX_ATTEMPTS = 5
SEARCH_EVERY = 16
MAXITER = 300
GTOL = 1e-8
TOLERANCE = ("F >= F_feat: rounding 64 n eps (1 + |F| + |F_feat|) + the solver's suboptimality bound; "
             "F <= F_feat: " + POINT_TOLERANCE + f" (L-BFGS gtol {GTOL:g}, at most {MAXITER} iterations)")


def never_below_slack(problem, w, V, theta) -> float | None:
    """``F(w, V, theta) - F_feat(theta) + subopt + rounding`` (``>= 0`` is the claim ``F >= F_feat``), or
    ``None`` when the solver certified no lower bound on ``F_feat`` (it did not converge: suboptimality
    bound ``inf``); such points are counted, not checked."""
    F = problem.objective(w, V, theta)
    feat = feature_benchmark(problem.X, problem.features(theta), problem.y, problem.loss)
    if not np.isfinite(feat.suboptimality_bound):
        return None
    return F - feat.value + feat.suboptimality_bound + rounding_tolerance(F, feat.value, n=problem.n)


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed, n=(20, 32))
    problem = inst.problem
    rng = np.random.default_rng([seed, 6])
    slacks, unchecked = [], 0
    for _ in range(RANDOM_POINTS):
        # a point whose F_feat the solver cannot certify is counted and replaced by a fresh one, so
        # every instance checks RANDOM_POINTS points (no instance passes unchecked)
        for _attempt in range(MAX_ATTEMPTS):
            w, V = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k))
            slack = never_below_slack(problem, w, V, problem.unit.init(rng))
            if slack is not None:
                slacks.append(slack)
                break
            unchecked += 1
        else:
            return InstanceResult(seed, float("-inf"),
                                  f"{inst.description}; no random point with a certified F_feat in "
                                  f"{MAX_ATTEMPTS} attempts", {"unchecked": unchecked})
    if seed % SEARCH_EVERY:
        return InstanceResult(seed, float(min(slacks)),
                              f"{inst.description}; random points only", {"unchecked": unchecked})
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    point = local_minimum_search(problem, seed, restarts=1, maxiter=MAXITER, gtol=GTOL)[0]
    check = check_point(problem, point.w, point.V, point.theta, linear=lin)
    slack = never_below_slack(problem, point.w, point.V, point.theta)
    if slack is None:
        unchecked += 1
    else:
        slacks.append(slack)
    slacks.append(check.margin)
    return InstanceResult(seed, float(min(slacks)), f"{inst.description}; {check.message}",
                          {"unchecked": unchecked, "F_minus_F_feat": check.F - check.F_feat, "beat_F_lin_by": check.F_lin - check.F,
                           "F_lin_minus_F_feat": check.F_lin - check.F_feat,
                           "gradient_slack": check.gradient_slack, "converged": point.converged})


def _details(results):
    vals = [r.values for r in results if "beat_F_lin_by" in r.values]
    unchecked = sum(r.values.get("unchecked", 0) for r in results)
    if not vals:
        return {"random_points_checked": RANDOM_POINTS * len(results),
                "points_without_certified_F_feat_lower_bound": unchecked, "local_minimum_runs": 0}
    beat = np.array([v["beat_F_lin_by"] for v in vals])
    gap = np.array([v["F_minus_F_feat"] for v in vals])
    return {"random_points_checked": RANDOM_POINTS * len(results),
            "points_without_certified_F_feat_lower_bound": unchecked, "local_minimum_runs": len(vals), "converged_runs": sum(v["converged"] for v in vals),
            "max_abs_F_minus_F_feat": float(np.max(np.abs(gap))),
            "runs_with_abs_F_minus_F_feat_below_1e-4": int(np.sum(np.abs(gap) < 1e-4)),
            "runs_with_gradient_slack_below_1e-4": int(sum(v["gradient_slack"] < 1e-4 for v in vals)),
            "median_abs_F_minus_F_feat": float(np.median(np.abs(gap))),
            "max_gradient_slack": float(max(v["gradient_slack"] for v in vals)),
            "F_lin_minus_F": {"min": float(beat.min()), "median": float(np.median(beat)),
                              "max": float(beat.max())},
            "fraction_beating_F_lin_by_more_than_1e-6": float(np.mean(beat > 1e-6)),
            "median_F_lin_minus_F_feat": float(np.median([v["F_lin_minus_F_feat"] for v in vals]))}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("feature_benchmark_reached", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)
