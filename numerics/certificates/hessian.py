"""The exact dense Hessian of ``F`` in ``(w, V)`` and the certificates built on it.

Parameters are packed as ``z = (w, vec_row(V))`` (length ``N = d + d k``; ``V_{i m}`` sits at ``d + i k + m``,
the layout of ``ResNetProblem.pack``).  With ``p = w^T phi``, ``phi = x + V f`` (``skip=False``:
``phi = V f``), the gradient of ``p`` in ``z`` is ``g = (phi, vec(w f^T))`` and its only second derivatives
are ``d^2 p / dw_i dV_{j m} = delta_ij f_m``.  Hence, exactly,

    H = E[ l''(p) g g^T ] + [[0, I_d (x) c^T], [I_d (x) c, 0]],        c = E[l'(p) f],

the second block being ``E[l'(p) d^2 p]`` (``(x)`` is the Kronecker product).  At ``w = 0`` it is the
cross term ``2 u^T S c`` of DESIGN.md section 5 that makes ``(0, V, theta)`` a strict saddle when ``c != 0``.

Certificates (each returns a report with ``ok`` and a message naming the reason when it fails):

* :func:`stationarity_certificate` -- every block of the gradient (``w``, ``V`` and ``theta``) is below a
  stated tolerance;
* :func:`negative_curvature_certificate` -- the smallest eigenvalue of ``H`` (``numpy.linalg.eigh``,
  float64) is below ``-tol``.  Without an error model ``tol = 64 (N + n) eps ||H||_F``: the symmetric
  eigensolver is backward stable (the computed eigenvalues are exact for ``H + E``,
  ``||E||_2 <= c N eps ||H||_2``, so by Weyl's inequality each is within ``c N eps ||H||_2`` of the true
  one) and every entry of ``H`` is a mean of ``n`` terms.  With the entrywise rounding bound ``Eb`` of
  :func:`dense_hessian` (``|H_computed - H| <= Eb`` entrywise) and a positive diagonal scaling ``S``, the
  test is applied to ``S H S`` with ``tol = ||S Eb S||_F + 64 N eps ||S H S||_F``: by Sylvester's law of
  inertia ``S H S`` and ``H`` have the same number of negative eigenvalues, and the scaling removes the
  spread of magnitudes that makes the unscaled test inconclusive (at ``(0, V0)`` with small ``c0`` the
  ``w``-block is huge while the negative curvature is tiny).  A given direction ``d`` is certified when
  ``d^T H d < -(|d|^T Eb |d| + 64 N eps |d|^T |H| |d|)`` (rounding of the entries and of the quadratic form).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

EPS = np.finfo(np.float64).eps


def dense_hessian(problem, w, V, theta, error_bound: bool = False):
    """Exact ``(N, N)`` Hessian of ``F`` in ``z = (w, vec_row(V))``, ``N = d + d k`` (module docstring).

    With ``error_bound=True`` returns ``(H, Eb)``, ``Eb`` an entrywise bound on the float64 rounding of
    ``H``: ``64 (n + d + k) eps (E[|l''| |g_i| |g_j|] + |cross_ij|)`` (each entry is a mean of ``n``
    products whose factors carry ``O((d + k) eps)`` relative error; factor 64 of safety).
    """
    w = np.asarray(w, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    Fx = problem.features(theta)
    X, y, n, d, k = problem.X, problem.y, problem.n, problem.d, problem.k
    phi = Fx @ V.T + (X if problem.skip else 0.0)           # (n, d)
    p = phi @ w
    curv = problem.loss.curvature(p, y)
    r = problem.loss.grad(p, y)
    G = np.hstack((phi, (w[None, :, None] * Fx[:, None, :]).reshape(n, d * k)))  # rows: g_j^T
    H = (G.T * curv) @ G / n
    c = Fx.T @ r / n
    cross = np.kron(np.eye(d), c[None, :])                  # (d, d k): I_d (x) c^T
    H[:d, d:] += cross
    H[d:, :d] += cross.T
    if not error_bound:
        return H
    absG = np.abs(G)
    Eb = (absG.T * np.abs(curv)) @ absG / n
    abs_cross = np.kron(np.eye(d), (np.abs(Fx).T @ np.abs(r) / n)[None, :])
    Eb[:d, d:] += abs_cross
    Eb[d:, :d] += abs_cross.T
    return H, 64.0 * (n + d + k) * EPS * Eb


@dataclass
class StationarityReport:
    ok: bool
    grad_norm: float
    tolerance: float
    message: str


def stationarity_certificate(problem, w, V, theta, tolerance: float) -> StationarityReport:
    """``||(grad_w F, grad_V F, grad_theta F)|| <= tolerance`` (the caller states how it was derived)."""
    g = problem.gradients(w, V, theta)
    parts = {"w": np.linalg.norm(g.grad_w), "V": np.linalg.norm(g.grad_V),
             "theta": 0.0 if g.grad_theta is None else np.linalg.norm(g.grad_theta)}
    total = float(np.sqrt(sum(v * v for v in parts.values())))
    if total <= tolerance:
        return StationarityReport(True, total, tolerance,
                                  f"stationary: ||grad F|| = {total:.3e} <= {tolerance:.3e}")
    worst = max(parts, key=parts.get)
    return StationarityReport(False, total, tolerance,
                              f"not stationary: ||grad F|| = {total:.3e} > tolerance {tolerance:.3e} "
                              f"(largest block: grad_{worst} F with norm {parts[worst]:.3e})")


@dataclass
class CurvatureReport:
    ok: bool
    eigenvalue: float
    eigenvector: np.ndarray
    tolerance: float
    rayleigh: float | None
    message: str


def eigenvalue_tolerance(H: np.ndarray, n: int) -> float:
    """``64 (N + n) eps ||H||_F``: backward error of ``eigvalsh`` plus rounding of means of ``n`` terms."""
    return 64.0 * (H.shape[0] + n) * EPS * float(np.linalg.norm(H))


def negative_curvature_certificate(H, n: int, direction=None, error=None, scaling=None) -> CurvatureReport:
    """Certify that ``H`` has a negative eigenvalue (module docstring).  ``error``: entrywise rounding bound
    ``Eb`` (same shape as ``H``); ``scaling``: positive vector ``s`` (the test is run on ``S H S``,
    ``S = diag(s)``); ``direction``: also require ``d`` to be a certified negative-curvature direction."""
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be square; got shape {H.shape}")
    N = H.shape[0]
    Eb = np.zeros_like(H) if error is None else np.asarray(error, dtype=np.float64)
    asym = float(np.max(np.abs(H - H.T), initial=0.0))
    if asym > eigenvalue_tolerance(H, n) + float(np.max(Eb, initial=0.0)):
        raise ValueError(f"H is not symmetric: max |H - H^T| = {asym:.3e}")
    s = np.ones(N) if scaling is None else np.asarray(scaling, dtype=np.float64)
    if s.shape != (N,) or not np.all(s > 0):
        raise ValueError("scaling must be a positive vector of length N")
    outer = np.outer(s, s)
    Hs = H * outer
    if error is None:
        tol = eigenvalue_tolerance(Hs, n)
    else:
        # entry rounding (scaled), the scaling's own rounding (one relative eps per entry), eigh
        tol = float(np.linalg.norm(Eb * outer)) + 64.0 * N * EPS * float(np.linalg.norm(Hs))
    values, vectors = np.linalg.eigh(Hs)
    lam, vec = float(values[0]), vectors[:, 0]
    scaled = "" if scaling is None else " of S H S (same inertia as H, Sylvester)"
    rayleigh = None
    if direction is not None:
        dvec = np.asarray(direction, dtype=np.float64)
        quad = float(dvec @ H @ dvec)
        ad = np.abs(dvec)
        q_err = float(ad @ Eb @ ad) + 64.0 * N * EPS * float(ad @ np.abs(H) @ ad)
        rayleigh = quad / float(dvec @ dvec)
    if not lam < -tol:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"no negative curvature: lambda_min{scaled} = {lam:.3e} >= -{tol:.3e}, "
                               "the Hessian is positive semidefinite up to float64 rounding")
    if direction is not None and not quad < -q_err:
        return CurvatureReport(False, lam, vec, tol, rayleigh,
                               f"the given direction has d^T H d = {quad:.3e} >= -{q_err:.3e}: not a "
                               f"certified negative-curvature direction (lambda_min{scaled} = {lam:.3e})")
    extra = f", direction's Rayleigh quotient {rayleigh:.3e}" if rayleigh is not None else ""
    return CurvatureReport(True, lam, vec, tol, rayleigh,
                           f"negative curvature: lambda_min{scaled} = {lam:.3e} < -{tol:.3e}{extra}")


# -- the exact Hessian in all parameters (w, V, theta) ---------------------------------------------
#
# For an :class:`~resnet_lemmas.numerics.models.networks.MLPUnit` the Hessian of ``F`` in the packed
# parameters ``z = (w, vec_row(V), theta)`` (the layout of ``ResNetProblem.pack``) is computed exactly by
# forward-over-reverse differentiation: the reverse pass that gives ``grad F`` (module ``residual``,
# section 2 of the design) is differentiated in forward mode along ``m`` directions at once, so
# ``H D^T`` costs one vectorised pass.  With the directions ``D = I_N`` this is the dense Hessian.
# Other units get the Hessian from central differences of their exact gradient, Richardson-extrapolated
# (:func:`_difference_hessian`), whose error estimate enters the eigenvalue tolerance.

#: ``|l'''| <= L3 |l''|`` for every registered loss (logistic, softplus_hinge: ``|1 - 2 sigma| <= 1``;
#: exponential and poisson: equality with 1; pseudo_huber: ``3 |u| / (1 + u^2) <= 3/2``; squared: 0),
#: used only to bound how rounding of ``p`` moves ``l''(p)``.
_LOSS_L3 = 1.5


def _activation3(name, z):
    """``(act(z), act'(z), act''(z), act3(z))`` elementwise, ``act3`` the third derivative (relu: the
    derivatives of the smooth piece, away from the kinks)."""
    if name == "tanh":
        a = np.tanh(z)
        da = 1.0 - a * a
        return a, da, -2.0 * a * da, -2.0 * da * (da - 2.0 * a * a)
    if name == "sigmoid":
        a = expit(z)
        da = a * (1.0 - a)
        return a, da, da * (1.0 - 2.0 * a), da * (1.0 - 6.0 * da)
    if name == "softplus":
        s = expit(z)
        ds = s * (1.0 - s)
        return np.logaddexp(0.0, z), s, ds, ds * (1.0 - 2.0 * s)
    if name == "relu":
        zero = np.zeros_like(z)
        return np.maximum(z, 0.0), (z > 0.0).astype(float), zero, zero
    raise ValueError(f"no second derivative for activation {name!r}")


def _activation2(name, z):
    """``(act(z), act'(z), act''(z))`` elementwise."""
    return _activation3(name, z)[:3]


def has_exact_hessian(problem) -> bool:
    """True when :func:`hessian_vector_products` is exact for the problem's unit (an ``MLPUnit``)."""
    from resnet_lemmas.numerics.models.networks import MLPUnit

    return isinstance(problem.unit, MLPUnit)


def _split_theta(unit, T):
    """Split ``T`` (m, q) along the unit's parameter layout: ``[(A_l (m, r, c), b_l (m, r)), ..., (C, c)]``."""
    hidden, readout = unit._layout
    out, pos = [], 0
    for r, c in hidden + (readout,):
        out.append((T[:, pos:pos + r * c].reshape(-1, r, c), T[:, pos + r * c:pos + r * c + r]))
        pos += r * c + r
    return out


def _mlp_second_order(problem, w, V, theta, D, absolute: bool = False, true_values=None,
                      inflate: bool = True):
    """``(grad F (N,), H D^T as (m, N), (pre-activations, p))`` by forward-over-reverse, ``D`` (m, N).

    With ``absolute=True`` every input (data, parameters, directions, activation and loss derivatives)
    is replaced by its magnitude -- every operation is then a sum of products of nonnegative numbers
    and the result is the sum of the magnitudes of the terms behind each entry, which float64
    rounding errors are proportional to (:func:`rounding_factor`).  Two factors are enlarged so that
    ``factor`` times them also bounds their own error, caused by the rounding of the argument they are
    evaluated at (of size ``factor * |terms of p|``, resp. ``z``): ``l'``, by ``|l''| (|p| + |y|)`` (the
    cancellation in ``l' = p - y`` near a perfect fit), ``l''`` by ``L3 |l''| (|p| + |y|)``, and ``act''``
    by ``|act3| |z|`` (near its zero); each occurs at most once in every product.  Neglected: the
    relative errors of ``act`` and ``act'`` beyond ``K eps`` (they are ``<= 2 factor |z|`` relative, ``~1e-10``
    for ``|z| <= 100``).  ``true_values`` (required then) are the ``(pre-activations, p)``
    returned by the plain call, where the activation and loss derivatives are evaluated.
    """
    unit = problem.unit
    X, y, n, d, k = problem.X, problem.y, problem.n, problem.d, problem.k
    mag = np.abs if absolute else (lambda a: a)
    params = [(mag(A), mag(b)) for A, b in unit.layers(theta)]
    X, w, V, D = mag(X), mag(np.asarray(w, float)), mag(np.asarray(V, float)), mag(np.asarray(D, float))
    m = D.shape[0]
    dw, dV = D[:, :d], D[:, d:d + d * k].reshape(m, d, k)
    dparams = _split_theta(unit, D[:, d + d * k:])
    # forward, with tangents
    h, dh = X, np.zeros((m,) + X.shape)
    cache, pre = [], []
    if absolute:
        true_pre, true_p = list(true_values[0]), true_values[1]
    for (A, b), (dA, db) in zip(params[:-1], dparams[:-1]):
        z = h @ A.T + b
        dz = dh @ A.T + h @ dA.transpose(0, 2, 1) + db[:, None, :]
        if absolute:
            # z is here the magnitude of z's terms: its rounding moves act'' (evaluated at the true
            # z) by at most |act3| * factor * z, an absolute error that matters where act'' ~ 0 (the
            # inflection point), hence the added term; act and act' keep their magnitudes (docstring)
            a, da, dda, ddda = (np.abs(v) for v in _activation3(unit.activation, true_pre.pop(0)))
            if inflate:
                dda = dda + ddda * z
        else:
            a, da, dda = _activation2(unit.activation, z)
            pre.append(z)
        cache.append((h, dh, da, dda, dz))
        h, dh = a, da * dz
    (C, c), (dC, dc) = params[-1], dparams[-1]
    f = h @ C.T + c
    df = dh @ C.T + h @ dC.transpose(0, 2, 1) + dc[:, None, :]
    phi = f @ V.T + (X if problem.skip else 0.0)
    dphi = df @ V.T + f @ dV.transpose(0, 2, 1)
    p = phi @ w
    dp = dphi @ w + dw @ phi.T
    if absolute:
        l1, l2 = np.abs(problem.loss.grad(true_p, y)), np.abs(problem.loss.curvature(true_p, y))
        spread = (p + np.abs(y)) if inflate else 0.0
        r, q = (l1 + l2 * spread) / n, l2 * (1.0 + _LOSS_L3 * spread) / n
    else:
        r, q = problem.loss.grad(p, y) / n, problem.loss.curvature(p, y) / n
    dr = q * dp
    # reverse pass and its tangent
    grad_w = phi.T @ r
    dgrad_w = r @ dphi + dr @ phi
    cvec = f.T @ r
    dcvec = r @ df + dr @ f
    grad_V = np.outer(w, cvec)
    dgrad_V = dw[:, :, None] * cvec[None, None, :] + w[None, :, None] * dcvec[:, None, :]
    u = V.T @ w
    du = w @ dV + dw @ V
    Gf = np.outer(r, u)
    dGf = dr[:, :, None] * u[None, None, :] + r[None, :, None] * du[:, None, :]
    theta_grads = [((Gf.T @ h).ravel(), Gf.sum(axis=0))]
    theta_dgrads = [((dGf.transpose(0, 2, 1) @ h + Gf.T @ dh).reshape(m, C.size),
                     dGf.sum(axis=1))]
    delta = Gf @ C
    ddelta = dGf @ C + Gf @ dC
    for (A, _), (dA, _), (h_prev, dh_prev, da, dda, dz) in zip(reversed(params[:-1]), reversed(dparams[:-1]),
                                                              reversed(cache)):
        g_z = delta * da
        dg_z = ddelta * da + (delta * dda) * dz
        theta_grads.append(((g_z.T @ h_prev).ravel(), g_z.sum(axis=0)))
        theta_dgrads.append(((dg_z.transpose(0, 2, 1) @ h_prev
                              + g_z.T @ dh_prev).reshape(m, A.size), dg_z.sum(axis=1)))
        delta = g_z @ A
        ddelta = dg_z @ A + g_z @ dA
    # theta's layout: layer 1 .. L, then the readout
    order = theta_grads[:0:-1] + theta_grads[:1]
    dorder = theta_dgrads[:0:-1] + theta_dgrads[:1]
    grad = np.concatenate([grad_w, grad_V.ravel()] + [np.concatenate((gA, gb)) for gA, gb in order])
    hvp = np.concatenate([dgrad_w, dgrad_V.reshape(m, d * k)] + [np.concatenate((gA, gb), axis=1)
                                                              for gA, gb in dorder], axis=1)
    return grad, hvp, (pre, p)


def _packed(problem, w, V, theta):
    w = np.asarray(w, dtype=np.float64)
    V = np.asarray(V, dtype=np.float64)
    theta = np.asarray(theta, dtype=np.float64)
    problem.pack(w, V, theta)  # validates the shapes, naming the wrong one
    return w, V, theta


def hessian_vector_products(problem, w, V, theta, directions) -> np.ndarray:
    """Exact ``H v`` for each row ``v`` of ``directions`` (m, N) -> (m, N), ``H`` the Hessian of ``F`` in the
    packed ``z = (w, vec_row(V), theta)``, ``N = d + d k + q``; one ``(N,)`` direction gives ``(N,)``.

    Forward-over-reverse through the MLP unit (exact up to float64 rounding).  ReLU units: the Hessian
    of the smooth piece containing the point (``relu'' = 0``), which is the Hessian wherever no
    pre-activation is 0.  Raises ``TypeError`` for units other than ``MLPUnit``.
    """
    if not has_exact_hessian(problem):
        raise TypeError(f"no exact Hessian-vector product for a unit of type {type(problem.unit).__name__}; "
                        "only MLPUnit has one (use full_hessian, which falls back to extrapolated "
                        "differences of the gradient)")
    w, V, theta = _packed(problem, w, V, theta)
    D = np.asarray(directions, dtype=np.float64)
    single = D.ndim == 1
    D = np.atleast_2d(D)
    if D.shape[1] != problem.n_params:
        raise ValueError(f"directions must have N = d + d k + q = {problem.n_params} columns; got shape "
                         f"{np.shape(directions)}")
    _, hvp, _ = _mlp_second_order(problem, w, V, theta, D)
    return hvp[0] if single else hvp


@dataclass
class HessianResult:
    """The dense Hessian ``H`` (N, N) of ``F`` in ``(w, vec_row(V), theta)`` at one point, with
    ``error`` (N, N), an entrywise bound on ``|H_computed - H|``; ``grad`` the gradient (N,) computed in
    the same pass and ``grad_scale`` (N,) the magnitudes of its terms; ``grad_floor`` a bound on
    ``||grad_computed - grad||`` (``64 K eps`` times the magnitudes with the errors of ``l'``, ``l''``,
    ``act''`` included, :func:`_mlp_second_order`) and ``F_rounding`` one on ``|F_computed - F|``
    (:func:`F_rounding`); ``pre_activation_margin`` the smallest ``|z|`` over the hidden
    pre-activations relative to its rounding bound (relu units are smooth at the point iff it is > 1;
    ``inf`` for smooth activations); ``exact`` is False when ``H`` came from extrapolated differences."""

    H: np.ndarray
    error: np.ndarray
    grad: np.ndarray
    grad_scale: np.ndarray
    pre_activation_margin: float
    exact: bool = True
    grad_floor: float = 0.0
    F_rounding: float = 0.0


def rounding_factor(problem) -> float:
    """``64 K eps`` with ``K = n + d + k + sum(widths) + 8 depth + 16``: the length of the longest chain of
    float64 operations (sums over samples and layer widths, products along the layers, ~4-ulp
    elementary functions) behind one entry of the gradient or the Hessian, times 64 for safety --
    the convention of :func:`~resnet_lemmas.numerics.certificates.bounds.rounding_tolerance`."""
    widths = getattr(problem.unit, "widths", ())
    K = problem.n + problem.d + problem.k + sum(widths) + 8 * len(widths) + 16
    return 64.0 * K * EPS


def full_hessian(problem, w, V, theta, error_bound: bool = True) -> HessianResult:
    """The dense Hessian of ``F`` in all parameters ``(w, V, theta)`` with its rounding bound
    (:class:`HessianResult`).

    MLP units: ``N`` exact Hessian-vector products along ``I_N`` in one vectorised pass, symmetrised
    (``(H + H^T) / 2``: the exact Hessian is symmetric and the two triangles differ only by rounding),
    and the same pass on magnitudes (:func:`_mlp_second_order`), so
    ``error = 64 K eps H_abs`` (:func:`rounding_factor`).  Other units: :func:`_difference_hessian`.
    ``error_bound=False`` skips the magnitude passes (for optimisers): ``error``, ``grad_scale`` are
    ``None`` and ``pre_activation_margin`` is ``nan``.
    """
    w, V, theta = _packed(problem, w, V, theta)
    if not has_exact_hessian(problem):
        return _difference_hessian(problem, w, V, theta)
    N = problem.n_params
    eye = np.eye(N)
    grad, hvp, true_values = _mlp_second_order(problem, w, V, theta, eye)
    if not error_bound:
        return HessianResult(0.5 * (hvp + hvp.T), None, grad, None, float("nan"), exact=True)
    grad_abs, hvp_abs, (_, p_mag) = _mlp_second_order(problem, w, V, theta, eye, absolute=True,
                                                      true_values=true_values)
    plain, _, _ = _mlp_second_order(problem, w, V, theta, np.zeros((0, N)), absolute=True,
                                    true_values=true_values, inflate=False)
    factor = rounding_factor(problem)
    H = 0.5 * (hvp + hvp.T)
    error = factor * 0.5 * (hvp_abs + hvp_abs.T)
    margin = float("inf")
    if problem.unit.activation == "relu" and true_values[0]:
        # rounding bound of each pre-activation: factor * (|h| |A|^T + |b|), from the magnitude pass
        pre, _ = true_values
        bound = _pre_activation_magnitudes(problem, theta)
        margin = min(float(np.min(np.abs(z) / (factor * zb))) for z, zb in zip(pre, bound))
    floor = factor * float(np.linalg.norm(grad_abs))
    F_round = F_rounding(problem, true_values[1], p_mag)
    return HessianResult(H, error, grad, plain, margin, exact=True, grad_floor=floor,
                         F_rounding=F_round)


def F_rounding(problem, p, p_mag) -> float:
    """Bound on the float64 error of ``F = mean l(p_i; y_i)``: ``64 n eps (1 + |F|)`` for the mean of ``n``
    loss values (:func:`~resnet_lemmas.numerics.certificates.bounds.rounding_tolerance`) plus
    ``64 K eps E[|l'(p)| p_mag]``, the error the rounding of ``p`` itself (whose terms have magnitudes
    ``p_mag``) carries into ``l(p)`` -- large only where ``p`` is a cancelling sum of large terms."""
    from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance

    with np.errstate(over="ignore", invalid="ignore"):
        F = float(np.mean(problem.loss.value(p, problem.y)))
        slope = float(np.mean(np.abs(problem.loss.grad(p, problem.y)) * p_mag))
    return rounding_tolerance(F, n=problem.n) + rounding_factor(problem) * slope


def _pre_activation_magnitudes(problem, theta):
    """``|h_{l-1}| |A_l|^T + |b_l|`` for every hidden layer (magnitudes of the terms of ``z_l``)."""
    unit = problem.unit
    h, out = np.abs(problem.X), []
    for A, b in unit.layers(theta)[:-1]:
        z = h @ np.abs(A).T + np.abs(b)
        out.append(np.maximum(z, np.finfo(float).tiny))
        a, da, _ = _activation2(unit.activation, z)
        h = np.abs(a)
    return out


#: First step and number of halvings of the difference Hessian (units without an exact Hessian).
DIFFERENCE_STEP = 1e-3


def _difference_hessian(problem, w, V, theta) -> HessianResult:
    """Hessian of a unit without exact second derivatives: central differences of the exact gradient,
    ``D(h) = (grad(z + h e_j) - grad(z - h e_j)) / (2 h)``, extrapolated ``(4 D(h/2) - D(h)) / 3`` (error
    ``O(h^4)``), with ``|D(h/2) - D(h)|`` (the size of the ``O(h^2)`` term the extrapolation removes, an
    estimate of the error rather than a bound) plus the rounding ``eps |grad| / h`` as ``error``."""
    z = problem.pack(w, V, theta)
    N = z.size

    def grad(x):
        g = problem.gradients(*problem.unpack(x))
        return np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))

    g0 = grad(z)
    h = DIFFERENCE_STEP * max(1.0, float(np.max(np.abs(z))))
    cols, errs = [], []
    for j in range(N):
        e = np.zeros(N)
        e[j] = 1.0
        D1 = (grad(z + h * e) - grad(z - h * e)) / (2 * h)
        D2 = (grad(z + 0.5 * h * e) - grad(z - 0.5 * h * e)) / h
        cols.append((4.0 * D2 - D1) / 3.0)
        errs.append(np.abs(D2 - D1) + 4.0 * EPS * (np.abs(g0) + 1.0) / h)
    H = np.array(cols)
    error = np.array(errs)
    error = np.maximum(error, error.T) + 0.5 * np.abs(H - H.T)
    # the scale of the relative stationarity test: the magnitudes of the terms summed into grad F
    # (:func:`gradient_scale`), never below |grad F| itself.  (|grad F| alone made the test
    # ||grad F|| <= rtol ||grad_abs|| unsatisfiable at every point with a nonzero gradient.)
    terms = _gradient_scale_terms(problem, w, V, theta)
    scale = np.abs(g0)
    scale[:terms.size] = np.maximum(scale[:terms.size], terms)
    # the rounding bounds the MLP path computes from its magnitude pass, here from the magnitudes of
    # the terms of p = w^T (x + V f) and of grad F (the unit's own rounding of f is not known: f is
    # taken as computed).  They were 0 before, which left the theorem's claim F <= F_feat at a
    # certified minimum of a user unit, an equality there up to rounding, without the rounding of F.
    Fx = problem.features(theta)
    p = (Fx @ V.T + (problem.X if problem.skip else 0.0)) @ w
    p_mag = (np.abs(Fx) @ np.abs(V).T + (np.abs(problem.X) if problem.skip else 0.0)) @ np.abs(w)
    floor = rounding_factor(problem) * float(np.linalg.norm(scale))
    return HessianResult(0.5 * (H + H.T), error, g0, scale, float("inf"), exact=False,
                         grad_floor=floor, F_rounding=F_rounding(problem, p, p_mag))


