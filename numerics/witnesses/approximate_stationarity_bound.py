"""Witness for lemma approximate_stationarity_bound: the section-4 identity and bound at arbitrary points.

Claim
-----
The three relations of the lemma's conclusion, compiled by the bridge (:mod:`._statement`; a claim's label
is the relation as printed), at every point ``(w, V, theta)`` with ``w != 0`` and every comparator ``u``:

1. the identity ``F - E l(u^T x) = (w - u)^T grad_w F + u^T (V c) - E[D_l(u^T x, p)]``;
2. the bound ``F - E l(u^T x) <= ||w - u|| ||grad_w F|| + ||u|| ||V||_2 ||grad_V F||_F / ||w||``;
3. the corollary ``F - F_lin <= eps (||w - u|| + ||u|| ||V||_2 / ||w||)`` under its hypotheses
   ``||grad_w F||, ||grad_V F|| <= eps`` and ``F_lin = E l(u^T x)``: at every point with ``eps = max(||grad_w
   F||, ||grad_V F||_F)`` and ``F_lin`` taken as ``E l(u^T x)`` (the hypothesis names it so); and at ``u = u*``
   (attained ``F_lin``) with ``F_lin`` the certified solver value minus its suboptimality bound (a lower
   bound on ``E l(u*^T x)``, so the claim is the stronger one).

The values of the named quantities at every point are computed independently of one another, so that
no relation holds by algebra: ``F`` and ``E l(u^T x)`` from loss *values* only; ``E[D_l(u^T x, p)] =
E[l(u^T x) - l(p) - l'(p) (u^T x - p)]`` by its definition (``l'`` from the loss); ``grad_w F``, ``c`` and
``grad_V F`` by the model (:func:`~..certificates.stationarity_bound.model_gradients`:
``ResNetProblem.gradients``, whose formulas the witness of lemma residual_gradients checks against
extrapolated differences of ``F``).  (Built from one ``r`` in every term, the identity would hold for any
``r``: ``(w - u)^T grad_w F + u^T V c - E[D_l] = E[r (p - u^T x)] - E[l(u^T x) - l(p) - r (u^T x - p)] =
F - E l(u^T x)``, so a wrong ``l'`` or a wrong Bregman term could not fail it.)  The vectorised fast path
(:func:`~..certificates.stationarity_bound.batched_terms`) evaluates them, and the relations' sides, at
every point.  Each relation is one claim per instance, at the point where the fast path finds the
smallest margin; the claim's sides there are the bridge's (:func:`._statement.claim`).  The bridge is not
run at every point: its compiled code cannot take stacked points (its ``inner``, ``norm`` sum
everything), and 10,000 calls cost about 1 s, doubling the witness.  Instead, at ``CONSISTENCY_POINTS``
random points per instance, each relation's slack ``rhs - lhs`` by the bridge is claimed equal to the fast
path's (labelled as such; not a relation of the conclusion): a relation of the lemma that differs from
what the fast path computes (a wrong formula in the lemma module, or in the fast path) fails there,
whether or not it would fail at the worst point.  Not in the conclusion either: ``E[D_l] >= 0``
(convexity of the loss, a step of the proof), claimed at the point where the computed Bregman term is
smallest.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`: every loss, units of depth 1-4),
``THETAS`` random ``theta`` each (init scale log-uniform on ``[0.5, 2]``) and ``POINTS_PER_THETA``
points ``(w, V, u)`` per ``theta`` (:func:`~..stationarity_bound.sample_points`: ``||w||`` from ``1e-3`` to
``3``, ``V`` from ``1e-2`` to ``3``, comparators random, ``u = u*`` or near ``w``): 10,000 points by default.

Tolerance
---------
``ROUNDING_FACTOR n eps (1 + scale)`` (:meth:`~..stationarity_bound.BatchTerms.tolerance`): float64
rounding of means of ``n`` terms, ``scale`` the sum of the magnitudes of the terms the sides are summed
from -- ``E|l(p)|``, ``E|l(u^T x)|``, ``E|l'(p) (u^T x - p)|``, the model's first-order term's entrywise
``|w - u|^T (E[|r| |x|] + |V| E[|r| |f|]) + |u|^T |V| E[|r| |f|]``, the bound, and the predictions'
magnitude times ``|l'| + |l''| |u^T x - p|`` (the model rounds ``p`` its own way) -- never a difference
the identity is meant to catch (a wrong ``l'``, a dropped ``1/n``, a wrong sign move a side by ``O(1)``
relative; the allowance is ``64 n eps``, about ``6e-13`` relative at ``n = 40``).  At ``u = u*`` also
the rounding of ``F_lin``.  Details: points checked per loss and depth, and the smallest relative slack
``(bound - gap) / bound`` among points with ``gap > 0`` (how tight the bound is).  A point where a loss
value overflows float64 (exponential-type losses at large predictions) cannot be evaluated: it is left
out of the claims and counted in the details.
"""
from __future__ import annotations

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.derivatives import derivative_allowance, directional_derivatives
from resnet_lemmas.numerics.certificates.stationarity_bound import (batched_terms, model_gradients,
                                                                    sample_points)
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses._common import ROUNDING_FACTOR
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "approximate_stationarity_bound"
#: The relations of the lemma's conclusion, by position (``proofs/lemmas/approximate_stationarity_bound.py``).
IDENTITY, BOUND, EPS_BOUND = range(3)
DEFAULT_INSTANCES = 200
THETAS = 2
POINTS_PER_THETA = 25
EPS = np.finfo(np.float64).eps
#: Random points per instance at which the bridge's slack of every relation is compared with the fast
#: path's (one suffices: a formula that differs shows at a generic point).
CONSISTENCY_POINTS = 1
TOLERANCE = (f"the lemma's relations compiled by the bridge at independently computed quantities (F and E l(u^T x) "
             "from loss values, E[D_l] by its definition, the gradients by the model), within "
             f"{ROUNDING_FACTOR:g} n eps (1 + magnitudes of the terms summed: l(p), l(u^T x), l'(p)(u^T x - p), "
             "the model's first-order term entrywise, the bound, the predictions times |l'| + |l''||u^T x - p|): "
             "float64 rounding of means of n terms; at u = u* also the rounding of F_lin; the loss kernel's "
             "l' (shared by both sides of the identity) against a derivative extrapolated from loss values, "
             "within 10 x its error estimate + 1e3 eps (|E l| + |E[l' v]| + 1)")


