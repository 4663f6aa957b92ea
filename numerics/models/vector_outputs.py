"""Vector outputs ``p(x) = W (x + V f_theta(x)) in R^m`` (lemma vector_outputs; DESIGN.md section 7).

Shapes: ``X (n, d)``, targets ``Y (n, m)``, ``W (m, d)``, ``V (d, k)``, features ``Fx = f_theta(X) (n, k)``.
The loss is *separable*, ``L(p; y) = sum_o l(p_o; y_o)`` for a registered scalar convex loss ``l`` (the
case the kernel proves; it covers multi-output regression and one-vs-rest margin losses), and
``F = E L(p(x); y)``.  With ``R = l'(P; Y) (n, m)`` (``P = Phi W^T``, ``Phi = X + Fx V^T``):

* ``C = E[r f^T] = R^T Fx / n (m, k)``, ``grad_W F = E[r phi^T] = R^T Phi / n = E[r x^T] + C V^T``;
* ``grad_V F = W^T C (d, k)`` -- the rank-one ``w c^T`` of the scalar case becomes ``W^T C``;
* ``grad_theta F = vjp(X, theta, R W V) / n``.

If ``rank W = m`` then ``C = (W W^T)^{-1} W grad_V F`` and the scalar argument carries over; the first-order
slack at any point is (:func:`vector_gap_bound`)

    F - E L(A x + B f) <= <W - A, grad_W F> + <A, C V^T> - <B, C>
                       <= ||W - A||_F ||grad_W F||_F + (||A||_F ||V||_2 + ||B||_F) ||grad_V F||_F / sigma_m(W),

``sigma_m(W)`` the m-th singular value (``||(W W^T)^{-1} W||_2 = 1 / sigma_m(W)``): infinite when the rank
condition fails.  The benchmarks decouple over outputs (the loss is separable and ``A``, ``B`` have one
row per output): ``F_lin = sum_o inf_a E l(a^T x; y_o)``, likewise ``F_feat``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from resnet_lemmas.numerics.certificates.convex_benchmarks import convex_benchmark
from resnet_lemmas.numerics.data.synthetic import validate_data


@dataclass
class VectorGradients:
    F: float
    grad_W: np.ndarray
    grad_V: np.ndarray
    grad_theta: np.ndarray | None
    C: np.ndarray
    R: np.ndarray


@dataclass
class VectorResNetProblem:
    """``F(W, V, theta) = E sum_o l(p_o(x); y_o)`` with ``p = W (x + V f_theta(x))`` (module docstring)."""

    unit: object
    X: np.ndarray
    Y: np.ndarray
    loss: object

    def __post_init__(self):
        self.X, _ = validate_data(self.X, np.zeros(np.shape(self.X)[0]))
        self.Y = np.asarray(self.Y, dtype=np.float64)
        if self.Y.ndim != 2 or self.Y.shape[0] != self.X.shape[0]:
            raise ValueError(f"Y must have shape (n, m) with n = {self.X.shape[0]}; got {self.Y.shape}")
        for o in range(self.Y.shape[1]):
            self.loss.check_targets(self.Y[:, o])
        self.n, self.d = self.X.shape
        self.m = self.Y.shape[1]
        theta = getattr(self.unit, "theta0", None)
        if theta is None:
            theta = self.unit.init(np.random.default_rng(0))
        self.q = int(np.asarray(theta).shape[0])
        self.k = int(np.asarray(self.unit(self.X, theta)).shape[1])

    @property
    def n_params(self) -> int:
        return self.m * self.d + self.d * self.k + self.q

    def pack(self, W, V, theta) -> np.ndarray:
        return np.concatenate((np.ravel(W), np.ravel(V), np.ravel(theta)))

    def unpack(self, flat):
        m, d, k = self.m, self.d, self.k
        flat = np.asarray(flat, dtype=np.float64)
        return (flat[:m * d].reshape(m, d), flat[m * d:m * d + d * k].reshape(d, k),
                flat[m * d + d * k:])

    def predict(self, W, V, theta) -> np.ndarray:
        """``P (n, m)``: row ``i`` is ``W (x_i + V f_theta(x_i))``."""
        Fx = np.asarray(self.unit(self.X, theta), dtype=np.float64)
        return (self.X + Fx @ np.asarray(V).T) @ np.asarray(W).T

    def objective(self, W, V, theta) -> float:
        return float(np.sum(self.loss.value(self.predict(W, V, theta), self.Y))) / self.n

    def gradients(self, W, V, theta) -> VectorGradients:
        W = np.asarray(W, dtype=np.float64)
        V = np.asarray(V, dtype=np.float64)
        forward = getattr(self.unit, "forward", None)
        if forward is not None:
            Fx, pullback = forward(self.X, theta)
        else:
            Fx = np.asarray(self.unit(self.X, theta), dtype=np.float64)
            pullback = lambda G: self.unit.vjp(self.X, theta, G)  # noqa: E731
        Phi = self.X + Fx @ V.T
        P = Phi @ W.T
        R = self.loss.grad(P, self.Y)
        n = self.n
        F = float(np.sum(self.loss.value(P, self.Y))) / n
        C = R.T @ Fx / n
        grad_W = R.T @ Phi / n
        grad_V = W.T @ C
        grad_theta = np.asarray(pullback(R @ W @ V), dtype=np.float64) / n
        return VectorGradients(F, grad_W, grad_V, grad_theta, C, R)

    def fun_and_grad(self, flat):
        W, V, theta = self.unpack(flat)
        with np.errstate(over="ignore", invalid="ignore"):
            g = self.gradients(W, V, theta)
        flat_grad = np.concatenate((g.grad_W.ravel(), g.grad_V.ravel(), g.grad_theta))
        if not (np.isfinite(g.F) and np.all(np.isfinite(flat_grad))):
            return np.inf, np.zeros_like(flat_grad)
        return g.F, flat_grad


@dataclass
class VectorBenchmark:
    value: float
    suboptimality_bound: float
    outputs: list   # one BenchmarkResult per output

    def comparators(self):
        """Candidate comparators ``(m, p)``: the certified minimiser of each output where attained; else
        (any point gives a valid inequality) the solver's base point plus ``t`` times the direction along
        which the infimum is approached, ``t = 0, 1, 10, 100`` (as ``main_theorem.comparators``)."""
        for t in (0.0, 1.0, 10.0, 100.0):
            rows = []
            for r in self.outputs:
                if r.argmin is not None:
                    rows.append(r.argmin)
                else:
                    base = r.point if r.point is not None else np.zeros_like(r.direction)
                    rows.append(base + t * r.direction if r.direction is not None else base)
            yield np.vstack(rows)
            if all(r.argmin is not None for r in self.outputs):
                return


def vector_benchmark(Z, Y, loss) -> VectorBenchmark:
    """``sum_o inf_u E l(u^T z; y_o)`` for a design ``Z (n, p)``: one certified convex solve per output."""
    results = [convex_benchmark(Z, Y[:, o], loss) for o in range(Y.shape[1])]
    return VectorBenchmark(float(sum(r.value for r in results)),
                           float(sum(r.suboptimality_bound for r in results)), results)


def vector_gap_bound(g: VectorGradients, W, V, A, B) -> float:
    """``||W - A||_F ||grad_W||_F + (||A||_F ||V||_2 + ||B||_F) ||grad_V||_F / sigma_m(W)`` (``inf`` if
    ``sigma_m(W) = 0`` and ``grad_V F != 0``): the module docstring's slack."""
    W = np.asarray(W)
    sigma = np.linalg.svd(W, compute_uv=False)
    sigma_m = float(sigma[W.shape[0] - 1]) if W.shape[0] <= W.shape[1] else 0.0
    first = float(np.linalg.norm(W - A) * np.linalg.norm(g.grad_W))
    gv = float(np.linalg.norm(g.grad_V))
    if gv == 0.0:
        return first
    if sigma_m == 0.0:
        return float("inf")
    return first + (float(np.linalg.norm(A)) * float(np.linalg.norm(V, 2)) + float(np.linalg.norm(B))) \
        * gv / sigma_m


