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
    see the module docstring)."""

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
    w, V, theta = (a.copy() for a in problem.unpack(x))
    with np.errstate(over="ignore", invalid="ignore"):
        g = problem.gradients(w, V, theta)
    flat_grad = np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))
    finite = bool(np.isfinite(g.F) and np.all(np.isfinite(flat_grad)))
    converged = finite and float(np.max(np.abs(flat_grad), initial=0.0)) <= gtol
    return LocalMinimum(w=w, V=V, theta=theta, F=g.F,
                        grad_norm_w=float(np.linalg.norm(g.grad_w)),
                        grad_norm_V=float(np.linalg.norm(g.grad_V)),
                        grad_norm_theta=float(np.linalg.norm(g.grad_theta)),
                        converged=converged, nit=nit, seed=int(seed), message=message,
                        param_norm=float(np.linalg.norm(x)))


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
