"""Witness for the main theorem: at certified local minima, F <= F_feat(theta) <= F_lin.

Claim
    At every local minimum ``(w, V, theta)`` of ``F``: ``F(w, V, theta) <= F_feat(theta)`` and ``F_feat(theta)
    <= F_lin`` -- the two relations of the theorem's conclusion, compiled by the bridge (:mod:`._statement`;
    a claim's label is the relation as printed, with the start's index), evaluated at ``F`` (the
    certified point's value) and the *lower* ends of the certified brackets of ``F_feat`` and ``F_lin``,
    with the allowances of :func:`~..certificates.main_theorem.theorem_quantities` (bracket widths and
    rounding).  Not in the conclusion, and labelled as such: the consequence ``F <= F_lin`` (compared
    directly, with its own allowance) and the benchmarks' bracket claims.

Sampling
    Per instance (:func:`sample_minimum_instance`, from the instance's seed: a loss, an MLP unit --
    depth, widths, activation -- and data whose ``m`` distinct inputs each occur ``r`` times, with
    targets whose best constant prediction at every input is finite): ``F_lin`` bracketed from both
    sides, then up to ``MAX_STARTS`` searches (:func:`~..solvers.search.refined_local_minimum`:
    L-BFGS-B, exact-Hessian Newton and negative-curvature steps, at most ``MAXITER`` iterations in all),
    stopping after ``WANTED`` certified local minima.  Every end point is classified
    (:func:`~..certificates.local_minimum.certify_local_minimum`): certified local minimum, escaped to
    infinity, unconverged, saddle (a point that passes the second-order test is also probed by short
    descents from nearby points, :func:`~..certificates.local_minimum.descent_probe`).  The claims are
    evaluated at certified local minima only
    (:func:`conclusion_claims`); an instance without one is *unchecked*
    (counted, never a pass).  The report is ``inconclusive`` unless at least
    ``MINIMUM_CERTIFIED_SHARE`` of the instances (100 of the default 200) are checked.

    Why repeated inputs: with distinct inputs, F of these residual networks almost never has an
    attained local minimum within reach -- saturating units turn into steps and margin losses
    separate the sample, so the loss keeps decreasing as parameters grow (measured on the
    ``sample_instance`` distribution: about 5% of 500-iteration runs end at a certified local
    minimum, the rest drift).  When every input carries targets with a finite best prediction (both
    labels; a positive count; several noisy values), the loss is coercive in every prediction, and
    about 60% of 300-iteration runs end at a certified local minimum.  The theorem is about every
    local minimum of every such problem; the data only decide how many minima exist to be checked.
Tolerance
    :data:`TOLERANCE`: the certificate's tolerances and the claims' allowances (bracket widths and
    float64 rounding only; no gradient slack).  At each certified point the curvatures the certificate
    reports along its extreme eigenvectors are also recomputed independently, by extrapolated
    differences of the gradient (:func:`~..certificates.local_minimum.curvature_claim`), so a wrong
    Hessian or eigenvalue is caught here too; and the second-order test's tolerance is claimed to resolve
    relative curvature ``CURVATURE_RESOLUTION`` (:func:`curvature_resolution_claim`), so a loosened test that
    would count saddles as local minima fails.
"""
from __future__ import annotations

import math

import numpy as np

from resnet_lemmas.numerics.certificates.convex_benchmarks import feature_benchmark, linear_benchmark
from resnet_lemmas.numerics.certificates import local_minimum
from resnet_lemmas.numerics.certificates.local_minimum import (CERTIFIED, STATUSES, certify_local_minimum,
                                                               curvature_claim)
from resnet_lemmas.numerics.certificates.local_minimum import TOLERANCE as CERTIFICATE_TOLERANCE
from resnet_lemmas.numerics.certificates.main_theorem import (CLAIMS_TOLERANCE, bracket_claim,
                                                              brackets_closed, theorem_quantities)
from resnet_lemmas.numerics.data.instances import Instance
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, sample_unit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.proofs.losses import LOSSES
from resnet_lemmas.numerics.solvers.search import refined_local_minimum, start_seeds
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness

