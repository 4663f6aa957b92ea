"""Norm inequalities: Cauchy-Schwarz, the spectral norm, and a ratio of norms.

Soundness.  ``CauchySchwarzGap``: Lagrange's identity ``||a||^2 ||b||^2 - (a^T b)^2 =
sum_{i<j} (a_i b_j - a_j b_i)^2`` is checked on the real components, so ``(a^T b)^2 <= ||a||^2 ||b||^2``;
both norms are nonnegative square roots, hence ``a^T b <= |a^T b| <= ||a|| ||b||``.
``OperatorNormGap``: ``||M z|| <= ||M||_2 ||z||`` *is* the definition of the spectral norm
``||M||_2 = max_{||z|| = 1} ||M z||`` (trusted as a definition; the atom checks shapes and realness).
``NormRatioGap``: ``||v||^2 ||z||^2 = ||M||^2`` identically and ``z != 0`` give
``||M|| / ||z|| = ||v||`` (nonnegative roots of equal squares), so ``coef (||M|| / ||z|| - ||v||) = 0``.
At symbolic sizes: Lagrange's identity is a polynomial identity in the components of two vectors; it is
proven once, by the normal form, for fresh tensors ``A, B`` of the atom's shape (each dimension a size
symbol, so for every length); a polynomial identity in free real variables holds at every real value,
in particular at the components of ``a`` and ``b`` (real by the algebra's meaning, checked), and the
argument above follows.  The other two atoms use the same arguments with the normal form.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ...linalg import inner, norm, opnorm
from .. import sizes
from ..errors import KernelError
from ..zero import prove_zero, require_real


def _vector(env, expr, what) -> list:
    value = env.inst(expr)
    if not isinstance(value, sp.MatrixBase):
        raise KernelError(f"{what}: {expr} is not a vector or matrix")
    require_real(value, what)
    return list(value)


@dataclass(frozen=True)
class CauchySchwarzGap:
    """``||a|| ||b|| - a^T b >= 0``."""

    a: sp.Basic
    b: sp.Basic

    @property
    def expr(self):
        return norm(self.a) * norm(self.b) - inner(self.a, self.b)

    def certify(self, env) -> str:
        if env.symbolic:
            sizes.lagrange(env, self.a, self.b)
            return f"Cauchy-Schwarz for ({self.a}, {self.b}) by Lagrange's identity at every size"
        A = _vector(env, self.a, "Cauchy-Schwarz atom")
        B = _vector(env, self.b, "Cauchy-Schwarz atom")
        if len(A) != len(B):
            raise KernelError(f"Cauchy-Schwarz atom: sizes {len(A)} and {len(B)} differ")
        _lagrange(len(A), env.timeout)
        return f"Cauchy-Schwarz for ({self.a}, {self.b}) by Lagrange's identity"


_LAGRANGE_CHECKED: set = set()


def _lagrange(size: int, timeout) -> None:
    """Lagrange's identity in ``size`` real components, checked on fresh real symbols.

    It is a polynomial identity, so it holds at every real value of the components -- in particular at
    the instantiated ones, whose realness the atom has checked.  Checked once per size and process."""
    if size in _LAGRANGE_CHECKED:
        return
    A = sp.symbols(f"a0:{size}", real=True)
    B = sp.symbols(f"b0:{size}", real=True)
    lagrange = (sp.Add(*[x ** 2 for x in A]) * sp.Add(*[x ** 2 for x in B])
                - sp.Add(*[x * y for x, y in zip(A, B)]) ** 2
                - sp.Add(*[(A[i] * B[j] - A[j] * B[i]) ** 2
                           for i in range(size) for j in range(i + 1, size)]))
    prove_zero(lagrange, timeout, f"Lagrange identity in {size} components")
    _LAGRANGE_CHECKED.add(size)


@dataclass(frozen=True)
class OperatorNormGap:
    """``||M||_2 ||z|| - ||M z|| >= 0``: the definition of the spectral norm."""

    M: sp.Basic
    z: sp.Basic

    @property
    def expr(self):
        return opnorm(self.M) * norm(self.z) - norm(self.M * self.z)

    def certify(self, env) -> str:
        if env.symbolic:
            sizes.operator_norm(env, self.M, self.z)
            return f"definition of the spectral norm ||{self.M}||_2 (all sizes)"
        M, z = env.inst(self.M), env.inst(self.z)
        if not (isinstance(M, sp.MatrixBase) and isinstance(z, sp.MatrixBase)) or M.shape[1] != z.shape[0]:
            raise KernelError(f"operator-norm atom: {self.M} times {self.z} is not defined")
        require_real(M, "operator-norm atom")
        require_real(z, "operator-norm atom")
        return f"definition of the spectral norm ||{self.M}||_2"


@dataclass(frozen=True)
class NormRatioGap:
    """``coef (||M|| / ||z|| - ||v||) >= 0`` (indeed ``= 0``)."""

    M: sp.Basic
    z: sp.Basic
    v: sp.Basic
    coef: sp.Expr = sp.Integer(1)

    @property
    def expr(self):
        return self.coef * (norm(self.M) / norm(self.z) - norm(self.v))

    def certify(self, env) -> str:
        if env.symbolic:
            if sizes.nonneg(env, self.coef) is None:
                raise KernelError(f"norm-ratio atom: coefficient {self.coef} is not certified nonnegative")
            for part in (self.M, self.z, self.v):
                sizes.require_real(env, part, "norm-ratio atom")
            sizes.require_nonzero(env, inner(self.z, self.z), f"norm-ratio atom divides by ||{self.z}||")
            sizes.identity(env, inner(self.v, self.v) * inner(self.z, self.z), inner(self.M, self.M))
            return (f"||{self.v}||^2 ||{self.z}||^2 = ||{self.M}||^2 at every size and {self.z} != 0: "
                    "the gap is 0")
        if env.nonneg(self.coef) is None:
            raise KernelError(f"norm-ratio atom: coefficient {self.coef} is not certified nonnegative")
        for part in (self.M, self.z, self.v):
            _vector(env, part, "norm-ratio atom")
        env.require_nonzero(inner(self.z, self.z), f"norm-ratio atom divides by ||{self.z}||")
        squares = inner(self.v, self.v) * inner(self.z, self.z) - inner(self.M, self.M)
        prove_zero(env.inst(squares), env.timeout,
                   f"||{self.v}||^2 ||{self.z}||^2 = ||{self.M}||^2 at {env.ctx.label}")
        return (f"||{self.v}||^2 ||{self.z}||^2 = ||{self.M}||^2 identically and {self.z} != 0, so "
                f"||{self.M}|| / ||{self.z}|| = ||{self.v}||: the gap is 0")
