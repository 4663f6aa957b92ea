"""Index expressions at symbolic sizes: tensors with typed slots, monomials, sums of monomials.

Meaning.  An :class:`Expr` with free indices ``I`` denotes, for every size (``d, k, n, ...`` any positive
integers) and every value of ``I`` in its range, the real number
``sum_terms coef * sum_{dummies in their ranges} prod_factors``.  A factor is a tensor component
``w[a]``, a Kronecker delta ``delta(a, b)`` or a function atom ``ell(p; y)`` whose arguments are
themselves expressions (:class:`Lam`).  Products distribute, so an ``Expr`` is always a sum of
monomials; a monomial's dummy indices are renamed apart before any product or substitution
(:func:`rename`), so no index is ever captured.

Indices are ``sympy.Idx`` objects: the label and the inclusive range ``lower..upper`` are part of the
object, so ``a`` over ``0..d-1`` and ``a`` over ``0..k-1`` are different indices (and a monomial that
uses both is refused as a clash).  Matrix sizes index from 0 (the component names of
``proofs/expressions.py``: ``w_0 .. w_{d-1}``); sums over time run over ``1..T``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp

from .display import render, shape


class IndexAlgebraError(ValueError):
    """A malformed index expression, a refused rule, or an identity that does not hold."""


#: Slot marker: a slot that accepts any integer expression in indices (time steps ``t``, ``t + 1``).
SEQ = "seq"

_FRESH = itertools.count()


def index(label: str, size=None, *, lo=None, hi=None) -> sp.Idx:
    """The index ``label`` over ``0..size-1`` (a matrix dimension) or over ``lo..hi`` (e.g. ``1..T``)."""
    if not label or label.startswith("_"):
        raise IndexAlgebraError(f"index labels must be nonempty and not start with '_': {label!r}")
    if size is not None:
        size = sp.sympify(size)
        if not (size.is_integer and size.is_positive):
            raise IndexAlgebraError(f"size {size} of index {label!r} is not a positive integer")
        return sp.Idx(label, (0, size - 1))
    return sp.Idx(label, (sp.sympify(lo), sp.sympify(hi)))


def fresh(idx: sp.Idx) -> sp.Idx:
    """A new index over the same range as ``idx``, with a label no other index has."""
    return sp.Idx(f"_f{next(_FRESH)}", (idx.lower, idx.upper))


@lru_cache(maxsize=None)
def key_of(obj) -> str:
    """An injective text key of a SymPy object (``srepr``: ranges and assumptions included)."""
    return sp.srepr(obj)


@lru_cache(maxsize=None)
def bounds(arg):
    """``(lowest, highest)`` value of an index argument: an index, an index plus an integer offset, or
    an integer expression in sizes (``0``, ``T + 1``); ``None`` for anything else."""
    arg = sp.sympify(arg)
    if isinstance(arg, sp.Idx):
        return arg.lower, arg.upper
    if not arg.atoms(sp.Idx):
        return (arg, arg) if arg.is_integer else None
    if isinstance(arg, sp.Add):
        idx = [x for x in arg.args if isinstance(x, sp.Idx)]
        offset = arg - idx[0] if len(idx) == 1 else None
        if offset is not None and offset.is_integer and not offset.atoms(sp.Idx):
            return idx[0].lower + offset, idx[0].upper + offset
    return None


@lru_cache(maxsize=None)
def within(arg, lo, hi) -> bool:
    """``arg`` (see :func:`bounds`) provably lies in ``lo..hi`` at every size."""
    found = bounds(arg)
    if found is None:
        return False
    return (sp.expand(found[0] - lo).is_nonnegative is True
            and sp.expand(hi - found[1]).is_nonnegative is True)


@lru_cache(maxsize=None)
def indices_in(arg) -> frozenset:
    """The indices an index argument mentions (including those its range depends on)."""
    return frozenset(sp.sympify(arg).atoms(sp.Idx))


@dataclass(frozen=True)
class Tensor:
    """A base tensor ``name[slot_1, ..., slot_r]``; each slot is a size (range ``0..size-1``) or SEQ.

    ``depends_on`` names the variables it is a function of; ``derivatives`` gives, for some of them,
    the tensor of its derivative: ``d name[args] / d var[c] = D[args, c]`` (``f_theta`` -> ``J``).  A
    derivative in a variable listed in ``depends_on`` without a rule is refused, never taken as 0.
    """

    name: str
    slots: tuple
    depends_on: frozenset = frozenset()
    derivatives: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "slots", tuple(s if s == SEQ else sp.sympify(s) for s in self.slots))
        object.__setattr__(self, "depends_on", frozenset(self.depends_on)
                           | {var for var, _ in self.derivatives})

    @property
    def key(self) -> str:
        return self.name + "(" + ",".join("SEQ" if s == SEQ else key_of(s) for s in self.slots) + ")"

    def __str__(self):
        return self.name

    def __getitem__(self, args) -> "Expr":
        args = args if isinstance(args, tuple) else (args,)
        return Expr.of(Ten(self, tuple(sp.sympify(a) for a in args)))

    def __call__(self, *args) -> "Expr":
        return self[args]



def check_slot(name: str, slot, arg) -> None:
    """Refuse an argument that does not provably lie in the slot's range (e.g. a k-index in a d-slot)."""
    if bounds(arg) is None:
        raise IndexAlgebraError(f"{name}: index argument {arg} is not an index plus an integer offset "
                                "or an integer")
    if slot == SEQ:
        return
    if not within(arg, sp.Integer(0), slot - 1):
        rng = "{}..{}".format(*bounds(arg))
        raise IndexAlgebraError(f"{name}: index {arg} (range {rng}) does not fit a slot of size {slot}")


