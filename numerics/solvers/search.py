"""Multi-start local-minimum search for ``F(w, V, theta)`` over all parameters.

Each start draws ``(w, V, theta)`` from its own seed (so any start can be replayed alone with
:func:`local_minimum_from_seed`) and runs ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` on the
packed vector of :meth:`~.model.ResNetProblem.pack`, with the analytic gradient of section 2.

Starting point for ``init_scale = s``: ``w ~ N(0, s^2 / d)``, ``V ~ N(0, s^2 / k)`` entrywise,
``theta = unit.init(rng, scale=s)`` (or ``unit.theta0 + s N(0, 1) / sqrt(q)`` for a unit without
``init``).

Stopping: L-BFGS-B stops when ``max_j |grad_j| <= gtol`` (its projected-gradient test; no bounds here)
or after ``maxiter`` iterations; its relative-decrease test is switched off (``ftol = 0``) because near
a minimum the decrease of ``F`` falls below rounding long before the gradient is small.  A start is
``converged`` iff the returned point has finite ``F`` and ``max_j |grad_j| <= gtol`` (recomputed, not
taken from the optimiser's status).  Margin losses on data the network can separate have no
minimiser: such starts run to ``maxiter`` with ``||w||`` growing and are reported not converged --
or, once the loss underflows, *converged* with ``F ~ 1e-11`` and ``param_norm ~ 1e3``: the gradient
test is absolute, and there ``grad F`` is tiny because ``F`` is.  Such a point is an approximate
infimum on a path to infinity, not a local minimum; ``param_norm`` is reported so callers can tell.
(Every bound of design section 4 still holds there: it holds at every point.)

Refinement to a certifiable local minimum (:func:`refined_local_minimum`): rounds of L-BFGS-B (as
above, stopped early when the parameter norm passes ``norm_cap``: a run escaping to infinity, flagged
``escaped``), each followed by the exact Hessian of ``F`` in ``(w, V, theta)``
(:func:`~resnet_lemmas.numerics.certificates.hessian.full_hessian`): where it has a negative eigenvalue
beyond rounding, a step along that eigenvector (backtracking on ``F``) leaves the saddle or plateau and
the next round starts; otherwise pure Newton steps ``z <- z - H^+ grad F`` on the Hessian's range,
each kept only if it lowers ``||grad F||``, finish the run once ``||grad F|| <= newton_rtol *
||grad_abs||`` (the relative test of :mod:`~resnet_lemmas.numerics.certificates.local_minimum`), and
a few more take the gradient to its rounding floor.  Trust-region methods judge steps by the decrease
of ``F``, which falls below its own rounding long before the gradient does; and on these problems
``scipy.optimize.minimize(method="trust-exact")`` after L-BFGS-B made little progress (measured on 80
runs of ``sample_instance`` problems, 100 L-BFGS-B then up to 200 trust-exact iterations: 15 runs
converged, 110 trust-exact iterations and 0.5 s per run on average), while L-BFGS-B, curvature steps
and Newton polish certify about two thirds of the main witness's runs within 300 iterations.
``maxiter`` bounds the iterations of all phases together: a search stopped after 2 iterations has made
2 L-BFGS steps and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics._blas import blas_single_threaded


@dataclass
class LocalMinimum:
    """Result of one start: the point ``(w (d,), V (d, k), theta (q,))``, ``F`` there, the 2-norms of the
    three gradient blocks, whether it is certified stationary (``converged``), the L-BFGS-B iteration
    count ``nit``, the start's ``seed`` (replay with :func:`local_minimum_from_seed`), the optimiser's
    ``message`` and ``param_norm = ||(w, V, theta)||`` (large values flag a run escaping to infinity,
    see the module docstring); ``escaped``: the run was stopped because ``param_norm`` passed the cap of
    :func:`refined_local_minimum`; ``newton_nit``: Newton iterations after L-BFGS-B (included in ``nit``)."""

    w: np.ndarray
    V: np.ndarray
    theta: np.ndarray
    F: float
    grad_norm_w: float
    grad_norm_V: float
    grad_norm_theta: float
    converged: bool
    nit: int
    seed: int
    message: str = ""
    param_norm: float = float("nan")
    escaped: bool = False
    newton_nit: int = 0

    @property
    def grad_norm(self) -> float:
        """``||grad F||`` over all parameters."""
        return float(np.sqrt(self.grad_norm_w ** 2 + self.grad_norm_V ** 2 + self.grad_norm_theta ** 2))


def start_point(problem, seed: int, init_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The starting ``(w, V, theta)`` of the start with this ``seed`` (module docstring)."""
    rng = np.random.default_rng(seed)
    d, k, q = problem.d, problem.k, problem.q
    w = rng.normal(0.0, init_scale / np.sqrt(d), size=d)
    V = rng.normal(0.0, init_scale / np.sqrt(k), size=(d, k))
    init = getattr(problem.unit, "init", None)
    if init is not None:
        theta = np.asarray(init(rng, scale=init_scale), dtype=np.float64)
    else:
        theta0 = np.asarray(problem.unit.theta0, dtype=np.float64)
        theta = theta0 + init_scale * rng.normal(size=q) / np.sqrt(max(q, 1))
    return w, V, theta


