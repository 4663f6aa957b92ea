"""Derivatives and substitutions by the rules of the index algebra (never SymPy's matrix calculus).

Rules (each tested against component-wise ``sympy.diff`` at random concrete sizes):

* variable:  ``d X[args] / d X[c] = prod_s delta(args_s, c_s)``;
* declared:  ``d f[args] / d theta[c] = J[args, c]`` when the tensor ``f`` declares the rule; a tensor
             that declares it *depends* on the variable without a rule is refused (never 0);
             any other tensor, and every delta, has derivative 0;
* scalar:    ``d/dt`` of a coefficient is ``sympy.diff`` of that rational function;
* product:   ``d (A B) = dA B + A dB`` over the factors of each monomial, term by term;
* chain:     ``d l(p; y) = l'(p; y) dp``, ``d l'(p; y) = l''(p; y) dp`` (``proofs/expressions.py``'s
             chain ``ell -> ell_p -> ell_pp``); a derivative of ``l''`` in ``p``, of any ``l`` in ``y``,
             or of ``sqrt``, ``opnorm``, ``inv`` whose argument moves, is refused.

Substitution replaces every component ``X[args]`` by ``value(args)`` in one pass (the value is not
substituted into itself), also inside function-atom arguments; ``substitute_scalar`` sets ``t = 0``
in coefficients and refuses a substitution that divides by zero.
"""
from __future__ import annotations

import sympy as sp

from .normal_form import is_zero
from .terms import (SEQ, Delta, Expr, Fn, IndexAlgebraError, Lam, Ten, Tensor, Term, as_expr,
                    bind_into, check_slot, delta, factor_indices, freshen, rename_lam, zero)

#: The chain of derivatives in the first argument of the generic loss.
DERIVATIVE_IN_FIRST_ARGUMENT = {"ell": "ell_p", "ell_p": "ell_pp"}


class NoRule(IndexAlgebraError):
    """The algebra has no rule for this derivative (it is refused, never taken to be 0)."""


def diff(expr: Expr, var, *new) -> Expr:
    """``d expr / d var[new]`` for a tensor ``var`` (``new``: one new free index per slot), or
    ``d expr / d var`` for a SymPy scalar symbol ``var``."""
    if isinstance(var, Tensor):
        if len(new) != len(var.slots) or any(s == SEQ for s in var.slots):
            raise IndexAlgebraError(f"d/d{var.name} needs one index per slot of size "
                                    f"{var.slots} (sequence slots are not variables)")
        for slot, idx in zip(var.slots, new):
            check_slot(var.name, slot, idx)
            if idx in expr.free:
                raise IndexAlgebraError(f"new index {idx} is already free in the expression")
    elif isinstance(var, sp.Symbol) and not new:
        pass
    else:
        raise IndexAlgebraError(f"cannot differentiate with respect to {var}")
    terms = []
    for term in expr.terms:
        if set(term.dummies) & set(new):
            term = freshen(term)
        terms.extend(_diff_term(term, var, new, expr.free | set(new)))
    return Expr(tuple(terms), expr.free | set(new))


def _diff_term(term: Term, var, new, taken) -> list:
    out = []
    if not isinstance(var, Tensor):
        dc = sp.diff(term.coef, var)
        if dc != 0:
            out.append(Term(dc, term.factors, term.dummies))
    for pos, f in enumerate(term.factors):
        rest = term.factors[:pos] + term.factors[pos + 1:]
        for piece in _diff_factor(f, var, new).terms:
            piece = bind_into(term, piece, taken)
            out.append(Term(term.coef * piece.coef, rest + piece.factors, term.dummies + piece.dummies))
    return out


