"""Experiment multi_block_experiment: 2-3 residual blocks, multi-start search against ``F_lin``.

Claim
-----
An experiment: it reports how the search's end points compare with ``F_lin`` on the raw ``x``
(``outcome``), and keeps claims that hold at every point, so that it can fail:

* the last-block inequality of the paper, ``F - E l(u^T x_{L-1}) <= ||w - u|| ||grad_w F|| + ||u|| ||V_L||_2
  ||grad_{V_L} F||_F / ||w||``, at every end point for ``u = w`` and a random ``u``
  (:func:`~..multiblock.last_block_slack`);
* ``F >= F_stack``, the certified linear benchmark on the stacked features ``(x, f_1(x_0), ..., f_L(x_{L-1}))``
  (``p = w^T x + sum_l (V_l^T w)^T f_l`` is such a predictor; value minus suboptimality bound);
* the model's reverse-mode gradient against a derivative extrapolated from ``F`` alone along
  ``DIRECTIONS`` random directions at every end point (the inequality and the classification use it).

A run is *stationary* when ``||grad F|| <= STATIONARY_TOLERANCE (1 + |F|)`` and *worse than linear* when
``F - F_lin > WORSE_MARGIN``; found / not found is said of the stationary end points only (the outcome
says how many there are: L-BFGS on 2-3 saturating tanh blocks converges slowly -- measured, about one
run in six reaches the tolerance within ``MAXITER`` iterations, and neither BFGS nor 2000 iterations
change that much).  Every instance is checked: the experiment's statement is about the end points, and
its claims are evaluated at every one of them.

Sampling
--------
Per instance: a loss (cycling through the registered losses), ``d`` in ``{2, 3}``, ``L`` in ``{2, 3}`` blocks
of one-hidden-layer tanh units (width 3, ``k = 2``), ``n = 24`` samples; ``len(STARTS)`` L-BFGS runs (init
scales ``STARTS``, ``MAXITER`` iterations).

Tolerance
---------
Inequality and ``F >= F_stack``: ``ROUNDING_FACTOR n eps (1 + magnitudes)`` (and the benchmark's certified
suboptimality); extrapolated derivatives ``ERROR_FACTOR`` times the error estimate + ``ROUNDING_MULTIPLE
eps (|F| + |derivative| + 1)``, resolving relative errors of ``DERIVATIVE_RESOLUTION``.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import convex_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates.derivatives import ERROR_FACTOR, ROUNDING_MULTIPLE
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.multiblock import MultiBlockProblem, last_block_slack, local_minimum
from resnet_lemmas.numerics.witnesses._common import (DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      gradient_claims, prediction_scales,
                                                      rounding)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 4
STARTS = (0.5, 1.0, 2.0)
MAXITER = 300
STATIONARY_TOLERANCE = 1e-5
WORSE_MARGIN = 1e-4
DIRECTIONS = 1
TOLERANCE = (f"last-block inequality and F >= F_stack: {ROUNDING_FACTOR:g} n eps (1 + magnitudes) (+ the "
             f"benchmark's certified suboptimality); extrapolated derivatives {ERROR_FACTOR:g} x error "
             f"estimate + {ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1), resolving "
             f"{DERIVATIVE_RESOLUTION:g} relative; runs are 'stationary' when ||grad F|| <= "
             f"{STATIONARY_TOLERANCE:g} (1 + |F|) and 'worse than linear' when F - F_lin > {WORSE_MARGIN:g}")


def stacked_features(problem: MultiBlockProblem, flat) -> np.ndarray:
    """``(x, f_1(x_0), ..., f_L(x_{L-1}))`` row-wise, shape ``(n, d + L k)``."""
    _, _, cache = problem.forward(flat)
    return np.hstack([problem.X] + [f for _, _, f in cache])


def one(seed: int) -> InstanceResult:
    rng = np.random.default_rng([seed, 11])
    loss = get_loss(sorted(LOSSES)[seed % len(LOSSES)])
    d, L, n = int(rng.integers(2, 4)), int(rng.integers(2, 4)), 24
    X, y = data_for_loss(rng, loss, n, d)
    problem = MultiBlockProblem(X, y, loss, L)
    lin = linear_benchmark(X, y, loss)
    claims, runs, vacuous = [], [], 0
    for i, scale in enumerate(STARTS):
        flat = local_minimum(problem, problem.random_start(rng, scale), maxiter=MAXITER)
        F, grad = problem.fun_and_grad(flat)
        w = problem.unpack(flat)[0]
        for label, u in (("u = w", w), ("random u", rng.normal(size=d))):
            gap, bound = last_block_slack(problem, flat, u)
            if np.isfinite(F) and (gap == -np.inf or bound == np.inf):
                # E l(u^T x_(L-1)) overflowed float64 (the comparator is astronomically bad: gap = -inf)
                # or ||w|| = 0 (bound = inf): the inequality holds and says nothing; counted, not claimed
                vacuous += 1
                continue
            claims.append(Claim(f"F - E l(u^T x_(L-1)) <= ||w - u|| ||grad_w F|| + ||u|| ||V_L||_2 "
                                f"||grad_(V_L) F||_F / ||w|| (run {i}, {label})", gap, "<=", bound,
                                {"rounding": rounding(F, F - gap, bound, n=n)}))
        stack = convex_benchmark(stacked_features(problem, flat), y, loss)
        if np.isfinite(stack.suboptimality_bound):
            claims.append(Claim(f"F >= F_stack (run {i}; sanity: p is linear in the stacked features)", F,
                                ">=", stack.value - stack.suboptimality_bound,
                                {"rounding": rounding(F, stack.value, n=n)}))
        directions = rng.normal(size=(DIRECTIONS, flat.size))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        fun = lambda Z: np.array([problem.objective(z) for z in Z])  # noqa: E731
        scales = prediction_scales(lambda z: problem.forward(z)[0], flat, directions)
        claims += gradient_claims("grad F", i, fun, flat, directions, grad, scales)
        grad_norm = float(np.linalg.norm(grad))
        runs.append({"F_minus_F_lin": F - lin.value, "grad_norm": grad_norm,
                     "stationary": bool(grad_norm <= STATIONARY_TOLERANCE * (1.0 + abs(F)))})
    return InstanceResult(seed, claims=claims,
                          description=(f"loss {loss.name}, d = {d}, {L} blocks: F - F_lin = "
                                       + ", ".join(f"{r['F_minus_F_lin']:.3g}" for r in runs)
                                       + f"; {sum(r['stationary'] for r in runs)} stationary"),
                          values={"loss": loss.name, "blocks": L, "runs": runs,
                                  "vacuous_last_block_comparisons": vacuous})


def _runs(results):
    return [(r.values["loss"], r.values["blocks"], x) for r in results for x in r.values.get("runs", [])]


def _details(results):
    runs = _runs(results)
    diffs = np.array([x["F_minus_F_lin"] for _, _, x in runs]) if runs else np.zeros(0)
    stationary = [x for _, _, x in runs if x["stationary"]]
    worse = [{"loss": name, "blocks": L, **x} for name, L, x in runs if x["F_minus_F_lin"] > WORSE_MARGIN]
    return {"runs": len(runs), "stationary_runs": len(stationary),
            "F_minus_F_lin": ({"min": float(diffs.min()), "median": float(np.median(diffs)),
                               "max": float(diffs.max())} if runs else None),
            "runs_worse_than_F_lin": worse,
            "stationary_runs_worse_than_F_lin": sum(x["F_minus_F_lin"] > WORSE_MARGIN for x in stationary)}


def _outcome(results):
    runs = _runs(results)
    stationary = [x for _, _, x in runs if x["stationary"]]
    space = (f"{len(results)} instances (losses cycled, d in {{2, 3}}, 2-3 tanh blocks), "
             f"{len(STARTS)} starts each")
    if not stationary:
        return f"no run ended stationary: nothing explored ({len(runs)} runs; {space})"
    worse = [x for x in stationary if x["F_minus_F_lin"] > WORSE_MARGIN]
    best = max(x["F_minus_F_lin"] for x in stationary)
    return (f"{'found' if worse else 'not found'}: {len(worse)} of {len(stationary)} stationary end points "
            f"({len(runs)} runs) worse than F_lin by > {WORSE_MARGIN:g}; largest F - F_lin there {best:.3g}; "
            f"{space}")


def witness(seed: int = 0, instances: int | None = None, progress=None):
    count = instances or DEFAULT_INSTANCES
    return run_witness("multi_block_experiment", seed, count, TOLERANCE, one, progress, details=_details,
                       kind="experiment", outcome=_outcome)
