"""Witness for theorem vector_outputs: stationary points of ``W (x + V f_theta(x))`` in ``(W, V)`` with
``rank W = m`` reach ``F_feat``.

Claim
-----
Every instance, at a random point ``(W, V, theta)`` and comparator ``(A, B)``:

1. the rank-condition identity ``C = (W W^T)^{-1} W grad_V F``;
2. the first-order identity ``F - E L(A x + B f) = <W - A, grad_W> + <A, C V^T> - <B, C> - E[sum_o D_l]``;
3. the model's gradient against derivatives extrapolated from ``F`` alone, ``grad . v = D_v F`` along
   ``DIRECTIONS`` random directions in all parameters (so 1-2 are not evaluated with a wrong gradient).

One instance in ``SEARCH_EVERY`` (chosen by its index in the run, so every ``--instances`` value searches)
also fixes a random ``theta`` and runs L-BFGS-B over ``(W, V)`` -- the theorem's hypothesis is
stationarity in ``(W, V)`` only -- and, at the end point, claims:

4. ``F >= F_feat`` (the prediction is the comparator ``A = W``, ``B = W V``; sanity, holds everywhere) and
   ``F_feat <= F_lin``;
5. ``F - E L(A* x + B* f) <= ||W - A*|| ||grad_W|| + (||A*|| ||V||_2 + ||B*||) ||grad_V|| / sigma_m(W)`` (the
   first-order bound, :func:`~..vector_outputs.vector_gap_bound`, at the certified feature benchmark's
   comparator): at a stationary point with ``rank W = m`` its right side is the certified small gradient
   over ``sigma_m(W)``, so this is the theorem ``F <= F_feat``;
6. the model's ``(grad_W, grad_V)`` against derivatives extrapolated from ``F`` along every coordinate.

A search instance is *checked* when its end point is certified stationary in ``(W, V)``
(``||(grad_W, grad_V)|| <= STATIONARY_TOLERANCE (1 + |F|)``, the extrapolated gradient agreeing) with
``sigma_m(W) > SIGMA_MIN`` (rank ``m``); otherwise its claims 4 and 6 are still evaluated but the instance
is unchecked.  At least ``MINIMUM_STATIONARY_SHARE`` of the searches must be checked, else inconclusive.

Sampling
--------
``DEFAULT_INSTANCES`` instances (:func:`~..instances.sample_instance`, ``n`` in ``20..32``), ``m`` uniform on
``1..d`` outputs with their own targets (:func:`~..vector_outputs.vector_targets`); searches start from
``W, V`` standard normal over ``sqrt(d)``, ``SEARCH_MAXITER`` iterations, gradient tolerance ``SEARCH_GTOL``.

Tolerance
---------
Rank identity ``RANK_IDENTITY_FACTOR eps cond(W W^T) (1 + ||C||)``; means of ``n m`` terms
``ROUNDING_FACTOR n m eps (1 + magnitudes)``; ``F >= F_feat`` also the benchmark's certified suboptimality;
extrapolated derivatives ``ERROR_FACTOR`` times the error estimate plus ``ROUNDING_MULTIPLE eps (|F| +
|derivative| + 1)``, resolving relative errors of ``DERIVATIVE_RESOLUTION``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics._blas import blas_single_threaded
from resnet_lemmas.numerics.certificates.derivatives import (ERROR_FACTOR, ROUNDING_MULTIPLE,
                                                             derivative_allowance,
                                                             directional_derivatives)
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.vector_outputs import (VectorResNetProblem, vector_benchmark,
                                                          vector_first_order_gap, vector_gap_bound,
                                                          vector_targets)
from resnet_lemmas.numerics.witnesses._common import (DERIVATIVE_RESOLUTION, ROUNDING_FACTOR,
                                                      checked_derivatives, componentwise, resolution_claim,
                                                      rounding)
from resnet_lemmas.numerics.witnesses.harness import (Claim, InstanceResult, run_witness, selected_by_index,
                                                      selected_count)

DEFAULT_INSTANCES = 200
#: Instances whose index is a multiple of ``SEARCH_EVERY`` run a search.
SEARCH_EVERY = 5
SEARCH_MAXITER = 300
SEARCH_GTOL = 1e-11
#: Certified stationary in ``(W, V)``: ``||(grad_W, grad_V)||`` plus the extrapolation allowance at most
#: ``STATIONARY_TOLERANCE (1 + |F|)``.
STATIONARY_TOLERANCE = 1e-6
#: ``rank W = m`` is certified when ``sigma_m(W) > SIGMA_MIN`` (far above the rounding of the SVD).
SIGMA_MIN = 1e-6
#: Share of the searches that must end checked, else the witness is inconclusive.
MINIMUM_STATIONARY_SHARE = 0.4
#: Random directions of the gradient check at the random point.
DIRECTIONS = 1
RANK_IDENTITY_FACTOR = 1e3
EPS = np.finfo(np.float64).eps
TOLERANCE = (f"rank identity {RANK_IDENTITY_FACTOR:g} eps cond(W W^T) (1 + ||C||); means of n m terms "
             f"{ROUNDING_FACTOR:g} n m eps (1 + magnitudes); F >= F_feat also the benchmark's certified "
             f"suboptimality; extrapolated derivatives {ERROR_FACTOR:g} x error estimate + "
             f"{ROUNDING_MULTIPLE:g} eps (|F| + |derivative| + 1), resolving {DERIVATIVE_RESOLUTION:g} "
             f"relative; stationary: ||grad_(W, V)|| + allowance <= {STATIONARY_TOLERANCE:g} (1 + |F|), "
             f"sigma_m(W) > {SIGMA_MIN:g}")


def objective_batch(X, Y, Fx, loss):
    """``Z (P, m d + d k) -> F`` at each packed row ``(vec_row W, vec_row V)`` for fixed features ``Fx``: the
    definition ``F = (1/n) sum_i sum_o l(W_o^T x_i + (V^T W_o)^T f_i; y_io)``, the predictions accumulated in
    extended precision (at large ``||V||`` their terms cancel, and float64 rounding would be noise that an
    extrapolation divides by its step)."""
    n, d = X.shape
    m, k = Y.shape[1], Fx.shape[1]
    Xl, Fl = X.astype(np.longdouble), Fx.astype(np.longdouble)

    def fun(Z):
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        Ws = Z[:, :m * d].reshape(-1, m, d).astype(np.longdouble)
        Vs = Z[:, m * d:].reshape(-1, d, k).astype(np.longdouble)
        B = np.einsum("pod,pdk->pok", Ws, Vs)                   # W V, (P, m, k)
        P = np.einsum("nd,pod->pno", Xl, Ws) + np.einsum("nk,pok->pno", Fl, B)
        return np.sum(loss.value(P.astype(np.float64), Y[None]), axis=(1, 2)) / n
    return fun


def gradient_error_bounds(X, Y, Fx, loss, W, V) -> tuple[np.ndarray, np.ndarray]:
    """Entrywise bounds ``(m, d), (d, k)`` on the float64 error of the model's ``grad_W F`` and ``grad_V F``:
    ``Phi = X + Fx V^T`` and ``P = Phi W^T`` are sums of ``k + 1`` and ``d`` terms, each erring by at most
    ``gamma sum |terms|`` (``gamma = 2 (d + k + 1) eps``); ``R = l'(P)`` moves by ``|l''(P)| dP``; the means
    over ``n`` add ``ROUNDING_FACTOR n eps`` relative.  Large when ``||V||`` or ``||W||`` is, where terms cancel."""
    n, d = X.shape
    gamma = 2.0 * (d + Fx.shape[1] + 1) * EPS
    absPhi = np.abs(X) + np.abs(Fx) @ np.abs(V).T
    Phi = X + Fx @ V.T
    P = Phi @ W.T
    dPhi = gamma * absPhi
    dP = gamma * absPhi @ np.abs(W).T
    R = loss.grad(P, Y)
    dR = np.abs(loss.curvature(P, Y)) * dP + ROUNDING_FACTOR * EPS * np.abs(R)
    mean = ROUNDING_FACTOR * n * EPS
    err_W = (dR.T @ absPhi + np.abs(R).T @ dPhi) / n + mean * np.abs(R).T @ absPhi / n
    err_C = dR.T @ np.abs(Fx) / n + mean * np.abs(R).T @ np.abs(Fx) / n
    err_V = np.abs(W).T @ err_C + gamma * np.abs(W).T @ np.abs(R.T @ Fx / n)
    return err_W, err_V


def rank_identity_claim(W, g) -> Claim:
    """``C = (W W^T)^{-1} W grad_V F`` (largest entry of the difference), allowed
    ``RANK_IDENTITY_FACTOR eps cond(W W^T) (1 + ||C||)`` (a linear solve's backward error)."""
    WWt = W @ W.T
    recovered = np.linalg.solve(WWt, W @ g.grad_V)
    j = np.unravel_index(int(np.argmax(np.abs(recovered - g.C))), g.C.shape)
    return Claim("C = (W W^T)^{-1} W grad_V (largest entry)", float(g.C[j]), "=", float(recovered[j]),
                 {"rounding": float(RANK_IDENTITY_FACTOR * EPS * np.linalg.cond(WWt)
                                    * (1 + np.linalg.norm(g.C)))})


def identity_claims(problem, rng) -> list[Claim]:
    """Items 1-3 at a random point ``(W, V, theta)`` and comparator ``(A, B)``."""
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
    claims = [Claim("F - E L(A x + B f) = <W - A, grad_W> + <A, C V^T> - <B, C> - E[sum D_l]",
                    g2.F - float(np.sum(Lq)) / n, "=", first - breg,
                    {"rounding": ROUNDING_FACTOR * n * m * EPS * (1 + scale)}),
              rank_identity_claim(W2, g2)]
    x = problem.pack(W2, V2, th2)
    directions = rng.normal(size=(DIRECTIONS, x.size))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    packed = np.concatenate((g2.grad_W.ravel(), g2.grad_V.ravel(), g2.grad_theta))
    fun = lambda Z: np.array([problem.objective(*problem.unpack(z)) for z in Z])  # noqa: E731
    analytic = directions @ packed
    F, est, allowances = checked_derivatives(fun, x, directions, analytic)
    ratio = 0.0
    for j, allow in enumerate(allowances):
        claims.append(Claim(f"(grad_W, grad_V, grad_theta) . v = D_v F (direction {j})", float(est[j]), "=",
                            float(analytic[j]), allow))
        ratio = max(ratio, allow["extrapolation"] / (abs(F) + abs(est[j]) + 1.0))
    claims.append(resolution_claim(ratio))
    return claims


@blas_single_threaded
def stationary_point(problem, rng, maxiter: int = SEARCH_MAXITER):
    """``(W, V, theta, fixed problem)``: a random ``theta``, then L-BFGS-B over ``(W, V)`` with the model's
    gradients on the features at that ``theta`` as a table (:func:`~..fixed_features.table_unit`)."""
    m, d, k = problem.m, problem.d, problem.k
    theta = problem.unit.init(rng)
    fixed = VectorResNetProblem(table_unit(problem.X, problem.unit(problem.X, theta)), problem.X, problem.Y,
                                problem.loss)
    empty = np.zeros(0)

    def fun(z):
        F, grad = fixed.fun_and_grad(np.concatenate((z, empty)))
        return F, grad

    z0 = rng.normal(size=m * d + d * k) / np.sqrt(d)
    res = minimize(fun, z0, jac=True, method="L-BFGS-B",
                   options={"gtol": SEARCH_GTOL, "ftol": 0.0, "maxiter": int(maxiter),
                            "maxfun": 2 * int(maxiter) + 100})
    W, V, _ = fixed.unpack(np.concatenate((res.x, empty)))
    return W.copy(), V.copy(), theta, fixed, int(res.nit)


def search_claims(problem, rng):
    """Items 4-6 at the end of a search: ``(claims, checked, values, description)``."""
    n, d, m = problem.n, problem.d, problem.m
    W, V, theta, fixed, nit = stationary_point(problem, rng, maxiter=SEARCH_MAXITER)
    g = fixed.gradients(W, V, np.zeros(0))
    Fx = fixed.unit(problem.X, np.zeros(0))
    Z = np.hstack((problem.X, Fx))
    feat = vector_benchmark(Z, problem.Y, problem.loss)
    lin = vector_benchmark(problem.X, problem.Y, problem.loss)
    claims = [Claim("F >= F_feat (sanity: W x + W V f is a comparator)", g.F, ">=",
                    feat.value - feat.suboptimality_bound, {"rounding": rounding(g.F, feat.value, n=n * m)}),
              Claim("F_feat <= F_lin", feat.value - feat.suboptimality_bound, "<=", lin.value,
                    {"rounding": rounding(lin.value, feat.value, n=n * m)})]
    # the first-order bound holds at every comparator: each is claimed, the smallest margin counts
    best = None
    for AB in feat.comparators():
        A, B = AB[:, :d], AB[:, d:]
        with np.errstate(over="ignore"):
            E_L = float(np.sum(problem.loss.value(Z @ AB.T, problem.Y))) / n
        bound = vector_gap_bound(g, W, V, A, B)
        if not (np.isfinite(E_L) and np.isfinite(bound)):
            continue   # far along an unattained infimum the loss overflows: nothing to compare there
        claim = Claim("F - E L(A* x + B* f) <= ||W - A*|| ||grad_W|| + (||A*|| ||V||_2 + ||B*||) ||grad_V|| "
                      "/ sigma_m(W)", g.F - E_L, "<=", bound,
                      {"rounding": rounding(g.F, E_L, bound, n=n * m)})
        if best is None or claim.margin < best.margin:
            best = claim
    if best is not None:
        claims.append(best)
    certified_benchmark = bool(np.isfinite(feat.suboptimality_bound) and np.isfinite(lin.value))
    if not certified_benchmark:   # nothing to compare with: the sanity and bound claims are dropped
        claims = []
    # the model's (grad_W, grad_V) against F alone, along every coordinate, each scaled so that a unit
    # step moves every prediction by at most about 1 (dP_o / dW_oa = phi_a, dP_o / dV_ab = W_oa f_b)
    z = np.concatenate((W.ravel(), V.ravel()))
    fun = objective_batch(problem.X, problem.Y, Fx, problem.loss)
    phi_max = np.max(np.abs(problem.X + Fx @ V.T), axis=0)
    sensitivity = np.concatenate((np.tile(phi_max, m),
                                  (np.max(np.abs(W), axis=0)[:, None] * np.max(np.abs(Fx), axis=0)[None, :]).ravel()))
    scale = np.maximum(1.0, sensitivity)
    est, err = directional_derivatives(fun, z, np.diag(1.0 / scale))
    est, err = est * scale, err * scale
    analytic = np.concatenate((g.grad_W.ravel(), g.grad_V.ravel()))
    allow = [derivative_allowance(e, g.F, a) for e, a in zip(err, analytic)]
    err_W, err_V = gradient_error_bounds(problem.X, problem.Y, Fx, problem.loss, W, V)
    allowances = {key: np.array([a[key] for a in allow]) for key in allow[0]}
    allowances["rounding"] = allowances["rounding"] + np.concatenate((err_W.ravel(), err_V.ravel()))
    claims += componentwise("(grad_W, grad_V) (model) = extrapolated", analytic, est, allowances)
    ratio = max(a["extrapolation"] / (abs(g.F) + abs(e) + 1.0) for a, e in zip(allow, est))
    claims.append(resolution_claim(ratio))
    grad_bound = float(np.linalg.norm(analytic)) + float(np.linalg.norm([sum(a.values()) for a in allow]))
    sigma = np.linalg.svd(W, compute_uv=False)
    sigma_m = float(sigma[m - 1]) if m <= d else 0.0
    stationary = grad_bound <= STATIONARY_TOLERANCE * (1.0 + abs(g.F))
    checked = bool(stationary and sigma_m > SIGMA_MIN and certified_benchmark)
    values = {"search": True, "checked": checked, "stationary": stationary, "m": m, "sigma_m": sigma_m,
              "grad_bound": grad_bound, "F_minus_F_feat": g.F - feat.value, "beat_F_lin_by": lin.value - g.F,
              "first_order_bound": best.rhs if best is not None else float("nan")}
    description = (f"m = {m}: search over (W, V) ({nit} iterations) {'certified stationary' if stationary else 'NOT stationary'}"
                   f" (||grad|| <= {grad_bound:.3e}), sigma_m(W) = {sigma_m:.3g}; F = {g.F:.6g}, F_feat = "
                   f"{feat.value:.6g}, F_lin = {lin.value:.6g}")
    return claims, checked, values, description


def one(seed: int, index: int = 0) -> InstanceResult:
    inst = sample_instance(seed, n=(20, 32))
    base = inst.problem
    rng = np.random.default_rng([seed, 8])
    m = int(rng.integers(1, base.d + 1))
    X, Y = vector_targets(rng, base.X, base.loss, m)
    problem = VectorResNetProblem(base.unit, X, Y, base.loss)
    claims = identity_claims(problem, rng)
    if not selected_by_index(index, SEARCH_EVERY):
        return InstanceResult(seed, claims=claims, values={"search": False},
                              description=f"{inst.description}, m = {m}: identities at a random point")
    more, checked, values, description = search_claims(problem, rng)
    return InstanceResult(seed, claims=claims + more, checked=checked, values=values,
                          description=f"{inst.description}, {description}")


def _details(results):
    runs = [r.values for r in results if r.values.get("search")]
    out = {"random_points_checked": len(results), "searches": len(runs),
           "searches_checked": sum(v["checked"] for v in runs),
           "searches_not_stationary": sum(not v["stationary"] for v in runs),
           "searches_rank_deficient": sum(v["stationary"] and v["sigma_m"] <= SIGMA_MIN for v in runs)}
    done = [v for v in runs if v["checked"]]
    if done:
        beat = np.array([v["beat_F_lin_by"] for v in done])
        out.update({"outputs_m": [v["m"] for v in done],
                    "min_sigma_m_W": float(min(v["sigma_m"] for v in done)),
                    "max_first_order_bound_at_checked": float(max(v["first_order_bound"] for v in done)),
                    "max_F_minus_F_feat_at_checked": float(max(v["F_minus_F_feat"] for v in done)),
                    "F_lin_minus_F": {"min": float(beat.min()), "median": float(np.median(beat))}})
    return out


def minimum_checked(instances: int) -> int:
    """Non-search instances plus ``ceil(MINIMUM_STATIONARY_SHARE searches)``."""
    searches = selected_count(instances, SEARCH_EVERY)
    return instances - searches + max(1, int(np.ceil(MINIMUM_STATIONARY_SHARE * searches)))


def witness(seed: int = 0, instances: int | None = None, progress=None):
    count = instances or DEFAULT_INSTANCES
    return run_witness("vector_outputs", seed, count, TOLERANCE, one, progress, details=_details,
                       indexed=True, minimum_checked=minimum_checked(count))
