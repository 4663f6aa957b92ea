"""Witness for theorem vector_outputs: local minima of W (x + V f_theta(x)) reach F_feat when rank W = m.

Per instance: a sampled loss, unit and inputs (:func:`~..instances.sample_instance`), ``m`` uniform on
``1..d`` outputs with their own targets (:func:`~..vector_outputs.vector_targets`).  Every instance checks,
at a random point: the rank-condition identity ``C = (W W^T)^{-1} W grad_V F`` (slack
``1e3 eps cond(W W^T) (1 + ||C||)``) and the exact first-order identity of item 4 below.  One instance in
``SEARCH_EVERY`` (seed divisible by it) also runs one L-BFGS search over ``(W, V, theta)`` (``MAXITER``
iterations) and checks at the end point:

1. the rank-condition identity again;
2. ``F >= F_feat`` (the prediction is the comparator ``A = W``, ``B = W V``): slack = solver
   suboptimality + rounding;
3. ``F <= E L(A* x + B* f) + ||W - A*|| ||grad_W|| + (||A*|| ||V||_2 + ||B*||) ||grad_V|| / sigma_m(W)`` +
   rounding (:func:`~..vector_outputs.vector_gap_bound`; at an exact stationary point with rank ``W = m``
   this is the theorem), with ``F_feat <= F_lin``;
4. at a random point, the identity ``F - E L(q) = <W - A, grad_W> + <A, C V^T> - <B, C> - E[sum D_l]``.

Details: ``sigma_m(W)`` at the end points, and by how much they beat ``F_lin``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.vector_outputs import (VectorResNetProblem, local_minimum, vector_benchmark,
                              vector_first_order_gap, vector_gap_bound, vector_targets)
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness

DEFAULT_INSTANCES = 200
SEARCH_EVERY = 10
MAXITER = 300
EPS = np.finfo(np.float64).eps
TOLERANCE = ("rank identity 1e3 eps cond(W W^T) (1 + ||C||); F >= F_feat: solver suboptimality + 64 n m eps "
             "(1 + |F| + |F_feat|); F <= F_feat: the point's own first-order slack (sigma_m(W) in the "
             "denominator) + rounding; identity: 64 n m eps (1 + magnitudes)")


def rank_identity_slack(W, g) -> float:
    """``1e3 eps cond(W W^T) (1 + ||C||) - max |(W W^T)^{-1} W grad_V F - C|``."""
    WWt = W @ W.T
    recovered = np.linalg.solve(WWt, W @ g.grad_V)
    return float(1e3 * EPS * np.linalg.cond(WWt) * (1 + np.linalg.norm(g.C))
                 - np.max(np.abs(recovered - g.C)))


def identity_slack(problem, rng) -> float:
    """Item 4 at a random point ``(W, V, theta)`` and comparator ``(A, B)``."""
    n, d, k, m = problem.n, problem.d, problem.k, problem.m
    X, Y = problem.X, problem.Y
    W2, V2, th2 = rng.normal(size=(m, d)), rng.normal(size=(d, k)), problem.unit.init(rng)
    A2, B2 = rng.normal(size=(m, d)), rng.normal(size=(m, k))
    g2 = problem.gradients(W2, V2, th2)
    Fx2 = problem.unit(X, th2)
    P2 = (X + Fx2 @ V2.T) @ W2.T
    Q2 = X @ A2.T + Fx2 @ B2.T
    Lq = problem.loss.value(Q2, Y)
    breg = float(np.sum(Lq - problem.loss.value(P2, Y) - g2.R * (Q2 - P2))) / n
    first = vector_first_order_gap(g2, W2, V2, A2, B2)
    scale = float(np.sum(np.abs(Lq)) / n + abs(g2.F) + np.sum(np.abs(g2.R * (Q2 - P2))) / n)
    return (64 * n * m * EPS * (1 + scale) - abs((g2.F - float(np.sum(Lq)) / n) - (first - breg)),
            rank_identity_slack(W2, g2))


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed, n=(20, 32))
    base = inst.problem
    rng = np.random.default_rng([seed, 8])
    m = int(rng.integers(1, base.d + 1))
    X, Y = vector_targets(rng, base.X, base.loss, m)
    problem = VectorResNetProblem(base.unit, X, Y, base.loss)
    n, d = problem.n, problem.d
    slacks = list(identity_slack(problem, rng))
    if seed % SEARCH_EVERY:
        return InstanceResult(seed, float(min(slacks)), f"{inst.description}, m = {m}: identities at a "
                              "random point", {})
    W, V, theta, g = local_minimum(problem, seed, maxiter=MAXITER)
    Fx = problem.unit(X, theta)
    Z = np.hstack((X, Fx))
    feat = vector_benchmark(Z, Y, problem.loss)
    lin = vector_benchmark(X, Y, problem.loss)
    slacks.append(rank_identity_slack(W, g))
    # never below the feature benchmark
    slacks.append(g.F - feat.value + feat.suboptimality_bound
                  + rounding_tolerance(g.F, feat.value, n=n * m))
    # at most the feature benchmark plus the first-order slack
    best = -np.inf
    for AB in feat.comparators():
        A, B = AB[:, :d], AB[:, d:]
        E_L = float(np.sum(problem.loss.value(Z @ AB.T, Y))) / n
        slack = vector_gap_bound(g, W, V, A, B)
        best = max(best, E_L + slack + rounding_tolerance(g.F, E_L, slack, n=n * m) - g.F)
    slacks.append(best)
    slacks.append(lin.value + feat.suboptimality_bound + rounding_tolerance(lin.value, feat.value, n=n * m)
                  - feat.value)
    sigma = np.linalg.svd(W, compute_uv=False)
    return InstanceResult(seed, float(min(slacks)),
                          f"{inst.description}, m = {m}: F = {g.F:.6g}, F_feat = {feat.value:.6g}, "
                          f"F_lin = {lin.value:.6g}, sigma_m(W) = {sigma[-1]:.3g}",
                          {"m": m, "sigma_m": float(sigma[-1]), "beat_F_lin_by": lin.value - g.F,
                           "F_minus_F_feat": g.F - feat.value})


def _details(results):
    vals = [r.values for r in results if "m" in r.values]
    if not vals:
        return {"random_points_checked": len(results), "runs": 0}
    beat = np.array([v["beat_F_lin_by"] for v in vals])
    return {"random_points_checked": len(results), "runs": len(vals), "outputs_m": [v["m"] for v in vals],
            "min_sigma_m_W": float(min(v["sigma_m"] for v in vals)),
            "F_lin_minus_F": {"min": float(beat.min()), "median": float(np.median(beat))},
            "median_abs_F_minus_F_feat": float(np.median([abs(v["F_minus_F_feat"]) for v in vals]))}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("vector_outputs", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one, progress,
                       details=_details)
