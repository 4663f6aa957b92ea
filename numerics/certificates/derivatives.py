"""Derivative checks by Richardson extrapolation, not forward differences.

:func:`directional_derivative` estimates ``D_v fun(x) = d/dt fun(x + t v) |_{t=0}`` with
``scipy.differentiate.derivative`` (SciPy >= 1.15): central differences of order 8 on a geometric
sequence of steps ``h_j = initial_step / 2^j``, stopping when successive estimates agree; its
``error`` is the size of the last change, an honest estimate of the truncation-plus-rounding error.

:func:`gradient_check` compares the analytic ``grad F . v`` of a
:class:`~resnet_lemmas.numerics.models.residual.ResNetProblem` with that estimate for random unit directions
``v`` in the packed space ``(w, V, theta)`` and in each block separately.

ReLU units: ``F`` is then only piecewise smooth in ``theta`` (the kinks ``A_l h_{l-1} + b_l = 0`` move
with ``theta`` only; in ``(w, V)`` ``F`` stays as smooth as the loss).  At a point drawn from a continuous distribution no
pre-activation is exactly 0 (probability one), so ``t -> F(x + t v)`` is smooth on an interval around
``0`` and the extrapolation converges once the steps are shorter than the distance to the nearest kink;
if a kink lies within the steps the successive estimates disagree and the error estimate is large,
so the check becomes lenient there rather than wrong.  A kink closer than the smallest step
(``0.05 / 2^9 ~ 1e-4``; it happens about once in a few hundred relu checks) is straddled at every level,
and the central estimate then converges to the *average* of the two one-sided derivatives with a
misleadingly small error; :func:`gradient_check` therefore retries a failed direction with one-sided
stencils and keeps the side that does not face the kink (the smaller error estimate).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.differentiate import derivative

from resnet_lemmas.numerics._blas import blas_single_threaded

EPS = np.finfo(np.float64).eps

#: Default first step of the extrapolation.  Parameters here are O(1) (Glorot-scale), so 0.05 keeps
#: the stencil (8th order: up to 4 steps each side) within about 0.2 of ``x``; the step then halves.
INITIAL_STEP = 0.05
#: scipy's default: the step is halved at every iteration.
STEP_FACTOR = 2.0
#: Levels of the extrapolation (steps ``INITIAL_STEP / 2^j``, ``j < LEVELS``); the last is ``~1e-4``.
LEVELS = 10
#: The error estimate of a level is the change between neighbouring levels: the size of the error,
#: not a bound on it.  ``ERROR_FACTOR`` times it is allowed (module docstring of
#: :func:`derivative_allowance`).
ERROR_FACTOR = 10.0
#: Rounding allowance ``ROUNDING_MULTIPLE eps (|F| + |analytic| + 1)``: ``F`` and the analytic
#: derivative are each sums of ``n <= 1000`` float64 terms, so even at zero truncation error the two
#: sides differ by rounding of relative size ``~ n eps``.
ROUNDING_MULTIPLE = 1e3


def directional_derivative(fun: Callable[[np.ndarray], float], x, v, *,
                           initial_step: float = INITIAL_STEP, order: int = 8,
                           maxiter: int = 10, step_direction: int = 0) -> tuple[float, float]:
    """``(estimate, error_estimate)`` of ``d/dt fun(x + t v)`` at ``t = 0``.

    ``fun`` maps a 1-D float64 array (shape of ``x``) to a float.  Uses
    ``scipy.differentiate.derivative`` on ``t -> fun(x + t v)`` (Richardson extrapolation of central
    differences; ``step_direction=+1``/``-1`` uses one-sided stencils on ``t >= 0``/``t <= 0``) and runs
    all ``maxiter`` levels (steps ``initial_step / 2^j``), stopping early only when
    scipy sees its error estimate grow.  Level ``j`` gives ``df_j``, judged by both neighbours and by
    rounding: ``e_j = max(|df_j - df_{j-1}|, |df_{j+1} - df_j|, eps |fun(x)| / h_j)`` with
    ``h_j = initial_step / 2^j`` (no larger than that level's step); the level with the smallest
    ``e_j`` among those with two neighbours is returned with ``error_estimate = e_j`` (as DERIVEST
    does; scipy itself returns the last level, which at tiny steps is rounding noise).  The rounding
    term ``eps |fun(x)| / h_j`` is the noise floor of a difference quotient; it matters when ``fun`` is
    a low-degree polynomial along ``v`` (squared loss with relu units): the 8th-order stencil is then
    exact, two levels agree bit for bit and the neighbour differences are exactly 0 although the
    estimate still carries rounding
    noise.  Raises ``ValueError`` if ``fun`` returns NaN/inf near ``x`` (scipy status
    ``-3``) or the shapes of ``x`` and ``v`` differ.
    """
    x = np.asarray(x, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    if x.ndim != 1 or v.shape != x.shape:
        raise ValueError(f"x and v must be 1-D arrays of the same shape; got {x.shape} and {v.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(v))):
        raise ValueError("x and v must be finite")

    def along(t):
        t = np.asarray(t, dtype=np.float64)
        out = np.empty(t.shape)
        for idx in np.ndindex(t.shape):
            out[idx] = fun(x + t[idx] * v)
        return out

    # Run every level (no early stop: scipy's default stops at relative change sqrt(eps) ~ 1.5e-8,
    # and near a relu kink two coarse levels can agree that well while both are off), record each
    # level's estimate, and keep the best one ourselves: scipy returns the *last* level, which for
    # small steps is dominated by rounding noise.
    history: list[tuple[float, float]] = []
    res = derivative(along, 0.0, initial_step=initial_step, order=order, maxiter=maxiter,
                     tolerances={"atol": 0.0, "rtol": 0.0}, step_direction=step_direction,
                     callback=lambda r: history.append((float(r.df), float(r.error))))
    if int(res.status) == -3:
        raise ValueError("fun returned NaN/inf along the direction; cannot estimate the derivative")
    # history[j] = (df_j, |df_j - df_{j-1}|), level j with step at most initial_step / 2^(j-1).
    fx = abs(float(fun(x)))
    best = _best_level([df for df, _ in history], [err for _, err in history], fx, initial_step)
    return best if best is not None else (float(res.df), float("inf"))


def _best_level(dfs, errs, fx: float, initial_step: float):
    """``(df_j, e_j)`` of the most trustworthy level (docstring of :func:`directional_derivative`), or
    ``None`` when no level is finite."""
    levels = [(j, df, err) for j, (df, err) in enumerate(zip(dfs, errs))
              if np.isfinite(df) and np.isfinite(err)]
    if not levels:
        return None
    # Judge df_j by both neighbours, e_j = max(|df_j - df_{j-1}|, |df_{j+1} - df_j|), plus the rounding
    # floor eps |fun(x)| / h_j (h_j := initial_step / 2^j, below the level's step, so conservative).
    # Only levels with two neighbours compete unless there are none: a last level checked on one side
    # only can look accurate by chance.
    scored = []
    for i, (j, df, err) in enumerate(levels):
        interior = i + 1 < len(levels)
        e_j = max(err, levels[i + 1][2]) if interior else err
        scored.append((not interior, max(e_j, EPS * fx * STEP_FACTOR ** j / initial_step), df))
    if any(not last for last, _, _ in scored):
        scored = [item for item in scored if not item[0]]
    _, best_err, best_df = min(scored, key=lambda item: item[1])
    return float(best_df), float(best_err)


def _as_batch(x, directions):
    x = np.asarray(x, dtype=np.float64)
    directions = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    if x.ndim != 1 or directions.ndim != 2 or directions.shape[1] != x.shape[0]:
        raise ValueError(f"x must be 1-D (N,) and directions (m, N); got {x.shape} and {directions.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(directions))):
        raise ValueError("x and the directions must be finite")
    return x, directions


#: Richardson columns per stencil: the error terms each column removes (powers of the step).  Central
#: differences have even powers only; three columns leave ``O(h^8)``, the order of scipy's 8th-order
#: stencil in :func:`directional_derivative`.  One-sided differences have every power; four columns
#: leave ``O(h^5)``.
_CENTRAL_POWERS = (2, 4, 6)
_ONE_SIDED_POWERS = (1, 2, 3, 4)
#: Rounding floor of a level with step ``h``: ``NOISE * eps |fun(x)| / h^order`` (a difference of two
#: values with relative error ``eps`` each, divided by ``h`` or ``h^2 / 4``, then amplified by the
#: extrapolation: at most 2 for the even central columns, about 7 for the one-sided ones).
_NOISE = {"central": 2.0, "one-sided": 16.0, "second": 8.0}


def _extrapolate(D: np.ndarray, h: np.ndarray, powers, floor: np.ndarray):
    """Richardson table on the rows of ``D (m, L)`` (estimates at steps ``h (L,)``, halving): column ``c``
    removes the ``h^powers[c-1]`` term, ``R[i, c] = R[i, c-1] + (R[i, c-1] - R[i-1, c-1]) / (2^p - 1)``.
    Each level of the last column is judged by both neighbours and by its rounding ``floor (L,)``; the
    level with the smallest error estimate is returned, with it, per row."""
    table = np.array(D, dtype=np.float64)
    C = len(powers)
    for col, power in enumerate(powers, start=1):
        table[:, col:] = table[:, col:] + (table[:, col:] - table[:, col - 1:-1]) / (2.0 ** power - 1.0)
    A = table[:, C:]
    diff = np.abs(np.diff(A, axis=1))
    err = np.maximum(np.maximum(diff[:, :-1], diff[:, 1:]), floor[None, C + 1:-1])
    err = np.where(np.isfinite(err), err, np.inf)
    best = np.argmin(err, axis=1)
    rows = np.arange(A.shape[0])
    return A[rows, best + 1], err[rows, best]


def directional_derivatives(fun_batch: Callable[[np.ndarray], np.ndarray], x, directions, *,
                            initial_step: float = INITIAL_STEP, levels: int = LEVELS,
                            step_direction=0) -> tuple[np.ndarray, np.ndarray]:
    """``(estimates (m,), error_estimates (m,))`` of ``d/dt fun(x + t v_j)`` at ``t = 0`` for every row
    ``v_j`` of ``directions (m, N)``, every value needed in *one* ``fun_batch`` call.

    ``fun_batch`` maps a stack of points ``(P, N)`` to their values ``(P,)``.  The same Richardson
    extrapolation as :func:`directional_derivative` (steps ``h_i = initial_step / 2^i``, ``i < levels``),
    with the whole table evaluated at once instead of level by level: ``scipy.differentiate``'s
    per-iteration bookkeeping (about 1.5 ms a call) was most of a witness instance's time, while a
    batched ``F`` at all ``2 levels m`` points costs a fraction of a millisecond.
    ``step_direction`` (a scalar or one value per direction): ``0`` central differences
    ``(f(h) - f(-h)) / 2h`` (error ``c_1 h^2 + c_2 h^4 + ...``), ``+1``/``-1`` one-sided
    ``+-(f(+-h) - f(0)) / h`` (every power of ``h``) for a kink on the other side.  Each level of the
    extrapolated column is judged by both neighbours and by the rounding floor
    ``noise eps |fun(x)| / h_i`` (the rule of :func:`directional_derivative`); the level with the smallest
    error estimate is returned with it.  ``tests/numerics/certificates/test_derivatives.py`` checks it
    against scipy's estimates and against exact derivatives.  Raises ``ValueError`` on NaN/inf values.
    """
    x, directions = _as_batch(x, directions)
    m = directions.shape[0]
    sides = np.broadcast_to(np.asarray(step_direction), (m,)).astype(int)
    if not np.all(np.isin(sides, (-1, 0, 1))):
        raise ValueError("step_direction must be -1, 0 or +1")
    if levels < len(_ONE_SIDED_POWERS) + 3:
        raise ValueError(f"levels must be >= {len(_ONE_SIDED_POWERS) + 3}; got {levels}")
    h = initial_step / STEP_FACTOR ** np.arange(levels)
    offsets = np.concatenate((h, -h))
    points = x + offsets[None, :, None] * directions[:, None, :]                 # (m, 2L, N)
    values = np.asarray(fun_batch(np.vstack((x[None, :], points.reshape(-1, x.size)))), dtype=np.float64)
    f0, plus, minus = values[0], *values[1:].reshape(m, 2, levels).transpose(1, 0, 2)
    if not (np.isfinite(f0) and np.all(np.isfinite(plus)) and np.all(np.isfinite(minus))):
        raise ValueError("fun returned NaN/inf near x; cannot estimate the derivative")
    estimates, errors = np.empty(m), np.empty(m)
    central = sides == 0
    if central.any():
        D = (plus[central] - minus[central]) / (2.0 * h)
        estimates[central], errors[central] = _extrapolate(
            D, h, _CENTRAL_POWERS, _NOISE["central"] * EPS * abs(f0) / h)
    for side in (1, -1):
        rows = sides == side
        if rows.any():
            D = ((plus[rows] if side > 0 else -minus[rows]) - side * f0) / h
            estimates[rows], errors[rows] = _extrapolate(
                D, h, _ONE_SIDED_POWERS, _NOISE["one-sided"] * EPS * abs(f0) / h)
    return estimates, errors


def second_directional_derivatives(fun_batch: Callable[[np.ndarray], np.ndarray], x, directions, *,
                                   initial_step: float = INITIAL_STEP,
                                   levels: int = LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """``(estimates (m,), error_estimates (m,))`` of ``d^2/dt^2 fun(x + t v_j)`` at ``t = 0``.

    Richardson extrapolation of the central second difference ``D(h) = (f(h) - 2 f(0) + f(-h)) / h^2 =
    f'' + c_1 h^2 + c_2 h^4 + ...`` (``f(t) = fun(x + t v_j)``) on the steps ``h_i = initial_step / 2^i``,
    ``i < levels``, all evaluated in one ``fun_batch`` call, with the table, level choice and error
    estimate of :func:`directional_derivatives` (three columns: error ``O(h^8)``) and the rounding floor
    ``8 eps |f(0)| / h_i^2`` (each value carries a relative error ``~eps``; the second difference divides
    it by ``h^2 / 4``; the extrapolation at most doubles it).  SciPy has no second-derivative
    extrapolation of its own (``scipy.differentiate.hessian`` nests first derivatives, about 100 times
    the evaluations for a scalar path).
    """
    x, directions = _as_batch(x, directions)
    m = directions.shape[0]
    if levels < len(_CENTRAL_POWERS) + 3:
        raise ValueError(f"levels must be >= {len(_CENTRAL_POWERS) + 3}; got {levels}")
    h = initial_step / STEP_FACTOR ** np.arange(levels)
    offsets = np.concatenate((h, -h))
    points = x + offsets[None, :, None] * directions[:, None, :]
    values = np.asarray(fun_batch(np.vstack((x[None, :], points.reshape(-1, x.size)))), dtype=np.float64)
    f0, rest = values[0], values[1:].reshape(m, 2, levels)
    if not (np.isfinite(f0) and np.all(np.isfinite(rest))):
        raise ValueError("fun returned NaN/inf near x; cannot estimate the second derivative")
    D = (rest[:, 0] - 2.0 * f0 + rest[:, 1]) / h ** 2
    return _extrapolate(D, h, _CENTRAL_POWERS, _NOISE["second"] * EPS * abs(f0) / h ** 2)


def derivative_allowance(error_estimate: float, F: float, analytic: float) -> dict:
    """The named allowances of a comparison ``analytic`` vs an extrapolated derivative:
    ``{"extrapolation": ERROR_FACTOR |err|, "rounding": ROUNDING_MULTIPLE eps (|F| + |analytic| + 1)}``
    (their sum is :func:`derivative_tolerance`)."""
    return {"extrapolation": ERROR_FACTOR * abs(float(error_estimate)),
            "rounding": ROUNDING_MULTIPLE * EPS * (abs(float(F)) + abs(float(analytic)) + 1.0)}


def derivative_tolerance(error_estimate: float, F: float, analytic: float) -> float:
    """``tol = ERROR_FACTOR * err + ROUNDING_MULTIPLE * eps * (|F| + |analytic| + 1)`` (10 and 1e3).

    ``10 * err``: ``err`` (from :func:`directional_derivative`) is a change between neighbouring
    extrapolation levels, an estimate of the error's order rather than a bound, hence the factor 10.  ``1e3 * eps * (...)``: the analytic
    gradient and ``F`` are each sums of ``n`` float64 terms, so even at zero truncation error the two
    sides differ by rounding of relative size ``~ n eps`` (``n <= 1000`` here) of the quantities involved.
    """
    return float(sum(derivative_allowance(error_estimate, F, analytic).values()))


@dataclass
class DirectionCheck:
    """One direction: the analytic ``grad . v``, the extrapolated estimate, its error estimate, the
    tolerance, and ``one_sided`` (``0``: central estimate; ``+1``/``-1``: the one-sided fallback)."""

    block: str
    analytic: float
    numeric: float
    error_estimate: float
    tolerance: float
    one_sided: int = 0

    @property
    def discrepancy(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def passed(self) -> bool:
        return self.discrepancy <= self.tolerance


@dataclass
class GradientCheck:
    """Result of :func:`gradient_check`: ``passed`` iff every direction's discrepancy is within its
    tolerance; ``max_discrepancy`` and ``tolerance`` are those of the worst direction (largest
    discrepancy / tolerance ratio), ``worst_block`` its block."""

    passed: bool
    max_discrepancy: float
    tolerance: float
    worst_block: str
    F: float
    checks: list[DirectionCheck] = field(default_factory=list)

    def __str__(self):
        status = "passed" if self.passed else "FAILED"
        return (f"gradient check {status}: worst discrepancy {self.max_discrepancy:.3e} "
                f"(tolerance {self.tolerance:.3e}) in block {self.worst_block!r} over "
                f"{len(self.checks)} directions")


def _random_unit(rng, size, mask=None):
    v = rng.normal(size=size)
    if mask is not None:
        v = np.where(mask, v, 0.0)
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def _one_sided_check(fun, x, v, block, analytic, F, initial_step) -> DirectionCheck:
    """Fallback for a kink within the central stencil (module docstring): estimate from each side and
    keep the side with the smaller error estimate.  The side facing the kink mixes two pieces, so its
    levels disagree and its error is large; the other side sees one smooth piece, the one containing
    ``x``, whose derivative is what the analytic gradient computes."""
    best = None
    for side in (+1, -1):
        numeric, err = directional_derivative(fun, x, v, initial_step=initial_step, step_direction=side)
        if best is None or err < best[1]:
            best = (numeric, err, side)
    numeric, err, side = best
    return DirectionCheck(block, analytic, numeric, err, derivative_tolerance(err, F, analytic), side)


@blas_single_threaded
def gradient_check(problem, w, V, theta, rng: np.random.Generator, directions: int = 3,
                   blocks: tuple[str, ...] = ("all", "w", "V", "theta"), *,
                   initial_step: float = INITIAL_STEP) -> GradientCheck:
    """Check ``problem.gradients`` (packed by ``problem.pack``) against Richardson extrapolation.

    For each of ``directions`` repetitions and each block in ``blocks`` (``"all"`` = the whole packed
    vector ``(w, V, theta)``; ``"w"``, ``"V"``, ``"theta"`` = a direction supported on that block), draw a
    random unit ``v`` from ``rng``, compare ``a = grad F . v`` with the estimate ``D_v F`` and its error
    ``err`` (:func:`directional_derivative`), and accept iff
    ``|a - D_v F| <= 10 err + 1e3 eps (|F| + |a| + 1)`` (:func:`derivative_tolerance`).  If the central
    estimate fails, the one-sided estimate with the smaller error is used instead
    (:func:`_one_sided_check`): a relu kink closer to ``x`` than the smallest step (``initial_step /
    2^9``) makes the central stencil straddle it at every level.  A wrong gradient still fails, since
    neither side's derivative equals it.  Blocks with zero size (e.g. ``theta`` for a parameter-free
    unit) are skipped.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (seeded); got {type(rng).__name__}")
    x = problem.pack(w, V, theta)
    g = problem.gradients(w, V, theta)
    if g.grad_theta is None:
        raise TypeError("the problem's unit has no vjp: cannot check grad_theta")
    grad = np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))
    d, dk = problem.d, problem.d * problem.k
    idx = np.arange(x.size)
    masks = {"all": None, "w": idx < d, "V": (idx >= d) & (idx < d + dk), "theta": idx >= d + dk}
    unknown = set(blocks) - set(masks)
    if unknown:
        raise ValueError(f"unknown blocks {sorted(unknown)}; choose from {sorted(masks)}")
    checks = []
    for _ in range(directions):
        for block in blocks:
            mask = masks[block]
            if mask is not None and not mask.any():
                continue
            v = _random_unit(rng, x.size, mask)
            analytic = float(grad @ v)
            numeric, err = directional_derivative(problem.fun, x, v, initial_step=initial_step)
            check = DirectionCheck(block, analytic, numeric, err, derivative_tolerance(err, g.F, analytic))
            if not check.passed:
                check = _one_sided_check(problem.fun, x, v, block, analytic, g.F, initial_step)
            checks.append(check)
    if not checks:
        raise ValueError("no direction was checked (empty blocks or directions=0)")
    worst = max(checks, key=lambda c: c.discrepancy / c.tolerance)
    return GradientCheck(passed=all(c.passed for c in checks), max_discrepancy=worst.discrepancy,
                         tolerance=worst.tolerance, worst_block=worst.block, F=g.F, checks=checks)
