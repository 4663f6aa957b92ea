"""Witness (experiment) regularised_bad_minima: certified strict local minima worse than the benchmark.

Space searched per instance: a loss (cycling through the registered losses), ``d, k`` in ``{1, 2}``,
``n = 20`` samples (:func:`~..data.data_for_loss`), fixed features ``f(x) = tanh(B^T x + b)`` with
``B ~ N(0, 4)``, ``b ~ N(0, 1)``; for ``lam`` in ``LAMBDAS`` and ``R`` in ``RADII``, ``STARTS`` random starts
each (scale drawn from ``{0.5, 2, 4}`` for ``G``).  Every end point is certified or not
(:func:`~..regularised.regularised_certificate`, :func:`~..regularised.ball_kkt_certificate`: residual
``<= 1e-8``, curvature ``>= 1e-6``, multiplier ``> 1e-6``) and compared with the benchmark
(``G_lin`` with its exact strong-convexity suboptimality bound; ``F_lin`` from the certified solver).

Margin (so the experiment can fail): at every certified point, ``PROBES`` random perturbations of length
``1e-4 min(1, curvature)`` (inside the ball for the constrained problem) must not lower the objective by
more than float64 rounding -- a direct test of the local-minimum claim.  The outcome (how many bad
minima, how bad) is in the details.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.fixed_features import FixedFeatureUnit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.solvers.regularised import (ball_kkt_certificate, ball_kkt_point, regularised_certificate,
                           regularised_linear_benchmark, regularised_local_minimum,
                           regularised_value_grad)
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 12
LAMBDAS = (0.01, 0.1)
RADII = (0.5, 1.0, 2.0)
STARTS = 2
PROBES = 8
BAD = 1e-6   # a certified minimum counts as worse than the benchmark beyond this (>> rounding, >> r^2/lam)
TOLERANCE = ("local-minimum probes: objective may not drop by more than 64 n eps (1 + |value|) at distance "
             "1e-4 min(1, curvature); 'worse' means value - benchmark (upper bound) > 1e-6 plus the "
             "benchmark's suboptimality bound")


def instance(seed: int):
    rng = np.random.default_rng([seed, 10])
    loss = get_loss(sorted(LOSSES)[seed % len(LOSSES)])
    d, k, n = int(rng.integers(1, 3)), int(rng.integers(1, 3)), 20
    X, y = data_for_loss(rng, loss, n, d)
    B, b = 2.0 * rng.normal(size=(d, k)), rng.normal(size=k)
    unit = FixedFeatureUnit(lambda Z, B=B, b=b: np.tanh(Z @ B + b))
    return rng, ResNetProblem(unit, X, y, loss)


def _probe(objective, z, curvature, project, rng, n):
    """Smallest ``objective(z') - objective(z) + rounding`` over random ``z'`` near ``z``."""
    base = objective(z)
    tol = 64 * n * np.finfo(float).eps * (1 + abs(base))
    worst = np.inf
    for _ in range(PROBES):
        v = rng.normal(size=z.size)
        v *= 1e-4 * min(1.0, curvature) / np.linalg.norm(v)
        worst = min(worst, objective(project(z + v)) - base + tol)
    return worst


def one(seed: int) -> InstanceResult:
    rng, problem = instance(seed)
    d, k, n = problem.d, problem.k, problem.n
    N = d + d * k
    slacks, found = [], []
    counts = {"regularised_runs": 0, "regularised_certified": 0, "ball_runs": 0, "ball_certified": 0}
    for lam in LAMBDAS:
        G_lin, _, sub = regularised_linear_benchmark(problem.X, problem.y, problem.loss, lam)
        for _ in range(STARTS):
            z = regularised_local_minimum(problem, lam, rng.normal(size=N) * rng.choice([0.5, 2.0, 4.0]))
            cert = regularised_certificate(problem, lam, z)
            counts["regularised_runs"] += 1
            if not cert.ok:
                continue
            counts["regularised_certified"] += 1
            G = lambda zz, lam=lam: regularised_value_grad(problem, lam, zz)[0]  # noqa: E731
            slacks.append(_probe(G, z, cert.curvature, lambda zz: zz, rng, n))
            gap = cert.value - G_lin - sub - rounding_tolerance(cert.value, G_lin, n=n)
            if gap > BAD:
                found.append({"kind": "regularised", "lambda": lam, "excess": cert.value - G_lin,
                              "certificate": cert.message})
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    for R in RADII:
        for _ in range(STARTS):
            z, mu = ball_kkt_point(problem, R, rng.normal(size=N))
            cert = ball_kkt_certificate(problem, R, z, mu)
            counts["ball_runs"] += 1
            if not cert.ok:
                continue
            counts["ball_certified"] += 1

            def F_of(zz):
                return problem.objective(zz[:d], zz[d:].reshape(d, k), np.zeros(0))

            def into_ball(zz, R=R):
                V = zz[d:]
                scale = min(1.0, R / np.linalg.norm(V))
                return np.concatenate((zz[:d], scale * V))
            slacks.append(_probe(F_of, z, cert.curvature, into_ball, rng, n))
            gap = cert.value - lin.value - rounding_tolerance(cert.value, lin.value, n=n)
            if gap > BAD:
                found.append({"kind": "ball", "R": R, "excess": cert.value - lin.value, "mu": mu,
                              "certificate": cert.message})
    # no certified point: nothing to probe, the instance only records its (empty) outcome
    return InstanceResult(seed, float(min(slacks, default=0.0)),
                          f"loss {problem.loss.name}, d = {d}, k = {k}: {len(found)} certified bad "
                          f"minima", {**counts, "found": found, "loss": problem.loss.name})


def _details(results):
    found = [dict(seed=r.seed, loss=r.values["loss"], **f) for r in results for f in r.values.get("found", [])]
    total = {key: sum(r.values.get(key, 0) for r in results)
             for key in ("regularised_runs", "regularised_certified", "ball_runs", "ball_certified")}
    reg = [f for f in found if f["kind"] == "regularised"]
    ball = [f for f in found if f["kind"] == "ball"]
    return {**total,
            "space_searched": (f"{len(results)} instances (losses cycled, d, k in {{1, 2}}, n = 20, fixed "
                               f"tanh features), lambda in {list(LAMBDAS)}, R in {list(RADII)}, "
                               f"{STARTS} starts each"),
            "bad_regularised_minima": len(reg), "bad_constrained_minima": len(ball),
            "max_excess_regularised": max((f["excess"] for f in reg), default=None),
            "max_excess_constrained": max((f["excess"] for f in ball), default=None),
            "examples": (reg[:2] + ball[:2]),
            "outcome": (f"certified strict local minima worse than the benchmark: {len(reg)} of "
                        f"{total['regularised_certified']} regularised, {len(ball)} of "
                        f"{total['ball_certified']} norm-constrained")}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("regularised_bad_minima", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)