LEMMA = "local_minima_beat_linear"
#: The relations of the theorem's conclusion, by position (``proofs/lemmas/local_minima_beat_linear.py``).
F_BELOW_FEAT, FEAT_BELOW_LIN = range(2)
DEFAULT_INSTANCES = 200
#: The instances run in worker processes (an optimiser each): ``check`` runs this lemma after the
#: others, in its own process, so the pool of workers is this witness's alone.
PARALLEL_INSTANCES = True
#: Distinct inputs and copies of each (inclusive ranges): ``n = m r`` between 16 and 40.
DISTINCT_INPUTS = (4, 8)
COPIES = (4, 5)
#: Standard deviation of the regression noise around the score at each copy.
NOISE = 0.5
#: Searches per instance, at most, and the number of certified local minima after which it stops.
MAX_STARTS = 2
WANTED = 1
#: Iterations per search (L-BFGS-B, Newton and curvature steps together).
MAXITER = 300
#: The descent probe at each point that passes the second-order test (``local_minimum.descent_probe``):
#: two short descents of at most 40 iterations from distance ``0.01 (1 + ||z||)``.  Measured (seed 0,
#: first 40 instances): 37 certified points, none refused, 1.1 s of probing in all.
PROBE_STARTS, PROBE_ITERATIONS = 2, 40
#: The report is inconclusive unless this share of the instances has a certified local minimum.
MINIMUM_CERTIFIED_SHARE = 0.5
#: The second-order test must resolve negative curvature of this size relative to ``||S H S||_2``: the
#: certificate's tolerance is at most ``CURVATURE_RTOL ||S H S||_2`` (3.2e-5) plus rounding (module
#: docstring of :mod:`~..certificates.local_minimum`; measured at the defaults, seed 0: at most 3.15e-5).  A
#: looser test would count saddles as local minima: :func:`curvature_resolution_claim` then fails.
CURVATURE_RESOLUTION = 1e-4
TOLERANCE = (f"{CERTIFICATE_TOLERANCE}.  Claims (the theorem's relations compiled by the bridge): "
             f"{CLAIMS_TOLERANCE}.  Curvature along the extreme "
             "eigenvectors = Richardson-extrapolated derivative of grad F . d within 10 err + 1e3 eps (|F'| + "
             f"|d^T H d| + 1); the second-order test's tolerance at most {CURVATURE_RESOLUTION:g} ||S H S||_2.  "
             f"Search: at most {MAX_STARTS} starts per instance, {MAXITER} iterations each")


def curvature_resolution_claim(cert, suffix: str = "") -> Claim:
    """``curvature tolerance / ||S H S||_2 <= CURVATURE_RESOLUTION`` at a certified point: the certificate keeps
    its documented contract (not a relation of the conclusion)."""
    return Claim(f"the second-order test resolves relative curvature {CURVATURE_RESOLUTION:g} (tolerance / "
                 f"||S H S||_2; not in the conclusion){suffix}",
                 float(cert.curvature_tolerance / cert.curvature_scale), "<=", CURVATURE_RESOLUTION)


def minimum_certified(instances: int) -> int:
    """Checked instances (each with a certified local minimum) needed for a conclusive report."""
    return max(1, math.ceil(MINIMUM_CERTIFIED_SHARE * instances))