@dataclass(frozen=True)
class Ten:
    """The component ``tensor[args]``."""

    tensor: Tensor
    args: tuple

    def __post_init__(self):
        if len(self.args) != len(self.tensor.slots):
            raise IndexAlgebraError(f"{self.tensor.name} has {len(self.tensor.slots)} slots, "
                                    f"got {len(self.args)} indices")
        for slot, arg in zip(self.tensor.slots, self.args):
            check_slot(self.tensor.name, slot, arg)


@dataclass(frozen=True)
class Delta:
    """Kronecker's ``delta(a, b)``: 1 if the two index values are equal, else 0."""

    args: tuple

    def __post_init__(self):
        for arg in self.args:
            if bounds(arg) is None:
                raise IndexAlgebraError(f"delta: argument {arg} is not an index plus an offset or an "
                                        "integer")


@dataclass(frozen=True)
class Lam:
    """``bound -> body``: a tensor-valued argument (``opnorm(V)``: ``(a, b) -> V[a, b]``) or, with no
    bound indices, a scalar argument (``ell(p; y)``: ``p``).  Bound indices are local to the body."""

    bound: tuple
    body: "Expr"

    def __post_init__(self):
        if isinstance(self.body, Quotient):
            raise IndexAlgebraError("a function argument must not be a quotient")
        if len(set(self.bound)) != len(self.bound):
            raise IndexAlgebraError(f"repeated bound index in {self.bound}")

    @property
    def free(self) -> frozenset:
        bound = set(self.bound)
        out = set()
        for idx in self.body.free:
            if idx not in bound:
                out.add(idx)
        for idx in self.bound:  # a bound index's range may mention outer indices
            out |= indices_in(idx.lower) | indices_in(idx.upper)
        return frozenset(out)

    def __call__(self, *args) -> "Expr":
        """The body with the bound indices replaced by ``args`` (capture-avoiding)."""
        if len(args) != len(self.bound):
            raise IndexAlgebraError(f"function of {len(self.bound)} indices applied to {len(args)}")
        return rename(self.body, dict(zip(self.bound, (sp.sympify(a) for a in args))))


#: Function atoms: name -> (number of arguments, bound indices per argument, index slots).
FUNCTIONS = {
    "ell": (2, 0, 0), "ell_p": (2, 0, 0), "ell_pp": (2, 0, 0),   # l(p; y), l'(p; y), l''(p; y)
    "sqrt": (1, 0, 0),                                           # sqrt(S) of a scalar (norms)
    "opnorm": (1, 2, 0),                                         # ||M||_2 of a matrix M
    "inv": (1, 2, 2),                                            # (G^{-1})[o, p]
    "expect": (1, 0, 0),                                         # E[X] over the randomness
}


@dataclass(frozen=True)
class Fn:
    """A function atom ``name(lams)[args]`` (``args`` only for matrix-valued atoms: ``inv``)."""

    name: str
    lams: tuple
    args: tuple = ()

    def __post_init__(self):
        if self.name not in FUNCTIONS:
            raise IndexAlgebraError(f"unknown function atom {self.name!r}")
        arity, bound, slots = FUNCTIONS[self.name]
        if len(self.lams) != arity or len(self.args) != slots or any(
                len(lam.bound) != bound for lam in self.lams):
            raise IndexAlgebraError(f"{self.name}: expects {arity} argument(s) with {bound} bound "
                                    f"index(es) and {slots} index slot(s)")
        if slots:  # inv: a square matrix indexed from 0
            x, y = self.lams[0].bound
            if (x.lower, x.upper) != (y.lower, y.upper) or x.lower != 0:
                raise IndexAlgebraError(f"{self.name}: the matrix must be square, indexed from 0")
            for arg in self.args:
                check_slot(self.name, x.upper + 1, arg)