def vector_first_order_gap(g: VectorGradients, W, V, A, B) -> float:
    """``<W - A, grad_W F> + <A, C V^T> - <B, C>`` (``= E[r^T (p - q)]``, ``q = A x + B f``)."""
    return float(np.sum((W - A) * g.grad_W) + np.sum(A * (g.C @ np.asarray(V).T)) - np.sum(B * g.C))


def vector_targets(rng: np.random.Generator, X, loss, m: int) -> tuple[np.ndarray, np.ndarray]:
    """``(X', Y)`` with ``Y (n, m)`` targets (``X' = X`` except, for sign targets, the last point): output ``o`` follows its own random linear rule plus a nonlinear term
    (``real``: ``x^T beta_o + sin(x^T g_o) + 0.1 noise``; ``sign``: sign of that, 10% flipped, last point
    mirrored so no output is linearly separable; ``count``: Poisson with log-rate ``x^T beta_o / 2``)."""
    X = np.array(X, dtype=np.float64)
    n, d = X.shape
    out = np.empty((n, m))
    for o in range(m):
        beta = rng.normal(size=d) / np.sqrt(d)
        g = rng.normal(size=d) / np.sqrt(d)
        score = X @ beta + np.sin(X @ g)
        if loss.targets == "sign":
            y = np.where(score + 0.1 * rng.normal(size=n) >= 0, 1.0, -1.0)
            y = np.where(rng.random(n) < 0.1, -y, y)
            out[:, o] = y
        elif loss.targets == "count":
            out[:, o] = rng.poisson(np.exp(np.clip(0.5 * score, -5, 3))).astype(float)
        else:
            out[:, o] = score + 0.1 * rng.normal(size=n)
    if loss.targets == "sign":
        X[-1] = -X[0]
        out[-1] = out[0]
    return X, out


def local_minimum(problem: VectorResNetProblem, seed: int, maxiter: int = 300, gtol: float = 1e-9,
                  init_scale: float = 1.0):
    """One L-BFGS-B run from a seeded random start; returns ``(W, V, theta, gradients)``."""
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(problem.m, problem.d)) * init_scale / np.sqrt(problem.d)
    V0 = rng.normal(size=(problem.d, problem.k)) * init_scale / np.sqrt(problem.d)
    theta0 = problem.unit.init(rng, init_scale) if problem.q else np.zeros(0)
    res = minimize(problem.fun_and_grad, problem.pack(W0, V0, theta0), jac=True, method="L-BFGS-B",
                   options={"gtol": gtol, "ftol": 0.0, "maxiter": maxiter, "maxfun": 2 * maxiter + 100})
    W, V, theta = (a.copy() for a in problem.unpack(res.x))
    return W, V, theta, problem.gradients(W, V, theta)
