"""The expectation over an i.i.d. sample stream: which tensors are random, and two rules for ``E``.

The model (what a :class:`Stream` declaration means).  Sample indices ``i_1, ..., i_T`` are drawn
independently and uniformly from ``0..n-1`` (``n`` the size of the population slot); ``E`` is the mean
over all ``n^T`` streams.  Every tensor the stream names is one of

* *deterministic*: the same for every stream (data ``x_j``, ``y_j``, the comparator);
* *predictable*, first slot the step ``s``: a function of ``i_1 .. i_{s-1}`` only (the iterate ``z_s``
  and the features ``psi_s`` are computed from the samples before step ``s``); at the first step
  ``s = lo`` it depends on no sample, so it is deterministic there;
* *sampled*, first slot the step ``s`` (``lo <= s <= hi``): the population tensor at the sample of step
  ``s``, ``X[s, r] = pop[i_s, r]`` (deterministic ``pop``) or ``X[s, r] = pop[s, i_s, r]`` (predictable
  ``pop``).

Any other tensor is of unknown kind, and no rule below applies to an expectation that mentions it.

Rules (each applies to ``E[M]`` for one monomial ``M`` without dummies: the linearity rule of the normal
form has moved sums and coefficients out of ``E`` first):

* ``deterministic``: ``E[M] = M`` when every tensor in ``M`` (also inside function atoms) is
  deterministic, or predictable at the first step;
* ``sample``: ``E[M] = (1/n) sum_j E[M']`` when ``M`` has a sampled tensor, every sampled tensor in ``M``
  is at one step ``s`` that provably lies in ``lo..hi``, every predictable tensor is at exactly that ``s``
  (the same index expression) or at the first step, every other tensor is deterministic, and no step
  argument mentions an index bound inside a function atom (``sqrt(sum_s X_s^2)`` holds the samples of
  every step, not one); ``M'`` replaces each sampled ``X[s, r]`` by its population tensor at a fresh
  index ``j``.

Soundness of ``sample``: ``M`` is ``G(P, i_s)`` with ``P`` a function of ``i_1 .. i_{s-1}`` and ``G``
deterministic; ``i_s`` is uniform on ``0..n-1`` and independent of ``i_1 .. i_{s-1}``, so
``E[G(P, i_s)] = E[(1/n) sum_j G(P, j)]`` (Fubini over the product of uniform measures).  A tensor at a
later step (``z[s + 1]``, which depends on ``i_s``), at another sample, or of unknown kind blocks it.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .terms import SEQ, Expr, Fn, IndexAlgebraError, Lam, Ten, Term, fresh, index, indices_in, within


@dataclass(frozen=True)
class Stream:
    """A declaration of the stream's tensors (see the module docstring); steps run over ``lo..hi``.

    ``sampled`` is a tuple of ``(X, population)``: ``X`` has slots ``(SEQ, *rest)`` and the population
    ``(n, *rest)`` (deterministic) or ``(SEQ, n, *rest)`` (predictable)."""

    lo: object
    hi: object
    deterministic: tuple = ()
    predictable: tuple = ()
    sampled: tuple = ()

    def __post_init__(self):
        kinds = [t.key for t in self.deterministic] + [t.key for t in self.predictable] + \
            [x.key for x, _ in self.sampled]
        if len(set(kinds)) != len(kinds):
            raise IndexAlgebraError("a stream tensor is declared with two kinds")
        for t in self.predictable:
            if not t.slots or t.slots[0] != SEQ:
                raise IndexAlgebraError(f"predictable tensor {t.name} needs the step as its first slot")
        sizes = set()
        for x, pop in self.sampled:
            if not x.slots or x.slots[0] != SEQ:
                raise IndexAlgebraError(f"sampled tensor {x.name} needs the step as its first slot")
            if pop in self.deterministic:
                slot, rest = pop.slots[0], pop.slots[1:]
            elif pop in self.predictable and len(pop.slots) > 1:
                slot, rest = pop.slots[1], pop.slots[2:]
            else:
                raise IndexAlgebraError(f"population of {x.name} is neither deterministic nor predictable")
            if slot == SEQ or tuple(rest) != tuple(x.slots[1:]):
                raise IndexAlgebraError(f"sampled tensor {x.name} does not match its population {pop.name}")
            sizes.add(slot)
        if len(sizes) > 1:
            raise IndexAlgebraError("sampled tensors draw from populations of different sizes")
        # what expect_rule reads for every E monomial: computed once (not fields: repr and equality
        # stay those of the declaration)
        predictable = frozenset(t.key for t in self.predictable)
        object.__setattr__(self, "_keys", (
            frozenset(t.key for t in self.deterministic), predictable,
            {x.key: (pop, pop.key in predictable) for x, pop in self.sampled}))


def _tensors(factors, bound=frozenset()):
    """``(component, indices bound around it)`` for every tensor component in ``factors``, also inside
    function atoms (whose own bound indices and dummies are collected); ``None`` if there is a nested
    ``E`` (left alone)."""
    out = []
    for f in factors:
        if isinstance(f, Ten):
            out.append((f, bound))
        elif isinstance(f, Fn):
            if f.name == "expect":
                return None
            for lam in f.lams:
                for term in lam.body.terms:
                    inner = _tensors(term.factors, bound | set(lam.bound) | set(term.dummies))
                    if inner is None:
                        return None
                    out += inner
    return out


def at_first_step(arg, stream: Stream) -> bool:
    """A predictable tensor at ``arg`` depends on no sample: ``arg`` is the first step."""
    return sp.expand(arg - stream.lo) == 0


def predictable_at(pred_steps: set, steps: set) -> bool:
    """Every predictable tensor is at the sample's own step (a later one may depend on the sample)."""
    return pred_steps <= steps


