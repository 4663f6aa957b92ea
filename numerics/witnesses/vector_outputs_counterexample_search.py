"""Experiment vector_outputs_counterexample_search: with ``m > d`` outputs, are there local minima worse
than linear?

Claim
-----
An experiment: it reports what its search found (``outcome``), and keeps sanity claims that hold at
every point, so that it can fail:

* ``F >= F_feat(theta)`` at every end point (the prediction ``W x + W V f`` is a comparator ``A = W``,
  ``B = W V``; ``F_feat`` the certified benchmark's value minus its suboptimality bound);
* the model's gradient against a derivative extrapolated from ``F`` alone, along ``DIRECTIONS`` random
  directions at every end point (the classification below rests on that gradient).

Search: per run, L-BFGS-B over ``(W, V, theta)`` (``MAXITER`` iterations, the lemma's search), then over
``(W, V)`` at the ``theta`` it reached (``SECOND_STAGE_MAXITER``; these runs rarely converge in all
parameters: the unit's saturation leaves directions to infinity, while in ``(W, V)`` at fixed ``theta``
they usually do).  An end point is *stationary* when ``||grad_(W, V) F|| <= STATIONARY_TOLERANCE (1 +
|F|)``, *second-order* when the smallest eigenvalue of the central-difference Hessian in ``(W, V)``
(``FD_STEP``) is ``>= -HESSIAN_TOLERANCE``, and a *candidate* when it is both and ``F - F_lin`` exceeds
``BAD_MARGIN`` (``F_lin`` is reachable, ``V = 0``; ``F_feat`` is not when ``m > d``: ``B = W V`` has rank at
most ``d``, so ``F - F_feat`` is only reported).  The Hessian test is numerical, not a certificate:
candidates are candidates.

Sampling
--------
Per instance: a loss (cycling through the registered losses by seed), ``d`` in ``{1, 2}``, ``m = d + 1``
outputs (:func:`~..vector_outputs.vector_targets`), a one-hidden-layer tanh unit (``k`` in ``{1, 2}``,
width 3), ``n = 24``; ``len(STARTS)`` runs with init scales ``STARTS``.  An instance is *checked* when at
least one run ends stationary in ``(W, V)``; a search that converges nowhere has explored nothing, and
the experiment is inconclusive when no instance is checked.

Tolerance
---------
``F >= F_feat``: the benchmark's certified suboptimality + ``ROUNDING_FACTOR n m eps (1 + |F| + |F_feat|)``;
extrapolated derivatives ``ERROR_FACTOR`` times the error estimate + ``ROUNDING_MULTIPLE eps (|F| +
|derivative| + 1)``, resolving relative errors of ``DERIVATIVE_RESOLUTION``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics._blas import blas_single_threaded
from resnet_lemmas.numerics.certificates.derivatives import ERROR_FACTOR, ROUNDING_MULTIPLE
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.models.vector_outputs import (VectorResNetProblem, local_minimum, vector_benchmark,
                                                          vector_targets)
from resnet_lemmas.numerics.witnesses._common import (DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      gradient_claims, prediction_scales,
                                                      rounding)
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.losses import LOSSES, get_loss

DEFAULT_INSTANCES = 4
STARTS = (0.5, 1.0, 2.0)
MAXITER = 400
SECOND_STAGE_MAXITER = 300
STATIONARY_TOLERANCE = 1e-6
HESSIAN_TOLERANCE = 1e-6
#: Central-difference step of the classification Hessian (error ~ step^2 ~ 1e-10, rounding ~ eps / step).
FD_STEP = 1e-5
BAD_MARGIN = 1e-4
DIRECTIONS = 1
TOLERANCE = (f"F >= F_feat: certified suboptimality + {ROUNDING_FACTOR:g} n m eps (1 + |F| + |F_feat|); "
             f"extrapolated derivatives {ERROR_FACTOR:g} x error estimate + {ROUNDING_MULTIPLE:g} eps (|F| + "
             f"|derivative| + 1), resolving {DERIVATIVE_RESOLUTION:g} relative; classification (not a "
             f"claim): stationary ||grad_(W, V)|| <= {STATIONARY_TOLERANCE:g} (1 + |F|), lambda_min(FD "
             f"Hessian) >= -{HESSIAN_TOLERANCE:g}, bad F - F_lin > {BAD_MARGIN:g}")


def fd_hessian_min_eig(problem, flat, step: float = FD_STEP) -> float:
    """Smallest eigenvalue of the symmetrised central-difference Hessian of ``F`` at ``flat`` (differences
    of the model's gradient)."""
    N = flat.size
    H = np.empty((N, N))
    for i in range(N):
        e = np.zeros(N)
        e[i] = step
        H[:, i] = (problem.fun_and_grad(flat + e)[1] - problem.fun_and_grad(flat - e)[1]) / (2 * step)
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])


@blas_single_threaded
def second_stage(problem, W, V, theta, maxiter: int = SECOND_STAGE_MAXITER):
    """L-BFGS-B over ``(W, V)`` at fixed ``theta`` from ``(W, V)``: ``(fixed problem, packed (W, V))``."""
    fixed = VectorResNetProblem(table_unit(problem.X, problem.unit(problem.X, theta)), problem.X, problem.Y,
                                problem.loss)
    empty = np.zeros(0)
    res = minimize(lambda z: fixed.fun_and_grad(np.concatenate((z, empty))),
                   np.concatenate((W.ravel(), V.ravel())), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-11, "ftol": 0.0, "maxiter": int(maxiter),
                            "maxfun": 2 * int(maxiter) + 100})
    return fixed, res.x


