"""Rigorous enclosures (python-flint ``arb`` balls) for claims that one float64 comparison would decide.

A float64 computation of ``E l(0; y) - E l(u^T x; y)`` or of ``E[l''(0; y)(u^T phi)^2] - 2 s ||u||^2 ||c||^2``
returns a number whose sign, when it is small, is decided by rounding.  Here the same quantity is
evaluated in ball arithmetic (Arb, through python-flint): every operation returns a ball that contains
the exact real result, so a ball entirely below (or above) zero *proves* the sign.

What is exact and what is enclosed.  The inputs -- the float64 arrays ``X``, ``y``, the features
``f_theta(x_i)`` as computed, the point ``(w, V)`` and the comparator ``u`` -- are taken as exact
rational numbers (every float64 is one); everything computed from them (products, sums, the mean, the
loss and its derivatives, which are evaluated from the loss's *SymPy expression*, the one the kernel
proves things about, not from its NumPy kernel) is enclosed.  So a certified sign is a theorem about
the exact objective at that exact (float64) point and data.

:func:`loss_enclosure` compiles a loss expression (``Add``, ``Mul``, ``Pow`` with rational exponents,
``exp``, ``log``, the primitives ``softplus`` and ``sigmoid``, rational constants) into a function on
balls; anything else raises ``TypeError`` naming the node, never a silent float.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx

from resnet_lemmas.proofs.losses import P, Y
from resnet_lemmas.proofs.primitives import sigmoid, softplus

#: Working precision of the balls, in bits.  Far above float64's 53, so the balls stay narrow
#: (radius ~1e-35 relative) and only the sign question, never the precision, decides a claim.
PRECISION_BITS = 128


def _compile(expr: sp.Expr) -> Callable[[arb, arb], arb]:
    """A function ``(p, y) -> arb`` evaluating ``expr`` (in the loss symbols ``P``, ``Y``) on balls."""
    if expr == P:
        return lambda p, y: p
    if expr == Y:
        return lambda p, y: y
    if expr.is_Integer:
        value = int(expr)
        return lambda p, y: arb(value)
    if expr.is_Rational:
        num, den = int(expr.p), int(expr.q)
        return lambda p, y: arb(num) / arb(den)
    if expr is sp.E:
        return lambda p, y: arb(1).exp()
    if isinstance(expr, sp.Add):
        terms = [_compile(a) for a in expr.args]

        def add(p, y):
            total = arb(0)
            for term in terms:
                total += term(p, y)
            return total
        return add
    if isinstance(expr, sp.Mul):
        factors = [_compile(a) for a in expr.args]

        def mul(p, y):
            total = arb(1)
            for factor in factors:
                total *= factor(p, y)
            return total
        return mul
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if base is sp.E:
            inner = _compile(exponent)
            return lambda p, y: inner(p, y).exp()
        b = _compile(base)
        if exponent.is_Integer:
            e = int(exponent)
            return lambda p, y: b(p, y) ** e
        if exponent == sp.Rational(1, 2):
            return lambda p, y: b(p, y).sqrt()
        if exponent == sp.Rational(-1, 2):
            return lambda p, y: 1 / b(p, y).sqrt()
        if exponent.is_Rational:
            num, den = int(exponent.p), int(exponent.q)
            return lambda p, y: (arb(num) / arb(den) * b(p, y).log()).exp()
        raise TypeError(f"no ball evaluation for the power {sp.sstr(expr)} (non-rational exponent)")
    if isinstance(expr, sp.exp):
        inner = _compile(expr.args[0])
        return lambda p, y: inner(p, y).exp()
    if isinstance(expr, sp.log) and len(expr.args) == 1:
        inner = _compile(expr.args[0])
        return lambda p, y: inner(p, y).log()
    if isinstance(expr, softplus):
        inner = _compile(expr.args[0])
        return lambda p, y: (1 + inner(p, y).exp()).log()
    if isinstance(expr, sigmoid):
        inner = _compile(expr.args[0])
        return lambda p, y: 1 / (1 + (-inner(p, y)).exp())
    raise TypeError(f"no ball evaluation for {type(expr).__name__} in {sp.sstr(expr)}")


_COMPILED: dict = {}


def loss_enclosure(loss, order: int = 0) -> Callable[[arb, arb], arb]:
    """``(p, y) -> ball containing l^(order)(p; y)``, compiled from the loss's SymPy expression (cached
    per loss expression and order)."""
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2; got {order}")
    key = (loss.name, loss.expr, order)
    if key not in _COMPILED:
        _COMPILED[key] = _compile((loss.expr, loss.d1, loss.d2)[order])
    return _COMPILED[key]


def ball(value: float) -> arb:
    """The float64 ``value`` as an exact ball (radius 0); refuses NaN/inf."""
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"cannot enclose a non-finite input {value!r}")
    return arb(value)


def dot(row, vector) -> arb:
    """``sum_i row_i vector_i`` on balls (``row``: floats; ``vector``: floats or balls)."""
    total = arb(0)
    for a, b in zip(row, vector):
        total += ball(a) * (b if isinstance(b, arb) else ball(b))
    return total


def upper(x: arb) -> float:
    """A float64 upper bound of the ball ``x``: its upper end converted to float64, moved one step up
    when the conversion (to nearest) rounded down."""
    end = x.upper()
    value = float(end)
    return float(np.nextafter(value, np.inf)) if arb(value) < end else value


def lower(x: arb) -> float:
    """A float64 lower bound of the ball ``x`` (the mirror of :func:`upper`)."""
    end = x.lower()
    value = float(end)
    return float(np.nextafter(value, -np.inf)) if arb(value) > end else value


def _loss_sum(fn, predictions, y) -> arb:
    """``sum_i fn(p_i, y_i)`` on balls.  Float predictions are grouped: each distinct ``(p, y)`` pair is
    evaluated once and multiplied by its count (exact), which makes constant predictions (``p = 0``, a
    dead network's constant) cost one evaluation per distinct target."""
    total = arb(0)
    floats = [(float(p), float(t)) for p, t in zip(predictions, y) if not isinstance(p, arb)]
    for p, t in zip(predictions, y):
        if isinstance(p, arb):
            total += fn(p, ball(t))
    counts: dict = {}
    for key in floats:
        counts[key] = counts.get(key, 0) + 1
    for (p, t), count in counts.items():
        total += count * fn(ball(p), ball(t))
    return total


def mean_loss_gap(loss, y, p_first, p_second) -> arb:
    """Ball containing ``E l(p_first; y) - E l(p_second; y)`` (rows given as floats or balls)."""
    value = loss_enclosure(loss, 0)
    with ctx.workprec(PRECISION_BITS):
        return (_loss_sum(value, p_first, y) - _loss_sum(value, p_second, y)) / len(y)


def _matrix(A) -> arb_mat:
    """A float64 matrix as an exact ``arb_mat`` (every float is a rational number); refuses NaN/inf."""
    A = np.atleast_2d(np.asarray(A, dtype=np.float64))
    if not np.all(np.isfinite(A)):
        raise ValueError("cannot enclose a non-finite input")
    return arb_mat(A.tolist())


def linear_predictions(X, u) -> list[arb]:
    """Balls containing ``u^T x_i`` for every row of ``X`` (one ``arb_mat`` product)."""
    with ctx.workprec(PRECISION_BITS):
        product = _matrix(X) * _matrix(np.asarray(u, dtype=np.float64)[:, None])
        return [product[i, 0] for i in range(product.nrows())]


def mean_derivative(loss, y, s: float, order: int = 1) -> arb:
    """Ball containing ``E l^(order)(s; y)`` at the constant prediction ``s``."""
    fn = loss_enclosure(loss, order)
    with ctx.workprec(PRECISION_BITS):
        return _loss_sum(fn, [float(s)] * len(y), y) / len(y)


def loss_balls(loss, order: int, predictions, y) -> list[arb]:
    """``[l^(order)(p_i; y_i)]`` as balls (``predictions``: floats or balls).  Call inside
    ``ctx.workprec(PRECISION_BITS)`` (as every function here that returns balls) to keep them narrow."""
    fn = loss_enclosure(loss, order)
    cache: dict = {}
    out = []
    for p, yi in zip(predictions, y):
        if isinstance(p, arb):
            out.append(fn(p, ball(yi)))
            continue
        key = (float(p), float(yi))      # repeated (p, y) pairs (p = 0, sign targets) evaluated once
        if key not in cache:
            cache[key] = fn(ball(key[0]), ball(key[1]))
        out.append(cache[key])
    return out


def weighted_mean(weights, M) -> list[arb]:
    """``(1/n) sum_i weights_i M_i`` for balls ``weights (n)`` and a float matrix ``M (n, j)``: ``j`` balls."""
    M = np.asarray(M, dtype=np.float64)
    n = M.shape[0]
    row = arb_mat(1, n, list(weights))
    product = row * _matrix(M)
    return [product[0, j] / n for j in range(product.ncols())]


def matvec(A, v) -> list[arb]:
    """``A v`` for a float matrix ``A (d, k)`` and balls ``v (k)``."""
    product = _matrix(A) * arb_mat(len(v), 1, list(v))
    return [product[i, 0] for i in range(product.nrows())]


def squared_norm(v) -> arb:
    """``sum_i v_i^2`` for balls ``v``."""
    total = arb(0)
    for x in v:
        total += x * x
    return total
