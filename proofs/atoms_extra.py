"""Nonnegative atoms used by the quantitative, necessity and extension lemmas (DESIGN.md sections 4-7).

Each atom, like those of :mod:`~resnet_lemmas.proofs.atoms`, declares the one fact it contributes
(``expr >= 0``) and certifies it in every context of the proof (``certify(ctx, proof, used)`` returns a
sentence or raises :class:`~.kernel.KernelError`):

* :class:`NormRatioGap` -- ``coef * (||M|| / ||z|| - ||v||) >= 0`` (in fact ``= 0``) because
  ``||v||^2 ||z||^2 = ||M||^2`` identically and ``z != 0``.  This is how ``||c|| = ||grad_V F||_F / ||w||``
  enters the bound of section 4: the squared form is a polynomial identity SymPy proves by
  cancellation, whereas the square-root form is out of reach of ``simplify`` (the radicands are not
  factored).  Both roots are nonnegative, so equal squares give equal norms.
* :class:`Divided` -- ``atom / z >= 0`` for a divisor ``z`` that SymPy's sign rules certify nonnegative
  and that a hypothesis in use declares nonzero (``z`` or ``z^2``, e.g. ``||w||`` with ``w != 0``):
  SymPy alone cannot certify ``1 / sqrt(w_0^2 + w_1^2) >= 0``, since the radicand may vanish.
* :class:`InfimumGap` -- ``value - inf_x G(x) >= 0`` because ``value = G(x0)`` for an explicit point
  ``x0``: an infimum is at most the objective at any point.  Used for ``F(w, V, theta) >= F_feat(theta)``
  (the residual prediction is the comparator ``a = w, b = V^T w``).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .kernel import Context, KernelError, prove_zero
from .linalg import inner, norm
from .losses import prove_nonnegative


def _declared_nonzero(ctx: Context, used, target) -> bool:
    """Does a hypothesis in ``used`` declare ``target`` or ``target^2`` (instantiated, up to sign) nonzero?"""
    value = sp.expand(ctx.instantiate(target))
    candidates = (value, sp.expand(value ** 2))
    for hyp in used:
        for expr in hyp.nonzero:
            declared = sp.expand(ctx.instantiate(expr))
            if any(sp.expand(declared - v) == 0 or sp.expand(declared + v) == 0 for v in candidates):
                return True
    return False


@dataclass(frozen=True)
class NormRatioGap:
    """``coef (||M|| / ||z|| - ||v||) >= 0`` (indeed ``= 0``): ``||v||^2 ||z||^2 = ||M||^2`` and ``z != 0``.

    ``M`` is a vector or a matrix (Frobenius norm), ``z`` and ``v`` vectors; ``coef`` must be certified
    nonnegative by SymPy's sign rules, and ``z^T z`` must be declared nonzero by a hypothesis the step
    uses.  The identity ``||v||^2 ||z||^2 - ||M||^2 = 0`` is proven by :func:`~.kernel.prove_zero` on the
    explicit components (for ``M = grad_V F = w c^T``: ``||w c^T||_F^2 = ||w||^2 ||c||^2``).
    """

    M: sp.Basic
    z: sp.Basic
    v: sp.Basic
    coef: sp.Expr = sp.Integer(1)

    @property
    def expr(self):
        return self.coef * (norm(self.M) / norm(self.z) - norm(self.v))

    def certify(self, ctx: Context, proof, used) -> str:
        if prove_nonnegative(ctx.instantiate(self.coef)) is None:
            raise KernelError(f"norm-ratio atom: coefficient {self.coef} is not certified nonnegative")
        if not _declared_nonzero(ctx, used, inner(self.z, self.z)):
            raise KernelError(f"norm-ratio atom divides by ||{self.z}||, which no hypothesis in use "
                              f"declares nonzero")
        squares = inner(self.v, self.v) * inner(self.z, self.z) - inner(self.M, self.M)
        prove_zero(ctx.instantiate(squares), proof.timeout,
                   f"||{self.v}||^2 ||{self.z}||^2 = ||{self.M}||^2 at {ctx.label}")
        return (f"||{self.v}||^2 ||{self.z}||^2 = ||{self.M}||^2 identically and {self.z} != 0, so "
                f"||{self.M}|| / ||{self.z}|| = ||{self.v}|| (nonnegative roots): the gap is 0")


@dataclass(frozen=True)
class Divided:
    """``atom / divisor >= 0``: the divisor is nonnegative by sign rules and declared nonzero.

    The declaration must come from a hypothesis the step uses (``nonzero`` lists ``divisor`` or
    ``divisor^2``, up to sign), so a certificate cannot divide by a quantity nobody assumed nonzero.
    """

    atom: object
    divisor: sp.Expr

    @property
    def expr(self):
        return self.atom.expr / self.divisor

    def certify(self, ctx: Context, proof, used) -> str:
        if prove_nonnegative(ctx.instantiate(self.divisor)) is None:
            raise KernelError(f"divided atom: divisor {self.divisor} is not certified nonnegative")
        if not _declared_nonzero(ctx, used, self.divisor):
            raise KernelError(f"divided atom: division by {self.divisor}, which no hypothesis in use "
                              f"declares nonzero")
        return f"[{self.atom.certify(ctx, proof, used)}] divided by {self.divisor} > 0"


@dataclass(frozen=True)
class InfimumGap:
    """``value - inf >= 0`` because ``value`` equals the infimum's objective at the explicit ``point``.

    ``inf`` must be a named infimum of every context (``ctx.infima[inf] = (objective, variables)``) and
    ``point`` must give every variable of the infimum a value (named-level expressions of the right
    shape, e.g. ``{a: w, b: V^T w}``); the kernel proves ``value = objective(point)`` by instantiation.
    """

    value: sp.Basic
    infimum: sp.Basic
    point: tuple  # ((variable, expression), ...) -- a tuple so the atom stays hashable

    @property
    def expr(self):
        return self.value - self.infimum

    def certify(self, ctx: Context, proof, used) -> str:
        if self.infimum not in ctx.infima:
            raise KernelError(f"{self.infimum} is not a named infimum in context {ctx.label}")
        objective, variables = ctx.infima[self.infimum]
        given = dict(self.point)
        missing = [str(v) for v in variables if v not in given]
        if missing:
            raise KernelError(f"infimum atom: the point gives no value to {missing}")
        extra = [str(v) for v in given if v not in variables]
        if extra:
            raise KernelError(f"infimum atom: {extra} are not variables of the infimum {self.infimum}")
        at_point = ctx.instantiate(objective, {v: ctx.instantiate(e) for v, e in given.items()})
        prove_zero(ctx.instantiate(self.value) - at_point, proof.timeout,
                   f"{self.value} is the objective of {self.infimum} at the point, at {ctx.label}")
        where = ", ".join(f"{v} = {e}" for v, e in self.point)
        return (f"{self.value} is the objective of {self.infimum} at {where}, and an infimum is at "
                f"most the objective at any point")


__all__ = ["NormRatioGap", "Divided", "InfimumGap"]
