"""Checked rules that state a step of a derivation; each refuses a false use with a clear message.

Linearity of ``E``, pulling sample-independent factors out of ``E`` and interchanging independent
finite sums need no rule of their own: in index form they are identities of the normal form (a sum is
a set of bound indices; a factor without the sample index is the same monomial inside or outside).
The functions below state them explicitly for derivations that name the step, and check the side
condition a false use would violate.  Telescoping is a genuine rule (the normal form does not shift
indices).
"""
from __future__ import annotations

import sympy as sp

from .normal_form import NOTHING, Assume, IdentityFailure, equal
from .terms import Expr, IndexAlgebraError, Lam, indices_in, mean, sum_over


def pull_out_of_mean(factor: Expr, body: Expr, i: sp.Idx) -> tuple:
    """Rule  ``E_i[X Y] = X E_i[Y]``  if ``X`` does not carry the sample index ``i``.

    Returns ``(E_i[X Y], X E_i[Y])``; refuses when ``i`` is free in ``X``."""
    if i in factor.free:
        raise IndexAlgebraError(f"cannot pull a factor out of the mean over {i}: it depends on {i}")
    return mean(factor * body, i), factor * mean(body, i)


def interchange(body: Expr, first: sp.Idx, second: sp.Idx) -> tuple:
    """Rule  ``sum_first sum_second X = sum_second sum_first X``  for independent ranges.

    Returns both sides; refuses when either range depends on the other index (then the interchange
    changes the ranges, which this rule does not do)."""
    for a, b in ((first, second), (second, first)):
        if b in indices_in(a.lower) | indices_in(a.upper):
            raise IndexAlgebraError(f"cannot interchange the sums over {first} and {second}: the "
                                    f"range {a.lower}..{a.upper} of {a} depends on {b}")
    return sum_over(sum_over(body, second), first), sum_over(sum_over(body, first), second)


def telescope(sequence: Lam, t: sp.Idx) -> tuple:
    """Rule  ``sum_{t=lo}^{hi} (A_t - A_{t+1}) = A_lo - A_{hi+1}``  (valid when ``hi >= lo - 1``).

    ``sequence`` is ``A = (s) -> A_s``, whose bound index may only fill sequence slots; ``t`` is the
    summation index over ``lo..hi``.  Returns ``(lhs, rhs)``."""
    if len(sequence.bound) != 1:
        raise IndexAlgebraError("telescoping needs a sequence A = (s) -> A_s of one index")
    if sp.expand(t.upper - t.lower + 1).is_nonnegative is not True:
        raise IndexAlgebraError(f"range {t.lower}..{t.upper} of {t} is not known to be nonempty or empty")
    lhs = sum_over(sequence(t) - sequence(t + 1), t)
    rhs = sequence(t.lower) - sequence(t.upper + 1)
    return lhs, rhs


def by_telescoping(lhs, rhs, sequence: Lam, t: sp.Idx, assume: Assume = NOTHING) -> str:
    """Check the step ``lhs = rhs`` by :func:`telescope`: ``lhs - rhs`` must equal, by the normal form,
    ``sum_t (A_t - A_{t+1}) - (A_lo - A_{hi+1})`` (so terms common to both sides may stay)."""
    rule_lhs, rule_rhs = telescope(sequence, t)
    try:
        equal(lhs - rhs, rule_lhs - rule_rhs, assume)
    except IdentityFailure as exc:
        raise IdentityFailure(
            f"not an instance of sum_{{{t}={t.lower}..{t.upper}}} (A_{t} - A_{t}+1) = A_{t.lower} - "
            f"A_{t.upper + 1} for the given A (check the summand and the boundary terms): {exc}") from exc
    return f"telescoping over {t} = {t.lower}..{t.upper}"
