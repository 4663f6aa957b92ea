"""What several witnesses share: the section-2 quantities computed *directly from the data*, ``F`` at a
stack of points for extrapolation, an independently extrapolated gradient, and claim builders.

The witnesses test the model (:class:`~resnet_lemmas.numerics.models.residual.ResNetProblem`) and the
lemmas; they must not trust the code they test.  So the quantities a lemma speaks about are recomputed
here from their definitions, with nothing but the data, the features ``f_theta(x_i)`` and the loss
(whose NumPy kernels are lambdified from the SymPy expression the kernel proves things about):

* ``p_i = w^T (x_i + V f_i)``, ``r_i = l'(p_i; y_i)``, ``F = (1/n) sum_i l(p_i; y_i)``,
  ``c = E[r f]``, ``E_rx = E[r x]``, ``E_r_p = E[r p]`` (:func:`from_data`);
* ``F`` at many points at once (:func:`objective_batch`), and from it the gradient in ``(w, V)`` by
  Richardson extrapolation along every coordinate (:func:`extrapolated_gradient`), which owes nothing
  to the model's gradient formulas.

Names follow ``resnet_lemmas.proofs.expressions`` (``F``, ``c``, ``E_rx``, ``grad_w``, ``grad_V``,
``grad_theta``, ``w``, ``V``), so that a claim's label is the relation of the lemma it evaluates.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resnet_lemmas.numerics.certificates.derivatives import (EPS, ERROR_FACTOR, INITIAL_STEP,
                                                             derivative_allowance,
                                                             directional_derivatives)
from resnet_lemmas.numerics.witnesses.harness import Claim

#: Rounding allowance of a comparison of means of ``n`` terms: ``ROUNDING_FACTOR n eps (1 + sum |values|)``
#: (a naive sum of ``n`` terms errs by at most ``n eps sum |terms|``; 64 is the safety factor).
ROUNDING_FACTOR = 64.0

#: Comparing two float64 computations of the same quantity (the model's and the definition's): each side
#: carries its own error bound, so the allowance is this many times one bound.
BOTH_SIDES = 2.0

#: A derivative check must resolve relative errors this small: the extrapolation allowance of every
#: compared derivative must stay below ``DERIVATIVE_RESOLUTION (|F| + |derivative| + 1)``.  A check whose
#: allowance is looser (a tolerance loosened by a large factor, an extrapolation that did not converge)
#: is not evidence, and the claim "derivative allowances resolve ..." fails.  Measured at the defaults
#: (seeds 0-2): the largest ratio is 3.0e-10 for first derivatives (residual_gradients) and 4.2e-9 for
#: second derivatives (zero_w_case); each witness reports its own in the details.
DERIVATIVE_RESOLUTION = 1e-7

#: A direction whose extrapolation allowance exceeds ``RETRY_FRACTION DERIVATIVE_RESOLUTION`` (relative;
#: a ReLU kink within the first steps) is extrapolated again, one-sided and from a first step
#: ``SHORT_STEP_DIVISOR`` times shorter (:func:`directional_checks`).
RETRY_FRACTION = 1e-3
SHORT_STEP_DIVISOR = 32.0


#: The linear benchmark's point ``u`` when ``F_lin`` is not attained: ``point + FAR_ALONG direction`` (any
#: ``u`` gives ``E l(u^T x) >= F_lin``; far along the direction of the infimum it is close to it).
FAR_ALONG = 100.0


def benchmark_point(lin) -> np.ndarray:
    """A linear predictor ``u`` with ``E l(u^T x) >= F_lin`` close to ``F_lin`` (``lin``: a
    :class:`~..convex_benchmarks.BenchmarkResult`): the minimiser, else the solver's point moved
    ``FAR_ALONG`` along the direction of the unattained infimum."""
    if lin.argmin is not None:
        return np.asarray(lin.argmin, dtype=np.float64)
    base = np.zeros_like(lin.direction) if lin.point is None else np.asarray(lin.point, dtype=np.float64)
    return base + FAR_ALONG * np.asarray(lin.direction, dtype=np.float64)


def rounding(*values: float, n: int = 1) -> float:
    """``ROUNDING_FACTOR n eps (1 + sum |values|)``: float64 rounding of means of ``n`` terms."""
    return ROUNDING_FACTOR * max(int(n), 1) * EPS * (1.0 + float(sum(abs(float(v)) for v in values)))


def rounding_array(scale, n: int) -> np.ndarray:
    """:func:`rounding` componentwise: ``ROUNDING_FACTOR n eps (1 + scale)`` for an array of scales."""
    return ROUNDING_FACTOR * max(int(n), 1) * EPS * (1.0 + np.abs(np.asarray(scale, dtype=np.float64)))


@dataclass
class Direct:
    """Section-2 quantities at one point, from the data alone (module docstring).  Shapes: ``p, r
    (n,)``, ``Fx (n, k)``, ``c (k,)``, ``E_rx (d,)``; ``F`` and ``E_r_p`` scalars.  ``err_*`` bound the
    float64 error of each (same shapes): the rounding of its mean, ``ROUNDING_FACTOR n eps (1 + mean of
    absolute values)``, plus the error carried in from ``p``: a dot product of ``m = d + d k + 1`` terms
    errs by at most ``gamma_m sum |terms|`` in any order of summation, here
    ``dp_i = 2 m eps sum_a |w_a| (|x_ia| + sum_b |V_ab| |f_ib|)``, which moves ``l(p)`` by at most
    ``|l'(p)| dp`` and ``l'(p)`` by about ``|l''(p)| dp`` (large when ``||V||`` is, where intermediate terms
    cancel)."""

    F: float
    p: np.ndarray
    r: np.ndarray
    Fx: np.ndarray
    c: np.ndarray
    E_rx: np.ndarray
    E_r_p: float
    err_F: float
    err_c: np.ndarray
    err_E_rx: np.ndarray
    err_E_r_p: float
    dp: np.ndarray


def from_data(problem, w, V, theta, Fx=None) -> Direct:
    """``p, r, F, c = E[r f], E_rx = E[r x], E[r p]`` at ``(w, V, theta)``, straight from the
    definitions (the residual unit is only asked for its features ``f_theta(x_i)``)."""
    w = np.asarray(w, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    X, y, n = problem.X, problem.y, problem.n
    if Fx is None:
        Fx = np.asarray(problem.unit(X, np.asarray(theta, dtype=np.float64)), dtype=np.float64)
    skip = getattr(problem, "skip", True)
    phi = (X if skip else 0.0) + Fx @ V.T
    p = phi @ w
    values = problem.loss.value(p, y)
    r = problem.loss.grad(p, y)
    m = problem.d + problem.d * problem.k + 1
    magnitude = ((np.abs(X) if skip else 0.0) + np.abs(Fx) @ np.abs(V).T) @ np.abs(w)
    dp = 2.0 * m * EPS * magnitude
    dr = np.abs(problem.loss.curvature(p, y)) * dp
    ar = np.abs(r)
    return Direct(F=float(np.mean(values)), p=p, r=r, Fx=Fx, c=Fx.T @ r / n, E_rx=X.T @ r / n,
                  E_r_p=float(np.mean(r * p)),
                  err_F=rounding(float(np.mean(np.abs(values))), n=n) + float(np.mean(ar * dp)),
                  err_c=rounding_array(np.abs(Fx).T @ ar / n, n) + np.abs(Fx).T @ dr / n,
                  err_E_rx=rounding_array(np.abs(X).T @ ar / n, n) + np.abs(X).T @ dr / n,
                  err_E_r_p=rounding(float(np.mean(np.abs(r * p))), n=n)
                  + float(np.mean(dr * np.abs(p) + ar * dp)),
                  dp=dp)


def objective_batch(problem, theta=None):
    """``Z (P, N) -> F at each row`` for packed rows ``(w, vec_row V, theta)`` (or ``(w, vec_row V)`` when
    ``theta`` is given and held fixed): the definition ``F = (1/n) sum_i l(w^T (x_i + V f_i); y_i)``
    evaluated for all rows at once, features computed once per distinct ``theta``."""
    d, k, X, y = problem.d, problem.k, problem.X, problem.y
    skip = getattr(problem, "skip", True)
    fixed = None if theta is None else np.asarray(problem.unit(X, np.asarray(theta, float)), float)

    def values(W, Vs, Fx):
        # p[i, P] = w_P^T x_i + f_i^T (V_P^T w_P), accumulated in extended precision: at large ||V||
        # the terms cancel, and float64 rounding of p would be noise that the extrapolation divides by
        # its step (a floor of ~eps ||w|| ||V|| / h on every derivative)
        Wl, Vl = W.astype(np.longdouble), Vs.astype(np.longdouble)
        b = np.einsum("pdk,pd->pk", Vl, Wl)
        p = Fx.astype(np.longdouble) @ b.T + (X.astype(np.longdouble) @ Wl.T if skip else 0.0)
        return np.mean(problem.loss.value(p.astype(np.float64), y[:, None]), axis=0)

    def fun(Z):
        Z = np.atleast_2d(np.asarray(Z, dtype=np.float64))
        W, Vs = Z[:, :d], Z[:, d:d + d * k].reshape(-1, d, k)
        if fixed is not None:
            return values(W, Vs, fixed)
        thetas = Z[:, d + d * k:]
        out = np.empty(Z.shape[0])
        unique, inverse = np.unique(thetas, axis=0, return_inverse=True)
        for j, th in enumerate(unique):
            rows = np.flatnonzero(inverse.ravel() == j)
            Fx = np.asarray(problem.unit(X, th), dtype=np.float64)
            out[rows] = values(W[rows], Vs[rows], Fx)
        return out
    return fun


@dataclass
class ExtrapolatedGradient:
    """``grad_w F (d,)`` and ``grad_V F (d, k)`` by extrapolated differences of ``F`` along every coordinate,
    with the named allowances of each component (:func:`~..derivatives.derivative_allowance`)."""

    F: float
    grad_w: np.ndarray
    grad_V: np.ndarray
    allow_w: dict
    allow_V: dict

    @property
    def tolerance_w(self) -> np.ndarray:
        return sum(self.allow_w.values())

    @property
    def tolerance_V(self) -> np.ndarray:
        return sum(self.allow_V.values())

    def resolution(self) -> float:
        """Largest ``extrapolation allowance / (|F| + |component| + 1)`` over the components."""
        scale_w = abs(self.F) + np.abs(self.grad_w) + 1.0
        scale_V = abs(self.F) + np.abs(self.grad_V) + 1.0
        return float(max(np.max(self.allow_w["extrapolation"] / scale_w),
                         np.max(self.allow_V["extrapolation"] / scale_V)))


def extrapolated_gradient(problem, w, V, theta) -> ExtrapolatedGradient:
    """The gradient of ``F`` in ``(w, V)`` at fixed ``theta`` from ``F`` alone: Richardson-extrapolated
    derivatives along the ``d + d k`` coordinate directions (one vectorised call).  ``F`` is as smooth in
    ``(w, V)`` as the loss (``p`` is affine along each coordinate), for ReLU units too."""
    d, k = problem.d, problem.k
    w, V = np.asarray(w, float), np.asarray(V, float)
    z = np.concatenate((w, V.ravel()))
    fun = objective_batch(problem, theta)
    F = float(fun(z[None, :])[0])
    # Step along e_j / s_j with s_j = max(1, max_i |dp_i / dz_j|): a unit step then moves every prediction
    # by at most 1, so the extrapolation's steps fit the loss's scale at large ||V|| or ||w|| too
    # (dp / dw = x + V f, dp / dV_im = w_i f_m).
    Fx = np.asarray(problem.unit(problem.X, np.asarray(theta, float)), float)
    phi = (problem.X if getattr(problem, "skip", True) else 0.0) + Fx @ V.T
    sensitivity = np.concatenate((np.max(np.abs(phi), axis=0),
                                  (np.abs(w)[:, None] * np.max(np.abs(Fx), axis=0)[None, :]).ravel()))
    scale = np.maximum(1.0, sensitivity)
    est, err = directional_derivatives(fun, z, np.diag(1.0 / scale))
    est, err = est * scale, err * scale
    allow = [derivative_allowance(e, F, v) for e, v in zip(err, est)]
    stack = {key: np.array([a[key] for a in allow]) for key in allow[0]}
    return ExtrapolatedGradient(F, est[:d], est[d:].reshape(d, k),
                                {key: v[:d] for key, v in stack.items()},
                                {key: v[d:].reshape(d, k) for key, v in stack.items()})


def directional_checks(problem, w, V, theta, directions, analytic):
    """Extrapolated ``D_v F`` (from :func:`objective_batch`, all of ``(w, V, theta)`` free) along each row of
    ``directions (m, N)`` (packed ``(w, vec V, theta)``), compared with ``analytic (m,)``: returns
    ``(F, estimates, allowances)`` with ``allowances`` a list of dicts.

    ReLU units make ``F`` piecewise smooth in ``theta``.  A kink closer than the smallest step straddles
    every central stencil, whose estimate then converges to the *average* of the two one-sided
    derivatives with a misleadingly small error (:mod:`~..derivatives`): a direction whose central
    estimate misses its tolerance is therefore re-estimated one-sided only (both sides, the normal and a
    ``SHORT_STEP_DIVISOR`` times shorter first step), keeping the smallest error estimate; a wrong
    gradient still fails, since neither side's derivative equals it.  A kink within the longer steps only
    inflates the error estimate: a direction whose allowance exceeds ``RETRY_FRACTION`` of the resolution
    is re-estimated from the shorter first step and one-sided as well, keeping the smallest error."""
    fun = objective_batch(problem)
    x = np.concatenate((np.asarray(w, float), np.asarray(V, float).ravel(), np.asarray(theta, float)))
    return checked_derivatives(fun, x, directions, analytic)


def prediction_scales(predict, x, directions, step: float = 1e-7) -> np.ndarray:
    """``max(1, max_i |d p_i / dt|)`` along each direction (a central difference of the predictions
    ``predict(x) -> (n,)``): dividing a direction by it makes a unit step move every prediction by at most
    about 1, so the extrapolation's steps suit the loss even far out (large weights).  Only a step size:
    any positive value gives a valid extrapolation."""
    h = step * (1.0 + float(np.linalg.norm(x)))
    with np.errstate(over="ignore", invalid="ignore"):
        rates = [np.max(np.abs(predict(x + h * v) - predict(x - h * v))) / (2 * h) for v in directions]
    return np.maximum(1.0, np.nan_to_num(np.array(rates, dtype=np.float64), nan=1.0, posinf=1.0))


def checked_derivatives(fun, x, directions, analytic, scales=None):
    """:func:`directional_checks` for any batched function ``fun`` (``(P, N) -> (P,)``) at ``x``; with
    ``scales (m,)`` each direction is extrapolated as ``v / scale`` and the estimate scaled back (see
    :func:`prediction_scales`)."""
    if scales is not None:
        scales = np.asarray(scales, dtype=np.float64)
        F, est, allowances = checked_derivatives(fun, x, directions / scales[:, None],
                                                 np.asarray(analytic, dtype=np.float64) / scales)
        for a, sc in zip(allowances, scales):
            a["extrapolation"] *= sc
            a["rounding"] *= sc
        return F, est * scales, allowances
    F = float(fun(x[None, :])[0])
    est, err = directional_derivatives(fun, x, directions)
    analytic = np.asarray(analytic, dtype=np.float64)
    tol = np.array([sum(derivative_allowance(e, F, a).values()) for e, a in zip(err, analytic)])
    failing = np.abs(est - analytic) > tol
    imprecise = ~failing & (ERROR_FACTOR * err > RETRY_FRACTION * DERIVATIVE_RESOLUTION
                            * (abs(F) + np.abs(est) + 1.0))
    short = INITIAL_STEP / SHORT_STEP_DIVISOR
    for rows, options in ((np.flatnonzero(failing), ((1, INITIAL_STEP), (-1, INITIAL_STEP), (1, short),
                                                      (-1, short))),
                          (np.flatnonzero(imprecise), ((0, short), (1, INITIAL_STEP), (-1, INITIAL_STEP),
                                                        (1, short), (-1, short)))):
        if not rows.size:
            continue
        tries = [directional_derivatives(fun, x, directions[rows], step_direction=side, initial_step=step)
                 for side, step in options]
        for pos, j in enumerate(rows):
            candidates = [(t[0][pos], t[1][pos]) for t in tries]
            if not failing[j]:
                candidates.append((est[j], err[j]))
            est[j], err[j] = min(candidates, key=lambda item: item[1])
    return F, est, [derivative_allowance(e, F, a) for e, a in zip(err, analytic)]


def linear_descent(X, y, loss, a0, E_l0: float) -> tuple[float, dict, float]:
    """``d/dt E l(-t a_0^T x; y)`` at ``t = 0`` (``X (n, d)``, ``y (n,)``, ``a0 (d,)``), extrapolated from loss
    values along the path (never the loss's derivative): ``(estimate, allowance, relative extrapolation
    allowance)``, the allowance that of :func:`~..derivatives.derivative_allowance` with ``F = E_l0``."""
    slope = np.asarray(X, dtype=np.float64) @ np.asarray(a0, dtype=np.float64)
    sigma = max(1.0, float(np.max(np.abs(slope))))     # a unit step in s moves every prediction by <= 1

    def mean_loss(S):
        t = np.asarray(S, dtype=np.float64)[:, 0] / sigma        # t = s / sigma
        return np.mean(loss.value(-np.outer(t, slope), np.asarray(y)[None, :]), axis=1)

    est, err = directional_derivatives(mean_loss, np.zeros(1), np.ones((1, 1)))
    estimate, error = float(est[0]) * sigma, float(err[0]) * sigma   # d/dt = sigma d/ds
    allow = derivative_allowance(error, E_l0, estimate)
    return estimate, allow, allow["extrapolation"] / (abs(E_l0) + abs(estimate) + 1.0)


def componentwise(label: str, lhs, rhs, allowances: dict) -> list[Claim]:
    """One ``=`` claim per component: ``label[i] : lhs[i] = rhs[i]`` with each allowance's ``[i]``."""
    lhs, rhs = np.asarray(lhs, float), np.asarray(rhs, float)
    out = []
    for idx in np.ndindex(lhs.shape):
        suffix = "[" + ",".join(map(str, idx)) + "]" if idx else ""
        out.append(Claim(f"{label}{suffix}", float(lhs[idx]), "=", float(rhs[idx]),
                         {name: float(np.broadcast_to(v, lhs.shape)[idx]) for name, v in allowances.items()}))
    return out


