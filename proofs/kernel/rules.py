"""The justifications a link may carry, and the rule that checks each (trusted).

Each rule is checked in every context of the proof, with an :class:`~.env.Env` built from the link's
premises (``using``), and returns a sentence saying why the link holds, or raises
:class:`~.errors.KernelError`.  In a symbolic-size context (``env.symbolic``) each rule decides by the
index algebra instead of explicit components (:mod:`.sizes`, where each check is stated).

* :class:`Identity` ``lhs = rhs``: every component of ``lhs - rhs`` is zero after unfolding definitions
  and substituting the premises' equations; every denominator met is certified nonzero.
* :class:`Certificate` ``lhs <= rhs`` (or ``>=``): the gap minus the sum of the atoms is identically zero
  (same substitutions), and every atom certifies itself (:mod:`.atoms`).
* :class:`Infimum` ``X <= inf_a G(a)``: from an earlier fact ``X <= G(a)`` whose whole history (every
  hypothesis behind it, transitively, and the link's own premises) says nothing about the comparator's
  components, with ``X`` free of them; or ``inf_{a,b} G <= inf_a G(., b = 0)`` (restriction).
* :class:`Definiteness` ``z = 0`` from a fact ``z^T z = 0``, ``z`` real.
* :class:`FirstOrder` ``grad_v F = 0`` at a :class:`~.hypotheses.LocalMinimum`: the kernel checks that
  the named gradient *is* the component-wise derivative of the objective in ``v`` (calculus: the
  gradient of a differentiable function vanishes at a local minimum).
* :class:`LevelSet` ``grad_v F(P(t)) = 0`` for all small ``t != 0``: ``P`` is a path through the local
  minimum, polynomial in ``t``, along which the objective is identically constant; points of the level
  set near a local minimum are local minima too (if ``F >= F(x)`` on a ball of radius ``r`` around
  ``x``, then ``F >= F(P(t)) = F(x)`` on the ball of radius ``r/2`` around ``P(t)`` once
  ``|P(t) - x| < r/2``).  ``t`` becomes an *eigenvariable*: a conclusion may use the fact only once it no
  longer mentions ``t`` and no other premise mentions ``t`` (for all small ``t`` it holds; some small
  ``t != 0`` exists).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import sizes
from .context import Context, is_name
from .env import Env
from .errors import KernelError
from .hypotheses import LocalMinimum
from .zero import prove_zero, require_real


@dataclass(frozen=True)
class Identity:
    """``lhs = rhs`` after unfolding definitions and substituting the premises' equations."""

    reason: str = "algebra"
    using: tuple = ()

    kind = "identity"


@dataclass(frozen=True)
class Certificate:
    """``lhs <= rhs`` because the gap is identically a sum of nonnegative atoms."""

    atoms: tuple
    reason: str = ""
    using: tuple = ()

    kind = "certificate"


@dataclass(frozen=True)
class Infimum:
    """Pass to an infimum over its variables (from the fact ``from_chain``), or restrict one."""

    reason: str = "infimum over arbitrary comparators"
    from_chain: str | None = None
    using: tuple = ()

    kind = "infimum"


@dataclass(frozen=True)
class Definiteness:
    """``z = 0`` because the fact ``from_chain`` proves ``z^T z = 0`` (``z`` real)."""

    from_chain: str
    reason: str = "a real vector with zero squared norm is zero"
    using: tuple = ()

    kind = "definiteness"


@dataclass(frozen=True)
class FirstOrder:
    """``grad = 0`` where ``grad`` is the gradient of the local minimum's objective in ``variable``."""

    local_minimum: str
    variable: sp.Basic
    reason: str = "the gradient vanishes at a local minimum"
    using: tuple = ()

    kind = "first-order condition"


@dataclass(frozen=True)
class LevelSet:
    """``grad_v F(P(t)) = 0`` for small ``t != 0`` (see the module docstring).

    ``path`` maps variables of the local minimum to named expressions in ``parameter`` (variables not
    listed stay where the premises put them); ``variable`` is the gradient's variable."""

    local_minimum: str
    path: tuple  # ((variable, expression), ...)
    parameter: sp.Symbol
    variable: sp.Basic
    reason: str = "points of the level set near a local minimum are local minima"
    using: tuple = ()

    kind = "level set of a local minimum"


