"""A residual unit with no trainable parameters: ``f(x) = scale * g(x)`` for a fixed function ``g``.

The paper's results hold for an *arbitrary* ``f_theta``; a fixed feature map (``q = 0``) is the special
case the constructions of section 5 need (the large-``||V||`` family rescales ``f`` by ``1 / R``; the
constrained and regularised counterexamples fix ``f`` and vary only ``(w, V)``).  It satisfies the
``ResidualUnit`` protocol of :mod:`~resnet_lemmas.numerics.models.networks`: ``unit(X, theta) -> (n, k)``,
``theta0`` (the empty vector), ``vjp`` (the empty gradient).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class FixedFeatureUnit:
    """``f(x) = scale * g(X)`` row-wise; ``g`` maps ``X (n, d)`` to ``(n, k)``; no parameters (``q = 0``)."""

    g: Callable[[np.ndarray], np.ndarray]
    scale: float = 1.0

    @property
    def theta0(self) -> np.ndarray:
        return np.zeros(0)

    def __call__(self, X, theta) -> np.ndarray:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (0,):
            raise ValueError(f"a fixed feature unit has no parameters; got theta of shape {theta.shape}")
        out = np.asarray(self.g(np.asarray(X, dtype=np.float64)), dtype=np.float64)
        if out.ndim != 2 or out.shape[0] != np.shape(X)[0]:
            raise ValueError(f"g must map X (n, d) to (n, k); got shape {out.shape}")
        return self.scale * out

    def vjp(self, X, theta, G) -> np.ndarray:
        return np.zeros(0)


def table_unit(X_table: np.ndarray, F_table: np.ndarray) -> FixedFeatureUnit:
    """A unit whose features on the rows of ``X_table`` are the rows of ``F_table`` (shape ``(n, k)``).

    Only defined on ``X_table`` itself (it is how a symbolic context's free feature symbols ``f_j`` are
    turned into a numeric problem); any other input raises ``ValueError``.
    """
    X_table = np.array(X_table, dtype=np.float64)
    F_table = np.array(F_table, dtype=np.float64)
    if F_table.ndim != 2 or F_table.shape[0] != X_table.shape[0]:
        raise ValueError(f"F_table must have shape (n, k) with n = {X_table.shape[0]}; got {F_table.shape}")

    def lookup(X):
        if X.shape != X_table.shape or not np.array_equal(X, X_table):
            raise ValueError("table_unit is only defined on the inputs it was built from")
        return F_table

    return FixedFeatureUnit(lookup)
