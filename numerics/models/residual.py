"""The residual network ``p(x) = w^T (x + V f_theta(x))`` and ``F(w, V, theta) = E[l(p(x); y)]``.

Notation (design card, sections 1-2), with ``E`` the sample mean over ``i = 1..n``:

- ``x in R^d``, ``f = f_theta(x) in R^k``, ``V in R^{d x k}``, ``w in R^d``, ``theta in R^q``;
- ``phi = x + V f``, ``p = w^T phi`` (``skip=True``), or ``p = w^T V f`` (``skip=False``, the
  "removed skip connection" contrast of section 5);
- ``r = l'(p; y)``, ``c = E[r f] in R^k``, ``r_x = E[r x] in R^d``.

Gradients (lemma "residual gradients"):

- ``grad_w F = E[r phi] = E[r x] + V c`` (``skip=False``: ``V c``);
- ``grad_V F = w c^T`` (rank one; the same with or without the skip connection);
- ``grad_theta F = E[J_theta(x)^T V^T w r] = unit.vjp(X, theta, r (V^T w)^T) / n``.

Two implementations of the same formulas:

- the **fused path** (:meth:`ResNetProblem.fused_gradients`), for units that offer ``readout_pass``
  (:class:`~.networks.MLPUnit` does): one pass over blocks of rows computes ``s_i = u^T f_theta(x_i)``
  with ``u = V^T w``, then ``p_i = w^T x_i + s_i`` and ``r_i = l'(p_i; y_i)`` for the block, and
  pulls the block back at once (the rank-one cotangent ``r u^T`` needs no matrix product for the
  readout; the features ``f_theta(X)`` are never stored), optionally on several threads (``threads``);
- the **straightforward path** (:meth:`ResNetProblem.reference_gradients`): the whole ``(n, k)``
  feature matrix, then the closed forms above.

:meth:`ResNetProblem.gradients` (and ``objective``, ``predict``, ``fun_and_grad``, ``fun``) take the
fused path when the unit offers it and ``n >= FUSED_MIN_ROWS``, else the straightforward one.  The two
regroup the same float64 sums differently; :data:`FUSED_PATH_RTOL` states how far apart they may be
and why, and the tests hold them to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from resnet_lemmas.numerics.data.synthetic import DataError, validate_data

#: Agreement of the fused and the straightforward path.  Every quantity is a mean over rows of
#: per-row terms ``t_i`` (``F``: ``l(p_i)``; ``c``: ``r_i f_i``; ``grad_theta``: ``J_i^T u r_i`` ...), and
#: per quantity ``max|fused - reference| <= FUSED_PATH_RTOL * max(mean_i |t_i|)`` (entries, then the
#: largest).  Both evaluate the same float64 formulas; only the grouping of the sums over rows (block
#: by block versus one BLAS call) and of a few products (``r_i (C^T u)`` versus ``(r u^T) C``)
#: differs, which moves each result by rounding: ``O(sqrt(n) eps)`` typically and ``O(n eps)`` at
#: worst relative to ``mean |t_i|``, at most about 1e-14 at the tested sizes.  1e-12 leaves room for
#: that without hiding a wrong or missing term, which moves a result by O(1) relative.
FUSED_PATH_RTOL = 1e-12

#: The fused path is taken from this many rows on.  Below, the straightforward path is faster for
#: narrow units: the fused one spends some 20-50 microseconds more on bookkeeping per call, which the
#: small L-BFGS problems of the witnesses (tens of rows) would pay thousands of times.  Measured on
#: the project machine (one BLAS thread, load 3-4), fused / straightforward time: width 6 -- 1.7 at
#: 200 rows, 1.0 at 1000-2000; widths (16, 16) -- 1.5 at 200, 1.1 at 1000, 0.76 at 2000; widths
#: (128, 128) -- 0.5 at 200, 0.35 from 1000 (and 0.3 against PyTorch at 1e5, gradient_vs_torch.py).
FUSED_MIN_ROWS = 512


@dataclass
class Gradients:
    """``F`` and its gradients at one point, plus the intermediate quantities of section 2.

    Shapes: ``grad_w (d,)``, ``grad_V (d, k)``, ``grad_theta (q,)`` (``None`` when the unit has no
    ``vjp``), ``c (k,) = E[r f]``, ``r_x (d,) = E[r x]``, ``r (n,) = l'(p_i; y_i)``, ``p (n,)``.
    """

    F: float
    grad_w: np.ndarray
    grad_V: np.ndarray
    grad_theta: np.ndarray | None
    c: np.ndarray
    r_x: np.ndarray
    r: np.ndarray
    p: np.ndarray


def _probe_theta(unit) -> np.ndarray:
    theta0 = getattr(unit, "theta0", None)
    if theta0 is not None:
        return np.asarray(theta0, dtype=np.float64)
    init = getattr(unit, "init", None)
    if init is None:
        raise TypeError("a residual unit needs an attribute `theta0` or a method `init(rng, scale)`; "
                        f"{type(unit).__name__} has neither")
    # The probe only fixes output shapes; it is seeded so construction is deterministic.
    return np.asarray(init(np.random.default_rng(0)), dtype=np.float64)


@dataclass
class ResNetProblem:
    """One instance ``(f_theta, X, y, l)`` of the paper's objective ``F(w, V, theta)``.

    ``X`` (n, d) and ``y`` (n,) are validated (:func:`~.data.validate_data`), ``y`` against the loss
    (``loss.check_targets``), and the unit's output at a probe ``theta`` (its ``theta0`` or
    ``init(default_rng(0))``) must have shape ``(n, k)`` and be finite.  ``loss`` is a
    ``resnet_lemmas.proofs.losses.Loss`` (only ``value``, ``grad``, ``curvature``, ``check_targets``,
    ``targets``, ``name`` are used).  ``threads``: worker threads of the fused path (each with a
    single-threaded BLAS); the results do not depend on it.
    """

    unit: object
    X: np.ndarray
    y: np.ndarray
    loss: object
    skip: bool = True
    threads: int = 1
    d: int = field(init=False)
    k: int = field(init=False)
    q: int = field(init=False)
    n: int = field(init=False)

    def __post_init__(self):
        if not isinstance(self.threads, (int, np.integer)) or self.threads < 1:
            raise ValueError(f"threads must be a positive integer; got {self.threads!r}")
        self.X, self.y = validate_data(self.X, self.y)
        self.loss.check_targets(self.y)
        self.n, self.d = self.X.shape
        theta = _probe_theta(self.unit)
        if theta.ndim != 1:
            raise ValueError(f"the unit's parameter vector must be 1-D (q,); got shape {theta.shape}")
        self.q = theta.shape[0]
        out = np.asarray(self.unit(self.X, theta), dtype=np.float64)
        if out.ndim != 2 or out.shape[0] != self.n:
            raise ValueError(f"the unit must map X (n, d) = {self.X.shape} to (n, k); got shape {out.shape}")
        self.k = out.shape[1]
        bad = int(np.count_nonzero(~np.isfinite(out)))
        if bad:
            raise ValueError(f"the unit's output at the probe theta has {bad} NaN/inf entries")

    # -- shapes ----------------------------------------------------------------------------------
    @property
    def n_params(self) -> int:
        """``d + d k + q``: length of the packed vector ``(w, V, theta)``."""
        return self.d + self.d * self.k + self.q

    def _check(self, w, V, theta):
        w = np.asarray(w, dtype=np.float64)
        V = np.asarray(V, dtype=np.float64)
        theta = np.asarray(theta, dtype=np.float64)
        if w.shape != (self.d,):
            raise ValueError(f"w must have shape (d,) = ({self.d},); got shape {w.shape}")
        if V.shape != (self.d, self.k):
            raise ValueError(f"V must have shape (d, k) = ({self.d}, {self.k}); got shape {V.shape}")
        if theta.shape != (self.q,):
            raise ValueError(f"theta must have shape (q,) = ({self.q},); got shape {theta.shape}")
        return w, V, theta

    def pack(self, w, V, theta) -> np.ndarray:
        """Flat vector ``[w, vec_row(V), theta]`` of length ``d + d k + q``."""
        w, V, theta = self._check(w, V, theta)
        return np.concatenate((w, V.ravel(), theta))

    def unpack(self, flat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inverse of :meth:`pack`: ``(w (d,), V (d, k), theta (q,))`` (views into ``flat``)."""
        flat = np.asarray(flat, dtype=np.float64)
        if flat.shape != (self.n_params,):
            raise ValueError(f"packed parameters must have shape ({self.n_params},) = d + d k + q "
                             f"with d={self.d}, k={self.k}, q={self.q}; got shape {flat.shape}")
        d, k = self.d, self.k
        return flat[:d], flat[d:d + d * k].reshape(d, k), flat[d + d * k:]

    # -- evaluation ------------------------------------------------------------------------------
    def features(self, theta) -> np.ndarray:
        """``f_theta(x_i)`` stacked, shape ``(n, k)``."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.q,):
            raise ValueError(f"theta must have shape (q,) = ({self.q},); got shape {theta.shape}")
        out = np.asarray(self.unit(self.X, theta), dtype=np.float64)
        if out.shape != (self.n, self.k):
            raise ValueError(f"the unit returned shape {out.shape}; expected (n, k) = ({self.n}, {self.k})")
        return out

    def _predict(self, w, V, Fx):
        p = Fx @ (V.T @ w)
        return p + self.X @ w if self.skip else p

    def _uses_fused_path(self) -> bool:
        return self.n >= FUSED_MIN_ROWS and getattr(self.unit, "readout_pass", None) is not None

    def _require_fused(self):
        readout_pass = getattr(self.unit, "readout_pass", None)
        if readout_pass is None:
            raise TypeError(f"the unit {type(self.unit).__name__} has no `readout_pass`, so the fused "
                            "path is unavailable; use reference_gradients")
        return readout_pass

    def _fused_predict(self, w, V, theta) -> np.ndarray:
        p = np.empty(self.n)
        X, skip = self.X, self.skip

        def respond(rows, s):
            p_B = p[rows]
            if skip:
                np.matmul(X[rows], w, out=p_B)
                p_B += s
            else:
                p_B[:] = s

        self._require_fused()(X, theta, V.T @ w, respond, backward=False, workers=self.threads)
        return p

    def predict(self, w, V, theta) -> np.ndarray:
        """``p_i = w^T (x_i + V f_theta(x_i))`` (or ``w^T V f_theta(x_i)`` without skip), shape ``(n,)``."""
        w, V, theta = self._check(w, V, theta)
        if self._uses_fused_path():
            return self._fused_predict(w, V, theta)
        return self._predict(w, V, self.features(theta))

    def objective(self, w, V, theta) -> float:
        """``F(w, V, theta) = (1/n) sum_i l(p_i; y_i)`` (may be ``inf`` if the loss overflows)."""
        return float(np.sum(self.loss.value(self.predict(w, V, theta), self.y))) / self.n

    def gradients(self, w, V, theta) -> Gradients:
        """``F`` and ``grad_w, grad_V, grad_theta`` by the closed forms of section 2 (module docstring),
        by the fused path (:meth:`fused_gradients`) when the unit offers it and ``n >= FUSED_MIN_ROWS``,
        else by :meth:`reference_gradients`."""
        return self._gradients(*self._check(w, V, theta))

    def fused_gradients(self, w, V, theta) -> Gradients:
        """The same as :meth:`gradients` by the fused path, at any ``n`` (``TypeError`` if the unit has
        no ``readout_pass``)."""
        self._require_fused()
        return self._fused_gradients(*self._check(w, V, theta))

    def reference_gradients(self, w, V, theta) -> Gradients:
        """The same as :meth:`gradients` by the straightforward path: the whole feature matrix
        ``f_theta(X) (n, k)``, then the closed forms (the reference the fused path is tested against)."""
        return self._reference_gradients(*self._check(w, V, theta))

    def _gradients(self, w, V, theta) -> Gradients:
        if self._uses_fused_path():
            return self._fused_gradients(w, V, theta)
        return self._reference_gradients(w, V, theta)

    def _fused_gradients(self, w, V, theta) -> Gradients:
        n, X, y, loss, skip = self.n, self.X, self.y, self.loss, self.skip
        p, r = np.empty(n), np.empty(n)

        def respond(rows, s):
            """Block ``rows``: ``p = w^T x + s``, ``r = l'(p; y)`` (disjoint rows: thread-safe)."""
            p_B, r_B = p[rows], r[rows]
            if skip:
                np.matmul(X[rows], w, out=p_B)
                p_B += s
            else:
                p_B[:] = s
            r_B[:] = loss.grad(p_B, y[rows])
            return r_B

        result = self._require_fused()(X, theta, V.T @ w, respond, workers=self.threads)
        F = float(np.sum(loss.value(p, y))) / n
        c = result.feature_moment / n
        r_x = X.T @ r / n
        Vc = V @ c
        grad_w = r_x + Vc if skip else Vc
        return Gradients(F=F, grad_w=grad_w, grad_V=np.outer(w, c), grad_theta=result.vjp / n, c=c,
                         r_x=r_x, r=r, p=p)

    def _reference_gradients(self, w, V, theta) -> Gradients:
        forward = getattr(self.unit, "forward", None)
        if forward is not None:
            Fx, pullback = forward(self.X, theta)
            Fx = np.asarray(Fx, dtype=np.float64)
            if Fx.shape != (self.n, self.k):
                raise ValueError(f"the unit returned shape {Fx.shape}; expected (n, k) = ({self.n}, {self.k})")
        else:
            Fx = self.features(theta)
            vjp = getattr(self.unit, "vjp", None)
            pullback = None if vjp is None else (lambda G: vjp(self.X, theta, G))
        p = self._predict(w, V, Fx)
        n = self.n
        F = float(np.sum(self.loss.value(p, self.y))) / n
        r = self.loss.grad(p, self.y)
        c = Fx.T @ r / n
        r_x = self.X.T @ r / n
        Vc = V @ c
        grad_w = r_x + Vc if self.skip else Vc
        grad_V = np.outer(w, c)
        grad_theta = None
        if pullback is not None:
            grad_theta = np.asarray(pullback(np.outer(r, V.T @ w)), dtype=np.float64) / n
        return Gradients(F=F, grad_w=grad_w, grad_V=grad_V, grad_theta=grad_theta, c=c, r_x=r_x, r=r, p=p)

    def fun_and_grad(self, flat) -> tuple[float, np.ndarray]:
        """``(F, grad)`` at the packed point ``flat``, for optimisers (``jac=True``)."""
        g = self._gradients(*self.unpack(flat))
        if g.grad_theta is None:
            raise TypeError(f"the unit {type(self.unit).__name__} has no `vjp`, so grad_theta F "
                            "(and the packed gradient) is unavailable")
        return g.F, np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))

    def fun(self, flat) -> float:
        """``F`` at the packed point ``flat``."""
        return self.objective(*self.unpack(flat))


__all__ = ["FUSED_MIN_ROWS", "FUSED_PATH_RTOL", "ResNetProblem", "Gradients", "DataError"]
