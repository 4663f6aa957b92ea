"""Certified bad local minima without the skip connection (example no_skip_bad_minimum).

Two models: the residual network with its skip connection removed, ``p = w^T V f_theta(x)``
(``ResNetProblem(..., skip=False)`` with a ReLU :class:`~.networks.MLPUnit`), and the plain two-layer
network ``p = v^T relu(A x + beta)`` (:class:`TwoLayerNet`, no output bias).

The certificate is a neighbourhood argument, not a Hessian test:

* :func:`dead_first_layer` -- every first-layer pre-activation satisfies ``z_ij = A_j x_i + beta_j <= -m``
  with ``m > 0``.  A parameter change of Euclidean norm ``< rho = m / max_i sqrt(||x_i||^2 + 1)`` moves each
  ``z_ij`` by less than ``m`` (Cauchy-Schwarz on the row ``(A_j, beta_j)``), so every ReLU stays inactive on
  every sample and the network's output is the same for all samples (deeper layers only see biases).
* :func:`constant_suboptimality` -- on that neighbourhood the prediction is a constant ``s``, so
  ``F >= inf_s E l(s; y)``; the point, predicting ``s0``, is a local minimum up to
  ``delta >= E l(s0; y) - inf_s E l(s; y)``.  ``G(s) = E l(s; y)`` is convex with ``G' = E l'(s; y)``; a
  bisection brackets the minimiser in ``[lo, hi]``, and the signs ``G'(lo) < 0 < G'(hi)`` are then
  *proven* in Arb ball arithmetic from the loss's SymPy derivative (:func:`certified_bracket`, widening
  the bracket where a sign is too close to call), so the minimiser lies in ``[lo, hi]``; convexity gives
  ``G(s0) - G(s*) <= |G'(s0)| max(|s0 - lo|, |s0 - hi|)``, evaluated with the ball's upper end of
  ``|G'(s0)|``.  No float64 comparison decides the certificate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flint import arb, ctx

from resnet_lemmas.numerics.certificates.enclosures import PRECISION_BITS, mean_derivative, upper

EPS = np.finfo(np.float64).eps


def symmetrised(X, y):
    """The sample closed under ``(x, y) -> (-x, -y)``: ``([X; -X], [y; -y])`` (``2n`` rows)."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.vstack((X, -X)), np.concatenate((y, -y))


#: Rounding of a pre-activation ``A_j x_i + beta_j`` (a dot product of ``d + 1`` terms):
#: ``DEAD_ROUNDING_FACTOR (d + 1) eps (1 + max |z|)``.
DEAD_ROUNDING_FACTOR = 64.0
#: The best-constant certificate accepts ``delta <= CONSTANT_ROUNDING_FACTOR n eps (1 + |F|)``.
CONSTANT_ROUNDING_FACTOR = 64.0
#: A sign of ``G'`` that Arb cannot prove at a bracket end widens the bracket (doubling the width, from
#: at least ``BRACKET_MIN_WIDTH (1 + |end|)``) at most this many times.
BRACKET_EXPANSIONS = 60
BRACKET_MIN_WIDTH = 1e-12


@dataclass
class DeadRegion:
    """``top``: the largest first-layer pre-activation (``-margin``); ``tolerance``: its rounding bound
    ``64 (d + 1) eps (1 + max |z|)``; the region is dead when ``top < -tolerance``."""

    ok: bool
    margin: float
    radius: float
    message: str
    top: float = 0.0
    tolerance: float = 0.0


def _dead(Z: np.ndarray, X: np.ndarray) -> DeadRegion:
    """``Z`` (n, width): first-layer pre-activations on the rows of ``X``."""
    i, j = np.unravel_index(int(np.argmax(Z)), Z.shape)
    top = float(Z[i, j])
    tol = DEAD_ROUNDING_FACTOR * (X.shape[1] + 1) * EPS * (1.0 + float(np.max(np.abs(Z))))  # a dot product
    if not top < -tol:
        return DeadRegion(False, -top, 0.0,
                          f"first-layer unit {j} is active on sample {i} (pre-activation {top:.3e} "
                          f">= -{tol:.1e}): no dead region around this point", top, tol)
    margin = -top
    radius = margin / float(np.max(np.sqrt(np.sum(X ** 2, axis=1) + 1.0)))
    return DeadRegion(True, margin, radius,
                      f"every first-layer ReLU is inactive on every sample with margin {margin:.3e}; "
                      f"they stay inactive within distance {radius:.3e} of the point", top, tol)