def factor_indices(f) -> set:
    """The indices a factor mentions freely."""
    if isinstance(f, (Ten, Delta)):
        return set().union(*(indices_in(a) for a in f.args))
    return set().union(*(lam.free for lam in f.lams), *(indices_in(a) for a in f.args))


@dataclass(frozen=True)
class Term:
    """``coef * sum_{dummies} prod(factors)``; ``coef`` is a SymPy scalar free of indices."""

    coef: sp.Expr
    factors: tuple = ()
    dummies: tuple = ()

    def mentioned(self) -> set:
        out = set().union(*(factor_indices(f) for f in self.factors)) if self.factors else set()
        for dum in self.dummies:
            out |= indices_in(dum.lower) | indices_in(dum.upper)
        return out

    def free(self) -> set:
        return self.mentioned() - set(self.dummies)


def check_term(term: Term, free: frozenset) -> None:
    """Refuse a monomial whose indices escape ``free``, clash in label, or are scoped wrongly."""
    if term.coef.atoms(sp.Idx):
        raise IndexAlgebraError(f"coefficient {term.coef} depends on an index")
    dummies = set(term.dummies)
    if len(dummies) != len(term.dummies) or dummies & set(free):
        raise IndexAlgebraError(f"dummy index clash: {term.dummies} (free: {sorted(map(str, free))})")
    used = term.mentioned()
    escaped = used - dummies - set(free)
    if escaped:
        raise IndexAlgebraError(f"indices {sorted(map(str, escaped))} are neither free nor summed")
    labels = {}
    for idx in used | set(free):
        if labels.setdefault(idx.label, idx) != idx:
            raise IndexAlgebraError(f"index label {idx.label} is used with two ranges: "
                                    f"{labels[idx.label].lower}..{labels[idx.label].upper} and "
                                    f"{idx.lower}..{idx.upper}")
    for idx in free:
        if (indices_in(idx.lower) | indices_in(idx.upper)) & dummies:
            raise IndexAlgebraError(f"the range of free index {idx} depends on a summed index")


@dataclass(frozen=True)
class Expr:
    """A sum of monomials with the free indices ``free`` (the same for every term: its shape)."""

    terms: tuple
    free: frozenset = field(default_factory=frozenset)

    def __post_init__(self):
        object.__setattr__(self, "free", frozenset(self.free))
        for term in self.terms:
            check_term(term, self.free)

    @staticmethod
    def of(factor) -> "Expr":
        return Expr((Term(sp.Integer(1), (factor,)),), frozenset(factor_indices(factor)))

    # -- arithmetic --------------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, Quotient):
            return Quotient(self) + other
        other = as_expr(other)
        if self.free != other.free:
            raise IndexAlgebraError(f"cannot add expressions of shapes {shape(self)} and {shape(other)}")
        return Expr(self.terms + other.terms, self.free)

    __radd__ = __add__

    def __neg__(self):
        return Expr(tuple(Term(-t.coef, t.factors, t.dummies) for t in self.terms), self.free)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, Quotient):
            return Quotient(self) * other
        other = as_expr(other)
        terms = []
        for left in self.terms:
            for right in other.terms:  # independent monomials: bound indices are renamed apart
                if set(left.dummies) & (right.mentioned() | set(right.dummies) | other.free):
                    left = freshen(left)
                right = bind_into(left, right, self.free)
                terms.append(Term(left.coef * right.coef, left.factors + right.factors,
                                  left.dummies + right.dummies))
        return Expr(tuple(terms), self.free | other.free)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, (Expr, Quotient)):
            return Quotient(self) / other
        return self * (1 / sp.sympify(other))

    def __pow__(self, power: int):
        if not isinstance(power, int) or power < 1:
            raise IndexAlgebraError("only positive integer powers of expressions")
        out = self
        for _ in range(power - 1):
            out = out * self
        return out

    def __str__(self):
        return render(self)