def _worst_claim(index: int, columns: dict, fast_sides, allowance, keep, suffix: str = "") -> Claim:
    """Relation ``index`` of the conclusion at the point (among ``keep``) where the fast path's sides
    ``(lhs, rhs)`` give the smallest margin, evaluated there by the bridge."""
    lhs, rhs = fast_sides
    margin = statement.margins(statement.conjunct(LEMMA, index).relation, lhs, rhs, allowance)
    j = int(np.argmin(np.where(keep, margin, np.inf)))
    return statement.claim(LEMMA, index, _at(columns, j), {"rounding": float(allowance[j])},
                           f" (worst of {int(np.sum(keep))} points{suffix})")


def _at(columns: dict, j: int) -> dict:
    return {name: value[j] if np.ndim(value) else value for name, value in columns.items()}


def _loss_derivative_claim(problem, Fx, w, V, rng) -> Claim | None:
    """``E[l'(p; y) v] = d/dt E l(p + t v; y)`` at the predictions ``p`` of the point ``(w, V)`` along a
    random ``v``, the right side extrapolated from loss *values* (:func:`directional_derivatives`).  The
    identity's sides share the loss kernel's ``l'`` (the model's gradients and the Bregman term both use
    it), so a wrong ``l'`` cancels there (red team 2); this checks the kernel itself.  Allowance: the
    extrapolation's error estimate and rounding (:func:`derivative_allowance`).  ``None`` where a loss
    value overflows."""
    p = problem.X @ w + Fx @ (V.T @ w)
    v = rng.normal(size=p.size)
    y = problem.y
    with np.errstate(over="ignore", invalid="ignore"):
        analytic = float(np.mean(problem.loss.grad(p, y) * v))
        F0 = float(np.mean(problem.loss.value(p, y)))
        if not (np.isfinite(analytic) and np.isfinite(F0)):
            return None
        try:
            est, err = directional_derivatives(
                lambda P: np.mean(problem.loss.value(P, y[None, :]), axis=1), p, v[None, :])
        except ValueError:      # a value overflowed along the steps
            return None
    return Claim("E[l'(p; y) v] (loss kernel) = d/dt E l(p + t v; y) (extrapolated from loss values; a check "
                 "of the kernel both sides of the identity use, not in the conclusion)", analytic, "=",
                 float(est[0]), derivative_allowance(float(err[0]), F0, analytic))


