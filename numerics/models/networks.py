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
  which lets the model get ``F`` and ``grad_theta F`` from one forward pass;
- optionally ``readout_pass(X, theta, u, respond, backward=True) -> ReadoutPass``: the fused,
  row-blocked evaluation of the scalar readout ``s_i = u^T f_theta(x_i)`` and of the pullback of the
  rank-one cotangent ``G = r u^T`` (the only one the residual model ``p = w^T (x + V f)`` ever pulls
  back, with ``u = V^T w``); see :meth:`MLPUnit.readout_pass`.  Only units whose rows are independent
  (``f_theta(x_i)`` depends on ``x_i`` alone) may offer it.

:class:`MLPUnit` implements all of it.

The fused pass (why it is faster, and why it is the same function)
------------------------------------------------------------------
For the residual model the cotangent of the features is ``G = r u^T`` (rank one), so the readout
needs no matrix products: ``u^T f = (C^T u)^T h_L + u^T c``, ``grad C = u (h_L^T r)^T``,
``delta_L = r (C^T u)^T``.  What remains are the ``2 L - 1`` products with the hidden weights
(``L`` forward, ``L`` for ``grad A_l`` and ``L - 1`` for ``delta_{l-1}``).  The rows are processed in
blocks of :data:`BLOCK_ENTRIES` entries per layer so that the activations of a block stay in the CPU cache between the
forward pass, the loss (``respond``) and the backward pass, and every buffer is allocated once per
call.  The sums over rows are regrouped block by block, so results differ from the straightforward
:meth:`MLPUnit.vjp` only by float64 rounding (tested to ``1e-12`` relative in
``tests/numerics/models/test_networks.py``).

Parameter layout of :class:`MLPUnit`
------------------------------------
Hidden layers ``h_0 = x``, ``h_l = act(A_l h_{l-1} + b_l)`` for ``l = 1..L`` (``L = len(widths)``), then
a linear readout ``f = C h_L + c``.  ``theta`` concatenates, layer by layer, ``A_l`` (row-major, shape
``(widths[l-1], fan_in)``) and ``b_l``, then ``C`` (shape ``(k, widths[-1])``) and ``c`` (shape ``(k,)``),
so ``q = sum_l widths[l] (fan_in_l + 1) + k (widths[-1] + 1)``.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Protocol, runtime_checkable

import numpy as np
from scipy.special import expit

from resnet_lemmas.numerics._blas import single_threaded_blas

ACTIVATIONS = ("tanh", "relu", "softplus", "sigmoid")
MAX_DEPTH = 4
#: Entries per layer buffer of a block in :meth:`MLPUnit.readout_pass`: a block has
#: ``BLOCK_ENTRIES // max(d, widths)`` rows, so at width 128 it has 256 rows and each layer's block
#: takes 256 x 128 x 8 B = 256 KiB: input, two hidden layers and the delta buffer stay in a 2 MiB L2
#: cache.  Measured on the project machine at width 128, n = 1e5, one thread: blocks of 256, 512 and
#: 1024 rows took 0.41, 0.41 and 0.42 s, 128 rows 0.48 s (the straightforward path, whole arrays:
#: 1.5 s).
BLOCK_ENTRIES = 256 * 128
#: Blocks per chunk of :meth:`MLPUnit.readout_pass`: the unit of work of one thread and of the
#: summation order (fixed, so results do not depend on the number of threads).  16 blocks of 256
#: rows at width 128 are about 20 ms of work: enough to amortise handing a chunk to a thread.
CHUNK_BLOCKS = 16


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


# In-place maps from what the fused pass stores for a layer -- the activation ``a = act(z)``, or for
# softplus the pre-activation ``z`` -- to ``act'(z)``, by the same formulas as ``_ACTIVATION_FUNCS``.
def _tanh_derivative_inplace(a):
    np.multiply(a, a, out=a)
    np.subtract(1.0, a, out=a)


def _relu_derivative_inplace(a):
    np.sign(a, out=a)                      # a = max(z, 0) >= 0, so sign(a) = [z > 0] exactly


def _sigmoid_derivative_inplace(a):
    np.multiply(a, np.subtract(1.0, a), out=a)


def _softplus_derivative_inplace(z):
    expit(z, out=z)


#: activation name -> in-place ``act'`` from the stored activation (softplus: pre-activation).
_DERIVATIVE_INPLACE = {"tanh": _tanh_derivative_inplace, "relu": _relu_derivative_inplace,
                       "sigmoid": _sigmoid_derivative_inplace, "softplus": _softplus_derivative_inplace}