def zero_like(ctx: Context, name):
    if isinstance(name, sp.MatrixSymbol):
        return sp.ImmutableMatrix(sp.zeros(*(int(sp.sympify(s).xreplace(dict(ctx.dims)))
                                             for s in name.shape)))
    return sp.Integer(0)


def _free(value) -> set:
    items = list(value) if isinstance(value, sp.MatrixBase) else [value]
    out = set()
    for item in items:
        out |= sp.sympify(item).free_symbols
    return out


# ------------------------------------------------------------------------------------------------
def check_identity(env: Env, lhs, rhs) -> str:
    if env.symbolic:
        return sizes.identity(env, lhs, rhs)
    env.check_denominators(lhs - rhs)
    return prove_zero(env.inst(lhs - rhs), env.timeout, f"identity at {env.ctx.label}")


def atom_kinds(atom, ctx: Context) -> set:
    """The class names of ``atom`` and of every atom nested in it (for the theorem's rule list)."""
    kinds, todo = set(), [atom]
    while todo:
        item = todo.pop()
        kinds.add(type(item).__name__)
        for value in vars(item).values():
            if hasattr(value, "certify"):
                todo.append(value)
        terms = getattr(item, "terms", None)
        if callable(terms) and not ctx.symbolic:
            todo += [nested for _, nested in terms(ctx)]
    return kinds


def check_certificate(env: Env, gap, just: Certificate) -> list[str]:
    if not just.atoms:
        raise KernelError("a certificate needs at least one nonnegative atom")
    total = sp.Add(*[atom.expr for atom in just.atoms])
    if env.symbolic:
        try:
            sizes.identity(env, gap, total)
        except KernelError as exc:
            raise KernelError(f"certificate gap minus atoms: {exc}") from None
    else:
        env.check_denominators(gap - total)
        prove_zero(env.inst(gap - total), env.timeout, f"certificate gap minus atoms at {env.ctx.label}")
    return [atom.certify(env) for atom in just.atoms]


def _unfolded(ctx, expr) -> set:
    """The components (at symbolic sizes: tensors, coefficient symbols, undefined names) ``expr`` unfolds to."""
    return ctx.free_components(expr) if ctx.symbolic else _free(ctx.instantiate(expr))


def with_infima(ctx, found: set) -> set:
    """``found`` plus, for every named infimum in it, what its objective says something about except
    its own variables (``inf_b G(a, b)`` depends on ``a``): an infimum is never opaque."""
    out, todo, seen = set(found), [s for s in found if s in ctx.infima], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        objective, variables = ctx.infima[name]
        comps = _unfolded(ctx, objective)
        bound = set().union(*(ctx.components(v) for v in variables))
        out |= comps - bound
        todo += [s for s in comps if s in ctx.infima]
    return out


def components_of(ctx, expr) -> set:
    """What ``expr`` says something about in ``ctx``, named infima expanded (:func:`with_infima`)."""
    return with_infima(ctx, _unfolded(ctx, expr))


def require_no_infimum(ctx, expr, what: str) -> None:
    """Refuse an objective that mentions a named infimum: the rules that differentiate, move or compare
    an objective treat what they unfold as explicit, and an infimum inside it is not."""
    inner = sorted(str(s) for s in _unfolded(ctx, expr) if s in ctx.infima)
    if inner:
        raise KernelError(f"{what}: the objective mentions the named infimum {', '.join(inner)} at "
                          f"{ctx.label}; an infimum inside an objective is not supported")


