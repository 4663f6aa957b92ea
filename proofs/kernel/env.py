"""What a step may use in one context: its premises' equations, nonzero and positivity facts (trusted).

An :class:`Env` is built for one link (or atom) in one :class:`~.context.Context` from the premises the
step lists in ``using``.  Everything a rule or an atom instantiates goes through :meth:`Env.inst`, so the
gap of a certificate and its atoms see the *same* substitutions; sign rules see only the positivity the
premises declare (:meth:`Env.nonneg`); a division is allowed only by a premise's nonzero declaration or
by sign rules (:meth:`Env.check_denominators`).
"""
from __future__ import annotations

import sympy as sp

from .context import Context
from .errors import KernelError
from .zero import plain, sign_nonnegative


class Env:
    def __init__(self, ctx: Context, premises: list, timeout: float | None, cache: dict):
        self.ctx, self.premises, self.timeout, self._cache = ctx, list(premises), timeout, cache
        overrides: dict = {}
        for premise in self.premises:
            for name, value in premise.equations().items():
                if name in overrides and overrides[name] != value:
                    raise KernelError(f"two premises give {name} different values")
                overrides[name] = value
        self.overrides = overrides

    @property
    def symbolic(self) -> bool:
        """At symbolic sizes the rules and atoms decide by the index algebra (:mod:`.sizes`)."""
        return self.ctx.symbolic

    def inst(self, expr):
        """``expr`` with every name unfolded and the premises' equations substituted."""
        return self.ctx.instantiate(expr, self.overrides)

    # -- signs -----------------------------------------------------------------------------------
    def positive_symbols(self) -> list:
        out = []
        for premise in self.premises:
            for s in premise.positive():
                value = self.ctx.instantiate(s)
                if isinstance(value, sp.Symbol):
                    out.append(value)
        return out

    def nonneg(self, expr) -> str | None:
        """Sign rules on the instantiated ``expr``, with the premises' positive symbols > 0."""
        return sign_nonnegative(self.inst(expr), self.positive_symbols())

    def _declared_nonzero(self) -> list:
        key = ("nonzero", id(self.ctx), tuple(id(p) for p in self.premises))
        if key not in self._cache:
            self._cache[key] = (list(self.premises), self.ctx,
                                [sp.expand(self.inst(e)) for p in self.premises for e in p.nonzero()])
        return self._cache[key][2]

    def is_nonzero(self, base) -> str | None:
        """Why ``base`` (explicit) is nonzero, or ``None``: a nonzero number, sign rules under the
        declared positivity, or a declared nonzero ``D`` that ``base`` divides (``D = base * Q`` with
        ``Q`` free of denominators: ``D != 0`` forces ``base != 0``)."""
        base = sp.sympify(base)
        if isinstance(base, sp.Abs):
            return self.is_nonzero(base.args[0])  # |x| != 0 iff x != 0
        if base.is_number:
            return "a nonzero number" if base != 0 else None
        for premise in self.premises:
            if base in premise.eigen:
                return f"{base} is a small nonzero eigenvariable (rule LevelSet)"
        if plain(base, self.positive_symbols())[0].is_nonzero:
            return "nonzero by sign rules"
        for declared in self._declared_nonzero():
            if declared == 0:
                continue
            quotient = sp.cancel(declared / base)
            if not sp.denom(quotient).free_symbols and not sp.denom(quotient).has(sp.Function):
                return f"divides {sp.sstr(declared)[:60]}, declared nonzero"
        return None

    def require_nonzero(self, expr, what: str) -> None:
        """Raise unless every factor of the instantiated ``expr`` is certified nonzero."""
        value = sp.factor(self.inst(expr))
        for factor in sp.Mul.make_args(value):
            core = factor.base if factor.is_Pow else factor
            if self.is_nonzero(core) is None:
                raise KernelError(f"{what}: {sp.sstr(core)[:120]} is not declared nonzero by a premise "
                                  f"in use at {self.ctx.label}")

    def check_denominators(self, expr) -> None:
        for base in self.ctx.denominators(expr, self.overrides):
            if self.is_nonzero(base) is None:
                raise KernelError(f"division by {sp.sstr(base)[:120]} at {self.ctx.label}, which no "
                                  "premise in use declares nonzero")

    # -- premises by kind --------------------------------------------------------------------------
    def premise(self, name: str):
        for premise in self.premises:
            if premise.name == name:
                return premise
        return None

    def bounds(self, hypothesis) -> list:
        """The bound hypothesis's instances here, under this step's substitutions (cached per check by
        the hypothesis *object*, the context and the substitutions -- never by name)."""
        key = ("bounds", id(hypothesis), id(self.ctx), tuple(sorted(map(str, self.overrides.items()))))
        if key not in self._cache:
            self._cache[key] = (hypothesis, self.ctx, hypothesis.bounds(self.ctx, self.overrides))
        return self._cache[key][2]

    def convex_loss(self):
        """The premise that makes the generic loss convex, if the step uses one."""
        for premise in self.premises:
            for hyp in premise.closure:
                if hyp.convex_loss:
                    return hyp
        return None
