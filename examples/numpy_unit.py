"""Example residual units written in NumPy, for ``resnet-lemmas verify`` and the pytest plugin.

A NumPy residual unit ``f_theta : R^d -> R^k`` is any object that

- is callable as ``unit(X, theta)``: ``X`` of shape ``(n, d)``, ``theta`` of shape ``(q,)``, returns the
  rows ``f_theta(x_i)`` as an array of shape ``(n, k)``;
- has an attribute ``theta0``: a 1-D array of initial parameters (the search starts near it);
- optionally has ``vjp(X, theta, G)``: for ``G`` of shape ``(n, k)``, the gradient in ``theta`` of
  ``sum_ij G_ij f_theta(x_i)_j``, shape ``(q,)``.  Without it, derivatives in ``theta`` are computed
  numerically (accurate, but about ``11 q`` unit calls per gradient).

Try (from the repository root)::

    resnet-lemmas verify --residual examples/numpy_unit.py:diabetes_unit --data builtin:diabetes --loss squared
    resnet-lemmas verify --residual examples/numpy_unit.py:cancer_unit --data builtin:breast_cancer --loss logistic
    resnet-lemmas verify --residual examples/numpy_unit.py:diabetes_sin_unit --data builtin:diabetes --loss squared
"""
import numpy as np


class TanhBlock:
    """``f_theta(x) = C tanh(A x + b) + c`` with ``A (width, d)``, ``b (width,)``, ``C (k, width)``, ``c (k,)``;
    ``theta = [vec(A), b, vec(C), c]`` (row-major)."""

    def __init__(self, d, k, width, seed=0):
        self.d, self.k, self.width = d, k, width
        rng = np.random.default_rng(seed)
        self.theta0 = np.concatenate([
            rng.normal(0.0, 1.0 / np.sqrt(d), size=width * d), np.zeros(width),
            rng.normal(0.0, 1.0 / np.sqrt(width), size=k * width), np.zeros(k)])

    def _split(self, theta):
        d, k, m = self.d, self.k, self.width
        A = theta[:m * d].reshape(m, d)
        b = theta[m * d:m * d + m]
        C = theta[m * d + m:m * d + m + k * m].reshape(k, m)
        c = theta[m * d + m + k * m:]
        return A, b, C, c

    def __call__(self, X, theta):
        A, b, C, c = self._split(theta)
        return np.tanh(X @ A.T + b) @ C.T + c

    def vjp(self, X, theta, G):
        """Backpropagation: ``dC = G^T h``, ``dc = 1^T G``, ``dZ = (G C) * (1 - h^2)``, ``dA = dZ^T X``,
        ``db = 1^T dZ``."""
        A, b, C, c = self._split(theta)
        h = np.tanh(X @ A.T + b)
        dZ = (G @ C) * (1.0 - h * h)
        return np.concatenate([(dZ.T @ X).ravel(), dZ.sum(axis=0), (G.T @ h).ravel(), G.sum(axis=0)])


class NoVjpBlock:
    """A unit without ``vjp`` (derivatives in theta are then numeric): ``f_theta(x) = sin(x^T a) b``,
    ``theta = [a (d,), b (k,)]``."""

    def __init__(self, d, k, seed=0):
        self.d, self.k = d, k
        rng = np.random.default_rng(seed)
        self.theta0 = np.concatenate([rng.normal(0.0, 1.0 / np.sqrt(d), size=d), rng.normal(size=k)])

    def __call__(self, X, theta):
        a, b = theta[:self.d], theta[self.d:]
        return np.sin(X @ a)[:, None] * b[None, :]


class SinBlock:
    """``f_theta(x) = sin(x^T a) b`` with a ``vjp``: ``theta = [a (d,), b (k,)]``.  With ``k = 1`` its one
    feature column keeps the feature benchmark's design ``[X, f]`` of full rank, and ``q = d + 1`` is
    small: the search's minima on diabetes are isolated up to the symmetry ``(V, b) -> (V / s, s b)``
    and the polish reaches certified local minima (``docs/verify.md``)."""

    def __init__(self, d, k, seed=0):
        self.d, self.k = d, k
        rng = np.random.default_rng(seed)
        self.theta0 = np.concatenate([rng.normal(0.0, 1.0 / np.sqrt(d), size=d), rng.normal(size=k)])

    def __call__(self, X, theta):
        a, b = theta[:self.d], theta[self.d:]
        return np.sin(X @ a)[:, None] * b[None, :]

    def vjp(self, X, theta, G):
        """``d/da = X^T (cos(X a) * (G b))``, ``d/db = G^T sin(X a)``."""
        a, b = theta[:self.d], theta[self.d:]
        z = X @ a
        return np.concatenate([X.T @ (np.cos(z) * (G @ b)), G.T @ np.sin(z)])


#: For ``builtin:diabetes`` (d = 10).
diabetes_unit = TanhBlock(d=10, k=4, width=16, seed=0)
#: For ``builtin:diabetes``: small (q = 11) with a vjp; its starts end at certified local minima.
diabetes_sin_unit = SinBlock(d=10, k=1, seed=0)
#: For ``builtin:breast_cancer`` (d = 30).
cancer_unit = TanhBlock(d=30, k=4, width=16, seed=0)
#: For ``builtin:diabetes``, without a vjp (q = 12).
diabetes_unit_no_vjp = NoVjpBlock(d=10, k=2, seed=0)
#: For ``builtin:breast_cancer+intercept`` (d = 31: the 30 features and the constant 1).
cancer_intercept_unit = TanhBlock(d=31, k=4, width=16, seed=0)
