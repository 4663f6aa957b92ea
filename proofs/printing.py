"""Printing formal statements for people: plain text for the terminal and JSON, LaTeX for documents.

Not trusted: it only shows what the kernel checked.  Named quantities print under their paper names
(``grad_w F``, ``E[l'(p) x]``); relations print as ``a = b``, ``a <= b``; conjunctions with "and".
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter


class StatementPrinter(StrPrinter):
    """``sympy.sstr`` with relations written as people write them."""

    def _print_Relational(self, expr):
        op = {"==": "=", "!=": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<"}[expr.rel_op]
        return f"{self._print(expr.lhs)} {op} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        return " and ".join(self._print(arg) for arg in expr.args)

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_inner(self, expr):
        a, b = (self._atom(arg) for arg in expr.args)
        return f"{a}^T {b}"

    def _print_norm(self, expr):
        return f"||{self._print(expr.args[0])}||"

    def _print_opnorm(self, expr):
        return f"||{self._print(expr.args[0])}||_2"

    def _atom(self, arg) -> str:
        out = self._print(arg)
        return out if isinstance(arg, (sp.Symbol, sp.MatrixSymbol)) else f"({out})"

    def _print_MatMul(self, expr):
        coeff, factors = expr.as_coeff_matrices()
        body = " ".join(self._atom(f) if isinstance(f, (sp.MatAdd,)) else self._print(f) for f in factors)
        if coeff == 1:
            return body
        if coeff == -1:
            return f"-{body}"
        num, den = sp.fraction(sp.together(coeff))
        head = body if num == 1 else f"{self._print(num)} {body}" if num.is_Atom else f"({self._print(num)}) {body}"
        if num == -1:
            head = f"-{body}"
        return head if den == 1 else f"{head} / {self._atom(den) if not den.is_Atom else self._print(den)}"

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        if exp == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        if exp.is_Integer and exp > 1:
            inner = self._print(base)
            delimited = type(base).__name__ in ("norm", "opnorm") or (
                base.is_Function and type(base).__name__ not in ("inner",))
            if not (base.is_Symbol or isinstance(base, sp.MatrixSymbol) or delimited):
                inner = f"({inner})"
            return f"{inner}^{exp}"
        return super()._print_Pow(expr, rational)

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Determinant(self, expr):
        return f"det({self._print(expr.arg)})"

    def _print_Transpose(self, expr):
        inner = self._print(expr.arg)
        return f"{inner}^T" if isinstance(expr.arg, sp.MatrixSymbol) else f"({inner})^T"


def text(expr) -> str:
    """``expr`` in plain text (see the module docstring)."""
    return StatementPrinter().doprint(expr)


def theorem_text(theorem) -> str:
    """``If H1; H2: C`` for a kernel theorem, printed from its formal statements."""
    return theorem.text(text)
