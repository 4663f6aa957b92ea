"""The normal form that decides identities of index expressions (never ``sympy.simplify``).

``normal(expr)`` rewrites every monomial with the rules below until none applies, renames its dummy
indices to a canonical labelling, and collects equal monomials; ``expr`` is zero iff every collected
coefficient cancels (``sympy.cancel``: a decision procedure for rational functions).  The rules, each
an identity valid at every size:

* delta:    ``delta(e, e) = 1``; ``delta(e, e + c) = 0`` for a nonzero integer ``c``;
            ``sum_{j in R} delta(j, e) X(j) = X(e)`` when ``e`` (an index or integer) provably lies in
            ``R`` and no other range depends on ``j``;
* sqrt:     ``sqrt(S) sqrt(S) = S``;
* inverse:  ``sum_p inv(G)[o, p] G[p, e] = delta(o, e)`` and ``sum_p G[e, p] inv(G)[p, o] = delta(e, o)``
            for a one-monomial ``G`` declared invertible (:class:`Assume`); an ``inv`` of an undeclared
            matrix is refused (it may not exist);
* unused:   ``sum_{j in lo..hi} X = (hi - lo + 1) X`` when ``j`` occurs nowhere in ``X``;
* expect:   ``E[sum_i c_i sum_{D_i} M_i] = sum_i c_i sum_{D_i} E[M_i]``, ``E[1] = 1`` (coefficients and
            index ranges are deterministic; only tensors may be random); with a declared sample stream
            (``Assume.stream``), ``E`` of a deterministic monomial and the independence of the sample of
            step ``s`` from the past (:mod:`.stream`);
* disjoint: ``delta(a, b) = 0`` when the ranges of ``a`` and ``b`` provably do not meet.

Canonical labelling: dummies are ranked by a signature that does not depend on their names (their
range and the slots they occupy, refined once by their neighbours); the labelling is the minimum key
over every order of dummies with equal signatures.  Function-atom arguments are normalised
recursively (labels carry the nesting depth, so inner and outer canonical names never meet).

Sound: two monomials with the same key are the same sum of products up to renaming of bound indices
and commutativity, so collecting them is valid; every rule above is an identity.  Complete (same
normal form for equal expressions) for polynomials in independent tensors without symmetries, over
independent ranges, and for opaque function atoms compared by their normalised arguments -- the
identities of this paper.  Not complete for: relations that hold only at small sizes (antisymmetrising
more than ``d`` indices), dependent ranges (``sum_{s<=t}`` is not re-ordered), shifted time indices
(use the telescoping rule), or algebra inside opaque atoms (``sqrt(S) sqrt(T)`` stays as is).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .display import render, shape
from .stream import expect_rule
from .terms import (Delta, Expr, Fn, IndexAlgebraError, Lam, Quotient, Ten, Term, _rename_factor,
                    as_expr, bind_into, bounds, dependency_order, factor_indices, indices_in, key_of,
                    rename, within)

#: Budget of one normal form: monomials produced and labellings tried per monomial.  Exceeding it raises
#: (deterministically) instead of running for minutes; the paper's identities need far less.
MAX_TERMS = 20000
MAX_LABELLINGS = 5040

_MARK = sp.Symbol("_dummy", integer=True)  # stands for "some dummy" in signatures


class IdentityFailure(IndexAlgebraError):
    """The two sides of a claimed identity have different normal forms."""


@dataclass(frozen=True)
class Assume:
    """Side conditions a step may use: scalars declared nonzero (denominators, ``t``) and square
    matrices declared invertible (``det(W W^T) != 0``)."""

    nonzero: tuple = ()
    invertible: tuple = ()
    stream: object = None   # a :class:`~.stream.Stream`: the rules of E over an i.i.d. sample stream


NOTHING = Assume()


# -- rules on one monomial ------------------------------------------------------------------------
def disjoint(ra, rb) -> bool:
    """The ranges ``(lo, hi)`` provably do not meet (one ends before the other begins)."""
    return bool(ra and rb and any(sp.expand(lo - hi - 1).is_nonnegative is True
                                  for lo, hi in ((rb[0], ra[1]), (ra[0], rb[1]))))


def _step(term: Term, assume: Assume, depth: int):
    """One rewrite of ``term`` (a list of monomials) or ``None`` when no rule applies."""
    if term.coef == 0:
        return []
    facs = term.factors
    range_deps = set()
    for dum in term.dummies:
        range_deps |= indices_in(dum.lower) | indices_in(dum.upper)
    for pos, f in enumerate(facs):
        if not isinstance(f, Delta):
            continue
        a, b = f.args
        rest = facs[:pos] + facs[pos + 1:]
        gap = sp.expand(a - b)
        if gap == 0:
            return [Term(term.coef, rest, term.dummies)]
        if gap.is_number:          # delta(t, t + 1) = delta(0, 1) = 0
            return []
        if disjoint(bounds(a), bounds(b)):
            return []              # disjoint ranges: delta(a, b + d) = 0 for a, b in 0..d-1
        for p, q in ((a, b), (b, a)):   # delta(j + c, q) = delta(j, q - c) for an integer offset c
            js = [x for x in indices_in(p) if x in term.dummies]
            j = js[0] if len(js) == 1 else None
            offset = sp.expand(p - j) if j is not None else None
            if j is None or offset.atoms(sp.Idx) or not offset.is_integer:
                continue
            e = sp.expand(q - offset)
            if (j in term.dummies and j not in range_deps and j not in indices_in(e)
                    and within(e, j.lower, j.upper)):
                kept = tuple(x for x in term.dummies if x != j)  # e may be one of them: no renaming
                return [Term(term.coef, tuple(_rename_factor(g, {j: e}) for g in rest), kept)]
    for pos, f in enumerate(facs):
        if isinstance(f, Fn) and f.name == "expect":
            linear = _expect_linear(term, pos)
            if linear is None and assume.stream is not None:
                linear = expect_rule(assume.stream, term, pos,
                                     lambda body: normal(body, assume, depth + 2))
            if linear is not None:
                return linear
    sqrts = {}
    for pos, f in enumerate(facs):
        if isinstance(f, Fn) and f.name == "sqrt":
            k = _factor_key(f, {}, depth, assume)
            if k in sqrts:
                other = sqrts[k]
                rest = tuple(x for i, x in enumerate(facs) if i not in (pos, other))
                return [_times(Term(term.coef, rest, term.dummies), t) for t in f.lams[0].body.terms]
            sqrts[k] = pos
    for pos, f in enumerate(facs):
        if isinstance(f, Fn) and f.name == "inv":
            cancelled = _cancel_inverse(term, pos, assume, depth)
            if cancelled is not None:
                return cancelled
    for dum in term.dummies:
        if dum in range_deps or any(dum in factor_indices(f) for f in facs):
            continue
        size = sp.expand(dum.upper - dum.lower + 1)
        if size.is_nonnegative:
            kept = tuple(x for x in term.dummies if x != dum)
            return [Term(term.coef * size, facs, kept)]
    return None


def _expect_linear(term: Term, pos: int):
    """``E[sum_i c_i sum_{D_i} M_i] = sum_i c_i sum_{D_i} E[M_i]``; ``E[1] = 1``; ``E[0] = 0``."""
    body = term.factors[pos].lams[0].body
    rest = term.factors[:pos] + term.factors[pos + 1:]
    if len(body.terms) == 1 and body.terms[0].coef == 1 and not body.terms[0].dummies:
        if body.terms[0].factors:
            return None
        return [Term(term.coef, rest, term.dummies)]
    out = []
    for inner in body.terms:
        inner = bind_into(term, inner)
        monomial = Term(sp.Integer(1), inner.factors)
        atom = Fn("expect", (Lam((), Expr((monomial,), frozenset(monomial.free()))),))
        out.append(Term(term.coef * inner.coef, rest + (atom,), term.dummies + inner.dummies))
    return out


def _times(term: Term, other: Term) -> Term:
    other = bind_into(term, other)
    return Term(term.coef * other.coef, term.factors + other.factors, term.dummies + other.dummies)


def _cancel_inverse(term: Term, pos: int, assume: Assume, depth: int):
    f = term.factors[pos]
    lam = f.lams[0]
    declared = {_lam_key(g, {}, depth, NOTHING) for g in assume.invertible}
    if _lam_key(lam, {}, depth, NOTHING) not in declared:
        raise IndexAlgebraError(f"inverse of {render(lam.body)} used without declaring it invertible")
    body = normal(lam.body, NOTHING, depth + 1)
    if len(body.terms) != 1:
        return None
    g = body.terms[0]
    x, y = lam.bound
    rest = term.factors[:pos] + term.factors[pos + 1:]
    rest_keys = [_factor_key(r, {}, depth, assume) for r in rest]
    candidates = set().union(*(factor_indices(r) for r in rest)) if rest else set()
    o, p = f.args
    for contracted, kept_arg, left in ((p, o, True), (o, p, False)):
        if contracted not in term.dummies or (contracted.lower, contracted.upper) != (x.lower, x.upper):
            continue   # the sum must run over the whole dimension of G
        others = [dm for dm in term.dummies if dm != contracted]
        for e in candidates - {contracted}:
            for image in itertools.permutations(others, len(g.dummies)):
                if e in image or any((a.lower, a.upper) != (b.lower, b.upper)
                                     for a, b in zip(g.dummies, image)):
                    continue
                mapping = dict(zip(g.dummies, image))
                mapping.update({x: contracted, y: e} if left else {x: e, y: contracted})
                matched = _match(g.factors, mapping, rest_keys, depth, assume)
                if matched is None:
                    continue
                remaining = tuple(r for i, r in enumerate(rest) if i not in matched)
                bound = {contracted, *image}
                if any(bound & factor_indices(r) for r in remaining):
                    continue
                new = (Delta((kept_arg, e)) if left else Delta((e, kept_arg)),)
                kept = tuple(dm for dm in term.dummies if dm not in bound)
                return [Term(term.coef / g.coef, remaining + new, kept)]
    return None


def _match(pattern, mapping, rest_keys, depth, assume):
    """Positions in ``rest`` of factors equal to ``pattern`` under ``mapping``, or ``None``."""
    used = []
    for pf in pattern:
        try:
            k = _factor_key(_rename_factor(pf, mapping), {}, depth, assume)
        except IndexAlgebraError:
            return None
        hit = next((i for i, rk in enumerate(rest_keys) if rk == k and i not in used), None)
        if hit is None:
            return None
        used.append(hit)
    return used


def _simplify(term: Term, assume: Assume, depth: int) -> list:
    work, out = [term], []
    while work:
        if len(work) + len(out) > MAX_TERMS:
            raise IndexAlgebraError(f"normal form exceeds {MAX_TERMS} monomials")
        current = work.pop()
        step = _step(current, assume, depth)
        if step is None:
            out.append(current)
        else:
            work.extend(step)
    return out


# -- canonical labelling --------------------------------------------------------------------------
def _factor_key(f, pi: dict, depth: int, assume: Assume, cache=None) -> str:
    if isinstance(f, Ten):
        return "T" + f.tensor.key + "[" + ",".join(key_of(a.xreplace(pi)) for a in f.args) + "]"
    if isinstance(f, Delta):
        return "D" + ",".join(sorted(key_of(a.xreplace(pi)) for a in f.args))
    lams = []
    for i, lam in enumerate(f.lams):
        ck = (id(f), i, tuple(sorted(((key_of(k), key_of(v)) for k, v in pi.items()
                                      if k in lam.free), key=str)))
        if cache is not None and ck in cache:
            lams.append(cache[ck])
            continue
        lk = _lam_key(lam, pi, depth, assume)
        if cache is not None:
            cache[ck] = lk
        lams.append(lk)
    return ("F" + f.name + "{" + ";".join(lams) + "}[" + ",".join(key_of(a.xreplace(pi)) for a in f.args)
            + "]")


def _lam_key(lam: Lam, pi: dict, depth: int, assume: Assume) -> str:
    mapping = {k: v for k, v in pi.items() if k in lam.free}
    for pos, idx in enumerate(lam.bound):
        mapping[idx] = sp.Idx(f"_b{depth}_{pos}", (idx.lower.xreplace(mapping), idx.upper.xreplace(mapping)))
    body = rename(lam.body, mapping)
    collected = _collect(body, assume, depth + 1)
    return ("(" + ",".join(key_of(mapping[b]) for b in lam.bound) + ")"
            + " + ".join(key_of(coef) + "*" + key for key, coef, _ in collected))


def _signatures(term: Term) -> dict:
    dums = set(term.dummies)
    marks = {x: _MARK for x in dums}
    sig = {}
    for dum in term.dummies:
        parts = []
        for f in term.factors:
            if isinstance(f, Ten):
                parts += [f"{f.tensor.key}:{i}" + ("" if a == dum else "~")
                          for i, a in enumerate(f.args) if dum in indices_in(a)]
            elif dum in factor_indices(f):
                parts.append("D" if isinstance(f, Delta) else "F" + f.name)
        rng = sp.Tuple(dum.lower, dum.upper).xreplace(marks)
        sig[dum] = key_of(rng) + "|" + ",".join(sorted(parts))
    refined = {}
    for dum in term.dummies:  # one round of refinement: the signatures of the neighbours
        near = []
        for f in term.factors:
            if isinstance(f, Ten) and dum in f.args:
                near.append(f.tensor.key + "(" + ",".join(
                    "*" if a == dum else sig.get(a) or key_of(a) for a in f.args) + ")")
        refined[dum] = sig[dum] + "/" + ",".join(sorted(near))
    return refined


def _canonical(term: Term, depth: int, assume: Assume):
    """``(key, recipe)``: the minimum key over labellings consistent with signatures, and what
    ``_build`` needs to write the canonical monomial."""
    prefix = (f"_c{depth}_", f"_b{depth}_")
    for idx in term.free():
        if str(idx.label).startswith(prefix):
            raise IndexAlgebraError(f"internal: free index {idx} carries a canonical label")
    if not term.dummies:
        keys = sorted(((_factor_key(f, {}, depth, assume), i) for i, f in enumerate(term.factors)))
        return "|".join(k for k, _ in keys), (term, {}, (), [i for _, i in keys])
    sig = _signatures(term)
    groups = [list(g) for _, g in itertools.groupby(sorted(term.dummies, key=lambda x: sig[x]),
                                                     key=lambda x: sig[x])]
    count = math.prod(math.factorial(len(g)) for g in groups)
    if count > MAX_LABELLINGS:
        raise IndexAlgebraError(f"{count} labellings of symmetric dummies exceed {MAX_LABELLINGS}")
    best = None
    cache: dict = {}
    deps = dependency_order(term.dummies)
    for choice in itertools.product(*(itertools.permutations(g) for g in groups)):
        order = [x for grp in choice for x in grp]
        rank = {x: i for i, x in enumerate(order)}
        pi = {}
        for x in deps:
            pi[x] = sp.Idx(f"_c{depth}_{rank[x]}", (x.lower.xreplace(pi), x.upper.xreplace(pi)))
        keys = sorted((_factor_key(f, pi, depth, assume, cache), i) for i, f in enumerate(term.factors))
        key = "|".join(k for k, _ in keys) + "#" + ",".join(key_of(pi[x]) for x in order)
        if best is None or key < best[0]:
            best = (key, pi, order, [i for _, i in keys])
    key, pi, order, positions = best
    return key, (term, pi, order, positions)


def _build(recipe) -> Term:
    """The canonical monomial of a labelling found by ``_canonical`` (built only when needed)."""
    term, pi, order, positions = recipe
    factors = tuple(_rename_factor(term.factors[i], pi) for i in positions)
    return Term(term.coef, factors, tuple(pi[x] for x in order))


# -- the normal form ------------------------------------------------------------------------------
@lru_cache(maxsize=8192)
def _collect(expr: Expr, assume: Assume, depth: int) -> tuple:
    """``((key, collected coefficient, recipe of the canonical monomial), ...)`` sorted by key (cached: expressions
    are immutable, and structurally equal expressions have the same normal form)."""
    if isinstance(expr, Quotient):
        raise IndexAlgebraError("the normal form of a quotient: compare with equal()")
    acc: dict = {}
    for term in expr.terms:
        for simple in _simplify(term, assume, depth):
            key, canon = _canonical(simple, depth, assume)
            if key in acc:
                acc[key] = (acc[key][0] + simple.coef, acc[key][1])
            else:
                acc[key] = (simple.coef, canon)
    out = []
    for key in sorted(acc):
        coef = sp.cancel(sp.together(acc[key][0]))
        if coef != 0:
            out.append((key, coef, acc[key][1]))
    return tuple(out)


def normal(expr: Expr, assume: Assume = NOTHING, depth: int = 0) -> Expr:
    """The normal form of ``expr``: canonical monomials with nonzero collected coefficients."""
    collected = _collect(expr, assume, depth)
    canon = [_build(recipe) for _, _, recipe in collected]
    return Expr(tuple(Term(coef, c.factors, c.dummies) for (_, coef, _), c in zip(collected, canon)),
                expr.free)


def expr_key(expr: Expr, assume: Assume = NOTHING, depth: int = 0) -> str:
    """A text key equal for two expressions iff their normal forms coincide."""
    collected = _collect(expr, assume, depth)
    free = ",".join(sorted(key_of(i) for i in expr.free))
    return "{" + free + "}" + " + ".join(key_of(coef) + "*" + key for key, coef, _ in collected)


def is_zero(expr, assume: Assume = NOTHING) -> bool:
    """``expr`` is identically zero at every size (by the normal form)."""
    return not normal(as_expr(expr), assume).terms


# -- identities -----------------------------------------------------------------------------------
def _coefficient_denominators(expr: Expr) -> set:
    out = set()
    for term in expr.terms:
        _, den = sp.fraction(sp.together(term.coef))
        for factor in sp.Mul.make_args(sp.factor(den)):
            base = factor.base if factor.is_Pow else factor
            if not base.is_number:
                out.add(base)
        for f in term.factors:
            if isinstance(f, Fn):
                for lam in f.lams:
                    out |= _coefficient_denominators(lam.body)
    return out


def _bases(c) -> list:
    """``[(base, exponent)]`` of the factored scalar ``c``."""
    return [(f.base, f.exp) if f.is_Pow else (f, sp.Integer(1)) for f in sp.Mul.make_args(sp.factor(c))]


def _nonzero_scalar(c, assume: Assume) -> bool:
    """Every factor of ``c`` is a nonzero number, a size (a positive integer symbol), or a factor of a
    scalar declared nonzero (a nonzero product has nonzero factors).  Other symbols' assumptions
    (``positive=True``) are never used."""
    declared = set()
    for dec in assume.nonzero:
        if isinstance(dec, Expr):
            if len(dec.terms) != 1 or dec.terms[0].factors or dec.terms[0].dummies:
                continue
            dec = dec.terms[0].coef
        declared |= {b for b, e in _bases(sp.sympify(dec)) if e.is_positive}
    return all((b.is_number and b.is_nonzero) or (isinstance(b, sp.Symbol) and b.is_integer
                                                  and b.is_positive) or b in declared or -b in declared
               for b, _ in _bases(c))


def _declared_nonzero(value: Expr, assume: Assume) -> bool:
    """``value`` is a nonzero scalar (see ``_nonzero_scalar``) times ``1`` or times a declared
    nonzero expression (compared by normal form)."""
    mine = _collect(value, assume, 0)
    if len(mine) == 1 and mine[0][0] == "" and _nonzero_scalar(mine[0][1], assume):
        return True
    for dec in assume.nonzero:
        theirs = _collect(as_expr(dec), assume, 0)
        if theirs and [k for k, _, _ in mine] == [k for k, _, _ in theirs]:
            ratios = {sp.cancel(a / b) for (_, a, _), (_, b, _) in zip(mine, theirs)}
            if len(ratios) == 1 and _nonzero_scalar(ratios.pop(), assume):
                return True
    return False


def equal(lhs, rhs, assume: Assume = NOTHING) -> str:
    """Prove ``lhs = rhs`` at every size (where both are defined), or raise :class:`IdentityFailure`.

    Quotients are compared by cross-multiplication; every denominator (expression or coefficient
    factor) must be a nonzero number, a size (a positive integer symbol), or declared nonzero in
    ``assume`` (a factor at a time, up to sizes and numbers); symbol assumptions such as
    ``positive=True`` are never used.
    """
    lhs = lhs if isinstance(lhs, Quotient) else Quotient(as_expr(lhs))
    rhs = rhs if isinstance(rhs, Quotient) else Quotient(as_expr(rhs))
    if lhs.free != rhs.free:
        raise IdentityFailure(f"shapes differ: {shape(lhs)} and {shape(rhs)}")
    for den in lhs.dens + rhs.dens:
        if not _declared_nonzero(den, assume):
            raise IdentityFailure(f"division by {render(den)}, which is not declared nonzero")
    for side in (lhs.num, rhs.num, *lhs.dens, *rhs.dens):
        for base in _coefficient_denominators(side):
            if not (_nonzero_scalar(base, assume) or _declared_nonzero(as_expr(base), assume)):
                raise IdentityFailure(f"coefficient divides by {base}, which is not declared nonzero")
    left = lhs.num
    for den in rhs.dens:
        left = left * den
    right = rhs.num
    for den in lhs.dens:
        right = right * den
    residual = normal(left - right, assume)
    if residual.terms:
        text = render(residual)
        raise IdentityFailure(f"the sides differ by {len(residual.terms)} monomial(s): "
                              f"{text[:600]}{' ...' if len(text) > 600 else ''}")
    return f"normal form (cross-multiplied by {len(lhs.dens) + len(rhs.dens)} denominator(s))"