def sample_minimum_instance(seed: int, distinct=DISTINCT_INPUTS, copies=COPIES, d=(2, 3), k=(1, 3),
                            depth=(1, 4), width=(2, 5), losses=None) -> Instance:
    """A loss, an MLP unit ``R^d -> R^k`` and data with repeated inputs, all drawn from ``seed``.

    ``m`` distinct inputs ``x ~ N(0, I_d)``, each repeated ``r`` times (``n = m r``); a score ``s(x) =
    x^T beta + sin(x^T g)`` (``beta, g ~ N(0, I_d / d)``); targets per copy: real ``s + NOISE N(0, 1)``;
    sign ``+-1`` with ``P(+1) = sigmoid(2 s)``, the first two copies of every input set to ``+1`` and
    ``-1`` (both labels at every input); count ``Poisson(exp(s / 2))``, the first copy at least 1 (a
    positive count at every input).  So the best constant prediction at every input is finite and
    ``F`` is coercive in the predictions (module docstring).  Ranges are inclusive ``(low, high)``.
    """
    rng = np.random.default_rng(seed)
    names = tuple(sorted(losses or LOSSES))
    # the registered losses (their convexity is the kernel's business; proving it again in every
    # worker process would cost ~1.5 s of SymPy per process)
    loss = LOSSES[names[int(rng.integers(len(names)))]]
    m = int(rng.integers(distinct[0], distinct[1] + 1))
    r = int(rng.integers(copies[0], copies[1] + 1))
    dd = int(rng.integers(d[0], d[1] + 1))
    kk = int(rng.integers(k[0], k[1] + 1))
    depth_ = int(rng.integers(depth[0], depth[1] + 1))
    width_ = int(rng.integers(width[0], width[1] + 1))
    activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    unit = sample_unit(rng, dd, kk, depth=depth_, width=width_, activation=activation)
    X_distinct = rng.normal(size=(m, dd))
    beta, g = rng.normal(size=dd) / np.sqrt(dd), rng.normal(size=dd) / np.sqrt(dd)
    score = np.repeat(X_distinct @ beta + np.sin(X_distinct @ g), r)
    X, n = np.repeat(X_distinct, r, axis=0), m * r
    if loss.targets == "sign":
        y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * score)), 1.0, -1.0)
        y[0::r], y[1::r] = 1.0, -1.0
    elif loss.targets == "count":
        y = rng.poisson(np.exp(score / 2.0)).astype(np.float64)
        y[0::r] = np.maximum(y[0::r], 1.0)
    else:
        y = score + NOISE * rng.normal(size=n)
    problem = ResNetProblem(unit, X, y, loss)
    description = (f"seed {seed}: loss {loss.name}, {m} inputs x {r} copies (n={n}), d={dd}, k={kk}, "
                   f"depth {depth_}, width {width_}, {activation}")
    return Instance(seed, problem, description)


def conclusion_claims(F: float, F_rounding: float, feat, lin, n: int, suffix: str = "") -> list[Claim]:
    """At a certified local minimum with value ``F`` (float64 rounding bound ``F_rounding``): the
    ``F_feat`` bracket claim, the theorem's two relations through the bridge, and the consequence
    ``F <= F_lin``; ``[]`` unless both brackets are closed (``brackets_closed``: a stopped solver's
    bracket width is not an allowance, so such a point is unchecked)."""
    if not brackets_closed(feat, lin):
        return []
    values, allowances = theorem_quantities(F, F_rounding, feat, lin, n)
    bracket = bracket_claim("F_feat bracket" + suffix, feat, n)
    return ([bracket] if bracket is not None else []) + [
        statement.claim(LEMMA, F_BELOW_FEAT, values, allowances["F <= F_feat"], suffix),
        statement.claim(LEMMA, FEAT_BELOW_LIN, values, allowances["F_feat <= F_lin"], suffix),
        Claim("F <= F_lin (a consequence; not a relation of the conclusion)" + suffix, values["F"], "<=",
              values["F_lin"], allowances["F <= F_lin"])]


def search_and_certify(problem, seed: int, *, max_starts: int, wanted: int, maxiter: int):
    """Run up to ``max_starts`` searches from the start seeds of ``seed``; returns the list of
    ``(LocalMinimum, LocalMinimumCertificate)``, stopping after ``wanted`` certified local minima."""
    out, certified = [], 0
    for start in start_seeds(seed, max_starts):
        # the certificate's tolerances, read at call time: the search stops where the certificate tests
        point = refined_local_minimum(problem, start, maxiter=maxiter, norm_cap=local_minimum.PARAM_NORM_CAP,
                                      newton_rtol=local_minimum.STATIONARITY_RTOL)
        # the second-order test is necessary, not sufficient: short descents from nearby points refuse a
        # degenerate saddle (local_minimum.descent_probe)
        cert = certify_local_minimum(problem, point.w, point.V, point.theta,
                                     probe=(PROBE_STARTS, PROBE_ITERATIONS, start))
        out.append((point, cert))
        certified += cert.certified
        if certified >= wanted:
            break
    return out


