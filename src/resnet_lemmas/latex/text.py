"""Free text in the document: escaping kernel messages and sentences, identifiers, numbers."""
from __future__ import annotations

import math
import re
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


# ------------------------------------------------------------------------------------------------
# ASCII mathematics in free text, typeset
# ------------------------------------------------------------------------------------------------
#: Greek letters spelled out in the lemmas' texts (``theta``, ``eps``) and their LaTeX commands.
GREEK = {"alpha": r"\alpha", "beta": r"\beta", "gamma": r"\gamma", "delta": r"\delta", "eps": r"\varepsilon",
         "epsilon": r"\varepsilon", "eta": r"\eta", "theta": r"\theta", "lambda": r"\lambda", "mu": r"\mu",
         "nu": r"\nu", "pi": r"\pi", "Pi": r"\Pi", "rho": r"\rho", "sigma": r"\sigma", "tau": r"\tau",
         "phi": r"\phi", "psi": r"\psi", "omega": r"\omega", "Delta": r"\Delta", "kappa": r"\kappa",
         "xi": r"\xi", "zeta": r"\zeta", "chi": r"\chi"}
#: operator names that open a subscript or an argument (``inf_u``, ``sqrt(T)``, ``grad_w``)
_OPERATOR_NAMES = {"grad": r"\nabla", "inf": r"\inf", "sup": r"\sup", "sum": r"\sum", "max": r"\max",
                   "min": r"\min", "log": r"\log", "exp": r"\exp", "tanh": r"\tanh", "rank": r"\operatorname{rank}",
                   "sqrt": r"\sqrt", "prod": r"\prod", "lim": r"\lim", "det": r"\det", "tr": r"\operatorname{tr}",
                   "cond": r"\operatorname{cond}"}
