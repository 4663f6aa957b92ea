"""Front end: named-level SymPy matrix expressions (``proofs/expressions.py``) into index expressions.

``translate(expr, table, out)`` reads products, transposes, sums, scalar multiples and powers,
``inner(a, b)``, ``norm(a)``, ``opnorm(M)``, inverses, ``ZeroMatrix`` and ``Identity``; every named
quantity must have an entry in ``table`` (a :class:`~.terms.Lam` binding one index per non-unit
dimension).  Scalars built from symbols not in the table (``t``, ``eta``, ``B / sqrt(T)``) are opaque
coefficients (universally quantified).
Rules: ``(A B)[i, j] = sum_l A[i, l] B[l, j]`` (no sum over a unit dimension: ``w c^T``),
``(A^T)[i, j] = A[j, i]``, ``(A + B)[i] = A[i] + B[i]``, ``a^T b = sum_i a[i] b[i]`` (Frobenius for
matrices), ``||a|| = sqrt(a^T a)``, ``x^(-1)`` a denominator of the result (a :class:`~.terms.Quotient`).
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..linalg import inner, norm, opnorm
from .terms import (Expr, IndexAlgebraError, Lam, Quotient, as_expr, constant_in, delta, fresh, function,
                    index, sum_over, zero)


def _dims(expr) -> list:
    shape = expr.shape if isinstance(expr, sp.MatrixExpr) else (1, 1)
    return [s for s in shape if s != 1]


def _new(size) -> sp.Idx:
    return fresh(index("z", size))


def translate(expr, table: Mapping, out: tuple = ()) -> Quotient:
    """The index form of ``expr`` with free indices ``out`` (one per non-unit dimension, in order)."""
    expr = sp.sympify(expr)
    dims = _dims(expr)
    if len(out) != len(dims):
        raise IndexAlgebraError(f"{expr} has {len(dims)} non-unit dimension(s) {dims}; got indices {out}")
    for idx, size in zip(out, dims):
        if (idx.lower, idx.upper) != (0, size - 1):
            raise IndexAlgebraError(f"index {idx} over {idx.lower}..{idx.upper} for a dimension {size}")
    return _tr(expr, tuple(out), table)


def _sum(q: Quotient, *idx) -> Quotient:
    return Quotient(sum_over(q.num, *idx), q.dens)


def _coefficient(expr, table) -> bool:
    """A scalar built from numbers and symbols without definitions: an opaque coefficient."""
    return (not isinstance(expr, sp.MatrixExpr) and not expr.atoms(sp.MatrixSymbol, inner, norm, opnorm)
            and not any(symbol in table for symbol in expr.free_symbols))


def _tr(expr, out, table) -> Quotient:
    if expr in table:
        return Quotient(table[expr](*out))
    if not out and _coefficient(expr, table):
        num, den = sp.fraction(sp.together(expr))   # a divisor stays a denominator to be declared
        return Quotient(as_expr(num)) / as_expr(den) if not den.is_number else Quotient(as_expr(expr))
    if isinstance(expr, sp.ZeroMatrix) or expr == 0:
        return Quotient(zero(*out))
    if isinstance(expr, sp.Identity):
        return Quotient(delta(*out))
    if isinstance(expr, sp.MatrixSymbol):
        raise IndexAlgebraError(f"no definition for the named quantity {expr}")
    if isinstance(expr, (sp.MatAdd, sp.Add)):
        parts = [_tr(arg, out if _dims(arg) else (), table) for arg in expr.args]
        # a table entry free in an outer index (a family member at step t) makes its summands depend on
        # t; a summand that does not is the same for every t (constant_in broadcasts it)
        outer = frozenset().union(*(q.num.free for q in parts)) - frozenset(out)
        total = Quotient(zero(*out, *outer))
        for q in parts:
            total = total + Quotient(constant_in(q.num, *(outer - q.num.free)), q.dens)
        return total
    if isinstance(expr, sp.Transpose):
        return _tr(expr.arg, tuple(reversed(out)), table)
    if isinstance(expr, sp.Inverse):
        (x, y) = (_new(s) for s in expr.arg.shape)
        body = _tr(expr.arg, (x, y), table)
        if body.dens:
            raise IndexAlgebraError("inverse of a matrix with denominators")
        return Quotient(function("inv", Lam((x, y), body.num), args=out))
    if isinstance(expr, (sp.MatMul, sp.Mul)):
        scalars = [a for a in expr.args if not isinstance(a, sp.MatrixExpr)]
        chain = [a for a in expr.args if isinstance(a, sp.MatrixExpr)]
        result = Quotient(as_expr(1))
        for s in scalars:
            result = result * _tr(s, (), table)
        if chain:
            result = result * _chain(chain, out, table)
        return result
    if isinstance(expr, sp.Pow) and not isinstance(expr, sp.MatrixExpr):
        base, exp = expr.args
        if exp.is_Integer and exp > 0:
            out_q = Quotient(as_expr(1))
            for _ in range(int(exp)):
                out_q = out_q * _tr(base, (), table)
            return out_q
        if exp.is_Integer and exp < 0:
            return Quotient(as_expr(1)) / _tr(sp.Pow(base, -exp), (), table)
        raise IndexAlgebraError(f"power {exp} of a scalar quantity")
    if isinstance(expr, inner):
        a, b = expr.args
        if a.shape != b.shape:
            raise IndexAlgebraError(f"inner product of shapes {a.shape} and {b.shape}")
        idx = tuple(_new(s) for s in _dims(a))
        return _sum(_tr(a, idx, table) * _tr(b, idx, table), *idx)
    if isinstance(expr, norm):
        square = translate(inner(expr.args[0], expr.args[0]), table)
        if square.dens:
            raise IndexAlgebraError("norm of an expression with denominators")
        return Quotient(function("sqrt", square.num))
    if isinstance(expr, opnorm):
        x, y = (_new(s) for s in expr.args[0].shape)
        body = _tr(expr.args[0], (x, y), table)
        if body.dens or len(_dims(expr.args[0])) != 2:
            raise IndexAlgebraError(f"opnorm of {expr.args[0]}: a matrix without denominators expected")
        return Quotient(function("opnorm", Lam((x, y), body.num)))
    if isinstance(expr, sp.Symbol) or expr.is_number:
        return Quotient(as_expr(expr))
    raise IndexAlgebraError(f"no translation for {type(expr).__name__}: {expr}")


def _chain(chain, out, table) -> Quotient:
    """``M_1 M_2 ... M_r`` with free row/column indices ``out``; inner dimensions summed."""
    sizes = [chain[0].shape[0]] + [m.shape[1] for m in chain]
    for left, right in zip(chain, chain[1:]):
        if left.shape[1] != right.shape[0]:
            raise IndexAlgebraError(f"product of shapes {left.shape} and {right.shape}")
    outer = list(out)
    bounds = [outer.pop(0) if sizes[0] != 1 else None]
    summed = []
    for s in sizes[1:-1]:
        bounds.append(_new(s) if s != 1 else None)
        if s != 1:
            summed.append(bounds[-1])
    bounds.append(outer.pop(0) if sizes[-1] != 1 else None)
    result = Quotient(as_expr(1))
    for pos, m in enumerate(chain):
        idx = tuple(b for b in (bounds[pos], bounds[pos + 1]) if b is not None)
        result = result * _tr(m, idx, table)
    return _sum(result, *summed) if summed else result


def matrix_lam(expr, table: Mapping) -> Lam:
    """``expr`` as a :class:`~.terms.Lam` over fresh indices (e.g. the ``G`` of ``inv(G)``)."""
    idx = tuple(_new(s) for s in _dims(expr))
    value = translate(expr, table, idx)
    if value.dens:
        raise IndexAlgebraError(f"{expr} has denominators")
    return Lam(idx, value.num)


__all__ = ["translate", "matrix_lam", "Expr"]