def dead_first_layer(unit, X, theta) -> DeadRegion:
    """The dead-region certificate for a ReLU :class:`~.networks.MLPUnit` at ``theta``."""
    if getattr(unit, "activation", None) != "relu":
        return DeadRegion(False, 0.0, 0.0, f"activation {getattr(unit, 'activation', None)!r} is not "
                                           "relu: units have no flat dead region")
    A, b = unit.layers(theta)[0]
    X = np.asarray(X, dtype=np.float64)
    return _dead(X @ A.T + b, X)


def kill_first_layer(unit, X, theta, margin: float) -> np.ndarray:
    """A copy of ``theta`` whose first-layer biases make every unit inactive on ``X`` with ``margin``."""
    out = np.array(theta, dtype=np.float64)
    A, b = unit.layers(out)[0]       # views into ``out``
    b[:] = -(np.max(np.asarray(X) @ A.T, axis=0) + margin)
    return out


def _G_prime(loss, y, s: float) -> float:
    return float(np.mean(loss.grad(np.full(y.shape, s), y)))


def best_constant(loss, y, iterations: int = 200) -> tuple[float, float, float]:
    """``(s*, lo, hi)``: bisection for the minimiser of ``G(s) = E l(s; y)`` with ``G'(lo) < 0 < G'(hi)``
    (``lo = hi = s*`` if ``G'(s*) == 0`` exactly).  Raises ``ValueError`` if no bracket is found within
    ``|s| <= 2^40`` (the infimum is not attained, e.g. all labels equal under a margin loss)."""
    y = np.asarray(y, dtype=np.float64)
    if _G_prime(loss, y, 0.0) == 0.0:
        return 0.0, 0.0, 0.0
    lo, hi = -1.0, 1.0
    for _ in range(40):
        if _G_prime(loss, y, lo) < 0.0:
            break
        lo *= 2.0
    for _ in range(40):
        if _G_prime(loss, y, hi) > 0.0:
            break
        hi *= 2.0
    if not (_G_prime(loss, y, lo) < 0.0 < _G_prime(loss, y, hi)):
        raise ValueError("the best constant prediction is not attained (no sign change of E l'(s; y))")
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        g = _G_prime(loss, y, mid)
        if g == 0.0:
            return mid, mid, mid
        lo, hi = (mid, hi) if g < 0.0 else (lo, mid)
    return 0.5 * (lo + hi), lo, hi


def _proven_sign(loss, y, s: float) -> int:
    """``-1``/``+1`` when Arb proves ``G'(s) = E l'(s; y)`` negative/positive, ``0`` when it cannot."""
    ball = mean_derivative(loss, y, s, 1)
    return -1 if ball.upper() < 0 else (1 if ball.lower() > 0 else 0)


def certified_bracket(loss, y, lo: float, hi: float) -> tuple[float, float]:
    """``(lo', hi')`` with ``lo' <= lo``, ``hi' >= hi`` and ``G'(lo') < 0 < G'(hi')`` *proven* in Arb (module
    docstring); raises ``ValueError`` if ``BRACKET_EXPANSIONS`` widenings do not suffice."""
    y = np.asarray(y, dtype=np.float64)
    for side in (-1, 1):
        end = lo if side < 0 else hi
        width = max(hi - lo, BRACKET_MIN_WIDTH * (1.0 + abs(end)))
        for _ in range(BRACKET_EXPANSIONS):
            if _proven_sign(loss, y, end) == side:
                break
            end += side * width
            width *= 2.0
        else:
            raise ValueError(f"could not prove the sign of E l'(s; y) at the {'lower' if side < 0 else 'upper'}"
                             f" end of the bracket (last tried s = {end:.6g})")
        lo, hi = (end, hi) if side < 0 else (lo, end)
    return lo, hi