def as_expr(value) -> Expr:
    """A scalar (SymPy or Python number) as an expression with no free index."""
    if isinstance(value, Expr):
        return value
    value = sp.sympify(value)
    if value.atoms(sp.Idx):
        raise IndexAlgebraError(f"scalar {value} depends on an index")
    return Expr((Term(value),) if value != 0 else (), frozenset())


def zero(*free) -> Expr:
    """The zero expression with free indices ``free`` (e.g. the zero vector)."""
    return Expr((), frozenset(free))


def constant_in(expr: Expr, *idx) -> Expr:
    """``expr`` viewed as constant along the extra free indices ``idx`` (explicit broadcasting: ``z_s -
    z*`` is ``z[s, a] - constant_in(zs[a], s)``; adding different shapes is otherwise refused)."""
    return Expr(expr.terms, expr.free | set(idx))


@dataclass(frozen=True)
class Quotient:
    """``num / prod(dens)`` with scalar denominators (``w[a] w[a]``); equality cross-multiplies."""

    num: Expr
    dens: tuple = ()

    def __post_init__(self):
        for den in self.dens:
            if den.free:
                raise IndexAlgebraError(f"denominator with free indices {shape(den)}")

    def _lift(self, other):
        return other if isinstance(other, Quotient) else Quotient(as_expr(other))

    def __add__(self, other):
        other = self._lift(other)
        return Quotient(self.num * _prod(other.dens) + other.num * _prod(self.dens),
                        self.dens + other.dens)

    __radd__ = __add__

    def __neg__(self):
        return Quotient(-self.num, self.dens)

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        other = self._lift(other)
        return Quotient(self.num * other.num, self.dens + other.dens)

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = self._lift(other)
        if other.num.free:
            raise IndexAlgebraError("division by an expression with free indices")
        return Quotient(self.num * _prod(other.dens), self.dens + (other.num,))

    @property
    def free(self):
        return self.num.free

    def __str__(self):
        return render(self)


def _prod(exprs) -> Expr:
    out = as_expr(1)
    for e in exprs:
        out = out * e
    return out


# -- binding and renaming -------------------------------------------------------------------------
def dependency_order(dummies) -> list:
    """Summed indices ordered so that each comes after the indices its range mentions."""
    remaining, out = list(dummies), []
    while remaining:
        for dum in remaining:
            needs = (indices_in(dum.lower) | indices_in(dum.upper)) & set(remaining)
            if not needs:
                out.append(dum)
                remaining.remove(dum)
                break
        else:
            raise IndexAlgebraError(f"summed indices with circular ranges: {remaining}")
    return out


def _rebuild_index(idx, mapping, label):
    return sp.Idx(label, (sp.sympify(idx.lower).xreplace(mapping), sp.sympify(idx.upper).xreplace(mapping)))


def _rebind(binders, mapping: dict, fresh_all: bool):
    """New binders and the mapping to apply under them: a binder gets a fresh label when a replacement
    mentions it (it would capture) or it is itself a key (it shadows the key); its range follows the
    mapping.  Returns ``(binders, local mapping)``."""
    hazards = set().union(*(indices_in(v) for v in mapping.values())) if mapping else set()
    local = dict(mapping)
    out = []
    for idx in binders:
        if fresh_all or idx in hazards or idx in mapping:
            new = _rebuild_index(idx, local, f"_f{next(_FRESH)}")
        else:
            new = _rebuild_index(idx, local, idx.label) if local else idx
        if new != idx:
            local[idx] = new
        out.append(new)
    return out, local


def rename_term(term: Term, mapping: dict, fresh_all: bool = False) -> Term:
    """Replace free indices by index expressions in a monomial, capture-avoiding (see ``_rebind``);
    ``fresh_all`` gives every dummy a new label."""
    mapping = {key: value for key, value in mapping.items() if key != value}
    if not mapping and not fresh_all:
        return term
    order = dependency_order(term.dummies)
    new, local = _rebind(order, mapping, fresh_all)
    renamed = dict(zip(order, new))
    dummies = tuple(renamed[x] for x in term.dummies)
    if not local:
        return term
    return Term(term.coef, tuple(_rename_factor(f, local) for f in term.factors), dummies)


def freshen(term: Term) -> Term:
    """``term`` with every dummy relabelled freshly."""
    return rename_term(term, {}, fresh_all=True)


def bind_into(outer: Term, inner: Term, taken=frozenset()) -> Term:
    """``inner`` (which may refer to the indices of ``outer``) with its own dummies relabelled if they
    clash with an index of ``outer`` or with ``taken``: ready to be multiplied into ``outer``."""
    if set(inner.dummies) & (outer.mentioned() | set(outer.dummies) | set(taken)):
        return freshen(inner)
    return inner