def _safe_fun_and_grad(problem):
    """``fun_and_grad`` returning ``(inf, 0)`` where ``F`` or its gradient overflows, so that the line
    search backs off instead of propagating NaN (only exponential/poisson losses can overflow)."""
    def f(flat):
        with np.errstate(over="ignore", invalid="ignore"):
            F, g = problem.fun_and_grad(flat)
        if not (np.isfinite(F) and np.all(np.isfinite(g))):
            return np.inf, np.zeros_like(flat)
        return F, g
    return f


@blas_single_threaded
def local_minimum_from_seed(problem, seed: int, init_scale: float = 1.0, gtol: float = 1e-9,
                            maxiter: int = 3000) -> LocalMinimum:
    """One L-BFGS-B run from :func:`start_point` ``(problem, seed, init_scale)``."""
    x0 = problem.pack(*start_point(problem, seed, init_scale))
    fun = _safe_fun_and_grad(problem)
    if not np.isfinite(fun(x0)[0]):
        x, nit, message = x0, 0, "objective or gradient is not finite at the start point; not optimised"
    else:
        res = minimize(fun, x0, jac=True, method="L-BFGS-B",
                       options={"gtol": gtol, "ftol": 0.0, "maxiter": int(maxiter),
                                "maxfun": 2 * int(maxiter) + 100})
        x, nit, message = res.x, int(res.nit), str(res.message)
    return _end_point(problem, x, seed=seed, nit=nit, notes=[message], gtol=gtol)


def _end_point(problem, x, *, seed: int, nit: int, notes: list, gtol: float | None = None,
               newton_rtol: float | None = None, escaped: bool = False, newton_nit: int = 0) -> LocalMinimum:
    """The :class:`LocalMinimum` record of the packed end point ``x``: its gradients evaluated once, and
    ``converged`` by the caller's test -- ``max_j |grad_j| <= gtol`` (L-BFGS-B's), or with ``newton_rtol``
    the relative ``||grad F|| <= newton_rtol ||grad_abs||`` (:func:`~..certificates.hessian.gradient_scale`;
    never for an escaped run)."""
    w, V, theta = (a.copy() for a in problem.unpack(x))
    with np.errstate(over="ignore", invalid="ignore"):
        g = problem.gradients(w, V, theta)
    flat_grad = np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))
    finite = bool(np.isfinite(g.F) and np.all(np.isfinite(flat_grad)))
    if newton_rtol is None:
        converged = finite and float(np.max(np.abs(flat_grad), initial=0.0)) <= gtol
    else:
        converged = False
        if finite and not escaped:
            from resnet_lemmas.numerics.certificates.hessian import gradient_scale

            with np.errstate(over="ignore", invalid="ignore"):
                scale = gradient_scale(problem, w, V, theta)
            converged = float(np.linalg.norm(flat_grad)) <= newton_rtol * scale
    return LocalMinimum(w=w, V=V, theta=theta, F=g.F,
                        grad_norm_w=float(np.linalg.norm(g.grad_w)),
                        grad_norm_V=float(np.linalg.norm(g.grad_V)),
                        grad_norm_theta=float(np.linalg.norm(g.grad_theta)),
                        converged=converged, nit=nit, seed=int(seed), message="; ".join(notes),
                        param_norm=float(np.linalg.norm(x)), escaped=escaped, newton_nit=newton_nit)