def one(seed: int) -> InstanceResult:
    inst = sample_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 4])
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    u_star = lin.argmin  # None when F_lin is not attained (then no u = u* points)
    n = problem.n
    parts = []
    for _ in range(THETAS):
        theta = problem.unit.init(rng, scale=float(np.exp(rng.uniform(np.log(0.5), np.log(2.0)))))
        Fx = problem.features(theta)
        W, Vs, U = sample_points(rng, POINTS_PER_THETA, problem.d, problem.k, u_star)
        with np.errstate(over="ignore", invalid="ignore"):
            gradients = model_gradients(problem, Fx, W, Vs)
            t = batched_terms(problem.X, problem.y, Fx, problem.loss, W, Vs, U, gradients)
            tol = t.tolerance(n)
            eps = np.maximum(t.grad_w_norm, t.grad_V_norm)
            eps_bound = t.eps_bound()
        parts.append({"F": t.F, "E_l_u": t.E_l_u, "E_bregman_u": t.bregman, "u": U, "w": W, "V": Vs,
                      "grad_w": t.grad_w, "c": t.c, "grad_V": t.grad_V, "eps_stat": eps, "tol": tol,
                      "gap": t.gap, "bound": t.bound, "eps_bound": eps_bound,
                      "first_order": t.first_order})
    derivative_claim = _loss_derivative_claim(problem, Fx, W[0], Vs[0], rng)
    columns = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    fast = {name: columns.pop(name) for name in ("tol", "gap", "bound", "eps_bound", "first_order")}
    tol = fast["tol"]
    # a point where a loss value overflows float64 (exponential-type losses at large p) cannot be
    # evaluated: it is counted, never passed or failed
    everywhere = np.all(np.isfinite(np.vstack([fast["gap"], fast["first_order"], columns["E_bregman_u"],
                                               fast["bound"], fast["eps_bound"], tol])), axis=0)
    counts = {"points": int(np.sum(everywhere)), "positive_gap": 0, "u_star_points": 0,
              "overflowed": int(np.sum(~everywhere))}
    info = {"loss": problem.loss.name, "depth": problem.unit.depth}
    if not everywhere.any():
        return InstanceResult(seed, checked=False, values={**counts, **info},
                              description=f"{inst.description}: every point overflowed float64")
    columns["F_lin"] = columns["E_l_u"]      # the corollary's hypothesis F_lin = E l(u^T x), at every u
    # the fast path's sides of each relation at every point (F_lin = E l(u^T x): F - F_lin = gap)
    fast_sides = {IDENTITY: (fast["gap"], fast["first_order"] - columns["E_bregman_u"]),
                  BOUND: (fast["gap"], fast["bound"]), EPS_BOUND: (fast["gap"], fast["eps_bound"])}
    claims = [_worst_claim(index, columns, fast_sides[index], tol, everywhere) for index in fast_sides]
    claims += [derivative_claim] if derivative_claim is not None else []
    # convexity (a step of the proof, not a relation of the conclusion), from the fast path
    bregman_margin = np.where(everywhere, columns["E_bregman_u"] + tol, np.inf)
    j = int(np.argmin(bregman_margin))
    claims.append(Claim(f"E[D_l] >= 0 (convexity of the loss, a step of the proof; not in the conclusion; "
                        f"worst of {counts['points']} points)", float(columns["E_bregman_u"][j]), ">=", 0.0,
                        {"rounding": float(tol[j])}))
    if u_star is not None:
        at_star = np.all(columns["u"] == u_star, axis=1) & everywhere
        counts["u_star_points"] = int(at_star.sum())
        if at_star.any():
            F_lin_lower = lin.value - lin.suboptimality_bound
            starred = dict(columns, F_lin=F_lin_lower)
            allowance = tol + ROUNDING_FACTOR * n * EPS * abs(lin.value)
            claims.append(_worst_claim(EPS_BOUND, starred, (columns["F"] - F_lin_lower, fast["eps_bound"]),
                                       allowance, at_star, " at u = u*"))
    # the bridge's slack of every relation against the fast path's, at random points
    for p in rng.choice(np.flatnonzero(everywhere), size=min(CONSISTENCY_POINTS, counts["points"]),
                        replace=False):
        for index, (lhs, rhs) in fast_sides.items():
            relation = statement.evaluate(LEMMA, index, _at(columns, p))
            claims.append(Claim(f"{relation.label}: its slack rhs - lhs by the bridge = by the fast path "
                                f"batched_terms (point {p}; not a relation of the conclusion)",
                                float(relation.rhs) - float(relation.lhs), "=", float(rhs[p] - lhs[p]),
                                {"rounding": float(tol[p])}))
    positive = everywhere & (np.nan_to_num(fast["gap"], nan=0.0) > 0)
    counts["positive_gap"] = int(positive.sum())
    tightest = (float(np.min((fast["bound"][positive] - fast["gap"][positive]) / fast["bound"][positive]))
                if positive.any() else np.inf)
    worst = min(c.margin for c in claims)
    return InstanceResult(seed, claims=claims,
                          description=(f"{inst.description}; worst slack {worst:.3e} over "
                                       f"{counts['points']} points"),
                          values={**counts, **info, "tightest_relative_slack": tightest})


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
            "points_overflowed_float64": sum(r.values.get("overflowed", 0) for r in results),
            "points_by_loss": dict(sorted(by_loss.items())),
            "points_by_unit_depth": dict(sorted(by_depth.items())),
            "smallest_relative_slack_of_bound": float(min(tight)) if tight else None}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    return run_witness("approximate_stationarity_bound", seed, instances or DEFAULT_INSTANCES,
                       TOLERANCE, one, progress, details=_details)