def check_infimum(envs: list, lhs, rhs, earlier, closure) -> str:
    """``earlier`` is the fact ``lhs <= objective`` (or ``None`` for the restriction form)."""
    for env in envs:
        if rhs not in env.ctx.infima:
            raise KernelError(f"{rhs} is not a named infimum in context {env.ctx.label}")
        require_no_infimum(env.ctx, env.ctx.infima[rhs][0], f"infimum {rhs}")
    if earlier is None:
        said = ""
        for env in envs:   # every context's own infima (they may differ between contexts)
            ctx = env.ctx
            if lhs not in ctx.infima:
                raise KernelError("passing to an infimum needs an earlier verified fact (from_chain)")
            (big, big_vars), (small, variables) = ctx.infima[lhs], ctx.infima[rhs]
            require_no_infimum(ctx, big, f"infimum {lhs}")
            if not set(variables) <= set(big_vars):
                raise KernelError(f"variables {variables} are not a subset of {big_vars} at {ctx.label}")
            fixed = [v for v in big_vars if v not in variables]
            if env.symbolic:
                sizes.restriction(env, big, small, fixed)
            else:
                zeros = {v: zero_like(ctx, v) for v in fixed}
                prove_zero(ctx.instantiate(big, zeros) - ctx.instantiate(small), env.timeout,
                           f"restricted objective at {ctx.label}")
            said = (f"the infimum over {', '.join(map(str, big_vars))} is at most the infimum with "
                    f"{', '.join(map(str, fixed))} = 0")
        return said
    relation, start, end = earlier
    if relation not in ("=", "<="):
        raise KernelError(f"the fact proves '{relation}', not '<='")
    if start != lhs:
        raise KernelError(f"the fact starts at {start}, not at {lhs}")
    for env in envs:
        ctx = env.ctx
        objective, variables = ctx.infima[rhs]
        if end != objective:
            raise KernelError(f"the fact ends at {end}, not at the objective {objective} of {rhs} at "
                              f"{ctx.label}")
        comps = set()
        for v in variables:
            comps |= ctx.components(v)
        found = comps & components_of(ctx, lhs)
        if found:
            raise KernelError(f"{lhs} depends at {ctx.label} on {sorted(map(str, found))}: the bound is "
                              "not uniform in the comparator")
        for hyp in sorted(closure, key=lambda h: h.name):
            clash = comps & with_infima(ctx, hyp.mentions(ctx))
            if clash:
                raise KernelError(f"hypothesis {hyp.name!r} (behind this fact) says something about "
                                  f"{sorted(map(str, clash))} at {ctx.label}: the comparator is not "
                                  "arbitrary, so the infimum cannot be taken")
    return f"the fact holds for every {', '.join(map(str, variables))}, hence for the infimum"


def check_definiteness(env: Env, z, claimed, fact_relations) -> str:
    from ..linalg import inner

    wanted = sp.Eq(inner(z, z), 0, evaluate=False)
    if not any(_same_relation(r, wanted) for r in fact_relations):
        raise KernelError(f"definiteness needs a fact {sp.sstr(wanted)}")
    if env.symbolic:
        sizes.definiteness(env, z, claimed)
        return f"{inner(z, z)} = 0 and {z} is real (all sizes)"
    prove_zero(env.ctx.instantiate(claimed), env.timeout, "the claimed zero")
    require_real(env.ctx.instantiate(z), f"definiteness at {env.ctx.label}")
    return f"{inner(z, z)} = 0 and {z} is real"


def _same_relation(a, b) -> bool:
    if a == b:
        return True
    flips = {sp.Eq: sp.Eq, sp.Le: sp.Ge, sp.Ge: sp.Le}
    return type(a) in flips and type(b) is flips[type(a)] and a.lhs == b.rhs and a.rhs == b.lhs


def _gradient(ctx: Context, objective_value, variable):
    comps = ctx.definitions[variable]
    if isinstance(comps, sp.MatrixBase):
        return sp.ImmutableMatrix(comps.shape[0], comps.shape[1],
                                  lambda i, j: sp.diff(objective_value, comps[i, j]))
    return sp.diff(objective_value, comps)


def _local_minimum(env: Env, name: str, variable) -> LocalMinimum:
    hyp = env.premise(name)
    if not isinstance(hyp, LocalMinimum):
        raise KernelError(f"{name!r} is not a local-minimum hypothesis the step uses")
    if variable not in hyp.variables:
        raise KernelError(f"{variable} is not a variable of the local minimum {name!r}")
    if not env.ctx.is_variable(variable):
        raise KernelError(f"{variable} is not a variable at {env.ctx.label}")
    return hyp


def check_first_order(env: Env, lhs, rhs, just: FirstOrder) -> str:
    hyp = _local_minimum(env, just.local_minimum, just.variable)
    ctx = env.ctx
    if not is_name(lhs) or lhs not in ctx.definitions:
        raise KernelError(f"{lhs} is not a named gradient")
    require_no_infimum(ctx, hyp.objective, "first-order rule")
    if env.symbolic:
        sizes.first_order(env, lhs, rhs, hyp, just.variable)
        return (f"{lhs} is the gradient of {hyp.objective} in {just.variable} at every size, which "
                "vanishes at the local minimum")
    prove_zero(ctx.instantiate(rhs), env.timeout, "the claimed zero")
    require_smooth(ctx.instantiate(hyp.objective), "first-order rule")
    expected = _gradient(ctx, ctx.instantiate(hyp.objective), just.variable)
    prove_zero(ctx.instantiate(lhs) - expected, env.timeout,
               f"{lhs} is the gradient of {hyp.objective} in {just.variable} at {ctx.label}")
    return f"{lhs} is the gradient of {hyp.objective} in {just.variable}, which vanishes at the local minimum"