def _diff_factor(f, var, new) -> Expr:
    here = factor_indices(f) | set(new)
    name = var.name if isinstance(var, Tensor) else str(var)
    if isinstance(f, Ten):
        if isinstance(var, Tensor) and f.tensor.key == var.key:
            out = as_expr(1)
            for arg, idx in zip(f.args, new):
                out = out * delta(arg, idx)
            return out
        rule = dict(f.tensor.derivatives).get(name)
        if rule is not None and isinstance(var, Tensor):
            if rule.slots != f.tensor.slots + var.slots:
                raise IndexAlgebraError(f"derivative tensor {rule.name} has slots {rule.slots}, "
                                        f"expected {f.tensor.slots + var.slots}")
            return rule[f.args + tuple(new)]
        if name in f.tensor.depends_on:
            raise NoRule(f"{f.tensor.name} depends on {name} and no derivative rule is declared")
        return zero(*here)
    if isinstance(f, Delta):
        return zero(*here)
    if f.name in ("ell", "ell_p", "ell_pp"):
        p, y = f.lams
        if not is_zero(diff(y.body, var, *new)):
            raise NoRule(f"no rule for the derivative of {f.name} in its second argument")
        dp = diff(p.body, var, *new)
        if is_zero(dp):
            return zero(*here)
        if f.name not in DERIVATIVE_IN_FIRST_ARGUMENT:
            raise NoRule(f"no rule for the derivative of {f.name} (third derivative of the loss)")
        return Expr.of(Fn(DERIVATIVE_IN_FIRST_ARGUMENT[f.name], f.lams)) * dp
    for lam in f.lams:
        if set(lam.bound) & set(new):
            lam = rename_lam(lam, {}, fresh_all=True)
        if not is_zero(diff(lam.body, var, *new)):
            raise NoRule(f"no rule for the derivative of {f.name} when its argument depends on {name}")
    return zero(*here)


# -- substitution ---------------------------------------------------------------------------------
def substitute(expr: Expr, tensor: Tensor, value: Lam) -> Expr:
    """``expr`` with every ``tensor[args]`` replaced by ``value(args)`` (also inside function atoms).

    ``value`` binds one index per slot (with the slot's range) and has no other free index:
    ``w -> 0`` is ``Lam((a,), zero(a))``; ``V -> V + t e_1 c^T`` is
    ``Lam((a, b), V[a, b] + t delta(a, 0) c[b])``.
    """
    if len(value.bound) != len(tensor.slots):
        raise IndexAlgebraError(f"{tensor.name} has {len(tensor.slots)} slots; the value binds "
                                f"{len(value.bound)} indices")
    for slot, idx in zip(tensor.slots, value.bound):
        if slot != SEQ and (idx.lower, idx.upper) != (0, slot - 1):
            raise IndexAlgebraError(f"value for {tensor.name} binds {idx} over {idx.lower}..{idx.upper}, "
                                    f"but the slot has size {slot}")
    if value.free:
        raise IndexAlgebraError(f"value for {tensor.name} has free indices {sorted(map(str, value.free))}")
    terms = []
    for term in expr.terms:
        partial = [Term(term.coef, (), term.dummies)]
        for f in term.factors:
            piece = _substitute_factor(f, tensor, value)
            partial = [Term(a.coef * b.coef, a.factors + b.factors, a.dummies + b.dummies)
                       for a in partial for b in (bind_into(Term(sp.Integer(0), term.factors, a.dummies), t,
                                                            expr.free) for t in piece.terms)]
        terms += partial
    return Expr(tuple(terms), expr.free)


def _substitute_factor(f, tensor: Tensor, value: Lam) -> Expr:
    if isinstance(f, Ten) and f.tensor.key == tensor.key:
        return value(*f.args)
    if isinstance(f, Fn):
        lams = tuple(Lam(lam.bound, substitute(lam.body, tensor, value)) for lam in f.lams)
        return Expr.of(Fn(f.name, lams, f.args))
    return Expr.of(f)


def substitute_scalar(expr: Expr, symbol: sp.Symbol, value) -> Expr:
    """``expr`` with the scalar ``symbol`` set to ``value`` in every coefficient (also inside atoms);
    refused if a coefficient's denominator vanishes there."""
    value = sp.sympify(value)
    if value.atoms(sp.Idx):
        raise IndexAlgebraError(f"value {value} depends on an index")
    terms = []
    for term in expr.terms:
        num, den = sp.fraction(sp.together(term.coef))
        if sp.expand(den.xreplace({symbol: value})) == 0:
            raise IndexAlgebraError(f"setting {symbol} = {value} divides by zero in {term.coef}")
        coef = sp.cancel(num.xreplace({symbol: value}) / den.xreplace({symbol: value}))
        factors = tuple(Fn(f.name, tuple(Lam(lam.bound, substitute_scalar(lam.body, symbol, value))
                                         for lam in f.lams), f.args) if isinstance(f, Fn) else f
                        for f in term.factors)
        terms.append(Term(coef, factors, term.dummies))
    return Expr(tuple(terms), expr.free)
