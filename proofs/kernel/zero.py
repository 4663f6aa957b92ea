"""Deciding ``expr == 0`` and ``expr >= 0`` on explicit expressions (trusted: SymPy's algebra).

* :func:`prove_zero` -- every component of an explicit scalar or matrix reduces to ``0`` by one of
  ``expand``, ``cancel``, ``simplify`` or ``simplify`` after ``rewrite(exp)``.  What is trusted: that
  these SymPy transformations preserve value (they are equivalences on the expressions met here:
  polynomials, rational functions, ``exp``/``log``/``sqrt`` of real arguments, undefined real functions).
* :func:`sign_nonnegative` -- ``expr >= 0`` for all real values of its free symbols, by SymPy's sign
  rules (``is_nonnegative``) on the expression as written, factored, power-simplified or simplified.
  Symbols carry no assumption but ``real``; positivity enters only as an argument (``positive``: the
  symbols that a hypothesis *in use* declares positive are replaced by positive dummies first).
* :func:`require_real` -- every component is real by SymPy's assumptions (real symbols, real functions).
"""
from __future__ import annotations

from typing import Iterable

import sympy as sp

from ._timeout import run_with_timeout
from .errors import KernelError


def _zero_by(expr: sp.Expr) -> str | None:
    """The name of the first transformation that reduces ``expr`` to 0, or ``None``."""
    if expr == 0:
        return "syntactically zero"
    for label, transform in (
        ("expand", sp.expand),
        ("cancel", lambda e: sp.cancel(sp.together(e))),
        ("simplify", sp.simplify),
        ("rewrite(exp) + simplify", lambda e: sp.simplify(e.rewrite(sp.exp))),
    ):
        if transform(expr) == 0:
            return label
    return None


def entries(value) -> list:
    """The components of an explicit matrix, or ``[value]`` for a scalar."""
    return list(value) if isinstance(value, sp.MatrixBase) else [sp.sympify(value)]


def prove_zero(expr, timeout: float | None, what: str) -> str:
    """Prove that ``expr`` (a scalar or an explicit matrix) is identically zero.

    Returns how; raises :class:`KernelError` with the first nonzero residual (or a timeout).
    """
    if isinstance(expr, sp.MatrixExpr) and not isinstance(expr, sp.MatrixBase):
        raise KernelError(f"{what}: {expr} is not an explicit matrix (a named quantity was left "
                          "undefined)")
    items = entries(expr)

    def _work():
        methods = set()
        for index, entry in enumerate(items):
            how = _zero_by(entry)
            if how is None:
                where = f" (component {index})" if len(items) > 1 else ""
                residual = sp.simplify(entry)
                raise KernelError(f"{what}: residual{where} does not vanish: {sp.sstr(residual)[:300]}")
            methods.add(how)
        return ", ".join(sorted(methods))

    return run_with_timeout(_work, timeout, what)


_REAL = sp.Symbol("_real", real=True).assumptions0


def plain(expr, positive: Iterable[sp.Symbol] = ()) -> tuple:
    """``(expr', back)``: the ``positive`` symbols replaced by positive dummies, and every other symbol
    that carries an assumption beyond ``real`` (a ``positive=True`` written in a step, outside any
    definition) by a dummy with only its realness, so sign rules read no assumption a premise did not
    give."""
    expr = sp.sympify(expr)
    table = {s: sp.Dummy(s.name, positive=True) for s in positive if isinstance(s, sp.Symbol)}
    for s in expr.free_symbols:
        if s in table or not isinstance(s, sp.Symbol) or s.assumptions0 in ({}, {"commutative": True}, _REAL):
            continue
        table[s] = sp.Dummy(s.name, real=True) if s.is_real else sp.Dummy(s.name)
    return (expr.xreplace(table) if table else expr), {v: k for k, v in table.items()}


def sign_nonnegative(expr, positive: Iterable[sp.Symbol] = ()) -> str | None:
    """Try to prove ``expr >= 0`` for all real values of its symbols, the ``positive`` ones > 0.

    Returns the form in which SymPy's sign rules certified it, or ``None`` (which is *not* a proof of
    the opposite).
    """
    expr, back = plain(expr, positive)
    candidates = [("as written", expr)]
    for label, transform in (("factored", sp.factor), ("power-simplified", sp.powsimp),
                             ("simplified", sp.simplify)):
        try:
            candidates.append((label, transform(expr)))
        except Exception:  # a transform that fails simply offers no certificate
            continue
    for label, form in candidates:
        if form.is_nonnegative:
            return f"{label}: {sp.sstr(form.xreplace(back))} is nonnegative by SymPy's sign rules"
    return None


def require_real(value, what: str) -> None:
    """Raise unless every component of ``value`` is real by SymPy's assumptions."""
    for entry in entries(value):
        if entry.is_real is not True:
            raise KernelError(f"{what}: {sp.sstr(entry)[:160]} is not known to be real")
