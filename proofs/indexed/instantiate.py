"""Explicit components of an index expression at concrete sizes: the oracle the rules are tested against.

``instantiate(expr, sizes, at)`` unrolls every sum and evaluates every factor as a SymPy expression in
the component symbols of ``proofs/expressions.py:SampleSymbols`` (``w_0``, ``V_01``, ``x_{j}{i}``,
``y_j``, ``f_{j}{m}`` or, with ``theta``, the undefined functions ``f_m(theta, x_j)``), so the result
can be compared directly with ``residual_context``'s definitions and with ``sympy.diff``.  The generic
loss atoms become ``proofs.expressions.ell``, ``ell_p``, ``ell_pp``; ``sqrt`` is ``sympy.sqrt``;
``opnorm`` is ``proofs.linalg.opnorm`` of the explicit matrix; ``inv`` is the explicit inverse;
``expect`` is the mean over :data:`SCENARIOS` independent copies of the tensor components.
"""
from __future__ import annotations

import itertools
from typing import Callable, Mapping

import sympy as sp

from ..expressions import d, ell, ell_p, ell_pp
from ..linalg import opnorm
from .terms import Delta, IndexAlgebraError, Quotient, Ten, dependency_order

_LOSS = {"ell": ell, "ell_p": ell_p, "ell_pp": ell_pp}