def start_seeds(seed: int, restarts: int) -> list[int]:
    """Per-start seeds derived from ``seed`` by ``numpy.random.SeedSequence`` (independent streams)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(restarts, dtype=np.uint32)]


@blas_single_threaded
def local_minimum_search(problem, seed: int, restarts: int = 2, init_scale: float = 1.0,
                         gtol: float = 1e-9, maxiter: int = 3000) -> list[LocalMinimum]:
    """``restarts`` independent L-BFGS-B runs on ``F(w, V, theta)``, one :class:`LocalMinimum` each,
    in start order.  ``gtol`` bounds ``max_j |d F / d param_j|`` at a converged start."""
    if restarts < 1:
        raise ValueError(f"restarts must be >= 1; got {restarts}")
    unit = problem.unit
    if getattr(unit, "vjp", None) is None and getattr(unit, "forward", None) is None:
        raise TypeError("local_minimum_search needs grad_theta: the unit must provide vjp (or forward)")
    return [local_minimum_from_seed(problem, s, init_scale, gtol, maxiter)
            for s in start_seeds(seed, restarts)]


#: L-BFGS-B stops (and the Hessian is examined) once ``max_j |grad_j| <= LBFGS_GTOL``.
LBFGS_GTOL = 1e-9
#: Rounds of (L-BFGS-B, Hessian, Newton or negative-curvature step), at most.
ROUNDS = 4
#: Pure Newton steps judged by ``||grad F||`` per round, at most.
POLISH_STEPS = 4
#: Further Newton steps once the tolerance is met, each kept only if it lowers ``||grad F||``.
FLOOR_STEPS = 3


@blas_single_threaded
def refined_local_minimum(problem, seed: int, *, maxiter: int, norm_cap: float, newton_rtol: float,
                          init_scale: float = 1.0, lbfgs_gtol: float = LBFGS_GTOL,
                          rounds: int = ROUNDS) -> LocalMinimum:
    """One start (seed ``seed``, :func:`start_point`) taken to a point that can be certified.

    Each round: L-BFGS-B (stopped early once ``||z|| > norm_cap``: ``escaped``); then the exact Hessian
    (:func:`~..certificates.hessian.full_hessian`) and its smallest eigenvalue.  Where it is negative
    beyond rounding (a saddle or a plateau next to one, where L-BFGS crawls) a step along its
    eigenvector (sign and length by backtracking on ``F``) starts the next round; otherwise up to
    ``POLISH_STEPS`` pure Newton steps ``z <- z - H^+ grad F`` (least squares: the reparametrisation
    symmetries make ``H`` singular), each kept only if it lowers ``||grad F||``, finish it once
    ``||grad F|| <= newton_rtol * ||grad scale||`` (:func:`~..certificates.hessian.gradient_scale`),
    and up to ``FLOOR_STEPS`` more while they still lower ``||grad F||`` (towards its rounding floor).
    ``maxiter`` bounds the iterations of all phases together (L-BFGS iterations, Newton and curvature
    steps).  ``converged`` means the relative test held at the returned point (the certificate of
    :mod:`~resnet_lemmas.numerics.certificates.local_minimum` re-checks it, with the curvature)."""
    if maxiter < 1:
        raise ValueError(f"maxiter must be >= 1; got {maxiter}")
    x = problem.pack(*start_point(problem, seed, init_scale))
    fun = _safe_fun_and_grad(problem)
    if not np.isfinite(fun(x)[0]):
        used, newton_nit, escaped = 0, 0, False
        notes = ["objective or gradient is not finite at the start point; not optimised"]
    else:
        x, used, newton_nit, escaped, notes = refine(problem, fun, x, used=0, maxiter=maxiter,
                                                     norm_cap=norm_cap, newton_rtol=newton_rtol,
                                                     lbfgs_gtol=lbfgs_gtol, rounds=rounds)
    return _end_point(problem, x, seed=seed, nit=used, notes=notes, newton_rtol=newton_rtol, escaped=escaped,
                      newton_nit=newton_nit)


def refine(problem, fun, x, *, used: int, maxiter: int, norm_cap: float, newton_rtol: float,
           lbfgs_gtol: float = LBFGS_GTOL, rounds: int = ROUNDS, lbfgs_first: bool = True,
           max_hessians: int | None = None):
    """The rounds of :func:`refined_local_minimum` from the packed point ``x``, ``used`` iterations
    already spent of ``maxiter`` (the budget of all phases together); ``fun`` is
    :func:`_safe_fun_and_grad` of ``problem`` (every point a step tries goes through it, so a monitoring
    ``problem`` sees them all).  ``lbfgs_first=False``: the caller has just run L-BFGS-B itself, and the
    first round starts at the Hessian.  ``max_hessians``: at most this many dense Hessians (``None``: as
    many as the rounds need); once they are spent the polish stops where it is, with a note.  Returns
    ``(x, used, newton_nit, escaped, notes)``."""
    from resnet_lemmas.numerics.certificates.hessian import curvature_tolerance, full_hessian

    escaped, newton_nit, notes, computed = False, 0, [], [0]

    def hessian(z, error_bound=False):
        """The Hessian at ``z``, or ``None`` once ``max_hessians`` are spent."""
        if max_hessians is not None and computed[0] >= max_hessians:
            if not any(note.startswith("Hessian budget") for note in notes):
                notes.append(f"Hessian budget spent ({max_hessians})")
            return None
        computed[0] += 1
        with np.errstate(over="ignore", invalid="ignore"):
            return full_hessian(problem, *problem.unpack(z), error_bound=error_bound)

    def hessian_matrix(z):
        result = hessian(z)
        return None if result is None else result.H

    for round_index in range(rounds):
        budget = int(maxiter) - used
        if budget <= 0:
            break
        if lbfgs_first or round_index > 0:
            def watch(intermediate_result):
                if float(np.linalg.norm(intermediate_result.x)) > norm_cap:
                    raise StopIteration

            res = minimize(fun, x, jac=True, method="L-BFGS-B", callback=watch,
                           options={"gtol": lbfgs_gtol, "ftol": 0.0, "maxiter": budget,
                                    "maxfun": 2 * budget + 100})
            x, used = res.x, used + int(res.nit)
            notes.append(f"L-BFGS-B: {res.message} ({int(res.nit)} iterations)")
        if float(np.linalg.norm(x)) > norm_cap or not np.all(np.isfinite(x)):
            escaped = bool(float(np.linalg.norm(x)) > norm_cap)
            break
        if used >= maxiter:
            break
        try:
            R = hessian(x, error_bound=True)
            if R is None:
                break
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            # e.g. a user unit that is NaN next to x: the difference Hessian evaluates the gradient
            # off the search's path, where the monitor does not stand in; the polish stops there
            notes.append(f"the Hessian could not be computed ({type(exc).__name__}: {exc})")
            break
        if not (np.all(np.isfinite(R.H)) and np.all(np.isfinite(R.error))):
            notes.append("the Hessian is not finite")
            break
        target = newton_rtol * float(np.linalg.norm(R.grad_scale))
        values, vectors = np.linalg.eigh(R.H)
        if values[0] < -curvature_tolerance(R):
            x, ok = _curvature_step(fun, x, vectors[:, 0], float(values[0]), norm_cap)
            used += 1
            notes.append("negative-curvature step" + ("" if ok else " (no decrease found)"))
            if not ok:
                break
            continue
        x, steps, done = _polish(fun, hessian_matrix, x, target,
                                 min(POLISH_STEPS, int(maxiter) - used), norm_cap)
        used += steps
        newton_nit += steps
        notes.append(f"{steps} Newton steps" + ("" if done else " (tolerance not reached)"))
        if done:
            # Newton converges quadratically here: a few more steps take the gradient from the
            # tolerance to its rounding floor, which makes the second-order remainders of the
            # theorem's comparisons (F - F_feat ~ ||grad||^2 / lambda) negligible
            x, extra, _ = _polish(fun, hessian_matrix, x, 0.0,
                                  min(FLOOR_STEPS, int(maxiter) - used), norm_cap)
            used += extra
            newton_nit += extra
            break
    return x, used, newton_nit, escaped, notes


#: Hessians one call of :func:`refine` computes, at most: per round one with its error bound, and one
#: per Newton step (``POLISH_STEPS + FLOOR_STEPS``).  A caller's cost estimate uses it.
MAX_HESSIANS = ROUNDS * (1 + POLISH_STEPS + FLOOR_STEPS)


#: Iterations of ``maxiter`` that the first L-BFGS-B run of :func:`polished_local_minimum` leaves to
#: the polish (at most a tenth of ``maxiter``): enough for a Hessian, the Newton steps of two rounds
#: (``POLISH_STEPS + FLOOR_STEPS`` each) and a curvature step with a short L-BFGS-B round after it.
POLISH_RESERVE = 50
#: The polish starts only where L-BFGS-B ended within ``POLISH_GATE * ||grad_abs||`` of stationarity
#: (:func:`~..certificates.hessian.gradient_scale`): Newton steps converge only near a stationary point,
#: and a dense Hessian costs about ``4 N`` gradients.  Measured (diabetes, squared, seed 0): the
#: certifiable ``diabetes_sin_unit`` ends L-BFGS-B at 1.8e-9 to 1.9e-9 (polished to below 1e-9), the
#: diverging ``diabetes_unit`` at 7e-4 to 2e-3 after 1,450 iterations, where the polish doubled the run
#: (1e4 synthetic rows: 22 s to 46 s) and certified nothing.
POLISH_GATE = 1e-5
#: Dense Hessians the polish of :func:`polished_local_minimum` may compute per start: the one that
#: tests the curvature and up to three Newton steps (near a minimum one or two reach the certificate's
#: tolerance).  It bounds the polish's cost by ``4 POLISH_HESSIANS N`` gradient evaluations.
POLISH_HESSIANS = 4


@blas_single_threaded
def polished_local_minimum(problem, seed: int, *, init_scale: float = 1.0, gtol: float = 1e-9,
                           maxiter: int = 3000, newton_rtol: float, norm_cap: float) -> LocalMinimum:
    """:func:`local_minimum_from_seed` followed by the rounds of :func:`refined_local_minimum`
    (:func:`refine`: Hessian, negative-curvature steps, Newton polish to ``newton_rtol * ||grad_abs||``):
    the search of ``verify``.  ``maxiter`` bounds all phases together; the first L-BFGS-B run (test
    ``max_j |grad_j| <= gtol``, not stopped by ``norm_cap``, as in :func:`local_minimum_from_seed`) gets
    ``maxiter - min(POLISH_RESERVE, maxiter // 10)`` of them.  No polish is tried where that run ended
    with ``||z|| > norm_cap`` (escaping to infinity: no local minimum to polish to) or non-finite, or
    farther than :data:`POLISH_GATE` (relative gradient) from stationarity; the polish computes at most
    :data:`POLISH_HESSIANS` dense Hessians.
    Every point a step tries goes through ``problem.fun_and_grad`` (a monitoring ``problem`` sees
    them); only the Hessian's difference quotients do not.  ``converged``: ``max_j |grad_j| <= gtol``
    at the returned point (as in :func:`local_minimum_from_seed`); ``message``: L-BFGS-B's, then the
    polish's notes."""
    if maxiter < 1:
        raise ValueError(f"maxiter must be >= 1; got {maxiter}")
    first = local_minimum_from_seed(problem, seed, init_scale, gtol=gtol,
                                    maxiter=int(maxiter) - min(POLISH_RESERVE, int(maxiter) // 10))
    x, used, notes = problem.pack(first.w, first.V, first.theta), first.nit, [first.message]
    fun = _safe_fun_and_grad(problem)
    newton_nit, escaped = 0, False
    if np.isfinite(first.F):    # else the start itself was not finite: nothing was optimised
        norm = float(np.linalg.norm(x))
        if not (np.all(np.isfinite(x)) and norm <= norm_cap):
            notes.append(f"no polish: ||params|| = {norm:.3g} > {norm_cap:g} (escaping to infinity)")
        elif used >= maxiter:
            notes.append("no polish: no iterations left")
        elif (relative := _relative_gradient(problem, x)) > POLISH_GATE:
            notes.append(f"no polish: relative gradient {relative:.1e} > {POLISH_GATE:g} (far from a "
                         "stationary point, where Newton steps do not converge)")
        else:
            x, used, newton_nit, escaped, more = refine(problem, fun, x, used=used, maxiter=maxiter,
                                                        norm_cap=norm_cap, newton_rtol=newton_rtol,
                                                        lbfgs_gtol=gtol, lbfgs_first=False,
                                                        max_hessians=POLISH_HESSIANS)
            notes.append("polish: " + (", ".join(more) if more else "nothing to do"))
    return _end_point(problem, x, seed=seed, nit=used, notes=notes, gtol=gtol, escaped=escaped,
                      newton_nit=newton_nit)


def _relative_gradient(problem, x) -> float:
    """``||grad F|| / ||grad_abs||`` at the packed point ``x`` (``inf`` where not finite)."""
    from resnet_lemmas.numerics.certificates.hessian import gradient_scale

    w, V, theta = problem.unpack(x)
    with np.errstate(over="ignore", invalid="ignore"):
        g = problem.gradients(w, V, theta)
        norm = float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2) + g.grad_theta @ g.grad_theta))
        scale = gradient_scale(problem, w, V, theta)
    relative = norm / scale if scale > 0 else (0.0 if norm == 0 else float("inf"))
    return relative if np.isfinite(relative) else float("inf")


