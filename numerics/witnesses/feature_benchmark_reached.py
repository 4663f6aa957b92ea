"""Witness for lemma feature_benchmark_reached: F >= F_feat(theta) everywhere, F = F_feat(theta) at local minima.

Claim
    The three relations of the lemma's conclusion, compiled by the bridge (:mod:`._statement`; a claim's
    label is the relation as printed, with the point named): ``F(w, V, theta) >= F_feat(theta)`` at every
    point (the residual prediction is the comparator ``a = w, b = V^T w``); ``F(w, V, theta) <=
    F_feat(theta)`` at local minima; ``F_feat(theta) <= F_lin`` for every ``theta``.  Values: ``F`` the
    model's objective at the point (at a certified minimum, the certificate's value), ``F_feat`` and
    ``F_lin`` the *lower* ends of their certified brackets (:mod:`~..certificates.convex_benchmarks`).
    Not in the conclusion, and labelled as such: the benchmarks' bracket claims (each bracket closes).

Sampling
    Per instance (:func:`~.local_minima_beat_linear.sample_minimum_instance`, the main theorem's
    distribution): ``RANDOM_POINTS`` random points ``(w, V, theta)`` (a point whose ``F_feat`` has no dual
    lower bound is replaced, up to ``MAX_ATTEMPTS`` times), at each ``F >= F_feat`` and, where the solve
    certifies it (``BenchmarkResult.tight``), that the ``F_feat`` bracket closes.  A fixed share of the
    instances, chosen by index (every ``SEARCH_EVERY``-th, starting with the first, so any ``--instances``
    value searches), also brackets ``F_lin`` (claiming ``F_feat <= F_lin`` at its random points too: one
    convex solve more, 10 ms an instance, so not at every instance) and runs one search
    (:func:`~..solvers.search.refined_local_minimum`, ``MAXITER`` iterations) whose end point is
    classified (:func:`~..certificates.local_minimum.certify_local_minimum`); at a certified local
    minimum all three relations are claimed (``F >= F_feat`` and ``F <= F_feat`` together: ``F = F_feat``).
    A searched instance without a certified local minimum is unchecked; the report is inconclusive
    unless ``MINIMUM_CERTIFIED_SHARE`` of the searched instances are checked.

Tolerance
    :data:`TOLERANCE`.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates.hessian import F_rounding
from resnet_lemmas.numerics.certificates import local_minimum
from resnet_lemmas.numerics.certificates.local_minimum import CERTIFIED, STATUSES
from resnet_lemmas.numerics.certificates.local_minimum import TOLERANCE as CERTIFICATE_TOLERANCE
from resnet_lemmas.numerics.certificates.main_theorem import bracket_claim, brackets_closed, theorem_quantities
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses.harness import InstanceResult, instance_seeds, run_witness
from resnet_lemmas.numerics.witnesses.local_minima_beat_linear import (MINIMUM_CERTIFIED_SHARE,
                                                                       sample_minimum_instance,
                                                                       search_and_certify)

LEMMA = "feature_benchmark_reached"
#: The relations of the lemma's conclusion, by position (``proofs/lemmas/feature_benchmark_reached.py``).
NEVER_BELOW, REACHED, FEAT_BELOW_LIN = range(3)
DEFAULT_INSTANCES = 200
#: The instances run in worker processes (an optimiser each): ``check`` runs this lemma after the
#: others, in its own process, so the pool of workers is this witness's alone.
PARALLEL_INSTANCES = True
RANDOM_POINTS = 1
MAX_ATTEMPTS = 5
#: Every ``SEARCH_EVERY``-th instance by index (0, SEARCH_EVERY, ...) runs a search.
SEARCH_EVERY = 4
MAXITER = 300
TOLERANCE = ("the lemma's relations compiled by the bridge.  F >= F_feat at random points: F >= F_feat.lower "
             "- rounding of F (64 n eps (1 + |F|) + 64 K "
             "eps E[|l'(p)| |terms of p|]); F_feat bracket [Fenchel dual value, solver value] closed to "
             "64 n eps (1 + |upper| + |lower|) + the solver's ||grad||^2 / lambda_min; F = F_feat at "
             "certified local minima only: F <= F_feat.lower + F_feat bracket width + rounding of F, no "
             "gradient slack (see local_minima_beat_linear); F_feat <= F_lin: F_feat.lower <= F_lin.lower + "
             f"F_lin bracket width + rounding of F_lin.  Certificate: {CERTIFICATE_TOLERANCE}")


def _rounding_of_F(problem, w, V, theta) -> float:
    """:func:`~..certificates.hessian.F_rounding` at a point (the magnitudes of ``p``'s terms)."""
    Fx = problem.features(theta)
    p = problem.predict(w, V, theta)
    p_mag = np.abs(Fx) @ (np.abs(V).T @ np.abs(w)) + (np.abs(problem.X) @ np.abs(w) if problem.skip else 0.0)
    return F_rounding(problem, p, p_mag)


def never_below_claims(problem, w, V, theta, label: str = "", lin=None) -> list | None:
    """``F >= F_feat`` (and, given the linear benchmark ``lin`` with a certified bracket, ``F_feat <=
    F_lin``) at the point ``(w, V, theta)``, with the ``F_feat`` bracket claim; ``None`` when the ``F_feat``
    solve has no certified bracket (the point is then counted, not checked)."""
    F = problem.objective(w, V, theta)
    feat = feature_benchmark(problem.X, problem.features(theta), problem.y, problem.loss)
    if not np.isfinite(feat.lower):
        return None
    bracket = bracket_claim("F_feat bracket" + label, feat, problem.n)
    claims = ([bracket] if bracket is not None else []) + [
        statement.claim(LEMMA, NEVER_BELOW, {"F": F, "F_feat": feat.lower},
                        {"rounding of F": _rounding_of_F(problem, w, V, theta)}, label)]
    if lin is not None and brackets_closed(lin):
        # F_feat <= F_lin compares F_feat's rigorous lower end with F_lin's closed bracket: F_feat's own
        # bracket need not close
        values, allowances = theorem_quantities(F, 0.0, feat, lin, problem.n, feat_closed=False)
        claims.append(statement.claim(LEMMA, FEAT_BELOW_LIN, values, allowances["F_feat <= F_lin"], label))
    return claims


def one(seed: int, search: bool = True) -> InstanceResult:
    inst = sample_minimum_instance(seed)
    problem = inst.problem
    rng = np.random.default_rng([seed, 6])
    # F_lin only where the instance searches (one convex solve more)
    lin = linear_benchmark(problem.X, problem.y, problem.loss) if search else None
    lin_bracket = bracket_claim("F_lin bracket", lin, problem.n) if search else None
    claims, unchecked_points = ([lin_bracket] if lin_bracket is not None else []), 0
    for index in range(RANDOM_POINTS):
        for _attempt in range(MAX_ATTEMPTS):
            w, V = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k))
            point_claims = never_below_claims(problem, w, V, problem.unit.init(rng), f" [random {index}]",
                                              lin=lin)
            if point_claims is not None:
                claims.extend(point_claims)
                break
            unchecked_points += 1
    values = {"random_points_without_bracket": unchecked_points, "searched": bool(search),
              "counts": dict.fromkeys(STATUSES, 0)}
    notes = []
    certified_checked = False
    if search:
        (point, cert), = search_and_certify(problem, seed, max_starts=1, wanted=1, maxiter=MAXITER)
        values["counts"][cert.status] += 1
        notes.append(cert.message)
        if cert.certified:
            values["relative_gradient"] = cert.relative_gradient
        if cert.certified:
            feat = feature_benchmark(problem.X, problem.features(point.theta), problem.y, problem.loss)
            # F <= F_feat compares with F_feat's lower end plus its width: only a closed bracket
            # bounds that width (brackets_closed); otherwise the minimum is counted, not checked
            if brackets_closed(feat, lin):
                bracket = bracket_claim("F_feat bracket [minimum]", feat, problem.n)
                claims.extend([bracket] if bracket is not None else [])
                quantities, allowances = theorem_quantities(cert.F, cert.F_rounding, feat, lin, problem.n)
                claims.append(statement.claim(LEMMA, NEVER_BELOW, quantities,
                                              {"rounding of F": cert.F_rounding}, " [minimum]"))
                claims.append(statement.claim(LEMMA, REACHED, quantities, allowances["F <= F_feat"],
                                              " [minimum]"))
                claims.append(statement.claim(LEMMA, FEAT_BELOW_LIN, quantities,
                                              allowances["F_feat <= F_lin"], " [minimum]"))
                values.update(F=cert.F, F_feat=[feat.lower, feat.value],
                              F_minus_F_feat=cert.F - feat.value)
                certified_checked = True
            else:
                values["certified_without_bracket"] = 1
    failed = any(c.margin < 0 for c in claims)
    checked = bool(claims) and (not search or certified_checked or failed)
    return InstanceResult(seed, claims=claims, checked=checked, values=values,
                          description=f"{inst.description}; " + ("; ".join(notes) or "random points only"))


