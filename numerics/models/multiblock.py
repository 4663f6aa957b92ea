"""Residual networks with several blocks (experiment multi_block_experiment; DESIGN.md section 7).

``x_0 = x``, ``x_{l+1} = x_l + V_l f_l(x_l)`` for ``l = 0..L-1``, ``p = w^T x_L``, with one-hidden-layer units
``f_l(z) = C_l tanh(A_l z + b_l) + c_l`` (``A_l (h, d)``, ``b_l (h,)``, ``C_l (k, h)``, ``c_l (k,)``,
``V_l (d, k)``).  ``F = E l(p; y)``; gradients by reverse mode (:meth:`MultiBlockProblem.fun_and_grad`):
with ``g_L = r w^T / n`` (``r = l'(p; y)``, rows per sample) and going down,
``grad V_l = g_{l+1}^T f_l``, ``df = g_{l+1} V_l``, ``grad C_l = df^T H_l``, ``grad c_l = 1^T df``,
``dZ = (df C_l) * (1 - H_l^2)``, ``grad A_l = dZ^T x_l``, ``grad b_l = 1^T dZ``,
``g_l = g_{l+1} + dZ A_l``.

The last block alone is the model of the paper with input ``x_{L-1}``: at *every* point the section-4
inequality holds with ``x_{L-1}`` in place of ``x`` (:func:`last_block_slack`); the comparison with the
linear predictor on the raw ``x`` is what the experiment explores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize


@dataclass
class MultiBlockProblem:
    X: np.ndarray
    y: np.ndarray
    loss: object
    blocks: int
    k: int = 2
    h: int = 3

    def __post_init__(self):
        self.n, self.d = self.X.shape
        d, k, h = self.d, self.k, self.h
        self.block_size = d * k + h * d + h + k * h + k
        self.n_params = d + self.blocks * self.block_size

    def unpack(self, flat):
        d, k, h = self.d, self.k, self.h
        w = flat[:d]
        out, pos = [], d
        for _ in range(self.blocks):
            sizes = [(d, k), (h, d), (h,), (k, h), (k,)]
            parts = []
            for shape in sizes:
                size = int(np.prod(shape))
                parts.append(flat[pos:pos + size].reshape(shape))
                pos += size
            out.append(parts)
        return w, out

    def forward(self, flat):
        """``(p, cache)``; ``cache[l] = (x_l, H_l, f_l)``; the last entry of ``xs`` is ``x_L``."""
        w, blocks = self.unpack(flat)
        x, cache = self.X, []
        for V, A, b, C, c in blocks:
            H = np.tanh(x @ A.T + b)
            f = H @ C.T + c
            cache.append((x, H, f))
            x = x + f @ V.T
        return x @ w, x, cache

    def objective(self, flat) -> float:
        p, _, _ = self.forward(flat)
        return float(np.mean(self.loss.value(p, self.y)))

    def fun_and_grad(self, flat):
        w, blocks = self.unpack(flat)
        with np.errstate(over="ignore", invalid="ignore"):
            p, xL, cache = self.forward(flat)
            F = float(np.mean(self.loss.value(p, self.y)))
            r = self.loss.grad(p, self.y)
        if not (np.isfinite(F) and np.all(np.isfinite(r))):
            return np.inf, np.zeros_like(flat)
        n = self.n
        grads_blocks = []
        g = np.outer(r, w) / n
        grad_w = xL.T @ r / n
        for (V, A, b, C, c), (x, H, f) in zip(reversed(blocks), reversed(cache)):
            gV = g.T @ f
            df = g @ V
            gC = df.T @ H
            gc = df.sum(axis=0)
            dZ = (df @ C) * (1.0 - H * H)
            gA = dZ.T @ x
            gb = dZ.sum(axis=0)
            g = g + dZ @ A
            grads_blocks.append([gV, gA, gb, gC, gc])
        parts = [grad_w]
        for block in reversed(grads_blocks):
            parts.extend(a.ravel() for a in block)
        return F, np.concatenate(parts)

    def random_start(self, rng, scale: float = 1.0):
        return rng.normal(size=self.n_params) * scale / np.sqrt(self.d)


def local_minimum(problem: MultiBlockProblem, flat0, maxiter: int = 300, gtol: float = 1e-9):
    res = minimize(problem.fun_and_grad, flat0, jac=True, method="L-BFGS-B",
                   options={"gtol": gtol, "ftol": 0.0, "maxiter": maxiter, "maxfun": 2 * maxiter + 100})
    return res.x


def last_block_slack(problem: MultiBlockProblem, flat, u) -> tuple[float, float]:
    """``(F - E l(u^T x_{L-1}), bound)`` with the section-4 bound of the last block at ``flat``:
    ``||w - u|| ||grad_w F|| + ||u|| ||V_L||_2 ||grad_{V_L} F||_F / ||w||`` (``u in R^d`` a comparator on the
    last block's input ``x_{L-1}``)."""
    w, blocks = problem.unpack(flat)
    F, grad = problem.fun_and_grad(flat)
    _, _, cache = problem.forward(flat)
    x_in = cache[-1][0]
    E_lu = float(np.mean(problem.loss.value(x_in @ u, problem.y)))
    d, k = problem.d, problem.k
    grad_w = grad[:d]
    start = d + (problem.blocks - 1) * problem.block_size
    grad_V = grad[start:start + d * k]
    V_last = blocks[-1][0]
    bound = float(np.linalg.norm(w - u) * np.linalg.norm(grad_w)
                  + np.linalg.norm(u) * np.linalg.norm(V_last, 2) * np.linalg.norm(grad_V)
                  / np.linalg.norm(w))
    return F - E_lu, bound