def _activate_inplace(name: str, z, keep_z):
    """``z <- act(z)`` in place; for softplus, ``keep_z`` (same shape) receives ``z`` first."""
    if name == "tanh":
        np.tanh(z, out=z)
    elif name == "relu":
        np.maximum(z, 0.0, out=z)
    elif name == "sigmoid":
        expit(z, out=z)
    else:
        np.copyto(keep_z, z)
        np.logaddexp(0.0, z, out=z)


@dataclass(frozen=True)
class ReadoutPass:
    """What :meth:`MLPUnit.readout_pass` returns (sums over rows, not means).

    ``vjp (q,) = sum_i J_theta(x_i)^T u r_i`` (``None`` when ``backward=False``) and
    ``feature_moment (k,) = sum_i r_i f_theta(x_i)`` (``None`` likewise).
    """

    vjp: np.ndarray | None
    feature_moment: np.ndarray | None


class _BlockBuffers:
    """The per-thread work arrays of :meth:`MLPUnit.readout_pass` (one block's rows), allocated once
    per call and thread: activations per layer, pre-activations for softplus, one delta, ``s``, and
    one block's weight gradients."""

    def __init__(self, unit, rows: int):
        widths = unit.widths
        self.H = [np.empty((rows, width)) for width in widths]
        self.Z = ([np.empty((rows, width)) for width in widths] if unit.activation == "softplus"
                  else [None] * len(widths))
        self.delta = np.empty((rows, max(widths)))
        self.s = np.empty(rows)
        self.block_grad = [np.empty(shape) for shape in unit._layout[0]]


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

    def readout_pass(self, X, theta, u, respond, backward: bool = True,
                     block_rows: int | None = None, workers: int = 1) -> ReadoutPass:
        """Fused, row-blocked scalar readout and rank-one pullback (module docstring, last section).

        For each block of rows ``B`` (``block_rows`` at a time; by default
        ``BLOCK_ENTRIES // max(d, widths)``) this computes ``s_B = (u^T f_theta(x_i))_{i in B}``
        (shape ``(|B|,)``) and calls ``respond(rows, s_B)`` with ``rows`` the ``slice`` of ``B``; with
        ``backward=True`` ``respond`` returns ``r_B`` (shape ``(|B|,)``), the cotangent of ``s_B``, and
        the block is pulled back at once.  Returns ``ReadoutPass(vjp = sum_i J_theta(x_i)^T u r_i =
        vjp(X, theta, r u^T), feature_moment = sum_i r_i f_theta(x_i))``.  Shapes: ``X (n, d)``,
        ``theta (q,)``, ``u (k,)``.

        The blocks are grouped in chunks of :data:`CHUNK_BLOCKS`; each chunk's sums are formed in
        block order and the chunks' sums are added in chunk order, so the result does not depend on
        ``workers``, the number of threads that process chunks concurrently (BLAS is single-threaded
        meanwhile: small products handed to a multithreaded BLAS stall on a busy machine).  With
        ``workers > 1``, ``respond`` is called concurrently for disjoint rows.  ``respond`` must not
        keep ``s_B`` (its buffer is reused).
        """
        X = self._check_X(X)
        theta = self._check_theta(theta)
        u = _as_float_array("u", u)
        if u.shape != (self.k,):
            raise ValueError(f"u must have shape (k,) = ({self.k},); got shape {u.shape}")
        if block_rows is None:
            block_rows = max(1, BLOCK_ENTRIES // max(self.d, *self.widths))
        if not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
            raise ValueError(f"block_rows must be a positive integer; got {block_rows!r}")
        if not isinstance(workers, (int, np.integer)) or workers < 1:
            raise ValueError(f"workers must be a positive integer; got {workers!r}")
        params = self._params(theta)
        C, c = params[-1]
        readout = C.T @ u                   # u^T f = readout^T h_L + u^T c
        offset = float(u @ c)
        n = X.shape[0]
        rows = int(max(1, min(block_rows, n)))
        chunk_rows = rows * CHUNK_BLOCKS
        chunks = [(start, min(start + chunk_rows, n)) for start in range(0, n, chunk_rows)]
        buffers = threading.local()

        def run_chunk(bounds):
            if getattr(buffers, "value", None) is None:
                buffers.value = _BlockBuffers(self, rows)
            return self._chunk_pass(X, params, readout, offset, respond, backward, bounds, rows,
                                    buffers.value)

        vjp = top_moment = None
        r_sum = 0.0
        with single_threaded_blas():
            if workers == 1 or len(chunks) == 1:
                partials = map(run_chunk, chunks)
                pool = None
            else:
                pool = ThreadPoolExecutor(max_workers=int(workers))
                partials = pool.map(run_chunk, chunks)   # in chunk order, whatever finishes first
            try:
                for partial in partials:
                    if partial is None:
                        continue
                    if vjp is None:
                        vjp, top_moment, r_sum = partial
                    else:
                        vjp += partial[0]
                        top_moment += partial[1]
                        r_sum += partial[2]
            finally:
                if pool is not None:
                    pool.shutdown()
        if not backward:
            return ReadoutPass(vjp=None, feature_moment=None)
        if vjp is None:                      # no rows: empty sums
            vjp, top_moment = np.zeros(self.n_params), np.zeros(self.widths[-1])
        grad_C, grad_c = self._params(vjp)[-1]
        np.outer(u, top_moment, out=grad_C)
        np.multiply(u, r_sum, out=grad_c)
        return ReadoutPass(vjp=vjp, feature_moment=C @ top_moment + c * r_sum)

    def _chunk_pass(self, X, params, readout, offset, respond, backward, bounds, rows, buf):
        """One chunk of :meth:`readout_pass`: its blocks in order.  Returns ``None`` (forward only)
        or ``(vjp part (q,), sum_i r_i h_L(x_i), sum_i r_i)`` over the chunk; the ``C``, ``c`` entries
        of the vjp part are left for the caller (they follow from the other two sums)."""
        hidden = params[:-1]
        depth, name, widths = len(hidden), self.activation, self.widths
        H, Z, delta, s = buf.H, buf.Z, buf.delta, buf.s
        act_prime_of = Z if name == "softplus" else H     # what _DERIVATIVE_INPLACE turns into act'
        derivative_inplace = _DERIVATIVE_INPLACE[name]
        first_block = True
        if backward:
            vjp = np.zeros(self.n_params)
            grads = self._params(vjp)         # views (grad A_l, grad b_l), ..., (grad C, grad c)
            top_moment = np.zeros(widths[-1])
            r_sum = 0.0
        for start in range(bounds[0], bounds[1], rows):
            stop = min(start + rows, bounds[1])
            m = stop - start
            X_B = X[start:stop]
            h = X_B
            for layer, (A, b) in enumerate(hidden):
                z = H[layer][:m]
                np.matmul(h, A.T, out=z)
                z += b
                _activate_inplace(name, z, None if Z[layer] is None else Z[layer][:m])
                h = z
            s_B = np.matmul(h, readout, out=s[:m])
            s_B += offset
            r_B = respond(slice(start, stop), s_B)
            if not backward:
                continue
            r_B = np.asarray(r_B, dtype=np.float64)
            if r_B.shape != (m,):
                raise ValueError(f"respond must return r for the block: shape ({m},); got shape {r_B.shape}")
            top_moment += r_B @ h
            r_sum += r_B.sum()
            # dZ_L = (r readout^T) * act'(z_L), built in place of h_L (no longer needed)
            dZ = act_prime_of[depth - 1][:m]
            derivative_inplace(dZ)
            dZ *= readout
            dZ *= r_B[:, None]
            for layer in range(depth - 1, -1, -1):
                below = X_B if layer == 0 else H[layer - 1][:m]
                grad_A, grad_b = grads[layer]
                if first_block:               # the chunk's first block initialises its sums
                    np.matmul(dZ.T, below, out=grad_A)
                    np.sum(dZ, axis=0, out=grad_b)
                else:
                    grad_A += np.matmul(dZ.T, below, out=buf.block_grad[layer])
                    grad_b += dZ.sum(axis=0)
                if layer == 0:
                    break
                # delta_{l-1} = dZ_l A_l, then dZ_{l-1} = delta_{l-1} * act'(z_{l-1}) in place of h_{l-1}
                d_below = delta[:m, :widths[layer - 1]]
                np.matmul(dZ, hidden[layer][0], out=d_below)
                dZ = act_prime_of[layer - 1][:m]
                derivative_inplace(dZ)
                dZ *= d_below
            first_block = False
        return (vjp, top_moment, r_sum) if backward else None

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
