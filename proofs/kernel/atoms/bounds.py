"""A bound that a hypothesis in use declares.

Soundness.  A :class:`~..hypotheses.Bound` premise assumes ``e >= 0`` for each of its instances in the
context (its formal statement is what users read); the atom holds exactly when the instantiated value
equals one of those instances after expansion (at symbolic sizes: equals the single bound's ``big -
small`` by the normal form; a bound over a family has no symbolic instances).  Nothing else is assumed.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .. import sizes
from ..errors import KernelError
from ..hypotheses import Bound, _gap


@dataclass(frozen=True)
class Declared:
    """``value >= 0`` because the :class:`Bound` premise ``hypothesis`` (in ``using``) declares it."""

    value: sp.Expr
    hypothesis: str

    @property
    def expr(self):
        return self.value

    def certify(self, env) -> str:
        premise = env.premise(self.hypothesis)
        if premise is None:
            raise KernelError(f"bound {sp.sstr(self.value)[:120]} >= 0 needs hypothesis "
                              f"{self.hypothesis!r}, which the step does not use")
        if not isinstance(premise, Bound):
            raise KernelError(f"hypothesis {self.hypothesis!r} declares no bounds")
        if env.symbolic:
            if premise.family is not None:
                raise KernelError(f"hypothesis {self.hypothesis!r} bounds a family, which has no "
                                  f"instances at {env.ctx.label}")
            sizes.declared(env, self.value, _gap(premise.template))
            return f"declared by hypothesis {self.hypothesis!r} (all sizes)"
        target = sp.expand(env.inst(self.value))
        declared = env.bounds(premise)
        for candidate in declared:
            if sp.expand(target - candidate) == 0:
                return f"declared by hypothesis {self.hypothesis!r}"
        raise KernelError(f"{sp.sstr(target)[:160]} >= 0 is not among the {len(declared)} bounds "
                          f"declared by hypothesis {self.hypothesis!r} at {env.ctx.label}")
