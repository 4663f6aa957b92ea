"""Readable renderings of index expressions for error messages (not trusted: nothing is decided here)."""
from __future__ import annotations

import sympy as sp


def shape(expr) -> str:
    """The free indices of an expression or quotient with their ranges: ``{a: 0..d - 1}``."""
    free = expr.free
    return "{" + ", ".join(f"{i}: {i.lower}..{i.upper}" for i in sorted(free, key=str)) + "}"


def render(expr) -> str:
    """A readable (not parseable) rendering of an expression or a quotient."""
    if hasattr(expr, "dens"):
        if not expr.dens:
            return render(expr.num)
        return f"({render(expr.num)}) / " + " / ".join(f"({render(d)})" for d in expr.dens)
    if not expr.terms:
        return "0"
    parts = []
    for term in expr.terms:
        body = " ".join(_factor(f) for f in term.factors) or "1"
        sums = "".join(f"sum_{{{i}={i.lower}..{i.upper}}} " for i in term.dummies)
        parts.append(f"({sp.sstr(term.coef)}) {sums}{body}")
    return " + ".join(parts)


def _factor(f) -> str:
    if hasattr(f, "tensor"):
        return f"{f.tensor.name}[{','.join(map(str, f.args))}]"
    if not hasattr(f, "lams"):
        return f"delta({f.args[0]},{f.args[1]})"
    lams = "; ".join((f"({','.join(map(str, lam.bound))}) -> " if lam.bound else "") + render(lam.body)
                     for lam in f.lams)
    return f"{f.name}({lams})" + (f"[{','.join(map(str, f.args))}]" if f.args else "")
