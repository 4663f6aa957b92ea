"""An infimum is at most the objective at any point.

Soundness.  ``inf_x G(x) <= G(x0)`` for every point ``x0`` of the domain (all real values of the
infimum's variables), so ``value - inf >= 0`` when ``value = G(x0)``; the atom proves that identity with
the point substituted for the infimum's variables (at symbolic sizes: the variable tensors substituted
by the point's index expressions, compared by the normal form; the point must be real).  The objective is
unfolded from the definitions: a premise's value of a derived name holds at the current variables only,
and a premise whose value mentions the infimum's variables changes when they move, so neither is used
(:func:`kept_overrides`).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import sizes
from ..errors import KernelError
from ..zero import prove_zero, require_real


def kept_overrides(ctx, overrides, variables) -> dict:
    """The step's equations that still hold when the infimum's variables move to the point: values of
    other variables and of coefficient symbols that do not mention those variables.  A premise's value
    of a *derived* name (``E l(a^T x) = ...``) holds at the current variables only, so it is not used."""
    from ..rules import components_of
    moving = set(variables)
    moving_components = set().union(*(ctx.components(v) for v in variables))
    out = {}
    for name, value in overrides.items():
        if name in ctx.definitions and not ctx.is_variable(name):
            continue
        # what the value unfolds to, not only the names it is written with (c = G with G = 2 a)
        if name in moving or moving & sp.sympify(value).free_symbols \
                or moving_components & components_of(ctx, value):
            continue
        out[name] = value
    return out


@dataclass(frozen=True)
class InfimumGap:
    """``value - inf >= 0`` because ``value`` is the infimum's objective at the explicit ``point``."""

    value: sp.Basic
    infimum: sp.Basic
    point: tuple  # ((variable, expression), ...)

    @property
    def expr(self):
        return self.value - self.infimum

    def certify(self, env) -> str:
        ctx = env.ctx
        if self.infimum not in ctx.infima:
            raise KernelError(f"{self.infimum} is not a named infimum in context {ctx.label}")
        objective, variables = ctx.infima[self.infimum]
        from ..rules import require_no_infimum
        require_no_infimum(ctx, objective, f"infimum atom for {self.infimum}")
        given = dict(self.point)
        missing = [str(v) for v in variables if v not in given]
        if missing:
            raise KernelError(f"infimum atom: the point gives no value to {missing}")
        extra = [str(v) for v in given if v not in variables]
        if extra:
            raise KernelError(f"infimum atom: {extra} are not variables of the infimum {self.infimum}")
        if env.symbolic:
            sizes.infimum_gap(env, self.value, self.infimum, given)
            return f"{self.value} is the objective of {self.infimum} at a point (all sizes)"
        substituted = kept_overrides(ctx, env.overrides, variables)
        for v, e in given.items():
            value = env.inst(e)
            require_real(value, "infimum atom point")
            substituted[v] = value
        at_point = ctx.instantiate(objective, substituted)
        prove_zero(env.inst(self.value) - at_point, env.timeout,
                   f"{self.value} is the objective of {self.infimum} at the point, at {ctx.label}")
        where = ", ".join(f"{v} = {e}" for v, e in self.point)
        return (f"{self.value} is the objective of {self.infimum} at {where}, and an infimum is at "
                f"most the objective at any point")
