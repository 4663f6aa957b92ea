"""Printing SymPy expressions in the paper's notation, and measuring them for line breaks."""
from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

from ..proofs.linalg import inner


def _is_simple_name(tex_name: str) -> bool:
    """A name that needs no parentheses before ``^\\top`` (``w``, ``e_{1}``, ``\\theta``)."""
    return not any(token in tex_name for token in (" ", "(", r"\left", r"\nabla", r"\mathbb", "^"))


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with three fixes for matrix notation in the paper's style.

    * ``inner(a, b)`` prints ``a^\\top b`` with parentheses around a sum or product in either slot
      (``(V c)^\\top w``, ``e_1^\\top (g' - g)``): ``linalg.inner._latex`` prints them bare, which
      changes the meaning (``e_1^\\top - g + g'``).
    * transposes print as ``^\\top`` (not ``^T``), parenthesising compound names:
      ``(\\nabla_V F)^\\top w`` rather than ``\\nabla_V F^T w``.
    * a conjunction of hypotheses prints as a comma-separated list, not with ``\\wedge``.
    """

    def _print(self, expr, **kwargs):
        if isinstance(expr, inner):
            left, right = expr.args
            body = rf"{self._transposed(left)} {self._factor(right)}"
            exp = kwargs.get("exp")
            return rf"\left({body}\right)^{{{exp}}}" if exp else body
        if isinstance(expr, sp.Transpose):
            return self._transposed(expr.arg)
        if isinstance(expr, sp.And):
            return r",\quad ".join(self._print(arg) for arg in expr.args)
        return super()._print(expr, **kwargs)

    def _transposed(self, arg) -> str:
        body = self._print(arg)
        if isinstance(arg, sp.MatrixSymbol) and _is_simple_name(body):
            return rf"{body}^{{\top}}"
        return rf"\left({body}\right)^{{\top}}"

    def _factor(self, arg) -> str:
        body = self._print(arg)
        if isinstance(arg, (sp.Add, sp.MatAdd)):
            return rf"\left({body}\right)"
        return body

    # the terms of a sum exactly as _print_Add orders and signs them, for line breaking
    def sum_pieces(self, expr) -> list[tuple[str, str]]:
        """``[(sign, tex), ...]`` of a top-level sum, in the order ``sympy.latex`` prints them."""
        if isinstance(expr, (sp.Add, sp.MatAdd)):
            terms = self._as_ordered_terms(expr)  # what _print_Add does for both
        else:
            return [("", self._print(expr))]
        pieces = []
        for i, term in enumerate(terms):
            sign = ""
            if i > 0:
                if term.could_extract_minus_sign():
                    sign, term = "-", -term
                else:
                    sign = "+"
            body = self._print(term)
            if self._needs_add_brackets(term):
                body = rf"\left({body}\right)"
            pieces.append((sign, body))
        return pieces


_PRINTER = PaperLatexPrinter()


def tex(expr) -> str:
    """``sympy.latex`` of ``expr`` in the paper's notation (see :class:`PaperLatexPrinter`)."""
    return _PRINTER.doprint(sp.sympify(expr) if not isinstance(expr, sp.Basic) else expr)


_RELATION_COMMANDS = {"le", "ge", "leq", "geq", "neq", "mapsto", "to", "in", "approx", "equiv",
                      "coloneqq", "quad"}
_SPACES = {",": 0.3, ";": 0.5, ":": 0.4, "!": -0.3, " ": 0.5, "quad": 1.8, "qquad": 3.6}
_TEXT_FONTS = {"mathbb", "mathrm", "mathbf", "mathcal", "mathit", "text", "operatorname", "mathsf"}


def visible_width(tex_code: str) -> float:
    """Estimated width of a math formula in units of one italic letter (about 5.5pt at 10pt).

    A small reader of the LaTeX that SymPy prints: sub- and superscripts count at 70 %, a fraction
    as its wider part, binary operators and relations with their surrounding space, ``\\left``/
    ``\\right`` delimiters as narrow glyphs.  Calibrated against pdflatex box widths of the
    registered lemmas' expressions: long ones measure 6.1-6.8pt per unit.  The compile test checks
    the result (no overfull lines), so a new notation that fools this estimate is caught.
    """
    width, _ = _width(tex_code, 0, 1.0)
    return width


def _arg(s: str, pos: int, scale: float) -> tuple[float, int]:
    """Width of one argument (a ``{group}``, a command or one character) starting at ``pos``."""
    while pos < len(s) and s[pos] == " ":
        pos += 1
    if pos >= len(s):
        return 0.0, pos
    if s[pos] == "{":
        return _width(s, pos + 1, scale)
    if s[pos] == "\\":
        match = re.match(r"\\([A-Za-z]+|.)", s[pos:])
        return scale * (1.4 if match.group(1) == "nabla" else 1.0), pos + len(match.group(0))
    return scale, pos + 1


def _width(s: str, pos: int, scale: float) -> tuple[float, int]:
    total = 0.0
    while pos < len(s):
        ch = s[pos]
        if ch == "}":
            return total, pos + 1
        if ch == "{":
            w, pos = _width(s, pos + 1, scale)
            total += w
        elif ch in "^_":
            w, pos = _arg(s, pos + 1, scale * 0.7)
            total += w
        elif ch == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", s[pos:])
            name = match.group(1)
            pos += len(match.group(0))
            if name in ("frac", "tfrac", "dfrac"):
                num, pos = _arg(s, pos, scale * (0.7 if name == "tfrac" else 1.0))
                den, pos = _arg(s, pos, scale * (0.7 if name == "tfrac" else 1.0))
                total += max(num, den) + 0.4 * scale
            elif name in ("left", "right", "big", "Big", "bigg", "Bigg"):
                if name in ("left", "right"):
                    delim = re.match(r"\\([A-Za-z]+|.)|.", s[pos:])
                    pos += len(delim.group(0))
                total += 0.6 * scale
            elif name in _TEXT_FONTS:
                w, pos = _arg(s, pos, scale)
                total += w
            elif name in _SPACES:
                total += _SPACES[name] * scale
            elif name in _RELATION_COMMANDS:
                total += 2.6 * scale
            elif name in ("cdot", "times", "pm", "wedge", "vee"):
                total += 2.2 * scale
            elif name in ("top", "prime"):
                total += 0.8 * scale
            elif name in ("|", "{", "}"):
                total += 0.6 * scale
            elif name == "nabla":
                total += 1.4 * scale
            else:
                total += scale
        elif ch in "+-=<>":
            total += 2.4 * scale
        elif ch in "(),[]|;'":
            total += 0.6 * scale
        elif ch in " &~\n":
            pass
        else:
            total += scale
        pos += 0 if ch in "{^_\\" else 1
    return total, pos


#: usable width of a displayed line in :func:`visible_width` units: long expressions measure about
#: 6.1-6.8pt per unit, so 62 units is about 420pt of the 472pt text width, leaving room for the tag
LINE_UNITS = 62.0
#: a chain start wider than this goes on its own line, relations aligned below it
START_UNITS = 20.0
#: the extra width of a failed step's tag ("NOT VERIFIED" box) over a plain "[i]"
FAILED_TAG_UNITS = 16.0


def break_sum(expr, first_budget: float = LINE_UNITS, budget: float = LINE_UNITS) -> list[str]:
    """Print ``expr`` as one or more line fragments, breaking only at its top-level ``+``/``-``."""
    pieces = _PRINTER.sum_pieces(expr)
    lines: list[str] = []
    current, width, limit = "", 0, first_budget
    for sign, body in pieces:
        piece = f" {sign} {body}" if sign else body
        w = visible_width(piece)
        if current and width + w > limit:
            lines.append(current)
            current, width, limit = piece.strip(), w, budget
        else:
            current += piece
            width += w
    lines.append(current)
    return lines