def _details(results):
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        for k, v in r.values.get("counts", {}).items():
            counts[k] += v
    gaps = [abs(r.values["F_minus_F_feat"]) for r in results if "F_minus_F_feat" in r.values]
    rel = [r.values["relative_gradient"] for r in results if "relative_gradient" in r.values]
    return {"random_points_checked": sum(RANDOM_POINTS for r in results) -
            sum(r.values.get("random_points_without_bracket", 0) for r in results),
            "random_points_without_certified_F_feat": sum(r.values.get("random_points_without_bracket", 0)
                                                          for r in results),
            "searches": sum(r.values.get("searched", False) for r in results),
            "certified_local_minima": counts[CERTIFIED],
            "escaped_to_infinity": counts["escaped to infinity"],
            "unconverged": counts["unconverged"],
            "saddles": counts["saddle"],
            "max_abs_F_minus_F_feat_at_minima": max(gaps) if gaps else None,
            "largest_relative_gradient_at_certified": max(rel) if rel else None,
            "stationarity_rtol": local_minimum.STATIONARITY_RTOL}


def minimum_checked(instances: int) -> int:
    """Unsearched instances plus ``MINIMUM_CERTIFIED_SHARE`` of the searched ones."""
    searched = len(range(0, instances, SEARCH_EVERY))
    return instances - searched + max(1, math.ceil(MINIMUM_CERTIFIED_SHARE * searched))


def witness(seed: int = 0, instances: int | None = None, progress=None):
    count = instances or DEFAULT_INSTANCES
    seeds = instance_seeds(seed, count)
    searched = frozenset(seeds[::SEARCH_EVERY])
    return run_witness("feature_benchmark_reached", seed, count, TOLERANCE,
                       functools.partial(_one_planned, searched=searched), progress, details=_details,
                       heavy=True, minimum_checked=minimum_checked(count))


def _one_planned(seed: int, searched: frozenset) -> InstanceResult:
    """:func:`one` with the search decided by the instance's index (its seed is in ``searched``)."""
    return one(seed, search=seed in searched)