def _real(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def residual_names(name: str, args: tuple, sizes: Mapping) -> sp.Expr:
    """Component names of ``residual_context`` (``SampleSymbols``); ``theta_size`` from ``sizes``."""
    qq = sizes.get("theta_size", 0)
    if name in ("w", "a", "b", "u", "theta") and len(args) == 1:
        return _real(f"{name}_{args[0]}")
    if name == "V":
        return _real(f"V_{args[0]}{args[1]}")
    if name == "x":
        return _real(f"x_{args[0]}{args[1]}")
    if name == "y" and len(args) == 1:
        return _real(f"y_{args[0]}")
    if name in ("f", "J"):
        j, m = args[0], args[1]
        if not qq:
            if name == "J":
                raise IndexAlgebraError("J needs theta_size > 0")
            return _real(f"f_{j}{m}")
        dd = sizes[d]
        theta = [_real(f"theta_{r}") for r in range(qq)]
        xs = [_real(f"x_{j}{i}") for i in range(dd)]
        fm = sp.Function(f"f_{m}", real=True)(*theta, *xs)
        return fm if name == "f" else sp.diff(fm, theta[args[2]])
    return _real(f"{name}_" + "_".join(map(str, args)))


def vector_names(name: str, args: tuple, sizes: Mapping) -> sp.Expr:
    """Component names of ``proofs/lemmas/vector_outputs.vector_context``."""
    if name in ("W", "V", "A", "B"):
        return _real(f"{name}_{args[0]}{args[1]}")
    if name in ("x", "f", "y"):
        return _real(f"{name}{args[0]}_{args[1]}0")
    return _real(f"{name}_" + "_".join(map(str, args)))


def instantiate(expr, sizes: Mapping, at: Mapping | None = None,
                names: Callable = residual_names) -> sp.Expr:
    """The value of ``expr`` at concrete ``sizes`` (``{d: 3, k: 2, ...}`` keyed by the size symbols;
    the key ``"theta_size"`` tells ``residual_names`` that ``f`` depends on ``theta``) and free indices
    ``at`` (``{index: integer}``)."""
    env = {idx: sp.Integer(v) for idx, v in (at or {}).items()}
    return _value(expr, _size_subs(sizes), sizes, env, names)


def _size_subs(sizes: Mapping) -> dict:
    return {s: sp.Integer(v) for s, v in sizes.items() if isinstance(s, sp.Basic)}


#: ``expect`` is instantiated as the mean over this many scenarios, each with its own copy of every
#: tensor component (a finite probability space in which every tensor is random).
SCENARIOS = 2


def _scenario(names: Callable, w: int) -> Callable:
    def named(name, args, sizes):
        value = names(name, args, sizes)
        return value.xreplace({x: sp.Symbol(f"{x.name}@{w}", **x.assumptions0)
                               for x in value.free_symbols if isinstance(x, sp.Symbol)})
    return named


def _int(expr, subs, env) -> int:
    value = sp.sympify(expr).xreplace(env).xreplace(subs)
    if not value.is_Integer:
        raise IndexAlgebraError(f"index value {expr} is not a concrete integer: {value}")
    return int(value)


def _value(expr, subs, sizes, env, names):
    if isinstance(expr, Quotient):
        out = _value(expr.num, subs, sizes, env, names)
        for den in expr.dens:
            out = out / _value(den, subs, sizes, env, names)
        return out
    missing = [i for i in expr.free if i not in env]
    if missing:
        raise IndexAlgebraError(f"no value for free indices {missing}")
    total = sp.Integer(0)
    for term in expr.terms:
        order = dependency_order(term.dummies)
        for local in _assignments(order, subs, env):
            value = term.coef.xreplace(subs)
            for f in term.factors:
                value = value * _factor(f, subs, sizes, local, names)
            total += value
    return total


def _assignments(order, subs, env):
    if not order:
        yield dict(env)
        return
    first, rest = order[0], order[1:]
    for v in range(_int(first.lower, subs, env), _int(first.upper, subs, env) + 1):
        yield from _assignments(rest, subs, {**env, first: sp.Integer(v)})


def _factor(f, subs, sizes, env, names):
    if isinstance(f, Ten):
        args = tuple(_int(a, subs, env) for a in f.args)
        for slot, a in zip(f.tensor.slots, args):
            if slot != "seq" and not 0 <= a < int(slot.xreplace(subs)):
                raise IndexAlgebraError(f"{f.tensor.name}{args} out of range")
        return names(f.tensor.name, args, sizes)
    if isinstance(f, Delta):
        a, b = (_int(x, subs, env) for x in f.args)
        return sp.Integer(1 if a == b else 0)
    if f.name in _LOSS:
        p, y = (_value(lam.body, subs, sizes, env, names) for lam in f.lams)
        return _LOSS[f.name](p, y)
    if f.name == "expect":  # the mean over SCENARIOS copies of every tensor component
        body = f.lams[0].body
        return sp.Add(*[_value(body, subs, sizes, env, _scenario(names, w))
                        for w in range(SCENARIOS)]) / SCENARIOS
    if f.name == "sqrt":
        return sp.sqrt(_value(f.lams[0].body, subs, sizes, env, names))
    lam = f.lams[0]
    rows, cols = (range(_int(b.lower, subs, env), _int(b.upper, subs, env) + 1) for b in lam.bound)
    matrix = sp.ImmutableMatrix([[_value(lam.body, subs, sizes, {**env, lam.bound[0]: sp.Integer(r),
                                                                 lam.bound[1]: sp.Integer(c)}, names)
                                  for c in cols] for r in rows])
    if f.name == "opnorm":
        return opnorm(matrix)
    o, p = (_int(a, subs, env) for a in f.args)
    return matrix.inv()[o, p]


def components(expr, sizes: Mapping, order=(), names: Callable = residual_names) -> dict:
    """``{(values of order...): value}`` over every value of the free indices listed in ``order``."""
    subs = _size_subs(sizes)
    out = {}
    ranges = [range(_int(i.lower, subs, {}), _int(i.upper, subs, {}) + 1) for i in order]
    for values in itertools.product(*ranges):
        out[values] = instantiate(expr, sizes, dict(zip(order, map(sp.Integer, values))), names)
    return out


def derivative_mismatches(expr, var, new, sizes: Mapping, rule, names: Callable = residual_names) -> list:
    """Compare ``rule`` (an expression claimed to be ``d expr / d var[new]``) with component-wise
    ``sympy.diff`` of the instantiated ``expr`` at ``sizes``; ``[]`` when they agree, else
    ``[(free values, new values, rule value, sympy value)]``.  ``var`` is a tensor or a scalar symbol."""
    subs = _size_subs(sizes)
    outer = sorted(expr.free, key=str)
    ranges = lambda idx: [range(_int(i.lower, subs, {}), _int(i.upper, subs, {}) + 1) for i in idx]  # noqa: E731
    bad = []
    for outer_vals in itertools.product(*ranges(outer)):
        at = dict(zip(outer, outer_vals))
        value = instantiate(expr, sizes, at, names)
        for vals in itertools.product(*ranges(new)):
            symbol = names(var.name, vals, sizes) if new else var
            expected = sp.diff(value, symbol)
            got = instantiate(rule, sizes, {**at, **dict(zip(new, vals))}, names)
            if sp.expand(got - expected) != 0:
                bad.append((outer_vals, vals, got, expected))
    return bad