def gradient_scale(problem, w, V, theta) -> float:
    """``||grad_abs||``: the 2-norm of the magnitudes of the terms summed into ``grad F`` (plain
    magnitudes, :func:`_mlp_second_order` with ``inflate=False``); the scale of the relative
    stationarity test.  MLP units: the magnitude pass of :func:`_mlp_second_order`.  Other
    units: ``w`` and ``V`` blocks from their closed forms on magnitudes (``E[|r| (|x| + |V| |f|)]`` and
    ``|w| E[|r| |f|]^T``) and ``||vjp(X, theta, |r| |V^T w|^T)||`` for ``theta`` (an estimate: a unit's
    ``vjp`` cannot be run on magnitudes)."""
    w, V, theta = _packed(problem, w, V, theta)
    if has_exact_hessian(problem):
        none = np.zeros((0, problem.n_params))
        _, _, true_values = _mlp_second_order(problem, w, V, theta, none)
        grad_abs, _, _ = _mlp_second_order(problem, w, V, theta, none, absolute=True,
                                           true_values=true_values, inflate=False)
        return float(np.linalg.norm(grad_abs))
    return float(np.linalg.norm(_gradient_scale_terms(problem, w, V, theta)))


def _gradient_scale_terms(problem, w, V, theta) -> np.ndarray:
    """The entries behind :func:`gradient_scale` for a unit without an exact Hessian, in the order of
    ``pack`` (``w``, ``vec_row(V)``, ``theta``); the ``theta`` block is ``|vjp(X, theta, |r| |V^T w|^T)|``
    (an estimate), or empty when the unit has no ``vjp``."""
    Fx = problem.features(theta)
    phi = Fx @ V.T + (problem.X if problem.skip else 0.0)
    r = np.abs(problem.loss.grad(phi @ w, problem.y)) / problem.n
    absF = np.abs(Fx)
    gw = (np.abs(problem.X) if problem.skip else 0.0) + absF @ np.abs(V).T
    parts = [gw.T @ r, np.outer(np.abs(w), absF.T @ r).ravel()]
    vjp = getattr(problem.unit, "vjp", None)
    if vjp is not None:
        parts.append(np.abs(np.asarray(vjp(problem.X, theta, np.outer(r, np.abs(V.T @ w))), dtype=float)))
    return np.concatenate(parts)


def curvature_tolerance(result: HessianResult) -> float:
    """Rounding bound on the smallest eigenvalue of :attr:`HessianResult.H`: ``||error||_F`` (Weyl: the
    computed ``H`` is within ``||error||_2 <= ||error||_F`` of the exact one) plus ``64 N eps ||H||_F``
    (backward error of the symmetric eigensolver ``eigh``)."""
    N = result.H.shape[0]
    return float(np.linalg.norm(result.error)) + 64.0 * N * EPS * float(np.linalg.norm(result.H))