def one(seed: int) -> InstanceResult:
    inst = sample_minimum_instance(seed)
    problem = inst.problem
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    counts = dict.fromkeys(STATUSES, 0)
    claims, worst_values, notes = [], {}, []
    lin_claim = bracket_claim("F_lin bracket", lin, problem.n)
    if lin_claim is not None:
        claims.append(lin_claim)
    benchmark_uncertified = 0
    points = search_and_certify(problem, seed, max_starts=MAX_STARTS, wanted=WANTED, maxiter=MAXITER)
    relative_gradients = []
    for index, (point, cert) in enumerate(points):
        counts[cert.status] += 1
        if cert.status != CERTIFIED:
            continue
        relative_gradients.append(cert.relative_gradient)
        feat = feature_benchmark(problem.X, problem.features(point.theta), problem.y, problem.loss)
        point_claims = conclusion_claims(cert.F, cert.F_rounding, feat, lin, problem.n, suffix=f" [start {index}]")
        if not point_claims:
            benchmark_uncertified += 1
            notes.append(f"start {index}: certified, but the bracket of F_feat or F_lin is not closed "
                         "(unchecked)")
            continue
        # the certificate's curvatures (smallest and largest), recomputed without the Hessian code
        for top, name in ((False, "d^T H d (lambda_min)"), (True, "d^T H d (lambda_max)")):
            curvature = curvature_claim(problem, point.w, point.V, point.theta, cert,
                                        label=f"{name} [start {index}]", top=top)
            point_claims += [curvature] if curvature is not None else []
        point_claims.append(curvature_resolution_claim(cert, f" [start {index}]"))
        claims.extend(point_claims)
        margin = min(c.margin for c in point_claims)
        if not worst_values or margin < worst_values["margin"]:
            g = problem.gradients(point.w, point.V, point.theta)
            worst_values = {"margin": margin, "F": cert.F, "F_feat": [feat.lower, feat.value],
                            "F_lin": [lin.lower, lin.value], "w": point.w.tolist(), "V": point.V.tolist(),
                            "c": g.c.tolist(), "E_rx": g.r_x.tolist(), "grad_w": g.grad_w.tolist(),
                            "grad_V": g.grad_V.tolist()}
        notes.append(f"start {index}: {cert.message}")
    checked_points = counts[CERTIFIED] - benchmark_uncertified
    values = {"counts": counts, "benchmark_uncertified": benchmark_uncertified,
              "checked_points": checked_points, "relative_gradients": relative_gradients,
              "lin_bracket_width": lin.bracket_width, "at_worst_point": worst_values}
    description = f"{inst.description}; " + ("; ".join(notes) if notes else
                                             "no certified local minimum: " +
                                             ", ".join(f"{v} {k}" for k, v in counts.items() if v))
    bracket_failed = any(c.margin < 0 for c in claims)
    return InstanceResult(seed, claims=claims, description=description, values=values,
                          checked=checked_points > 0 or bracket_failed)


def _details(results):
    counts = dict.fromkeys(STATUSES, 0)
    for r in results:
        for k, v in r.values.get("counts", {}).items():
            counts[k] += v
    rel = [g for r in results for g in r.values.get("relative_gradients", [])]
    return {"runs": sum(counts.values()),
            "certified_local_minima": counts[CERTIFIED],
            "escaped_to_infinity": counts["escaped to infinity"],
            "unconverged": counts["unconverged"],
            "saddles": counts["saddle"],
            "certified_without_benchmark_bracket": sum(r.values.get("benchmark_uncertified", 0)
                                                       for r in results),
            "instances_with_certified_minimum": sum(r.values.get("checked_points", 0) > 0 for r in results),
            "largest_relative_gradient_at_certified": max(rel) if rel else None,
            "stationarity_rtol": local_minimum.STATIONARITY_RTOL}


def witness(seed: int = 0, instances: int | None = None, progress=None):
    count = instances or DEFAULT_INSTANCES
    return run_witness("local_minima_beat_linear", seed, count, TOLERANCE, one, progress,
                       details=_details, heavy=True, minimum_checked=minimum_certified(count))