def gradient_claims(gradient: str, run: int, fun, x, directions, grad, scales) -> list[Claim]:
    """``gradient . v = D_v F`` along each row ``v`` of ``directions`` at ``x``, the right side
    extrapolated from ``fun`` (:func:`checked_derivatives` with the step ``scales``), one claim per
    direction labelled ``"<gradient> . v = D_v F (run <run>, direction <j>)"``, then the
    :func:`resolution_claim` of their allowances.  Raises ``ValueError`` where ``fun`` overflows within
    the steps."""
    F0, est, allowances = checked_derivatives(fun, x, directions, directions @ grad, scales)
    claims = [Claim(f"{gradient} . v = D_v F (run {run}, direction {j})", float(est[j]), "=",
                    float(directions[j] @ grad), allow) for j, allow in enumerate(allowances)]
    claims.append(resolution_claim(max(a["extrapolation"] / ((abs(F0) + 1.0) * sc + abs(e))
                                       for a, e, sc in zip(allowances, est, scales))))
    return claims


def resolution_claim(ratio: float) -> Claim:
    """``largest extrapolation allowance / scale <= DERIVATIVE_RESOLUTION`` (:data:`DERIVATIVE_RESOLUTION`)."""
    return Claim(f"derivative allowances resolve relative errors of {DERIVATIVE_RESOLUTION:g}",
                 float(ratio), "<=", DERIVATIVE_RESOLUTION)


def worst_ratio(claims) -> float:
    """``max |lhs - rhs| / total allowance`` over ``=`` claims (how close the worst comparison came to its
    tolerance: ``<= 1`` passes; reported so that a loosened tolerance shows in the figures)."""
    ratios = [abs(c.lhs - c.rhs) / c.slack for c in claims if c.relation == "=" and c.slack > 0]
    return float(max(ratios, default=0.0))