#: Functions at which an objective may fail to be differentiable: a local minimum there need not be
#: stationary (``max(0, x)`` at 0), so the first-order and level-set rules refuse objectives using them.
NON_SMOOTH = (sp.Abs, sp.Max, sp.Min, sp.Heaviside, sp.sign, sp.Piecewise, sp.floor, sp.ceiling, sp.re,
              sp.im, sp.arg, sp.DiracDelta)


def require_smooth(objective, what: str) -> None:
    """Refuse an objective (explicit) built with a function from :data:`NON_SMOOTH`."""
    items = list(objective) if isinstance(objective, sp.MatrixBase) else [objective]
    for item in items:
        for node in sp.preorder_traversal(sp.sympify(item)):
            if isinstance(node, NON_SMOOTH):
                raise KernelError(f"{what}: the objective uses {type(node).__name__}, where it need not "
                                  "be differentiable; the rule needs a differentiable objective")


def check_level_set(env: Env, lhs, rhs, just: LevelSet) -> str:
    hyp = _local_minimum(env, just.local_minimum, just.variable)
    ctx, t = env.ctx, just.parameter
    if not (isinstance(t, sp.Symbol) and t.is_real and t.assumptions0.get("positive") is None):
        raise KernelError(f"the path parameter {t} must be a plain real symbol")
    if not is_name(lhs) or lhs not in ctx.definitions:
        raise KernelError(f"{lhs} is not a named gradient")
    require_no_infimum(ctx, hyp.objective, "level-set rule")
    for v in list(ctx.definitions):
        if ctx.is_variable(v) and t in ctx.components(v):
            raise KernelError(f"the path parameter {t} is not fresh: it is a component of {v}")
    for premise in env.premises:
        for h in premise.closure:
            if t in h.mentions(ctx):
                raise KernelError(f"the path parameter {t} is not fresh: hypothesis {h.name!r} mentions it")
    if env.symbolic:
        sizes.level_set(env, lhs, rhs, hyp, just)
        return (f"{hyp.objective} is constant along the path through the local minimum at every size, "
                f"so {lhs} = 0 for every small {t} != 0")
    prove_zero(ctx.instantiate(rhs), env.timeout, "the claimed zero")
    objective = ctx.instantiate(hyp.objective)
    require_smooth(objective, "level-set rule")
    if t in _free(objective):
        raise KernelError(f"the path parameter {t} is not fresh: the objective mentions it")
    path = dict(just.path)
    point, moved = {}, {}
    for v in hyp.variables:
        comps = ctx.definitions[v]
        here = sp.ImmutableMatrix(env.inst(v)) if isinstance(comps, sp.MatrixBase) else env.inst(v)
        there = here if v not in path else env.inst(path[v])
        there = sp.ImmutableMatrix(there) if isinstance(comps, sp.MatrixBase) else there
        at_zero = there.xreplace({t: 0}) if hasattr(there, "xreplace") else there
        prove_zero(sp.expand(at_zero - here), env.timeout, f"the path starts at the point ({v})")
        for entry in (list(there) if isinstance(there, sp.MatrixBase) else [there]):
            if not sp.sympify(entry).is_polynomial(t):
                raise KernelError(f"the path in {v} is not polynomial (continuous) in {t}")
        names = list(comps) if isinstance(comps, sp.MatrixBase) else [comps]
        values_here = list(here) if isinstance(here, sp.MatrixBase) else [here]
        values_there = list(there) if isinstance(there, sp.MatrixBase) else [there]
        point.update(zip(names, values_here))
        moved.update(zip(names, values_there))
    constant = objective.xreplace(moved) - objective.xreplace(point)
    prove_zero(constant, env.timeout, f"the objective is constant along the path at {ctx.label}")
    expected = _gradient(ctx, objective, just.variable).xreplace(moved)
    prove_zero(ctx.instantiate(lhs) - expected, env.timeout,
               f"{lhs} is the gradient in {just.variable} along the path at {ctx.label}")
    return (f"{hyp.objective} is constant along the path through the local minimum, so {lhs} = 0 for "
            f"every small {t} != 0")
