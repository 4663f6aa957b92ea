"""The variational inequality of the Euclidean projection onto a ball.

Soundness.  Let ``Pi y = rho y`` with ``rho = min(1, B / ||y||)`` (a :class:`~..hypotheses.Projection`
premise in use lists the pair ``(rho, y)``) and ``||z*|| <= B`` (a declared bound).  Then
``(y - Pi y)^T (Pi y - z*) >= 0``, by the two cases of the ``min``: if ``rho = 1`` the expression vanishes
identically; otherwise ``rho = B / ||y|| < 1``, so ``B = rho ||y||`` and the expression equals,
identically, ``(1 - rho) [ ||y|| (B - ||z*||) + (||y|| ||z*|| - y^T z*) ]``: ``1 - rho >= 0`` (a minimum with
1), ``||y|| >= 0``, a declared bound, and a Cauchy-Schwarz gap (Lagrange's identity).  The atom checks
both identities, the pair, the bound and the Cauchy-Schwarz gap.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..errors import KernelError
from ..hypotheses import Projection
from ..zero import prove_zero, require_real
from .bounds import Declared
from .norms import CauchySchwarzGap


def _column(value) -> sp.ImmutableMatrix:
    matrix = sp.ImmutableMatrix(value)
    if matrix.shape[1] != 1:
        raise KernelError(f"expected a column vector, got shape {matrix.shape}")
    return matrix


def euclidean_norm(vector) -> sp.Expr:
    """``||v|| = sqrt(sum_i v_i^2)`` of an explicit column vector."""
    return sp.sqrt(sp.Add(*[entry ** 2 for entry in _column(vector)]))


def projection_vi(y, rho, z_star) -> sp.Expr:
    """``(y - rho y)^T (rho y - z*)``."""
    y, z_star = _column(y), _column(z_star)
    return ((y - rho * y).T * (rho * y - z_star))[0, 0]


@dataclass(frozen=True)
class BallProjectionVI:
    """``(y - rho y)^T (rho y - z*) >= 0`` for the projection pair ``(rho, y)``."""

    y: sp.Basic
    rho: sp.Symbol
    z_star: sp.Basic
    radius: sp.Expr
    projection: str = "ball_projection"
    comparator: str = "comparator_in_ball"

    @property
    def expr(self):
        return projection_vi(self.y, self.rho, self.z_star)

    def certify(self, env) -> str:
        if env.symbolic:
            raise KernelError("the projection inequality lists its points at concrete sizes only")
        hyp = env.premise(self.projection)
        if not isinstance(hyp, Projection):
            raise KernelError(f"projection inequality needs the projection hypothesis "
                              f"{self.projection!r} in use")
        if not isinstance(self.rho, sp.Symbol):
            raise KernelError(f"projection factor {self.rho} is not a symbol")
        y = _column(env.inst(self.y))
        pairs = hyp.pairs(env.ctx)
        if self.rho not in pairs or any(sp.expand(e) != 0 for e in y.expand() - pairs[self.rho]):
            raise KernelError(f"{self.rho} is not the projection factor of this point under "
                              f"hypothesis {self.projection!r} at {env.ctx.label}")
        z_star = _column(env.inst(self.z_star))
        radius = env.inst(self.radius)
        if not isinstance(radius, sp.Symbol) or radius != env.ctx.instantiate(hyp.radius):
            raise KernelError(f"the ball's radius must be the projection's radius symbol, got {radius}")
        require_real(y, "projection atom")
        require_real(z_star, "projection atom")
        expr = projection_vi(y, self.rho, z_star)
        prove_zero(expr.xreplace({self.rho: 1}), env.timeout,
                   f"projection inequality, case ||y|| <= B, at {env.ctx.label}")
        norm_y, norm_z = euclidean_norm(y), euclidean_norm(z_star)
        cs_gap = norm_y * norm_z - (y.T * z_star)[0, 0]
        rewritten = (1 - self.rho) * (norm_y * (radius - norm_z) + cs_gap)
        prove_zero(expr - rewritten.xreplace({radius: self.rho * norm_y}), env.timeout,
                   f"projection inequality, case ||y|| > B, at {env.ctx.label}")
        bound = Declared(radius - norm_z, self.comparator).certify(env)
        lagrange = CauchySchwarzGap(y, z_star).certify(env)
        return (f"projection onto the ball: case rho = 1 vanishes; case rho < 1 = (1 - rho) "
                f"[||y|| (B - ||z*||) + CS gap], 1 - rho >= 0 (a minimum with 1), B - ||z*|| >= 0 "
                f"{bound}, {lagrange}")
