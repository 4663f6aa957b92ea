"""Witness for the main theorem: local minima found by multi-start L-BFGS satisfy F <= F_feat <= F_lin.

Per instance (a sampled unit, loss and data): ``F_lin`` by the certified convex solver, then
``RESTARTS`` L-BFGS runs over all of ``(w, V, theta)``; each returned point is checked by
:func:`~resnet_lemmas.numerics.certificates.main_theorem.check_point`, whose tolerance is derived from the point's
own gradient norms (the section-4 inequality), not guessed.  Details: how many points were certified
stationary, and by how much they beat ``F_lin``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.certificates.main_theorem import TOLERANCE as POINT_TOLERANCE
from resnet_lemmas.numerics.certificates.main_theorem import check_point
from resnet_lemmas.numerics.solvers.search import local_minimum_search
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
RESTARTS = 2
MAXITER = 400  # L-BFGS iterations per start; the derived slack makes any stopping point a valid check
GTOL = 1e-8
TOLERANCE = POINT_TOLERANCE + f" (L-BFGS gtol {GTOL:g}, at most {MAXITER} iterations per start)"


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed, n=(20, 32))
    problem = inst.problem
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    checks, converged = [], 0
    for point in local_minimum_search(problem, seed, restarts=RESTARTS, maxiter=MAXITER, gtol=GTOL):
        checks.append(check_point(problem, point.w, point.V, point.theta, linear=lin))
        converged += int(point.converged)
    worst = min(checks, key=lambda c: c.margin)
    return InstanceResult(seed, worst.margin, f"{inst.description}; worst start: {worst.message}",
                          {"converged": converged, "starts": RESTARTS,
                           "beat_by": [c.beats_linear_by for c in checks],
                           "lin_attained": lin.attained})


def _details(results):
    beat = [b for r in results for b in r.values.get("beat_by", [])]
    return {"local_minimum_runs": sum(r.values.get("starts", 0) for r in results),
            "certified_stationary": sum(r.values.get("converged", 0) for r in results),
            "fraction_strictly_better_than_F_lin": float(np.mean(np.asarray(beat) > 1e-9)) if beat else None,
            "median_F_lin_minus_F": float(np.median(beat)) if beat else None,
            "instances_with_unattained_F_lin": sum(not r.values.get("lin_attained", True) for r in results)}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("local_minima_beat_linear", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details, heavy=True)
