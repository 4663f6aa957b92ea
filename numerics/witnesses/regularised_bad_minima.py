"""Experiment regularised_bad_minima: certified strict local minima of the regularised and the
norm-constrained objectives that are worse than their linear benchmarks.

Claim
-----
An experiment: it reports what it found (``outcome``: how many certified bad minima, over what space,
how bad) and keeps claims that must hold, so that it can fail:

* at every certified point, ``PROBES`` random perturbations of length ``PROBE_LENGTH min(1, curvature)``
  (inside the ball for the constrained problem) do not lower the objective by more than float64
  rounding -- a direct test of the local-minimum certificate;
* at every end point, certified or not, ``F(w, V) >= F_feat`` (``p = w^T x + (V^T w)^T f`` is a linear
  predictor on ``(x, f)``; ``F_feat`` the certified benchmark's value minus its suboptimality bound).

Certificates (:func:`~..regularised.regularised_certificate`, :func:`~..regularised.ball_kkt_certificate`):
residual ``<= 1e-8``, curvature ``>= 1e-6``, multiplier ``> 1e-6``.  A certified minimum is *bad* when its
value exceeds the benchmark (``G_lin`` with its exact strong-convexity suboptimality bound; ``F_lin`` from
the certified solver) by more than ``BAD`` plus that bound and rounding.  An instance where no
certificate was accepted is unchecked (nothing was certified there, whatever its value), and the
experiment is inconclusive when no instance is checked.

Sampling
--------
Per instance: a loss (cycling through the registered losses), ``d, k`` in ``{1, 2}``, ``n = 20`` samples
(:func:`~..data.data_for_loss`), fixed features ``f(x) = tanh(B^T x + b)`` with ``B ~ N(0, 4)``,
``b ~ N(0, 1)``; for ``lam`` in ``LAMBDAS`` and ``R`` in ``RADII``, ``STARTS`` random starts each (scale
drawn from ``{0.5, 2, 4}``).

Tolerance
---------
Probes: ``ROUNDING_FACTOR n eps (1 + |value|)``; ``F >= F_feat``: the benchmark's certified suboptimality +
``ROUNDING_FACTOR n eps (1 + |F| + |F_feat|)``; "bad": beyond ``BAD`` (far above rounding and the
``r^2 / lambda`` distance of the computed point to an exact minimum, module docstring of
:mod:`~..regularised`).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.fixed_features import FixedFeatureUnit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.solvers.regularised import (ball_kkt_certificate, ball_kkt_point,
                                                        regularised_certificate, regularised_linear_benchmark,
                                                        regularised_local_minimum, regularised_value_grad)
from resnet_lemmas.numerics.witnesses._common import ROUNDING_FACTOR, rounding
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 12
LAMBDAS = (0.01, 0.1)
RADII = (0.5, 1.0, 2.0)
STARTS = 2
PROBES = 8
#: Probe length, relative to ``min(1, curvature)``.
PROBE_LENGTH = 1e-4
BAD = 1e-6   # a certified minimum counts as worse than the benchmark beyond this (>> rounding, >> r^2/lam)
EPS = np.finfo(np.float64).eps
TOLERANCE = (f"local-minimum probes: the objective may not drop by more than {ROUNDING_FACTOR:g} n eps "
             f"(1 + |value|) at distance {PROBE_LENGTH:g} min(1, curvature); F >= F_feat: certified "
             f"suboptimality + {ROUNDING_FACTOR:g} n eps (1 + |F| + |F_feat|); 'worse' means value - "
             f"benchmark (upper bound) > {BAD:g} plus the benchmark's suboptimality bound")


def instance(seed: int):
    rng = np.random.default_rng([seed, 10])
    loss = get_loss(sorted(LOSSES)[seed % len(LOSSES)])
    d, k, n = int(rng.integers(1, 3)), int(rng.integers(1, 3)), 20
    X, y = data_for_loss(rng, loss, n, d)
    B, b = 2.0 * rng.normal(size=(d, k)), rng.normal(size=k)
    unit = FixedFeatureUnit(lambda Z, B=B, b=b: np.tanh(Z @ B + b))
    return rng, ResNetProblem(unit, X, y, loss)


def _probe(objective, z, curvature, project, rng, n):
    """``(smallest objective(z') - objective(z), its allowance)`` over ``PROBES`` random ``z'`` near ``z``."""
    base = objective(z)
    worst = np.inf
    for _ in range(PROBES):
        v = rng.normal(size=z.size)
        v *= PROBE_LENGTH * min(1.0, curvature) / np.linalg.norm(v)
        worst = min(worst, objective(project(z + v)) - base)
    return worst, ROUNDING_FACTOR * n * EPS * (1 + abs(base))


def one(seed: int) -> InstanceResult:
    rng, problem = instance(seed)
    d, k, n = problem.d, problem.k, problem.n
    N = d + d * k
    claims, found = [], []
    counts = {"regularised_runs": 0, "regularised_certified": 0, "ball_runs": 0, "ball_certified": 0}
    feat = feature_benchmark(problem.X, problem.features(np.zeros(0)), problem.y, problem.loss)
    F_feat_lower = feat.value - feat.suboptimality_bound

    def F_of(zz):
        return problem.objective(zz[:d], zz[d:].reshape(d, k), np.zeros(0))

    def sanity(label, z):
        if np.isfinite(F_feat_lower):
            F = F_of(z)
            claims.append(Claim(f"F >= F_feat ({label}; sanity)", F, ">=", F_feat_lower,
                                {"rounding": rounding(F, feat.value, n=n)}))

    for lam in LAMBDAS:
        G_lin, _, sub = regularised_linear_benchmark(problem.X, problem.y, problem.loss, lam)
        for start in range(STARTS):
            z = regularised_local_minimum(problem, lam, rng.normal(size=N) * rng.choice([0.5, 2.0, 4.0]))
            cert = regularised_certificate(problem, lam, z)
            counts["regularised_runs"] += 1
            sanity(f"regularised, lambda = {lam:g}, start {start}", z)
            if not cert.ok:
                continue
            counts["regularised_certified"] += 1
            G = lambda zz, lam=lam: regularised_value_grad(problem, lam, zz)[0]  # noqa: E731
            drop, allow = _probe(G, z, cert.curvature, lambda zz: zz, rng, n)
            claims.append(Claim(f"G(z') >= G(z) near a certified minimum (lambda = {lam:g}, start {start})",
                                drop, ">=", 0.0, {"rounding": allow}))
            gap = cert.value - G_lin - sub - rounding(cert.value, G_lin, n=n)
            if gap > BAD:
                found.append({"kind": "regularised", "lambda": lam, "excess": cert.value - G_lin,
                              "certificate": cert.message})
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    for R in RADII:
        for start in range(STARTS):
            z, mu = ball_kkt_point(problem, R, rng.normal(size=N))
            cert = ball_kkt_certificate(problem, R, z, mu)
            counts["ball_runs"] += 1
            sanity(f"||V|| <= {R:g}, start {start}", z)
            if not cert.ok:
                continue
            counts["ball_certified"] += 1

            def into_ball(zz, R=R):
                V = zz[d:]
                scale = min(1.0, R / np.linalg.norm(V))
                return np.concatenate((zz[:d], scale * V))
            drop, allow = _probe(F_of, z, cert.curvature, into_ball, rng, n)
            claims.append(Claim(f"F(z') >= F(z) near a certified KKT minimum (R = {R:g}, start {start})",
                                drop, ">=", 0.0, {"rounding": allow}))
            gap = cert.value - lin.value - rounding(cert.value, lin.value, n=n)
            if gap > BAD:
                found.append({"kind": "ball", "R": R, "excess": cert.value - lin.value, "mu": mu,
                              "certificate": cert.message})
    certified = counts["regularised_certified"] + counts["ball_certified"]
    return InstanceResult(seed, claims=claims, checked=certified > 0,
                          description=(f"loss {problem.loss.name}, d = {d}, k = {k}: {certified} certified "
                                       f"minima, {len(found)} worse than the benchmark"),
                          values={**counts, "found": found, "loss": problem.loss.name})


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
            "examples": (reg[:2] + ball[:2])}


def _outcome(results):
    d = _details(results)
    space = d["space_searched"]
    if not (d["regularised_certified"] or d["ball_certified"]):
        return f"no certificate accepted: nothing certified ({d['regularised_runs'] + d['ball_runs']} runs; {space})"
    found = d["bad_regularised_minima"] + d["bad_constrained_minima"]
    excess = [x for x in (d["max_excess_regularised"], d["max_excess_constrained"]) if x is not None]
    best = f"; largest excess {max(excess):.3g}" if excess else ""
    return (f"{'found' if found else 'not found'}: certified strict local minima worse than the benchmark "
            f"by > {BAD:g}: {d['bad_regularised_minima']} of {d['regularised_certified']} regularised, "
            f"{d['bad_constrained_minima']} of {d['ball_certified']} norm-constrained{best}; {space}")


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("regularised_bad_minima", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details, kind="experiment", outcome=_outcome)
