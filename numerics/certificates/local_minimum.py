"""Certified local minima of ``F(w, V, theta)``: bounded, stationary to a relative tolerance, and
second-order stationary up to a rounding bound.

A point ``z = (w, V, theta)`` returned by a search is classified by :func:`certify_local_minimum` as

* ``"escaped to infinity"`` -- ``||z|| > PARAM_NORM_CAP`` (or ``F`` is not finite there): the run was
  following an infimum that is not attained (e.g. a margin loss on features that separate the data);
  nothing is certified;
* ``"unconverged"`` -- bounded, but ``||grad F|| > STATIONARITY_RTOL * ||grad_abs||`` (the gradient is
  not yet at the level the solver's stopping rule reaches); or *unresolved*: the float64 error bound
  of the computed gradient (:attr:`~.hessian.HessianResult.grad_floor`, which counts the cancellation
  in ``l'`` and the rounding of ``p``) exceeds that tolerance, so no computed gradient could show
  stationarity (large cancelling parameters); or stationary but *near w = 0*, where the
  gradient in ``(w, V)`` does not bound ``c = grad_V^T w / ||w||^2`` and ``E[r x]`` (their relative bound
  exceeds ``FEATURE_RTOL = 1e-7``): there the negative curvature that makes such points saddles has
  the size of ``c`` and is below what the second-order test resolves -- design section 5's
  approximate stationary points with small ``||w||`` and bad values, which a finite-precision
  certificate must not call minima (measured: every other certified point has a relative bound
  below 1e-8, the one near-``w = 0`` point met had 2e-3); or the second-order test cannot be made (a
  relu pre-activation within rounding of its kink, where ``F`` is not twice differentiable; the
  eigensolver failed);
* ``"saddle"`` -- stationary, and the smallest eigenvalue of the exact Hessian of ``F`` in ``(w, V,
  theta)`` is below ``-tol`` (negative curvature certified: ``tol`` bounds the rounding of the computed
  eigenvalue);
* ``"certified local minimum"`` -- stationary and ``lambda_min >= -tol``.

Tolerances
----------
* Stationarity is relative: ``||grad F|| <= STATIONARITY_RTOL * ||grad_abs||``, where ``grad_abs`` is the
  gradient computed on magnitudes (:func:`~.hessian.gradient_scale`), the sum of ``|terms|`` behind each
  entry; float64 rounding alone leaves ``||grad F||`` at about ``64 K eps ||grad_abs||`` (``K`` ~ 100,
  :func:`~.hessian.rounding_factor`, so ~1e-12).  ``STATIONARITY_RTOL = 1e-9`` sits three orders of
  magnitude above that floor and is what the search's stopping rule reaches (L-BFGS-B to
  ``max |grad_j| <= 1e-9``, then Newton steps judged by ``||grad F||``, which converge quadratically
  near a minimum).  It is scale-free: multiplying the loss or the data by a constant does not change
  which points pass.
* Curvature: the smallest eigenvalue of ``S H S`` (``S`` the Jacobi scaling ``1 / sqrt(H_abs_ii)``, so
  eigenvalues are in units of the magnitudes behind ``H``; same inertia as ``H`` by Sylvester's law)
  must be ``>= -(sqrt(g_rel) ||S H S||_2 + ||S E S||_F + 64 N eps ||S H S||_F)``: ``E`` is the entrywise
  rounding bound of :func:`~.hessian.full_hessian` (Weyl's inequality plus the backward error of
  ``eigh``), and ``sqrt(g_rel)``, the square root of the point's relative gradient, is the second-order
  tolerance that goes with first-order stationarity ``g_rel`` (an ``(eps, sqrt(rho eps))``-approximate
  local minimum, Nesterov & Polyak 2006: the Hessian at the exact critical point nearby may differ by
  that much); at most ``CURVATURE_RTOL = sqrt(STATIONARITY_RTOL) ~ 3e-5``, and rounding only at an
  exactly stationary point.  Exact Hessian-vector products for MLP units; other units get
  extrapolated differences of the gradient, whose error estimate enters ``E``.
* ``PARAM_NORM_CAP = 1e3``: starts have norm ~ ``sqrt(N)`` (median 3) and the certified minima of the
  main witness's problems lie far below the cap (measured on 72 of them: median 6, 95% below 32,
  largest 100); a run past 1e3 is following a direction of unbounded decrease.  Runs that drift
  more slowly end ``unconverged``.

What "certified local minimum" means: the second-order *necessary* conditions hold up to the stated
tolerances at a bounded point.  Where ``H`` is singular -- always, because ``(V, C, c) -> (V M^-1, M C,
M c)`` leaves ``F`` unchanged -- they cannot exclude a degenerate saddle; the main theorem's claims need
only stationarity in ``(w, V)`` when ``w != 0`` (design section 3), so this does not weaken them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from resnet_lemmas.numerics.certificates.hessian import EPS, full_hessian, gradient_scale, has_exact_hessian

#: ``||grad F|| <= STATIONARITY_RTOL * ||grad_abs||`` (module docstring).
STATIONARITY_RTOL = 1e-9
#: Largest relative curvature allowance: ``sqrt(STATIONARITY_RTOL)`` (module docstring).
CURVATURE_RTOL = float(np.sqrt(STATIONARITY_RTOL))
#: The bound that stationarity in ``(w, V)`` implies on ``c`` and ``E[r x]`` (relative to the magnitudes of
#: their terms) must be below this (module docstring: it fails only near ``w = 0``).
FEATURE_RTOL = 1e-7
#: Points with ``||(w, V, theta)|| > PARAM_NORM_CAP`` have escaped to infinity (module docstring).
PARAM_NORM_CAP = 1e3

CERTIFIED = "certified local minimum"
ESCAPED = "escaped to infinity"
UNCONVERGED = "unconverged"
SADDLE = "saddle"
STATUSES = (CERTIFIED, ESCAPED, UNCONVERGED, SADDLE)

TOLERANCE = (f"certified local minimum: ||(w, V, theta)|| <= {PARAM_NORM_CAP:g}; ||grad F|| <= "
             f"{STATIONARITY_RTOL:g} ||grad_abs|| (grad_abs = the gradient on magnitudes, whose float64 "
             "rounding floor is ~64 K eps ~ 1e-12 of it; the search's L-BFGS-B + Newton stopping rule "
             "reaches the tolerance); lambda_min(S H S) >= -(sqrt(relative gradient) ||S H S||_2 + ||S E S||_F + "
             "64 N eps ||S H S||_F) for the exact Hessian H in (w, V, theta), Jacobi-scaled by S, with "
             "entrywise rounding bound E = 64 K eps H_abs; and not near w = 0 (the bound that the "
             f"gradient in (w, V) puts on c and E[r x], relative to their terms, <= {FEATURE_RTOL:g})")


@dataclass
class LocalMinimumCertificate:
    """The classification of one point (module docstring) and the figures behind it.

    ``status`` one of :data:`STATUSES`; ``F``; ``param_norm = ||z||``; ``grad_norm = ||grad F||``,
    ``grad_scale = ||grad_abs||`` and ``relative_gradient`` their ratio; ``stationarity_rtol`` the
    tolerance applied; ``lambda_min`` (of the scaled Hessian ``S H S``) and ``curvature_tolerance``
    (``nan`` when not computed); ``direction`` the unit eigenvector of ``lambda_min`` in the unscaled
    coordinates ``S v / ||S v||``; ``exact_hessian`` False for extrapolated differences;
    ``curvature`` the second derivative of ``F`` along ``direction`` implied by the reported
    ``lambda_min`` (``lambda_min / ||S v||^2``: what an independent check can recompute);
    ``message`` says why, in words; ``F_rounding`` bounds the float64 error of ``F``
    (:func:`~.hessian.F_rounding`; ``nan`` for escaped points); ``curvature_scale = ||S H S||_2``, so that
    ``curvature_tolerance / curvature_scale`` is the relative curvature the second-order test resolves.
    """

    status: str
    F: float
    param_norm: float
    grad_norm: float
    grad_scale: float
    stationarity_rtol: float
    lambda_min: float = float("nan")
    curvature_tolerance: float = float("nan")
    direction: np.ndarray | None = field(default=None, repr=False)
    exact_hessian: bool = True
    message: str = ""
    F_rounding: float = float("nan")
    curvature: float = float("nan")
    top_direction: np.ndarray | None = field(default=None, repr=False)
    top_curvature: float = float("nan")
    curvature_scale: float = float("nan")

    @property
    def certified(self) -> bool:
        return self.status == CERTIFIED

    @property
    def relative_gradient(self) -> float:
        return self.grad_norm / self.grad_scale if self.grad_scale > 0 else float("inf")

    def to_json(self) -> dict:
        return {"status": self.status, "F": float(self.F), "param_norm": float(self.param_norm),
                "grad_norm": float(self.grad_norm), "grad_scale": float(self.grad_scale),
                "relative_gradient": float(self.relative_gradient),
                "stationarity_rtol": float(self.stationarity_rtol),
                "lambda_min": float(self.lambda_min),
                "curvature_tolerance": float(self.curvature_tolerance),
                "exact_hessian": self.exact_hessian, "message": self.message}


def _jacobi_scaling(H_abs_diag):
    """``s_i = 1 / sqrt(H_abs_ii)`` (``1`` where that is 0): ``S H_abs S`` has unit diagonal, so blocks of
    very different size (``w`` against deep ``theta``) do not hide each other's curvature, and
    eigenvalues of ``S H S`` are in units of the magnitudes of the terms behind ``H``."""
    d = np.asarray(H_abs_diag, dtype=np.float64)
    return np.where(d > 0, 1.0 / np.sqrt(np.where(d > 0, d, 1.0)), 1.0)


class Curvature(NamedTuple):
    """The spectrum's ends of the Jacobi-scaled Hessian ``S H S``: ``lambda_min`` and its ``tolerance``;
    ``direction`` ``d = S v / ||S v||`` (``v`` the unit eigenvector) and ``curvature = d^T H d =
    lambda_min / ||S v||^2``; the same for the largest eigenvalue (``top_direction``, ``top_curvature``);
    ``spectral = ||S H S||_2``, the scale the tolerance is relative to."""

    lambda_min: float
    tolerance: float
    direction: np.ndarray
    curvature: float
    top_direction: np.ndarray
    top_curvature: float
    spectral: float = float("nan")


def scaled_curvature(H, error, curvature_rtol: float = CURVATURE_RTOL) -> Curvature:
    """:class:`Curvature` of the Jacobi-scaled Hessian ``S H S`` (module docstring): ``tolerance =
    curvature_rtol ||S H S||_2 + ||S E S||_F + 64 N eps ||S H S||_F``.  ``H`` (N, N) and its entrywise
    rounding bound ``error`` (N, N, proportional to ``H_abs``).  Raises ``numpy.linalg.LinAlgError`` if
    the eigensolver fails."""
    N = H.shape[0]
    if N == 0:
        return Curvature(float("inf"), 0.0, np.zeros(0), 0.0, np.zeros(0), 0.0)
    s = _jacobi_scaling(np.diag(error))
    s = s / np.max(s) if np.max(s) > 0 else s        # only the ratios matter (Sylvester); keep O(1)
    outer = np.outer(s, s)
    Hs, Es = H * outer, error * outer
    values, vectors = np.linalg.eigh(Hs)
    spectral = float(np.max(np.abs(values)))
    tol = curvature_rtol * spectral + float(np.linalg.norm(Es)) + 64.0 * N * EPS * float(np.linalg.norm(Hs))

    def unscaled(index):
        d = s * vectors[:, index]
        norm = float(np.linalg.norm(d))
        return (d / norm, float(values[index]) / norm ** 2) if norm > 0 else (d, 0.0)

    low, top = unscaled(0), unscaled(-1)
    return Curvature(float(values[0]), tol, low[0], low[1], top[0], top[1], spectral)


def _feature_stationarity(problem, w, V, theta) -> float:
    """``max(||grad_V F||_F / ||w|| / ||E[|r| |f|]||, (||grad_w F|| + ||V||_2 ||grad_V F||_F / ||w||) /
    ||E[|r| |x|]||)``: what the gradient in ``(w, V)`` bounds, through ``c = grad_V^T w / ||w||^2`` and
    ``E[r x] = grad_w - V c`` (design section 2), relative to the magnitudes of their terms
    (``inf`` at ``w = 0``)."""
    g = problem.gradients(w, V, theta)
    norm_w = float(np.linalg.norm(w))
    if norm_w == 0.0:
        return float("inf")
    r = np.abs(problem.loss.grad(g.p, problem.y)) / problem.n
    tiny = np.finfo(float).tiny
    c_scale = max(float(np.linalg.norm(np.abs(problem.features(theta)).T @ r)), tiny)
    rx_scale = max(float(np.linalg.norm(np.abs(problem.X).T @ r)), tiny)
    bound_c = float(np.linalg.norm(g.grad_V)) / norm_w
    bound_rx = float(np.linalg.norm(g.grad_w)) + float(np.linalg.norm(V, 2)) * bound_c
    return max(bound_c / c_scale, bound_rx / rx_scale)


def certify_local_minimum(problem, w, V, theta, *, stationarity_rtol: float | None = None,
                          curvature_rtol: float | None = None, norm_cap: float | None = None,
                          probe: tuple | None = None) -> LocalMinimumCertificate:
    """Classify the point ``(w (d,), V (d, k), theta (q,))`` of ``problem`` (a ``ResNetProblem``) as a
    certified local minimum, escaped, unconverged or saddle (module docstring).  Tolerances default to
    the module's constants, read at call time; ``curvature_rtol`` to the square root of the point's
    relative gradient (module docstring).  ``probe = (starts, iterations, seed)``: a point that passes
    the second-order test is also probed by :func:`descent_probe`, and is a saddle if it finds descent."""
    stationarity_rtol = STATIONARITY_RTOL if stationarity_rtol is None else stationarity_rtol
    norm_cap = PARAM_NORM_CAP if norm_cap is None else norm_cap
    if not (stationarity_rtol > 0 and norm_cap > 0):
        raise ValueError(f"need stationarity_rtol > 0 and norm_cap > 0; got {stationarity_rtol}, {norm_cap}")
    z = problem.pack(w, V, theta)
    param_norm = float(np.linalg.norm(z))
    with np.errstate(over="ignore", invalid="ignore"):
        F = problem.objective(w, V, theta) if np.all(np.isfinite(z)) else float("nan")
    if not (param_norm <= norm_cap and np.isfinite(F)):
        why = (f"||(w, V, theta)|| = {param_norm:.3g} > cap {norm_cap:g}" if not param_norm <= norm_cap
               else "F is not finite there")
        return LocalMinimumCertificate(ESCAPED, F, param_norm, float("nan"), float("nan"),
                                       stationarity_rtol, message=f"escaped to infinity: {why}")
    if not has_exact_hessian(problem):
        # a difference Hessian costs 4 N gradients (42 s a point for N = 294 at 1e5 rows): a point that
        # is plainly not stationary (twice the tolerance: the Hessian pass recomputes both sides below)
        # is refused from its gradient alone
        with np.errstate(over="ignore", invalid="ignore"):
            g = problem.gradients(w, V, theta)
            grad_norm = float(np.sqrt(g.grad_w @ g.grad_w + np.sum(g.grad_V ** 2)
                                      + (g.grad_theta @ g.grad_theta if g.grad_theta is not None else 0.0)))
            scale = gradient_scale(problem, w, V, theta)
        if not (np.isfinite(grad_norm) and grad_norm <= 2.0 * stationarity_rtol * scale):
            return LocalMinimumCertificate(
                UNCONVERGED, F=F, param_norm=param_norm, grad_norm=grad_norm, grad_scale=scale,
                stationarity_rtol=stationarity_rtol, exact_hessian=False, F_rounding=float("nan"),
                message=(f"not stationary: ||grad F|| = {grad_norm:.3e} > {stationarity_rtol:g} * "
                         f"||grad_abs|| = {stationarity_rtol * scale:.3e} (no Hessian computed)"))
    with np.errstate(over="ignore", invalid="ignore"):
        R = full_hessian(problem, w, V, theta)
    grad_norm = float(np.linalg.norm(R.grad))
    scale = float(np.linalg.norm(R.grad_scale))
    base = dict(F=F, param_norm=param_norm, grad_norm=grad_norm, grad_scale=scale,
                stationarity_rtol=stationarity_rtol, exact_hessian=R.exact, F_rounding=R.F_rounding)
    if not (np.isfinite(grad_norm) and grad_norm <= stationarity_rtol * scale):
        return LocalMinimumCertificate(UNCONVERGED, **base, message=(
            f"not stationary: ||grad F|| = {grad_norm:.3e} > {stationarity_rtol:g} * ||grad_abs|| = "
            f"{stationarity_rtol * scale:.3e}"))
    if not R.grad_floor <= stationarity_rtol * scale:
        return LocalMinimumCertificate(UNCONVERGED, **base, message=(
            f"unresolved: the float64 error bound of grad F, {R.grad_floor:.3e}, exceeds the "
            f"stationarity tolerance {stationarity_rtol * scale:.3e} (its terms cancel: F and its "
            "gradient are too ill-conditioned here to certify anything)"))
    if not R.pre_activation_margin > 1.0:
        return LocalMinimumCertificate(UNCONVERGED, **base, message=(
            "stationary, but a relu pre-activation is within rounding of its kink: F is not twice "
            "differentiable there, no second-order test"))
    if not (np.all(np.isfinite(R.H)) and np.all(np.isfinite(R.error))):
        return LocalMinimumCertificate(UNCONVERGED, **base, message="the Hessian is not finite there")
    try:
        # an eps-stationary point of a function with a Lipschitz Hessian is an approximate local
        # minimum when lambda_min >= -sqrt(rho eps) (Nesterov & Polyak 2006); in the scale-free units of
        # S H S this is sqrt(relative gradient) times its norm -- zero, i.e. rounding only, at an
        # exactly stationary point such as the saddle of bad_saddle_at_zero
        relative = grad_norm / scale if scale > 0 else 0.0
        curv = scaled_curvature(R.H, R.error, np.sqrt(relative) if curvature_rtol is None else curvature_rtol)
    except np.linalg.LinAlgError as exc:
        return LocalMinimumCertificate(UNCONVERGED, **base, message=f"eigensolver failed: {exc}")
    lam, tol = curv.lambda_min, curv.tolerance
    base.update(lambda_min=lam, curvature_tolerance=tol, direction=curv.direction,
                curvature=curv.curvature, top_direction=curv.top_direction, top_curvature=curv.top_curvature,
                curvature_scale=curv.spectral)
    if lam < -tol:
        return LocalMinimumCertificate(SADDLE, **base, message=(
            f"saddle: stationary (relative gradient {grad_norm / scale:.1e}) with negative curvature "
            f"lambda_min(S H S) = {lam:.3e} < -{tol:.3e}"))
    transfer = _feature_stationarity(problem, w, V, theta)
    if not transfer <= FEATURE_RTOL:
        return LocalMinimumCertificate(UNCONVERGED, **base, message=(
            f"near w = 0: stationary in (w, V, theta), but ||w|| = {float(np.linalg.norm(w)):.2e} is too "
            f"small for that to bound c = grad_V^T w / ||w||^2 and E[r x] = grad_w - V c (relative bound "
            f"{transfer:.1e} > {FEATURE_RTOL:g}); there the curvature that makes such points saddles has "
            "the size of c, below what the second-order test resolves (design section 5)"))
    certified = LocalMinimumCertificate(CERTIFIED, **base, message=(
        f"certified local minimum: ||z|| = {param_norm:.3g}, relative gradient {grad_norm / scale:.1e} "
        f"<= {stationarity_rtol:g}, lambda_min(S H S) = {lam:.3e} >= -{tol:.3e}"))
    if probe is not None:
        starts, iterations, seed = probe
        lower = descent_probe(problem, w, V, theta, certified, seed=seed, starts=starts, iterations=iterations)
        if lower:
            return LocalMinimumCertificate(SADDLE, **base, message=f"not a local minimum: {lower}")
    return certified


#: Initial step of the extrapolated second derivative of :func:`curvature_claim` and its number of
#: levels (parameters are O(1) to O(10) at the certified points; the step halves down to ~1.6e-5,
#: where the 8th-order stencil's truncation error is far below the rounding of the difference).
CURVATURE_STEP = 1e-3
CURVATURE_LEVELS = 7


def curvature_claim(problem, w, V, theta, cert: LocalMinimumCertificate, label: str = "d^T H d",
                    top: bool = False):
    """The certificate's reported curvature along its direction ``d`` (``top=True``: along the
    eigenvector of the largest eigenvalue) against an independent estimate: Richardson extrapolation of
    ``t -> grad F(z + t d) . d`` (:func:`~.derivatives.directional_derivative`, which uses only the
    gradient, never the Hessian code).  Allowance: :func:`~.derivatives.derivative_tolerance` (``10
    err + 1e3 eps (...)``, ``err`` the extrapolation's own error estimate).  ``None`` when no curvature
    was computed."""
    from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
    from resnet_lemmas.numerics.witnesses.harness import Claim

    d, reported = (cert.top_direction, cert.top_curvature) if top else (cert.direction, cert.curvature)
    if d is None or not np.isfinite(reported):
        return None
    z = problem.pack(w, V, theta)

    def along(x):
        return float(problem.fun_and_grad(x)[1] @ d)

    slope = along(z)
    estimate, error = directional_derivative(along, z, d, initial_step=CURVATURE_STEP,
                                             maxiter=CURVATURE_LEVELS)
    if abs(estimate - reported) > derivative_tolerance(error, slope, reported):
        # a relu kink within the central stencil (see derivatives.py): the one-sided estimate from the
        # side that does not face it sees only the smooth piece containing z -- keep the side with the
        # smaller error estimate, as gradient_check does; a wrong curvature matches neither side
        estimate, error = min((directional_derivative(along, z, d, initial_step=CURVATURE_STEP,
                                                      maxiter=CURVATURE_LEVELS, step_direction=side)
                               for side in (1, -1)),
                              key=lambda pair: pair[1])
    allowance = {"extrapolation": derivative_tolerance(error, slope, reported)}
    return Claim(label, reported, "=", estimate, allowance)


def descent_probe(problem, w, V, theta, cert: LocalMinimumCertificate, seed: int, *, starts: int,
                  iterations: int, radius: float = 1e-2) -> str:
    """``""``, or how a point lower than the certified point ``z = (w, V, theta)`` was found near it.

    The second-order test is a necessary condition: it cannot tell a minimum from a degenerate saddle
    whose descent is of third or higher order (a zero-initialised residual branch at ``theta = 0``,
    found by a red team, is stationary with a zero Hessian in ``theta``).  From ``starts`` points at
    distance ``r = radius (1 + ||z||)`` in random directions (seeded by ``seed``), L-BFGS-B descends for
    at most ``iterations`` iterations while it stays within ``2 r`` of ``z``; an iterate there with
    ``F < F(z) - rounding of F`` (``cert.F_rounding``) shows that ``z`` is not a local minimum at that
    scale.  It can only refuse a certificate, never grant one; a minimum whose basin is smaller than
    ``2 r`` may be refused too (conservatively)."""
    from scipy.optimize import minimize

    from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance
    from resnet_lemmas.numerics.solvers.search import _safe_fun_and_grad

    z = problem.pack(w, V, theta)
    F0 = float(cert.F)
    rounding = cert.F_rounding if np.isfinite(cert.F_rounding) else rounding_tolerance(F0, n=problem.n)
    reach = radius * (1.0 + float(np.linalg.norm(z)))
    fun = _safe_fun_and_grad(problem)
    rng = np.random.default_rng([int(seed), 17])
    for _ in range(starts):
        d = rng.normal(size=z.size)
        x0 = z + reach * d / np.linalg.norm(d)
        best = [float(fun(x0)[0]), x0]

        def inside(intermediate_result):
            x = intermediate_result.x
            if float(np.linalg.norm(x - z)) > 2.0 * reach:
                raise StopIteration
            if intermediate_result.fun < best[0]:
                best[:] = [float(intermediate_result.fun), x.copy()]

        with np.errstate(over="ignore", invalid="ignore"):
            minimize(fun, x0, jac=True, method="L-BFGS-B", callback=inside,
                     options={"maxiter": iterations, "gtol": 0.0, "ftol": 0.0})
        if best[0] < F0 - rounding:
            return (f"F = {best[0]:.10g} < F(end point) = {F0:.10g} - rounding {rounding:.2e} at distance "
                    f"{np.linalg.norm(best[1] - z):.2e} (descent probe within {2 * reach:.2e})")
    return ""
