"""Witness (experiment) multi_block_experiment: 2-3 residual blocks, multi-start search against F_lin.

Per instance: a loss (cycling through the registered losses), ``d`` in ``{2, 3}``, ``L`` in ``{2, 3}``
blocks of one-hidden-layer tanh units (width 3, ``k = 2``), ``n = 24`` samples; ``len(STARTS)`` L-BFGS runs
(init scales ``STARTS``, ``MAXITER`` iterations).  Recorded per run: ``F - F_lin`` (``F_lin`` from the
certified solver on the raw ``x``) and ``||grad F||``.

Margin (so the experiment can fail): the last-block inequality of the paper,
``F - E l(u^T x_{L-1}) <= ||w - u|| ||grad_w F|| + ||u|| ||V_L||_2 ||grad_{V_L} F|| / ||w||`` + rounding, at
every end point for ``u = w`` and a random ``u`` (:func:`~..multiblock.last_block_slack`).
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.multiblock import MultiBlockProblem, last_block_slack, local_minimum
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 4
STARTS = (0.5, 1.0, 2.0)
MAXITER = 300
TOLERANCE = ("last-block inequality + 64 n eps (1 + |F| + |E l(u^T x_{L-1})| + bound); runs are "
             "'stationary' when ||grad F|| <= 1e-5 and 'worse than linear' when F - F_lin > 1e-4")


def one(seed: int) -> InstanceResult:
    rng = np.random.default_rng([seed, 11])
    loss = get_loss(sorted(LOSSES)[seed % len(LOSSES)])
    d, L, n = int(rng.integers(2, 4)), int(rng.integers(2, 4)), 24
    X, y = data_for_loss(rng, loss, n, d)
    problem = MultiBlockProblem(X, y, loss, L)
    lin = linear_benchmark(X, y, loss)
    slacks, runs = [], []
    for scale in STARTS:
        flat = local_minimum(problem, problem.random_start(rng, scale), maxiter=MAXITER)
        F, grad = problem.fun_and_grad(flat)
        w = problem.unpack(flat)[0]
        for u in (w, rng.normal(size=d)):
            gap, bound = last_block_slack(problem, flat, u)
            slacks.append(bound + rounding_tolerance(F, F - gap, bound, n=n) - gap)
        runs.append({"F_minus_F_lin": F - lin.value, "grad_norm": float(np.linalg.norm(grad))})
    return InstanceResult(seed, float(min(slacks)),
                          f"loss {loss.name}, d = {d}, {L} blocks: F - F_lin = "
                          + ", ".join(f"{r['F_minus_F_lin']:.3g}" for r in runs),
                          {"loss": loss.name, "blocks": L, "runs": runs})


def _details(results):
    runs = [(r.values["loss"], r.values["blocks"], x) for r in results for x in r.values.get("runs", [])]
    diffs = np.array([x["F_minus_F_lin"] for _, _, x in runs]) if runs else np.zeros(0)
    stationary = [x for _, _, x in runs if x["grad_norm"] <= 1e-5]
    worse = [{"loss": name, "blocks": L, **x} for name, L, x in runs if x["F_minus_F_lin"] > 1e-4]
    return {"runs": len(runs), "stationary_runs": len(stationary),
            "F_minus_F_lin": ({"min": float(diffs.min()), "median": float(np.median(diffs)),
                               "max": float(diffs.max())} if runs else None),
            "runs_worse_than_F_lin": worse,
            "stationary_runs_worse_than_F_lin": sum(x["F_minus_F_lin"] > 1e-4 for x in stationary),
            "outcome": (f"{len(runs) - len(worse)} of {len(runs)} runs ended at or below F_lin + 1e-4; "
                        f"{len(worse)} above (of which "
                        f"{sum(x['F_minus_F_lin'] > 1e-4 for x in stationary)} near-stationary)")}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("multi_block_experiment", seed, instances or DEFAULT_INSTANCES, TOLERANCE, one,
                       progress, details=_details)
