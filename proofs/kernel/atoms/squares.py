"""Squares, sign rules, and nonnegative combinations.

Soundness.  ``Square``: ``e^2 >= 0`` for every real ``e`` (the atom checks ``e`` is real).
``NonNegative``: SymPy's sign rules certify ``e >= 0`` for all real values of its symbols, with only the
positivity that a premise in use declares.  ``Scaled``: a product of a certified nonnegative coefficient
and a nonnegative atom is nonnegative.  ``Divided``: a nonnegative atom divided by a positive number is
nonnegative; the divisor is nonnegative by sign rules and nonzero by a premise.  At symbolic sizes
(:mod:`..sizes`) the same arguments hold with the structural sign rule in place of SymPy's and realness
by the index algebra's meaning (tensors are real; ``sqrt`` only of a certified nonnegative); a weighted
sum, whose terms are listed per concrete context, is certified at symbolic sizes by the atom in its
``symbolic`` field, whose value must equal the weighted sum's by the normal form.  ``WeightedSum``: a sum of
nonnegative weights times nonnegative atoms is nonnegative; the kernel checks that ``value`` equals the
weighted sum identically, so the lemma's code that lists the terms is not trusted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .. import sizes
from ..errors import KernelError
from ..zero import prove_zero, require_real


@dataclass(frozen=True)
class Square:
    """``base^2 >= 0`` for a real scalar ``base``."""

    base: sp.Expr

    @property
    def expr(self):
        return self.base ** 2

    def certify(self, env) -> str:
        if env.symbolic:
            sizes.require_real(env, self.base, "square atom")
            return f"({self.base})^2 is a square of a real number (all sizes)"
        require_real(env.inst(self.base), "square atom")
        return f"({self.base})^2 is a square of a real number"


@dataclass(frozen=True)
class NonNegative:
    """``value >= 0`` by SymPy's sign rules on the instantiated value."""

    value: sp.Expr
    why: str = "sign rules"

    @property
    def expr(self):
        return self.value

    def certify(self, env) -> str:
        if (sizes.nonneg(env, self.value) if env.symbolic else env.nonneg(self.value)) is None:
            raise KernelError(f"could not certify {self.value} >= 0 at {env.ctx.label}")
        return f"{self.value} >= 0 ({self.why})"


@dataclass(frozen=True)
class Scaled:
    """``coef * atom >= 0`` for a coefficient certified nonnegative."""

    coef: sp.Expr
    atom: object

    @property
    def expr(self):
        return self.coef * self.atom.expr

    def certify(self, env) -> str:
        if (sizes.nonneg(env, self.coef) if env.symbolic else env.nonneg(self.coef)) is None:
            raise KernelError(f"scaled atom: coefficient {self.coef} is not certified nonnegative")
        return f"{self.coef} >= 0 times [{self.atom.certify(env)}]"


@dataclass(frozen=True)
class Divided:
    """``atom / divisor >= 0``: the divisor is nonnegative by sign rules and declared nonzero."""

    atom: object
    divisor: sp.Expr

    @property
    def expr(self):
        return self.atom.expr / self.divisor

    def certify(self, env) -> str:
        if (sizes.nonneg(env, self.divisor) if env.symbolic else env.nonneg(self.divisor)) is None:
            raise KernelError(f"divided atom: divisor {self.divisor} is not certified nonnegative")
        if env.symbolic:
            sizes.require_nonzero(env, self.divisor, f"divided atom: division by {self.divisor}")
        else:
            env.require_nonzero(self.divisor, f"divided atom: division by {self.divisor}")
        return f"[{self.atom.certify(env)}] divided by {self.divisor} > 0"


@dataclass(frozen=True)
class WeightedSum:
    """``value = sum_i w_i a_i`` with ``(w_i, a_i) in terms(ctx)``, each ``w_i >= 0``, each ``a_i`` an atom."""

    value: sp.Expr
    terms: Callable
    label: str = "weighted sum of atoms"
    symbolic: object = None   # the atom that stands for it at symbolic sizes (atoms/pathwise.py)

    @property
    def expr(self):
        return self.value

    def certify(self, env) -> str:
        if env.symbolic:
            if self.symbolic is None:
                raise KernelError(f"{self.label}: a weighted sum lists its terms at concrete sizes only")
            sizes.declared(env, self.value, self.symbolic.expr)
            return self.symbolic.certify(env)
        terms = list(self.terms(env.ctx))
        if not terms:
            raise KernelError(f"{self.label}: no atoms at {env.ctx.label}")
        total = sp.Add(*[weight * atom.expr for weight, atom in terms])
        prove_zero(env.inst(self.value) - env.inst(total), env.timeout,
                   f"{self.label} at {env.ctx.label}: value minus the weighted atoms")
        checked: set = set()
        kinds: dict[str, int] = {}
        for weight, atom in terms:
            if weight not in checked:
                if env.nonneg(weight) is None:
                    raise KernelError(f"{self.label}: weight {weight} is not certified nonnegative")
                checked.add(weight)
            atom.certify(env)
            kinds[type(atom).__name__] = kinds.get(type(atom).__name__, 0) + 1
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        return f"{self.label} = nonnegative combination of {parts}"
