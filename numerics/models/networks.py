"""Residual units ``f_theta : R^d -> R^k``: arbitrary MLPs with hand-written, vectorised backprop.

In the paper's setting (Shamir 2018) a residual block is ``x -> x + V f_theta(x)`` with
``V in R^{d x k}`` and ``f_theta`` an *arbitrary* network; nothing about ``f_theta`` is assumed beyond
being a function of ``x`` parametrised by ``theta in R^q``.  This module supplies concrete ``f_theta``.

The ``ResidualUnit`` protocol
-----------------------------
Anything used as a unit by :mod:`resnet_lemmas.numerics.models.residual` must provide

- ``unit(X, theta) -> (n, k)`` array: the rows are ``f_theta(x_i)`` for the rows ``x_i`` of ``X``
  (shape ``(n, d)``), ``theta`` a flat float64 vector of shape ``(q,)``;
- either an attribute ``theta0`` (a ``(q,)`` parameter vector) or a method ``init(rng, scale=1.0)``
  returning one (used to probe output shapes and to draw starting points);
- optionally ``vjp(X, theta, G) -> (q,)``: the gradient in ``theta`` of ``sum(G * unit(X, theta))``
  for ``G`` of shape ``(n, k)``, i.e. ``sum_i J_theta(x_i)^T g_i``.  Without it the model cannot
  return ``grad_theta F`` (the first-order results of the paper only need derivatives in ``(w, V)``);
- optionally ``forward(X, theta) -> (out (n, k), pullback)`` with ``pullback(G) == vjp(X, theta, G)``,
  which lets the model get ``F`` and ``grad_theta F`` from one forward pass.

:class:`MLPUnit` implements all of it.

Parameter layout of :class:`MLPUnit`
------------------------------------
Hidden layers ``h_0 = x``, ``h_l = act(A_l h_{l-1} + b_l)`` for ``l = 1..L`` (``L = len(widths)``), then
a linear readout ``f = C h_L + c``.  ``theta`` concatenates, layer by layer, ``A_l`` (row-major, shape
``(widths[l-1], fan_in)``) and ``b_l``, then ``C`` (shape ``(k, widths[-1])``) and ``c`` (shape ``(k,)``),
so ``q = sum_l widths[l] (fan_in_l + 1) + k (widths[-1] + 1)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Protocol, runtime_checkable

import numpy as np
from scipy.special import expit

ACTIVATIONS = ("tanh", "relu", "softplus", "sigmoid")
MAX_DEPTH = 4


@runtime_checkable
class ResidualUnit(Protocol):
    """``f_theta``: callable ``(X (n, d), theta (q,)) -> (n, k)``; see the module docstring."""

    def __call__(self, X: np.ndarray, theta: np.ndarray) -> np.ndarray: ...


def _act_tanh(z):
    a = np.tanh(z)
    return a, 1.0 - a * a


def _act_relu(z):
    return np.maximum(z, 0.0), (z > 0.0).astype(float)


def _act_softplus(z):
    return np.logaddexp(0.0, z), expit(z)


def _act_sigmoid(z):
    a = expit(z)
    return a, a * (1.0 - a)


#: activation name -> function returning ``(act(z), act'(z))``, both elementwise.
_ACTIVATION_FUNCS: dict[str, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "tanh": _act_tanh, "relu": _act_relu, "softplus": _act_softplus, "sigmoid": _act_sigmoid,
}


def _as_float_array(name: str, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a float array; could not convert it: {exc}") from None


@dataclass(frozen=True)
class MLPUnit:
    """An MLP ``f_theta : R^d -> R^k`` with hidden ``widths`` (depth ``1..4``) and one ``activation``.

    ``f_theta(x) = C h_L + c`` with ``h_l = act(A_l h_{l-1} + b_l)``, ``h_0 = x`` (layout of ``theta`` in
    the module docstring).  Smooth for tanh/softplus/sigmoid; for relu it is piecewise linear in ``x``
    and ``theta`` and :meth:`vjp` returns the almost-everywhere gradient (``relu'(0) := 0``).
    """

    d: int
    k: int
    widths: tuple[int, ...]
    activation: str = "tanh"

    def __post_init__(self):
        for name in ("d", "k"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"MLPUnit.{name} must be a positive integer; got {value!r}")
        widths = tuple(self.widths) if not isinstance(self.widths, (int, np.integer)) else (self.widths,)
        if not 1 <= len(widths) <= MAX_DEPTH:
            raise ValueError(f"MLPUnit depth len(widths) must be in 1..{MAX_DEPTH}; got widths={widths}")
        if not all(isinstance(w, (int, np.integer)) and w >= 1 for w in widths):
            raise ValueError(f"MLPUnit widths must be positive integers; got {widths}")
        object.__setattr__(self, "widths", tuple(int(w) for w in widths))
        object.__setattr__(self, "d", int(self.d))
        object.__setattr__(self, "k", int(self.k))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose one of {ACTIVATIONS}")

    # -- layout ----------------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return len(self.widths)

    @cached_property
    def _layout(self) -> tuple[tuple[tuple[int, int], ...], tuple[int, int]]:
        """Shapes of the weight matrices ``A_1..A_L`` and of the readout ``C``."""
        fan_ins = (self.d,) + self.widths[:-1]
        hidden = tuple((w, f) for w, f in zip(self.widths, fan_ins))
        return hidden, (self.k, self.widths[-1])

    @property
    def n_params(self) -> int:
        """``q = sum_l widths[l] (fan_in_l + 1) + k (widths[-1] + 1)``."""
        hidden, (k, w) = self._layout
        return sum(r * (c + 1) for r, c in hidden) + k * (w + 1)

    def layers(self, theta) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``[(A_1, b_1), ..., (A_L, b_L), (C, c)]`` into ``theta`` (shape ``(q,)``)."""
        return self._params(self._check_theta(theta))

    # -- validation ------------------------------------------------------------------------------
    def _check_theta(self, theta) -> np.ndarray:
        theta = _as_float_array("theta", theta)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have shape (q,) = ({self.n_params},) for {self!r}; "
                             f"got shape {theta.shape}")
        return theta

    def _check_X(self, X) -> np.ndarray:
        X = _as_float_array("X", X)
        if X.ndim != 2 or X.shape[1] != self.d:
            raise ValueError(f"X must be a 2-D array of shape (n, d) = (n, {self.d}); got shape {X.shape}")
        return X

    # -- evaluation ------------------------------------------------------------------------------
    def _params(self, theta):
        """``layers`` without validation (``theta`` already checked)."""
        hidden, readout = self._layout
        out, pos = [], 0
        for r, c in hidden + (readout,):
            out.append((theta[pos:pos + r * c].reshape(r, c), theta[pos + r * c:pos + r * c + r]))
            pos += r * c + r
        return out

    def forward(self, X, theta):
        """``(f_theta(X) (n, k), pullback)`` with ``pullback(G) = vjp(X, theta, G)``, sharing one forward
        pass (the model uses this to get ``F`` and ``grad_theta F`` from a single evaluation)."""
        X = self._check_X(X)
        theta = self._check_theta(theta)
        params = self._params(theta)
        act = _ACTIVATION_FUNCS[self.activation]
        h, cache = X, []
        for A, b in params[:-1]:
            a, da = act(h @ A.T + b)
            cache.append((h, da))
            h = a
        C, c = params[-1]
        out = h @ C.T + c
        n, k = X.shape[0], self.k

        def pullback(G):
            """``sum_i J_theta(x_i)^T g_i`` for ``G`` (n, k): reverse mode, see :meth:`vjp`."""
            G = _as_float_array("G", G)
            if G.shape != (n, k):
                raise ValueError(f"G must have shape (n, k) = ({n}, {k}); got shape {G.shape}")
            grads = [(G.T @ h).ravel(), G.sum(axis=0)]
            delta = G @ C
            for (A, _), (h_prev, da) in zip(reversed(params[:-1]), reversed(cache)):
                dz = delta * da
                grads.append(dz.sum(axis=0))
                grads.append((dz.T @ h_prev).ravel())
                delta = dz @ A
            # grads holds [C, c, b_L, A_L, ..., b_1, A_1]: reverse the hidden pairs into theta's layout
            return np.concatenate(grads[:1:-1] + grads[:2])

        return out, pullback

    def __call__(self, X, theta) -> np.ndarray:
        """``f_theta`` on the rows of ``X`` (shape ``(n, d)``); returns shape ``(n, k)``."""
        return self.forward(X, theta)[0]

    def vjp(self, X, theta, G) -> np.ndarray:
        """``grad_theta sum_{i,j} G_ij f_theta(x_i)_j = sum_i J_theta(x_i)^T g_i``, shape ``(q,)``.

        ``G`` has shape ``(n, k)``.  Reverse-mode: with ``delta_L = G C`` and, going down,
        ``dZ_l = delta_l * act'(z_l)``, ``grad A_l = dZ_l^T h_{l-1}``, ``grad b_l = 1^T dZ_l``,
        ``delta_{l-1} = dZ_l A_l``; ``grad C = G^T h_L``, ``grad c = 1^T G``.
        """
        return self.forward(X, theta)[1](G)

    def init(self, rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
        """Random ``theta``: Glorot-normal weights ``N(0, scale^2 * 2 / (fan_in + fan_out))``, biases
        ``N(0, (0.1 scale)^2)`` (small but nonzero so relu units are not all alive or dead together)."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator (seeded); got {type(rng).__name__}")
        hidden, readout = self._layout
        parts = []
        for r, c in hidden + (readout,):
            std = scale * np.sqrt(2.0 / (r + c))
            parts.append(rng.normal(0.0, std, size=r * c))
            parts.append(rng.normal(0.0, 0.1 * scale, size=r))
        return np.concatenate(parts)


def sample_unit(rng: np.random.Generator, d: int, k: int, depth: int | None = None,
                width: int | None = None, activation: str | None = None,
                max_width: int = 8) -> MLPUnit:
    """Sample an :class:`MLPUnit` ``R^d -> R^k``, drawing whatever is ``None``.

    ``depth`` uniform on ``1..4``; ``width`` (when ``None``) drawn independently per layer uniform on
    ``2..max_width`` (an int gives every layer that width); ``activation`` uniform on ``ACTIVATIONS``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator (seeded); got {type(rng).__name__}")
    if max_width < 2:
        raise ValueError(f"max_width must be >= 2; got {max_width}")
    depth = int(rng.integers(1, MAX_DEPTH + 1)) if depth is None else depth
    if width is None:
        widths = tuple(int(w) for w in rng.integers(2, max_width + 1, size=depth))
    else:
        widths = (int(width),) * depth
    if activation is None:
        activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    return MLPUnit(d=d, k=k, widths=widths, activation=activation)
