"""Free text in the document: escaping kernel messages and sentences, identifiers, numbers."""
from __future__ import annotations

import math
import unicodedata


_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_UNICODE = {
    "θ": r"$\theta$", "ℓ": r"$\ell$", "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\neq$", "∇": r"$\nabla$",
    "∈": r"$\in$", "×": r"$\times$", "ε": r"$\varepsilon$", "η": r"$\eta$", "λ": r"$\lambda$",
    "μ": r"$\mu$", "σ": r"$\sigma$", "φ": r"$\phi$", "α": r"$\alpha$", "β": r"$\beta$",
    "δ": r"$\delta$", "Δ": r"$\Delta$", "∞": r"$\infty$", "·": r"$\cdot$", "√": r"$\surd$",
    "—": "---", "–": "--", "’": "'", "‘": "`", "“": "``", "”": "''", "…": r"\dots{}", "±": r"$\pm$",
    "→": r"$\to$", "≈": r"$\approx$", "‖": r"$\|$",
}
_OPERATORS = ((">=", r"$\ge$"), ("<=", r"$\le$"), ("!=", r"$\neq$"))


def escape(text: str, breakable: bool = False) -> str:
    """Escape free text (kernel messages, hypothesis texts, tolerance sentences) for LaTeX.

    ``>=``, ``<=``, ``!=`` become ``\\ge``, ``\\le``, ``\\neq``; Greek letters and common symbols
    become their LaTeX forms; any other non-ASCII character is reduced to ASCII (NFKD) or dropped,
    so pdflatex never stops on an unknown glyph.  ``breakable`` allows line breaks after ``*``,
    ``/``, ``,`` and ``_`` (for SymPy residuals and identifiers that have no spaces).
    """
    out = []
    i = 0
    while i < len(text):
        for op, repl in _OPERATORS:
            if text.startswith(op, i):
                out.append(repl)
                i += len(op)
                break
        else:
            ch = text[i]
            if ch in _ESCAPES:
                out.append(_ESCAPES[ch])
            elif ch in _UNICODE:
                out.append(_UNICODE[ch])
            elif ord(ch) < 128:
                out.append(ch if ch not in "\t\r\n" else " ")
            else:
                out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
            if breakable and ch in "*/,_=":
                out.append(r"\allowbreak{}")
            i += 1
    return "".join(out)


def code(name: str) -> str:
    """An identifier in typewriter type, breakable after underscores."""
    return r"\texttt{" + escape(name).replace(r"\_", r"\_\allowbreak{}") + "}"


def fmt_number(value) -> str:
    """A number for the witness tables: integers as is, floats to 3 significant digits, in math."""
    if value is None:
        return "--"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"${value}$"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return r"$\infty$" if value > 0 else r"$-\infty$"
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"${mantissa} \times 10^{{{int(exponent)}}}$"
    return f"${text}$"