def _tight(expr: Expr) -> Expr:
    """``expr`` free only in the indices its terms mention (a cancelled term's index is dropped)."""
    return Expr(expr.terms, frozenset().union(*(t.free() for t in expr.terms)) if expr.terms else ())


def _replace(factors, table, j):
    """``factors`` with each sampled ``X[s, r]`` replaced by its population at ``j``."""
    out = []
    for f in factors:
        if isinstance(f, Ten) and f.tensor.key in table:
            pop, timed = table[f.tensor.key]
            out.append(Ten(pop, (f.args[0], j) + f.args[1:] if timed else (j,) + f.args[1:]))
        elif isinstance(f, Fn):
            lams = []
            for lam in f.lams:
                terms = tuple(Term(t.coef, tuple(_replace(t.factors, table, j)), t.dummies)
                              for t in lam.body.terms)
                used = any(j in t.mentioned() for t in terms)
                lams.append(Lam(lam.bound, Expr(terms, lam.body.free | ({j} if used else set()))))
            out.append(Fn(f.name, tuple(lams), f.args))
        else:
            out.append(f)
    return out


def expect_rule(stream: Stream, term: Term, pos: int, normalize):
    """One of the two rules on the ``E[M]`` at ``term.factors[pos]``, or ``None``.  ``normalize`` gives
    the normal form of a function atom's argument (a tensor that cancels there is not in ``M``)."""
    body = term.factors[pos].lams[0].body
    if len(body.terms) != 1 or body.terms[0].coef != 1 or body.terms[0].dummies:
        return None
    factors = tuple(Fn(f.name, tuple(Lam(lam.bound, _tight(normalize(lam.body))) for lam in f.lams), f.args)
                    if isinstance(f, Fn) else f for f in body.terms[0].factors)
    found = _tensors(factors)
    if found is None:
        return None
    rest = term.factors[:pos] + term.factors[pos + 1:]
    deterministic, predictable, table = stream._keys
    first = lambda arg: at_first_step(arg, stream)  # noqa: E731
    steps, pred_steps = set(), set()
    for ten, bound in found:
        key = ten.tensor.key
        if key in table or key in predictable:
            if indices_in(ten.args[0]) & bound:
                return None   # a step summed inside an atom (sum_s X_s): samples of many steps
        if key in table:
            steps.add(sp.expand(ten.args[0]))
        elif key in predictable:
            if not first(ten.args[0]):
                pred_steps.add(sp.expand(ten.args[0]))
        elif key not in deterministic:
            return None  # a tensor of unknown kind: no rule
    if not steps:
        if pred_steps:
            return None
        return [Term(term.coef, rest + tuple(factors), term.dummies)]   # E[M] = M
    if len(steps) != 1 or not predictable_at(pred_steps, steps):
        return None
    (s,) = steps
    if not within(s, stream.lo, stream.hi):
        return None
    pop, timed = next(iter(table.values()))
    size = pop.slots[1] if timed else pop.slots[0]   # one size for every population (__post_init__)
    j = fresh(index("j", size))
    inner = tuple(_replace(factors, table, j))
    atom = Fn("expect", (Lam((), Expr((Term(sp.Integer(1), inner),),
                                      frozenset(Term(sp.Integer(1), inner).free()))),))
    return [Term(term.coef / size, rest + (atom,), term.dummies + (j,))]
