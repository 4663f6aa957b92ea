"""Scalar functions of vectors and matrices that print in the paper's notation and expand on demand.

``inner(a, b)`` is ``a^T b``, ``norm(a)`` is the Euclidean (Frobenius for matrices) norm, ``opnorm(M)``
the spectral norm ``||M||_2``.  At the named level they are opaque scalars (so SymPy can mix them with
scalars, and ``sympy.latex`` prints ``a^\\top b``, ``\\|a\\|``); ``doit()`` on explicit matrices expands
the first two into components.  ``opnorm`` never expands: it is a positive scalar about which the
kernel knows exactly one fact, its definition ``||M z|| <= ||M||_2 ||z||`` (see ``atoms``).
"""
from __future__ import annotations

import sympy as sp


def _explicit(arg):
    return isinstance(arg, sp.MatrixBase)


def _atomic_latex(printer, arg) -> str:
    """LaTeX of ``arg``, parenthesised unless it is a single symbol (so ``(V c)^T w`` keeps its
    meaning: without parentheses it would read ``V c^T w``)."""
    text = printer._print(arg)
    if isinstance(arg, (sp.Symbol, sp.MatrixSymbol)) or (arg.is_Atom if hasattr(arg, "is_Atom") else False):
        return text
    return rf"\left({text}\right)"


class inner(sp.Function):
    """``a^T b`` for two column vectors (or the Frobenius inner product of two matrices)."""

    nargs = 2
    is_commutative = True
    is_real = True

    def doit(self, **hints):
        a, b = (arg.doit(**hints) for arg in self.args)
        if isinstance(a, sp.MatrixExpr) and not _explicit(a):
            a = a.as_explicit() if a.shape[0].is_Integer and a.shape[1].is_Integer else a
        if isinstance(b, sp.MatrixExpr) and not _explicit(b):
            b = b.as_explicit() if b.shape[0].is_Integer and b.shape[1].is_Integer else b
        if _explicit(a) and _explicit(b):
            if a.shape != b.shape:
                raise ValueError(f"inner product of shapes {a.shape} and {b.shape}")
            return sp.Add(*[x * y for x, y in zip(a, b)])
        return self.func(a, b)

    def _latex(self, printer, exp=None):
        a, b = (_atomic_latex(printer, arg) for arg in self.args)
        body = rf"{a}^{{\top}} {b}"
        return rf"\left({body}\right)^{{{exp}}}" if exp else body


class norm(sp.Function):
    """Euclidean norm of a vector, Frobenius norm of a matrix."""

    nargs = 1
    is_commutative = True
    is_real = True
    is_nonnegative = True

    def doit(self, **hints):
        a = self.args[0].doit(**hints)
        if isinstance(a, sp.MatrixExpr) and not _explicit(a) and all(s.is_Integer for s in a.shape):
            a = a.as_explicit()
        if _explicit(a):
            return sp.sqrt(sp.Add(*[x ** 2 for x in a]))
        return self.func(a)

    def _latex(self, printer, exp=None):
        body = rf"\left\|{printer._print(self.args[0])}\right\|"
        return rf"{body}^{{{exp}}}" if exp else body


class opnorm(sp.Function):
    """Spectral norm ``||M||_2 = max_{||z|| = 1} ||M z||``: an opaque nonnegative scalar."""

    nargs = 1
    is_commutative = True
    is_real = True
    is_nonnegative = True

    def doit(self, **hints):
        a = self.args[0].doit(**hints)
        if isinstance(a, sp.MatrixExpr) and not _explicit(a) and all(s.is_Integer for s in a.shape):
            a = sp.ImmutableMatrix(a.as_explicit())
        if _explicit(a):
            a = sp.ImmutableMatrix(a)
        return self.func(a)

    def _latex(self, printer, exp=None):
        body = rf"\left\|{printer._print(self.args[0])}\right\|_2"
        return rf"{body}^{{{exp}}}" if exp else body