def _instance(seed: int):
    rng = np.random.default_rng([seed, 9])
    names = sorted(LOSSES)
    loss = get_loss(names[seed % len(names)])
    d = int(rng.integers(1, 3))
    m, k, n = d + 1, int(rng.integers(1, 3)), 24
    X, Y = vector_targets(rng, rng.normal(size=(n, d)), loss, m)
    unit = MLPUnit(d=d, k=k, widths=(3,), activation="tanh")
    return rng, VectorResNetProblem(unit, X, Y, loss)


def one(seed: int) -> InstanceResult:
    rng, problem = _instance(seed)
    X, Y, loss, n, m, d = problem.X, problem.Y, problem.loss, problem.n, problem.m, problem.d
    lin = vector_benchmark(X, Y, loss)
    claims, points = [], []
    empty = np.zeros(0)
    for i, scale in enumerate(STARTS):
        W, V, theta, g = local_minimum(problem, seed * 7 + i, maxiter=MAXITER, init_scale=scale)
        full_grad = float(np.sqrt(np.sum(g.grad_W ** 2) + np.sum(g.grad_V ** 2) + np.sum(g.grad_theta ** 2)))
        fixed, z = second_stage(problem, W, V, theta, maxiter=SECOND_STAGE_MAXITER)
        with np.errstate(over="ignore", invalid="ignore"):
            F, grad = fixed.fun_and_grad(np.concatenate((z, empty)))
        point = {"full_grad_norm_stage_1": full_grad, "F": float(F), "F_minus_F_lin": float(F - lin.value)}
        if not np.isfinite(F):
            point.update(stationary=False, candidate=False, note="the second stage diverged (F = inf)")
            points.append(point)
            continue
        feat = vector_benchmark(np.hstack((X, fixed.unit(X, empty))), Y, loss)
        if np.isfinite(feat.suboptimality_bound):
            claims.append(Claim(f"F >= F_feat (run {i}; sanity: W x + W V f is a comparator)", F, ">=",
                                feat.value - feat.suboptimality_bound,
                                {"rounding": rounding(F, feat.value, n=n * m)}))
        # the classification rests on the model's gradient: check it against F alone
        x = np.concatenate((z, empty))
        directions = rng.normal(size=(DIRECTIONS, x.size))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        fun = lambda Z: np.array([fixed.objective(*fixed.unpack(zz)) for zz in Z])  # noqa: E731
        scales = prediction_scales(lambda zz: fixed.predict(*fixed.unpack(zz)).ravel(), x, directions)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                claims += gradient_claims("grad_(W, V)", i, fun, x, directions, grad, scales)
        except ValueError as exc:   # F overflows within the steps (far out, exponential-type losses)
            point["note"] = f"gradient check skipped: {exc}"
        grad_norm = float(np.linalg.norm(grad))
        stationary = grad_norm <= STATIONARY_TOLERANCE * (1.0 + abs(F))
        lam = fd_hessian_min_eig(fixed, x) if stationary else float("nan")
        point.update(grad_norm=grad_norm, stationary=bool(stationary), lambda_min=lam,
                     F_minus_F_feat=float(F - feat.value),
                     candidate=bool(stationary and lam >= -HESSIAN_TOLERANCE and F - lin.value > BAD_MARGIN))
        points.append(point)
    checked = any(p["stationary"] for p in points)
    found = sum(p["candidate"] for p in points)
    return InstanceResult(seed, claims=claims, checked=checked,
                          description=(f"loss {loss.name}, d = {d}, m = {m}, k = {problem.k}: "
                                       f"{sum(p['stationary'] for p in points)} of {len(points)} runs stationary "
                                       f"in (W, V); {found} candidate(s)"),
                          values={"loss": loss.name, "d": d, "m": m, "points": points})


def _points(results):
    return [(r.seed, r.values["loss"], p) for r in results for p in r.values.get("points", [])]


def _details(results):
    pts = _points(results)
    stationary = [p for _, _, p in pts if p["stationary"]]
    return {"runs": len(pts),
            "runs_stationary_in_all_parameters_after_stage_1": sum(
                p["full_grad_norm_stage_1"] <= STATIONARY_TOLERANCE * (1 + abs(p["F"])) for _, _, p in pts),
            "runs_stationary_in_W_V": len(stationary),
            "max_F_minus_F_feat_at_stationary": max((p["F_minus_F_feat"] for p in stationary), default=None),
            "max_F_minus_F_lin_at_stationary": max((p["F_minus_F_lin"] for p in stationary), default=None),
            "candidate_counterexamples": [{"seed": s, "loss": name, **p} for s, name, p in pts
                                          if p["candidate"]]}


def _outcome(results):
    pts = _points(results)
    stationary = [p for _, _, p in pts if p["stationary"]]
    found = [p for p in stationary if p["candidate"]]
    best = max((p["F_minus_F_lin"] for p in stationary), default=None)
    space = (f"{len(results)} instances (losses cycled, d in {{1, 2}}, m = d + 1, tanh unit), "
             f"{len(STARTS)} starts each")
    if not stationary:
        return f"no run ended stationary in (W, V): nothing explored ({len(pts)} runs; {space})"
    return (f"{'found' if found else 'not found'}: {len(found)} candidate local minima in (W, V) worse than "
            f"F_lin by > {BAD_MARGIN:g} among {len(stationary)} stationary end points of {len(pts)} runs; "
            f"largest F - F_lin there {best:.3g}; {space}")


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("vector_outputs_counterexample_search", seed, instances or DEFAULT_INSTANCES, TOLERANCE,
                       one, progress, details=_details, kind="experiment", outcome=_outcome)