def constant_suboptimality(loss, y, s0: float) -> float:
    """Upper bound on ``E l(s0; y) - inf_s E l(s; y)`` (module docstring), proven in Arb balls."""
    y = np.asarray(y, dtype=np.float64)
    g0 = mean_derivative(loss, y, s0, 1)
    if g0.is_zero():
        return 0.0
    _, lo, hi = best_constant(loss, y)
    lo, hi = certified_bracket(loss, y, lo, hi)
    with ctx.workprec(PRECISION_BITS):
        # upper ends as floats (a max of overlapping balls would not be rigorous), then one ball product
        spread = max(upper(abs(arb(s0) - arb(lo))), upper(abs(arb(s0) - arb(hi))))
        return upper(abs(g0) * arb(spread))


@dataclass
class LocalMinimumCertificate:
    ok: bool
    F: float
    radius: float
    delta: float
    tolerance: float
    message: str


def no_skip_local_minimum(problem, w, V, theta) -> LocalMinimumCertificate:
    """Certify that ``(w, V, theta)`` is a local minimum of ``F = E l(w^T V f_theta(x); y)`` (``skip=False``):
    a dead first layer (so ``f_theta`` is constant on the sample in a neighbourhood) and a prediction
    that is the best constant up to rounding."""
    if problem.skip:
        raise ValueError("no_skip_local_minimum is for the model without the skip connection (skip=False)")
    region = dead_first_layer(problem.unit, problem.X, theta)
    F = problem.objective(w, V, theta)
    tol = CONSTANT_ROUNDING_FACTOR * problem.n * EPS * (1.0 + abs(F))
    if not region.ok:
        return LocalMinimumCertificate(False, F, 0.0, np.inf, tol, region.message)
    Fx = problem.features(theta)
    spread = float(np.max(np.abs(Fx - Fx[0])))
    if spread != 0.0:  # with a dead first layer every row is computed from the same biases: identical
        return LocalMinimumCertificate(False, F, region.radius, np.inf, tol,
                                       f"features differ across samples by {spread:.3e} although the "
                                       "first layer is dead")
    s0 = float(np.asarray(w) @ np.asarray(V) @ Fx[0])
    delta = constant_suboptimality(problem.loss, problem.y, s0)
    if not delta <= tol:
        return LocalMinimumCertificate(False, F, region.radius, delta, tol,
                                       f"the constant prediction s = {s0:.6g} is not the best constant: "
                                       f"F can decrease by up to {delta:.3e} > {tol:.1e} inside the dead "
                                       "region")
    return LocalMinimumCertificate(True, F, region.radius, delta, tol,
                                   f"local minimum: within distance {region.radius:.3e} every point has "
                                   f"F >= {F:.6g} - {delta:.1e} (constant prediction s = {s0:.3g}, "
                                   f"dead margin {region.margin:.3e})")


@dataclass
class TwoLayerNet:
    """``p(x) = v^T relu(A x + beta)`` on ``X (n, d)``: ``A (h, d)``, ``beta (h,)``, ``v (h,)``; no output bias."""

    X: np.ndarray
    y: np.ndarray
    loss: object

    def predict(self, A, beta, v) -> np.ndarray:
        return np.maximum(self.X @ np.asarray(A).T + beta, 0.0) @ v

    def objective(self, A, beta, v) -> float:
        return float(np.mean(self.loss.value(self.predict(A, beta, v), self.y)))

    def local_minimum(self, A, beta, v) -> LocalMinimumCertificate:
        """Dead first layer => ``p = 0`` on a neighbourhood => ``F = E l(0; y)`` is constant there."""
        region = _dead(self.X @ np.asarray(A).T + beta, self.X)
        F = self.objective(A, beta, v)
        tol = CONSTANT_ROUNDING_FACTOR * len(self.y) * EPS * (1.0 + abs(F))
        if not region.ok:
            return LocalMinimumCertificate(False, F, 0.0, np.inf, tol, region.message)
        return LocalMinimumCertificate(True, F, region.radius, 0.0, tol,
                                       f"local minimum (flat): p = 0 and F = {F:.6g} on the ball of "
                                       f"radius {region.radius:.3e}")