#: a subscript longer than this that is no Greek letter marks a code identifier (``w_nonzero``),
#: not a math symbol (``F_feat``, ``u_C``, ``e_1``)
_SUBSCRIPT_LETTERS = 5
_RELATION_TOKENS = {"<=": r"\le", ">=": r"\ge", "!=": r"\neq", "->": r"\to", "=": "=", "<": "<", ">": ">"}

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<possessive>[A-Za-z]+'s\b)
  | (?P<hyphen>[A-Za-z]+(?:-[A-Za-z]+)+\b)
  | (?P<ident>[A-Za-z][A-Za-z0-9]*(?:_(?:\{[^{}]*\}|[A-Za-z0-9*]+))*\*?(?:'+(?![A-Za-z]))?)
  | (?P<number>\d+(?:\.\d+)?(?:e[-+]?\d+)?)
  | (?P<op><=|>=|!=|->|\|\||\.\.\.|⟨|⟩|[-+*/^_=<>|()\[\]{},;:.])
  | (?P<other>.)
""", re.VERBOSE)
#: an inner product ``<a, b>`` (no space after ``<`` nor before ``>``), as opposed to the relations
_ANGLES = re.compile(r"<(?=\S)([^<>=]*?\S)>")
_OPENING, _CLOSING = "([{⟨", ")]}⟩"


def _is_code_identifier(word: str) -> bool:
    """``residual_gradients``, ``w_nonzero``: an identifier, not a subscripted symbol."""
    base, _, rest = word.partition("_")
    if not rest:
        return False
    subs = [p.strip("{}*'") for p in rest.split("_")]
    if any(len(s) > _SUBSCRIPT_LETTERS and s not in GREEK for s in subs):
        return True                                          # w_nonzero, sgd_regret
    if len(base) > 1 and base not in _OPERATOR_NAMES and base not in GREEK:
        # params_t is a symbol (one short index); zero_w_case, residual_gradients are names
        return len(subs) > 1 or len(subs[0]) > 2 or len(base) > 6
    return False


def _applied(next_token: str) -> bool:
    """Whether an operator name is applied to what follows it (``max(``, ``inf_u``, ``max||x||``)."""
    return next_token[:1] in ("(", "_", "|", "[")


def _math_word(word: str, next_char: str) -> bool:
    """Whether an identifier is mathematics by itself (a single letter other than the article
    ``a``, a Greek name, a subscripted symbol, an operator applied to something)."""
    bare = word.rstrip("'*")
    if "_" in bare:
        return not _is_code_identifier(bare)
    if bare != word and len(bare) == 1:
        return True                                          # a*, u*, l': decorated symbols
    if bare in GREEK:
        return True
    if bare in _OPERATOR_NAMES:
        return _applied(next_char) or bare in ("sqrt", "grad")
    if re.fullmatch(r"[A-Za-z]\d+|d[a-z]", bare) and bare not in ("do",):
        return True                                          # a0, c0, V0; the differential dt
    return len(bare) == 1 and bare not in ("a", "I")


def _symbol(word: str) -> str:
    """LaTeX of one identifier: ``F_feat`` -> ``F_{\\mathrm{feat}}``, ``grad_w`` -> ``\\nabla_{w}``,
    ``f_theta`` -> ``f_{\\theta}``, ``l'`` -> ``\\ell'``, ``u*`` -> ``u^{*}``."""
    primes = len(word) - len(word.rstrip("'"))
    word = word.rstrip("'")
    star = word.endswith("*")
    word = word.rstrip("*")
    base, _, rest = word.partition("_")

    def atom(part: str) -> str:
        if part.startswith("{") and part.endswith("}"):
            return _inline(part[1:-1])
        if part in GREEK:
            return GREEK[part]
        if part in _OPERATOR_NAMES:
            return _OPERATOR_NAMES[part]
        if part == "l":
            return r"\ell"
        if len(part) > 1 and not part.isdigit() and not re.fullmatch(r"[A-Za-z]\d+", part):
            return r"\mathrm{" + part + "}"
        if re.fullmatch(r"[A-Za-z]\d+", part):          # a0, c0, V0: a name with an index
            return f"{part[0]}_{{{part[1:]}}}"
        return part

    out = atom(base)
    for sub in rest.split("_") if rest else ():
        out += "_{" + atom(sub) + "}"
    if star:
        out += "^{*}"
    return out + "'" * primes


def _superscript(out: list, content: str) -> None:
    """Append ``^{content}``, joined with a superscript the previous symbol already carries
    (``u*^T`` is ``u^{*\\top}``: two superscripts in a row are a LaTeX error)."""
    if out and out[-1].endswith("^{*}"):
        out[-1] = out[-1][:-1] + (" " if content[:1] == "\\" else "") + content + "}"
    else:
        out.append("^{" + content + "}")


def _inline(text: str) -> str:
    """The LaTeX (math mode) of an ASCII formula."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(_ANGLES.sub("\u27e8\\1\u27e9", text))]
    out = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "space":
            out.append(" ")
        elif kind in ("hyphen", "possessive"):
            out.append(r"\text{" + escape(value) + "}")
        elif kind == "ident":
            if value == "sqrt" and nxt == "(":
                depth, j = 0, i + 1
                while j < len(tokens):
                    depth += {"(": 1, ")": -1}.get(tokens[j][1], 0)
                    if depth == 0:
                        break
                    j += 1
                inner = "".join(v for _, v in tokens[i + 2:j])
                out.append(r"\sqrt{" + _inline(inner) + "}")
                i = j + 1
                continue
            if value == "E" and nxt in ("[", "|", "||"):
                out.append(r"\mathbb{E}")
            elif value == "E" and nxt == " " and i + 2 < len(tokens) and tokens[i + 2][1] in ("l", "F"):
                out.append(r"\mathbb{E}\,")
                i += 2
                continue
            elif value in _OPERATOR_NAMES and nxt != "_" and value not in ("sqrt",):
                out.append(_OPERATOR_NAMES[value] + " ")
            elif ("_" in value or value.rstrip("'*") in GREEK or len(value.rstrip("'*")) == 1
                  or re.fullmatch(r"[A-Za-z]\d+", value.rstrip("'*"))):
                out.append(_symbol(value))
            elif re.fullmatch(r"d[a-z]", value):               # a differential: d/dt
                out.append(value)
            else:
                out.append(r"\text{" + escape(value) + "}")
        elif kind == "number":
            mantissa, _, exponent = value.partition("e")
            if exponent:
                power = "10^{" + str(int(exponent)) + "}"
                out.append(power if mantissa in ("1", "1.0") else f"{mantissa} \\cdot {power}")
            else:
                out.append(value)
        elif kind == "op":
            if value == "^":
                if nxt == "T":
                    _superscript(out, r"\top")
                    i += 2
                    continue
                if nxt == "{":
                    depth, j = 0, i + 1
                    while j < len(tokens):
                        depth += {"{": 1, "}": -1}.get(tokens[j][1], 0)
                        if depth == 0:
                            break
                        j += 1
                    _superscript(out, _inline("".join(v for _, v in tokens[i + 2:j])))
                    i = j + 1
                    continue
                else:
                    j = i + 1
                    group = ""
                    if j < len(tokens) and tokens[j][1] == "-":
                        group, j = "-", j + 1
                    if j < len(tokens):
                        group += tokens[j][1]
                        j += 1
                    _superscript(out, group)
                    i = j
                    continue
            elif value == "_" and nxt:
                out.append("_{" + _inline(nxt) + "}")
                i += 2
                continue
            elif value in _RELATION_TOKENS:
                out.append(_RELATION_TOKENS[value])
            elif value == "\u27e8":
                out.append(r"\langle ")
            elif value == "\u27e9":
                out.append(r"\rangle ")
            elif value == "||":
                out.append(r"\|")
            elif value == "*":
                out.append(r"\cdot ")
            elif value == "...":
                out.append(r"\dots ")
            elif value in "{}":
                out.append("\\" + value)
            else:
                out.append(value)
        else:
            out.append(escape(value))
        i += 1
    return "".join(out).strip()


_STRONG = {"=", "<=", ">=", "!=", "->", "<", ">", "^", "||", "+", "/", "[", "*", "|"}
_NEUTRAL = {"(", ")", "]", "{", "}", "-", ",", ";", ":", "."}


def _is_math_ident(value: str, nxt: str, after: str) -> bool:
    """An identifier that may stand in a formula: mathematics by itself, an operator applied to
    something, ``E`` (expectation), or the article-like ``a`` when a comma or relation follows."""
    if _is_code_identifier(value):
        return False
    if _math_word(value, nxt) or value == "E" or (value in _OPERATOR_NAMES and _applied(nxt)):
        return True
    return _article_as_symbol(value, after)


def _article_as_symbol(value: str, after: str) -> bool:
    """``a`` is the comparator, not the article, when a comma or an operator follows it."""
    return value == "a" and after[:1] in (",", "=", "^", "<", ">", "+")


def _spans(text: str) -> list[tuple[bool, str]]:
    """Split free text into ``(is_math, piece)``: a maximal run of symbols, operators, numbers and
    brackets is mathematics when it holds a relation or operator, or a symbol that is mathematics by
    itself (:func:`_math_word`); English words end a run, and a run is cut back to its last point with
    balanced brackets.  Commas, colons and periods outside brackets end a run (and stay text);
    hyphenated words stay text, with their mathematical parts (``eps-stationary``) typeset."""
    text = _ANGLES.sub("\u27e8\\1\u27e9", text)
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]

    def after(j: int) -> str:
        rest = "".join(v for _, v in tokens[j + 1:j + 4]).lstrip()
        return rest

    pieces: list[tuple[bool, str]] = []
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "hyphen":
            for n, part in enumerate(value.split("-")):
                if n:
                    pieces.append((False, "-"))
                math_part = (_math_word(part, "") and part != "a" and not part.isupper()) or part in GREEK
                pieces.append((math_part, part))
            i += 1
            continue
        if kind == "possessive":
            pieces.append((False, value))
            i += 1
            continue
        mathy = (kind == "ident" and _is_math_ident(value, nxt, after(i))) or kind == "number" or \
                (kind == "op" and value not in (",", ";", ":", ".", "...") and value not in _CLOSING)
        if not mathy:
            pieces.append((False, value))
            i += 1
            continue
        j, depth, strong, bars, norms = i, 0, False, 0, 0
        last_balanced, strong_at_balanced = None, False
        while j < len(tokens):
            k, v = tokens[j]
            n2 = tokens[j + 1][1] if j + 1 < len(tokens) else ""
            if k == "space":
                j += 1
                continue
            if k in ("other", "hyphen", "possessive"):
                break
            if k == "op":
                if v in (",", ";", ":", ".", "...") and depth == 0:
                    break
                if v in _OPENING:
                    depth += 1
                elif v in _CLOSING:
                    depth -= 1
                    if depth < 0:
                        break
                if v in ("^", "_"):
                    following = next((tok for tok in tokens[j + 1:] if tok[0] != "space"), ("", ""))
                    if following[0] == "ident" and not _is_math_ident(following[1], "", ""):
                        break                                    # F_lin^solver: a word, not an index
                bars += v == "|"
                norms += v == "||"
                strong = strong or v in _STRONG or v in "\u27e8_"
            elif k == "ident":
                if not _is_math_ident(v, n2, after(j)):
                    break
                strong = strong or (_math_word(v, n2) and v != "a") or _article_as_symbol(v, after(j))
            if depth == 0 and bars % 2 == 0 and norms % 2 == 0:
                last_balanced, strong_at_balanced = j, strong
            j += 1
        if last_balanced is not None and strong_at_balanced:
            run = "".join(v for _, v in tokens[i:last_balanced + 1])
            if run.strip() not in ("-", "+", "/", "*"):
                pieces.append((True, run))
                i = last_balanced + 1
                continue
        pieces.append((False, value))
        i += 1
    merged: list[tuple[bool, str]] = []
    for is_math, piece in pieces:
        if merged and merged[-1][0] == is_math:
            merged[-1] = (is_math, merged[-1][1] + piece)
        else:
            merged.append((is_math, piece))
    return [(m, p.replace("\u27e8", "<").replace("\u27e9", ">")) for m, p in merged]


def prose(text: str, breakable: bool = False) -> str:
    """Free text written by people (titles, hypotheses, justifications, tolerance sentences), with its
    ASCII mathematics typeset: ``F_feat(theta) <= F_lin`` becomes $F_{\\mathrm{feat}}(\\theta) \\le
    F_{\\mathrm{lin}}$, ``1/||w||`` becomes $1/\\|w\\|$, ``sqrt(T)`` becomes $\\sqrt{T}$,
    ``E[l'(p) x]`` becomes $\\mathbb{E}[\\ell'(p) x]$; identifiers such as ``residual_gradients``
    are set in typewriter type, and the rest is escaped as by :func:`escape`."""
    out = []
    for is_math, piece in _spans(text):
        if is_math:
            stripped = piece.strip()
            lead = " " if piece[:1].isspace() else ""
            trail = " " if piece[-1:].isspace() else ""
            out.append(f"{lead}${_inline(stripped)}${trail}")
        else:
            out.append(_code_words(piece, breakable))
    return "".join(out)


def _code_words(text: str, breakable: bool) -> str:
    """Escape text, setting code identifiers (``residual_gradients``) in typewriter type."""
    out, last = [], 0
    for match in re.finditer(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+", text):
        if _is_code_identifier(match.group()):
            out.append(escape(text[last:match.start()], breakable))
            out.append(code(match.group()))
            last = match.end()
    out.append(escape(text[last:], breakable))
    return "".join(out)


def title(text: str) -> str:
    """:func:`prose` for a section title: each formula wrapped in ``\\texorpdfstring`` so that the
    PDF bookmarks (which cannot hold mathematics) get the plain text."""
    out = []
    for is_math, piece in _spans(text):
        if is_math:
            stripped = piece.strip()
            lead = " " if piece[:1].isspace() else ""
            trail = " " if piece[-1:].isspace() else ""
            plain = "".join(_ESCAPES.get(ch, ch) for ch in stripped)   # bookmarks: no math
            out.append(f"{lead}\\texorpdfstring{{${_inline(stripped)}$}}{{{plain}}}{trail}")
        else:
            out.append(_code_words(piece, False))
    return "".join(out)