def _rename_factor(f, mapping):
    if isinstance(f, Ten):
        return Ten(f.tensor, tuple(sp.sympify(a).xreplace(mapping) for a in f.args))
    if isinstance(f, Delta):
        return Delta(tuple(sp.sympify(a).xreplace(mapping) for a in f.args))
    return Fn(f.name, tuple(rename_lam(lam, mapping) for lam in f.lams),
              tuple(sp.sympify(a).xreplace(mapping) for a in f.args))


def rename_lam(lam: Lam, mapping: dict, fresh_all: bool = False) -> Lam:
    mapping = {k: v for k, v in mapping.items() if k in lam.free and k != v}
    if not mapping and not fresh_all:
        return lam
    bound, local = _rebind(lam.bound, mapping, fresh_all)
    return Lam(tuple(bound), rename(lam.body, local))


def rename(expr: Expr, mapping: dict) -> Expr:
    """``expr`` with free indices replaced by index expressions (``{a: b}``, ``{t: t + 1}``)."""
    if isinstance(expr, Quotient):
        return Quotient(rename(expr.num, mapping), tuple(rename(d, mapping) for d in expr.dens))
    mapping = {k: v for k, v in mapping.items() if k in expr.free and k != v}
    if not mapping:
        return expr
    free = set()
    for idx in expr.free:
        free |= indices_in(sp.sympify(idx).xreplace(mapping)) if idx in mapping else {idx}
    return Expr(tuple(rename_term(t, mapping) for t in expr.terms), frozenset(free))


# -- constructors ---------------------------------------------------------------------------------
def delta(a, b) -> Expr:
    return Expr.of(Delta((sp.sympify(a), sp.sympify(b))))


def function(name: str, *lams, args=()) -> Expr:
    lams = tuple(lam if isinstance(lam, Lam) else Lam((), as_expr(lam)) for lam in lams)
    return Expr.of(Fn(name, lams, tuple(sp.sympify(a) for a in args)))


def ell(p, y) -> Expr:
    """The generic loss ``l(p; y)`` (``p``, ``y`` scalar expressions)."""
    return function("ell", p, y)


def ell_p(p, y) -> Expr:
    return function("ell_p", p, y)


def ell_pp(p, y) -> Expr:
    return function("ell_pp", p, y)


def sqrt(s) -> Expr:
    """``sqrt(S)`` of a scalar ``S`` (``||v|| = sqrt(v[a] v[a])``); ``sqrt(S)^2 = S`` in the normal form."""
    return function("sqrt", s)


def opnorm(matrix: Lam) -> Expr:
    """``||M||_2`` of ``M = (a, b) -> body``: an opaque scalar."""
    return function("opnorm", matrix)


def inv(matrix: Lam, o, p) -> Expr:
    """``(G^{-1})[o, p]`` of the square matrix ``G = (a, b) -> body``."""
    return function("inv", matrix, args=(o, p))


def expect(value) -> Expr:
    """``E[X]``: the expectation of a scalar over the randomness of the tensors (the SGD stream).

    A linear operator: coefficients and index ranges are deterministic; tensors may be random."""
    return function("expect", value)


def sum_over(expr: Expr, *idx) -> Expr:
    """``sum_{idx in its range} expr``.  No other free index's range may depend on ``idx`` (that would
    be an interchange of dependent sums); a summand that does not mention ``idx`` is counted
    ``hi - lo + 1`` times."""
    for i in idx:
        if not isinstance(i, sp.Idx):
            raise IndexAlgebraError(f"cannot sum over {i}: not an index")
        if i not in expr.free:  # a summand constant in i: bind a fresh copy (it counts the range)
            i = fresh(i)
            expr = Expr(expr.terms, expr.free | {i})
        rest = expr.free - {i}
        for other in rest:
            if i in indices_in(other.lower) | indices_in(other.upper):
                raise IndexAlgebraError(f"cannot sum over {i} inside the sum over {other}, whose "
                                        f"range {other.lower}..{other.upper} depends on {i}")
        expr = Expr(tuple(Term(t.coef, t.factors, t.dummies + (i,)) for t in expr.terms), rest)
    return expr


def mean(expr: Expr, i: sp.Idx) -> Expr:
    """The sample mean ``E_i[expr] = (1/n) sum_i expr`` over the index ``i`` (range ``0..n-1``)."""
    return sum_over(expr, i) * (1 / (i.upper - i.lower + 1))