def _curvature_step(fun, x, v, lam, norm_cap):
    """Step along the unit eigenvector ``v`` of ``lambda_min < 0``, downhill sign, length ``t`` halved from
    ``1`` until ``F`` drops by at least ``|lambda| t^2 / 8`` (a quarter of the quadratic model's decrease).
    Returns ``(x, found)``."""
    F0, g = fun(x)
    if float(g @ v) > 0:
        v = -v
    t = 1.0
    for _ in range(30):
        x_new = x + t * v
        if float(np.linalg.norm(x_new)) <= norm_cap:
            F1, _ = fun(x_new)
            if F1 <= F0 - abs(lam) * t * t / 8.0:
                return x_new, True
        t *= 0.5
    return x, False


def _polish(fun, hess, x, target, steps, norm_cap):
    """At most ``steps`` Newton steps ``x <- x - H^+ g`` (least squares: the flat directions of the
    reparametrisation symmetries have zero eigenvalues), each kept only if it lowers ``||grad F||``.
    Returns ``(x, steps taken, ||grad F|| <= target)``."""
    _, g = fun(x)
    gn = float(np.linalg.norm(g))
    taken = 0
    while taken < steps and gn > target and np.isfinite(gn):
        try:
            H = hess(x)
            if H is None:       # the caller's Hessian budget is spent
                break
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        except (ValueError, ArithmeticError, np.linalg.LinAlgError):
            break       # the Hessian cannot be computed here (see refine): keep x
        x_new = x - step
        taken += 1
        if not float(np.linalg.norm(x_new)) <= norm_cap:
            break
        _, g_new = fun(x_new)
        gn_new = float(np.linalg.norm(g_new))
        if not gn_new < gn:
            break
        x, g, gn = x_new, g_new, gn_new
    return x, taken, bool(gn <= target)
