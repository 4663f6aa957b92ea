"""Witness (experiment) vector_outputs_counterexample_search: local minima worse than F_lin when m > d?

Per instance: a loss (cycling through the registered losses), ``d`` in ``{1, 2}``, ``m = d + 1`` outputs,
a one-hidden-layer tanh unit (``k`` in ``{1, 2}``, width 3), ``n = 24``; ``STARTS`` L-BFGS runs over
``(W, V, theta)`` (init scales 0.5, 1, 2; ``MAXITER`` iterations).  Each end point is classified:

* *near-stationary*: ``||grad F|| <= 1e-6``;
* *second-order*: the smallest eigenvalue of the finite-difference Hessian (central differences of the
  analytic gradient, step ``1e-5``: error ``~1e-9``) is ``>= -1e-6``;
* *worse than linear*: ``F - F_lin^solver > 1e-4``.

A point with all three is a candidate counterexample (numerically; not a certificate).  The margin
of an instance is a sanity check that must hold at every point, ``F >= F_feat(theta)`` (the prediction is
a comparator ``A = W``, ``B = W V``), so the experiment can fail; its outcome is in the details.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.models.vector_outputs import VectorResNetProblem, local_minimum, vector_benchmark, vector_targets
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 4
STARTS = (0.5, 1.0, 2.0)
MAXITER = 400
TOLERANCE = ("sanity F >= F_feat: solver suboptimality + 64 n m eps (1 + |F| + |F_feat|); classification "
             "thresholds ||grad|| <= 1e-6, lambda_min(FD Hessian) >= -1e-6, F - F_lin > 1e-4")


def fd_hessian_min_eig(problem, flat, step: float = 1e-5) -> float:
    """Smallest eigenvalue of the symmetrised central-difference Hessian of ``F`` at ``flat``."""
    N = flat.size
    H = np.empty((N, N))
    for i in range(N):
        e = np.zeros(N)
        e[i] = step
        H[:, i] = (problem.fun_and_grad(flat + e)[1] - problem.fun_and_grad(flat - e)[1]) / (2 * step)
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])


def one(seed: int) -> InstanceResult:
    rng = np.random.default_rng([seed, 9])
    names = sorted(LOSSES)
    loss = get_loss(names[seed % len(names)])
    d = int(rng.integers(1, 3))
    m, k, n = d + 1, int(rng.integers(1, 3)), 24
    X, Y = vector_targets(rng, rng.normal(size=(n, d)), loss, m)
    unit = MLPUnit(d=d, k=k, widths=(3,), activation="tanh")
    problem = VectorResNetProblem(unit, X, Y, loss)
    lin = vector_benchmark(X, Y, loss)
    slacks, points = [], []
    for i, scale in enumerate(STARTS):
        W, V, theta, g = local_minimum(problem, seed * 7 + i, maxiter=MAXITER, init_scale=scale)
        try:
            feat = vector_benchmark(np.hstack((X, unit(X, theta))), Y, loss)
            slacks.append(g.F - feat.value + feat.suboptimality_bound
                          + rounding_tolerance(g.F, feat.value, n=n * m))
            sanity = "checked"
        except RuntimeError as exc:
            # the separability LP of numerics.certificates.convex_benchmarks can fail on large features (reported); the
            # sanity check is then skipped for this run and counted, never hidden
            sanity = f"feature benchmark failed: {exc}"
        grad = np.sqrt(np.sum(g.grad_W ** 2) + np.sum(g.grad_V ** 2) + np.sum(g.grad_theta ** 2))
        stationary = bool(grad <= 1e-6)
        lam = fd_hessian_min_eig(problem, problem.pack(W, V, theta)) if stationary else float("nan")
        points.append({"grad_norm": float(grad), "F_minus_F_lin": g.F - lin.value,
                       "lambda_min": lam, "stationary": stationary, "sanity": sanity,
                       "candidate": bool(stationary and lam >= -1e-6 and g.F - lin.value > 1e-4)})
    return InstanceResult(seed, float(min(slacks)) if slacks else float("-inf"),
                          f"loss {loss.name}, d = {d}, m = {m}, k = {k}: "
                          f"{sum(p['candidate'] for p in points)} candidate(s) among {len(points)} runs",
                          {"loss": loss.name, "d": d, "m": m, "points": points})


def _details(results):
    pts = [(r.seed, r.values["loss"], p) for r in results for p in r.values.get("points", [])]
    candidates = [{"seed": s, "loss": name, **p} for s, name, p in pts if p["candidate"]]
    return {"runs": len(pts), "near_stationary_runs": sum(p["stationary"] for _, _, p in pts),
            "runs_worse_than_F_lin_by_1e-4": sum(p["F_minus_F_lin"] > 1e-4 for _, _, p in pts),
            "candidate_counterexamples": candidates,
            "runs_without_sanity_check": [p["sanity"] for _, _, p in pts if p["sanity"] != "checked"],
            "outcome": (f"{len(candidates)} candidate counterexample(s) found" if candidates else
                        "no near-stationary point with PSD Hessian worse than F_lin was found "
                        f"({len(pts)} runs, m = d + 1, d in {{1, 2}})")}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("vector_outputs_counterexample_search", seed, instances or DEFAULT_INSTANCES,
                       TOLERANCE, one, progress, details=_details)
