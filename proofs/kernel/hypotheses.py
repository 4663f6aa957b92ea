"""Hypotheses: named assumptions whose *content is their formal statement* (trusted).

Every kind derives what the kernel may use from one SymPy statement, so the text shown to users (printed
from ``statement``) is exactly what a step can use -- there is no free text beside it (``gloss`` is an
optional comment printed next to the formula, never instead of it).  What each kind lets a step use:

* :class:`Equation` ``lhs = rhs`` -- substitute ``rhs`` for the named quantity ``lhs``;
* :class:`NonZero` ``q != 0`` -- divide by ``q`` (for a vector or matrix ``q``: by ``q^T q``; a real
  vector is nonzero iff its squared norm is);
* :class:`Positive` ``s > 0`` for symbols ``s`` -- the sign rules may treat ``s`` as positive, and divide;
* :class:`Bound` ``e(m) >= 0`` for every member ``m`` of a named family of the context (or once, with
  no family) -- the atom :class:`~.atoms.bounds.Declared` may cite an instance;
* :class:`ConvexLoss` -- the generic loss ``l(p; y)`` is convex and differentiable in ``p`` (Bregman
  divergences of it are ``>= 0``);
* :class:`LocalMinimum` -- ``(variables)`` is a local minimum of ``objective`` (the rules
  :class:`~.rules.FirstOrder` and :class:`~.rules.LevelSet` use it);
* :class:`Projection` ``rho = min(1, B / ||y||)`` and ``Pi_B(y) = rho y`` for every ``(rho, y, Pi_B(y))`` of a family: ``rho y`` is the
  Euclidean projection of ``y`` on the ball of radius ``B`` (the atom ``BallProjectionVI`` uses it).

``mentions(ctx)`` is every component symbol a hypothesis says something about; the infimum rule refuses
a comparator that any hypothesis in a fact's history mentions.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .context import Context, is_name
from .errors import KernelError


class IsConvex(sp.Function):
    """The predicate "the loss ``l(p; y)`` is convex and differentiable in ``p``" (a formula, not text)."""

    nargs = 1

    def _latex(self, printer):
        return r"\ell(\cdot\,; y) \text{ convex and differentiable}"

    def _sympystr(self, printer):
        return "l(.; y) convex and differentiable"


class IsLocalMin(sp.Function):
    """The predicate "``(args[1:])`` is a local minimum of ``args[0]``"."""

    def _latex(self, printer):
        obj, *variables = (printer._print(a) for a in self.args)
        return rf"({', '.join(variables)}) \text{{ is a local minimum of }} {obj}"

    def _sympystr(self, printer):
        obj, *variables = (printer._print(a) for a in self.args)
        return f"({', '.join(variables)}) is a local minimum of {obj}"


class ForEach(sp.Function):
    """``ForEach(relation, family_label[, placeholders])``: the relation holds for every member of the
    family, the members taking the places of the placeholders in order."""

    def _latex(self, printer):
        body, family = printer._print(self.args[0]), printer._print(self.args[1])
        if len(self.args) > 2:
            names = ", ".join(printer._print(a) for a in self.args[2])
            return rf"{body} \quad \text{{for every }} ({names}) \text{{ in {family}}}"
        return rf"{body} \quad \text{{for every }} {family}"

    def _sympystr(self, printer):
        body, family = printer._print(self.args[0]), printer._print(self.args[1])
        if len(self.args) > 2:
            names = ", ".join(printer._print(a) for a in self.args[2])
            return f"{body} for every ({names}) in {family}"
        return f"{body} for every {family}"


def _zero_like(q):
    return sp.ZeroMatrix(*q.shape) if isinstance(q, sp.MatrixExpr) else sp.Integer(0)


def _free_components(ctx: Context, expr) -> set:
    if ctx.symbolic:  # tensors, coefficient symbols and undefined names (sizes.py)
        return ctx.free_components(expr)
    value = ctx.instantiate(expr)
    items = list(value) if isinstance(value, sp.MatrixBase) else [value]
    out = set()
    for item in items:
        out |= sp.sympify(item).free_symbols
    return out


@dataclass(frozen=True, eq=False)
class Hypothesis:
    """Base class: a name, a formal statement, and what a step may use (nothing, here)."""

    name: str

    gloss = ""
    convex_loss = False

    @property
    def statement(self) -> sp.Basic:
        raise NotImplementedError

    def equations(self) -> dict:
        return {}

    def nonzero(self) -> tuple:
        return ()

    def positive(self) -> tuple:
        return ()

    def bounds(self, ctx: Context, overrides=None) -> list:
        return []

    def mentions(self, ctx: Context) -> set:
        """Component symbols this hypothesis constrains (instantiated statement content)."""
        return _free_components(ctx, sp.Tuple(*self._content()))

    def _content(self) -> list:
        return []

    # a hypothesis used as a premise rests on itself alone
    @property
    def closure(self) -> frozenset:
        return frozenset({self})

    eigen = frozenset()
    cites = frozenset()
    rules = frozenset()

    def same_as(self, other) -> bool:
        """Same kind and the same formal statement (how a citation matches hypotheses)."""
        return type(self) is type(other) and self.statement == other.statement

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


@dataclass(frozen=True, eq=False)
class Equation(Hypothesis):
    lhs: sp.Basic = None
    rhs: sp.Basic = None
    gloss: str = ""

    def __post_init__(self):
        if not is_name(self.lhs):
            raise KernelError(f"hypothesis {self.name!r}: the left side of an equation must be a named "
                              f"quantity, not {self.lhs}")

    @property
    def statement(self):
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def equations(self) -> dict:
        return {self.lhs: self.rhs}

    def _content(self):
        return [self.lhs, self.rhs]

    def mentions(self, ctx):
        out = _free_components(ctx, self.rhs) | ctx.components(self.lhs)
        if not ctx.is_variable(self.lhs):
            out |= _free_components(ctx, self.lhs)
        return out


@dataclass(frozen=True, eq=False)
class NonZero(Hypothesis):
    quantity: sp.Basic = None
    gloss: str = ""

    @property
    def statement(self):
        return sp.Ne(self.quantity, _zero_like(self.quantity), evaluate=False)

    def nonzero(self) -> tuple:
        q = self.quantity
        if isinstance(q, sp.MatrixExpr):
            from ..linalg import inner
            return (inner(q, q),)
        return (q,)

    def _content(self):
        return [self.quantity]


@dataclass(frozen=True, eq=False)
class Positive(Hypothesis):
    symbols: tuple = ()
    gloss: str = ""

    def __post_init__(self):
        for s in self.symbols:
            if not isinstance(s, sp.Symbol):
                raise KernelError(f"hypothesis {self.name!r}: only symbols can be declared positive, "
                                  f"not {s}")

    @property
    def statement(self):
        return sp.And(*[sp.StrictGreaterThan(s, 0, evaluate=False) for s in self.symbols])

    def positive(self) -> tuple:
        return tuple(self.symbols)

    def nonzero(self) -> tuple:
        return tuple(self.symbols)

    def _content(self):
        return list(self.symbols)


def _gap(relation) -> sp.Basic:
    """``big - small`` for a relation ``small <= big`` / ``big >= small`` (the expression ``>= 0``)."""
    if isinstance(relation, (sp.GreaterThan, sp.StrictGreaterThan)):
        return relation.lhs - relation.rhs
    if isinstance(relation, (sp.LessThan, sp.StrictLessThan)):
        return relation.rhs - relation.lhs
    raise KernelError(f"a bound must be a relation <= or >=, not {relation}")


@dataclass(frozen=True, eq=False)
class Bound(Hypothesis):
    """``small <= big`` for every member of ``ctx.families[family]`` (or once, with no family).

    ``template`` is a relation (``norm(grad_w) <= eps``), or a ``sympy.Lambda`` from named placeholders
    to a relation when ``family`` names the context's family the bound quantifies over (e.g.
    ``||psi||^2 <= b^2 for every psi``).  What a step may use is ``big - small >= 0`` for each instance."""

    template: sp.Basic = None
    family: str | None = None
    gloss: str = ""

    def __post_init__(self):
        if (self.family is None) == isinstance(self.template, sp.Lambda):
            raise KernelError(f"hypothesis {self.name!r}: a bound over a family needs a Lambda "
                              "template, a single bound a relation")
        _gap(self.template.expr if isinstance(self.template, sp.Lambda) else self.template)

    @property
    def statement(self):
        if self.family is None:
            return self.template
        # the placeholders are part of the statement: one body over (A, B) and over (B, A) are
        # different hypotheses
        return ForEach(self.template.expr, sp.Symbol(self.family), sp.Tuple(*self.template.variables))

    def bounds(self, ctx: Context, overrides=None) -> list:
        """The instances ``big - small`` (explicit), with the premises' equations substituted (a true
        statement stays true when equals are substituted in it)."""
        if self.family is None:
            return [sp.expand(ctx.instantiate(_gap(self.template), overrides))]
        if self.family not in ctx.families:
            raise KernelError(f"hypothesis {self.name!r}: context {ctx.label} has no family "
                              f"{self.family!r}")
        return [sp.expand(ctx.instantiate(_gap(self.template(*member)), overrides))
                for member in ctx.families[self.family]]

    def mentions(self, ctx):
        if ctx.symbolic:
            if self.family is not None:   # what the members mention, and what the formula itself does
                formula = ctx.free_components(_gap(self.template.expr)) - set(self.template.variables)
                return ctx.family_components(self.family) | formula
            return ctx.free_components(_gap(self.template))
        out = set()
        for bound in self.bounds(ctx):
            out |= bound.free_symbols
        return out


@dataclass(frozen=True, eq=False)
class ConvexLoss(Hypothesis):
    gloss: str = ""

    convex_loss = True

    @property
    def statement(self):
        return IsConvex(sp.Symbol("ell"))

    def mentions(self, ctx):
        return set()


@dataclass(frozen=True, eq=False)
class LocalMinimum(Hypothesis):
    objective: sp.Basic = None
    variables: tuple = ()
    gloss: str = ""

    @property
    def statement(self):
        return IsLocalMin(self.objective, *self.variables)

    def mentions(self, ctx):
        out = _free_components(ctx, self.objective)
        for v in self.variables:
            out |= ctx.components(v)
        return out


class _Projected(sp.MatrixSymbol):
    """The placeholder ``Pi_B(y)`` of the projection hypothesis (printed as such)."""

    def _latex(self, printer):
        return r"\Pi_B(y)"

    def _sympystr(self, printer):
        return "Pi_B(y)"


@dataclass(frozen=True, eq=False)
class Projection(Hypothesis):
    """``rho = min(1, radius / ||y||)`` and ``Pi_B(y) = rho y`` for every member ``(rho, y, Pi_B(y))`` of
    ``ctx.families[family]`` (at concrete sizes the projected point is checked to be ``rho y``; at
    symbolic sizes it is the model's next iterate, and the relation is this hypothesis)."""

    family: str = ""
    radius: sp.Basic = None
    gloss: str = ""

    @property
    def statement(self):
        from ..linalg import norm
        m = sp.Symbol("m")
        rho, y = sp.Symbol("rho", real=True), sp.MatrixSymbol("y", m, 1)
        projected = _Projected("Pi_B(y)", m, 1)
        body = sp.And(sp.Eq(rho, sp.Min(1, self.radius / norm(y)), evaluate=False),
                      sp.Eq(projected, rho * y, evaluate=False))
        return ForEach(body, sp.Symbol(self.family), sp.Tuple(rho, y, projected))

    def pairs(self, ctx: Context) -> dict:
        """``rho -> y`` of the members ``(rho, y, projected)``; the projected point must be ``rho y``."""
        if ctx.symbolic or self.family not in ctx.families:
            raise KernelError(f"hypothesis {self.name!r}: context {ctx.label} has no family "
                              f"{self.family!r}")
        out = {}
        for member in ctx.families[self.family]:
            if len(member) != 3:
                raise KernelError(f"hypothesis {self.name!r}: a member of {self.family!r} is not "
                                  "(rho, y, projected point)")
            rho, y, projected = member
            y = sp.ImmutableMatrix(ctx.instantiate(y)).expand()
            if any(sp.expand(e) != 0 for e in sp.ImmutableMatrix(ctx.instantiate(projected)) - rho * y):
                raise KernelError(f"hypothesis {self.name!r}: the projected point of {rho} is not "
                                  f"{rho} y at {ctx.label}")
            out[rho] = y
        return out

    def mentions(self, ctx):
        radius = ctx.free_components(self.radius) if ctx.symbolic else \
            sp.sympify(ctx.instantiate(self.radius)).free_symbols
        if ctx.symbolic:
            return ctx.family_components(self.family) | radius
        out = set(radius)
        for rho, y in self.pairs(ctx).items():
            out |= {rho} | set().union(*(sp.sympify(e).free_symbols for e in y))
        return out
