"""The document: every lemma's statement, hypotheses, derivation chains and witness table."""
from __future__ import annotations

import re
import sys
from typing import Callable, Iterable

import sympy as sp

from .. import __version__
from ..proofs import kernel as K
from .printer import FAILED_TAG_UNITS, LINE_UNITS, START_UNITS, break_sum, tex, visible_width
from .records import LemmaRecord, NumericResult, check_proof, run_numeric
from .text import code, escape, fmt_number, prose, title


PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[margin=2.2cm]{geometry}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{xcolor}
\usepackage{booktabs,longtable,array}
\usepackage{enumitem}
\usepackage[hidelinks]{hyperref}
\setlength{\emergencystretch}{3em}
\allowdisplaybreaks
\theoremstyle{plain}
\newtheorem*{rltheorem}{Theorem}
\newtheorem*{rllemma}{Lemma}
\theoremstyle{definition}
\newtheorem*{rlexample}{Example}
\newtheorem*{rlexperiment}{Experiment}
\newcommand{\notverified}[1]{\fcolorbox{red}{white}{\textcolor{red}{\textbf{#1~NOT VERIFIED}}}}
\newcommand{\failedrel}[1]{\mathrel{\textcolor{red}{\overset{?}{#1}}}}
"""

#: the top-level package (lemma modules are ``resnet_lemmas.proofs.lemmas.NAME``)
_PACKAGE = __package__.rpartition(".")[0]

_RELATIONS = {"=": "=", "<=": r"\le", ">=": r"\ge"}

#: meanings of the shared named quantities of ``proofs/expressions.py`` (documentation only; the
#: kernel uses their component definitions).  Quantities a lemma introduces are described by origin.
CORE_MEANINGS = {
    "w": r"output-layer weights; prediction $p(x) = w^{\top}(x + V f_{\theta}(x))$",
    "V": r"output matrix of the residual unit $x \mapsto x + V f_{\theta}(x)$",
    "theta": r"parameters of the residual unit $f_{\theta}: \mathbb{R}^{d} \to \mathbb{R}^{k}$",
    "a": r"comparator weights on the input $x$",
    "b": r"comparator weights on the features $f_{\theta}(x)$",
    "u": r"a linear comparator $x \mapsto u^{\top} x$",
    "c": r"$\mathbb{E}[\ell'(p)\, f_{\theta}(x)]$, the loss derivative correlated with the features",
    "E_rx": r"the loss derivative $\ell'(p) = \ell'(p(x); y)$ correlated with the input",
    "grad_w": r"gradient of $F$ in $w$ (computed by SymPy component by component)",
    "grad_V": r"gradient of $F$ in $V$ (computed by SymPy component by component)",
    "grad_theta": r"gradient of $F$ in $\theta$ (chain rule through the arbitrary $f_{\theta}$)",
    "E_rJVw": r"$J_{\theta}(x)$ is the Jacobian of $f_{\theta}(x)$ in $\theta$",
    "F": r"the objective $\mathbb{E}\,\ell(w^{\top}(x + V f_{\theta}(x)); y)$ (mean over the sample)",
    "E_l_ab": r"expected loss of the comparator $a^{\top} x + b^{\top} f_{\theta}(x)$",
    "E_l_a": r"expected loss of the linear predictor $a^{\top} x$",
    "E_r_gap": r"first-order term of the loss between $p$ and the comparator",
    "E_bregman": (r"mean Bregman divergence, $D_{\ell}(q, p) = \ell(q) - \ell(p) - \ell'(p)(q - p)$"),
    "E_r_p": r"the loss derivative correlated with the prediction",
    "F_lin": r"$\inf_{a} \mathbb{E}\,\ell(a^{\top} x)$, the best linear predictor's risk",
    "F_feat": (r"$\inf_{a, b} \mathbb{E}\,\ell(a^{\top} x + b^{\top} f_{\theta}(x))$, the best "
               r"linear predictor on $(x, f_{\theta}(x))$"),
}


def _named_quantities(proof) -> list:
    """The named quantities (``Named`` matrices and ``NamedScalar`` scalars) a proof mentions."""
    from ..proofs.expressions import Named, NamedScalar

    exprs = list(K.proof.conclusion_tuple(proof.conclusion)) if proof.conclusion is not None else []
    for hyp in proof.hypotheses:
        if hyp.statement is not None:
            exprs.append(hyp.statement)
    for chain in proof.chains:
        exprs.append(chain.start)
        for link in chain.links:
            exprs.append(link.expr)
            for atom in getattr(link.justification, "atoms", ()) or ():
                exprs.append(getattr(atom, "expr", sp.S.Zero))
    found = {}
    for expr in exprs:
        try:
            atoms = sp.sympify(expr).atoms(Named, NamedScalar)
        except Exception:  # an unprintable object is reported by the kernel, not here
            continue
        for atom in atoms:
            # two lemmas may reuse a name for different objects (vector b, scalar bound b)
            found[(atom.name, type(atom).__name__, tex(atom))] = atom
    return [found[key] for key in sorted(found)]


def _defining_module(symbol, proof_name: str) -> str | None:
    """Where a reader finds ``symbol``: ``expressions`` (shared), this lemma's module, or another.

    Found by looking for the object among module attributes (imported or defined there); the
    proof's own module is preferred, so a quantity is never attributed to an unrelated lemma that
    merely imports it.
    """
    from ..proofs import expressions

    def holds(module) -> bool:
        return any(value is symbol or (type(value) is type(symbol) and value == symbol)
                   for value in vars(module).values() if isinstance(value, sp.Basic))

    if holds(expressions):
        return "expressions"
    prefix = f"{_PACKAGE}.proofs.lemmas."
    own = sys.modules.get(prefix + proof_name)
    if own is not None and holds(own):
        return f"lemmas/{proof_name}"
    for name, module in sorted(sys.modules.items()):
        if name.startswith(prefix) and module is not None and holds(module):
            return "lemmas/" + name[len(prefix):]
    return None


def _space(symbol) -> str:
    if isinstance(symbol, sp.MatrixSymbol):
        rows, cols = symbol.shape
        if cols == 1:
            return rf"$\mathbb{{R}}^{{{tex(rows)}}}$"
        return rf"$\mathbb{{R}}^{{{tex(rows)} \times {tex(cols)}}}$"
    return r"$\mathbb{R}$"


def _meaning(symbol, proof) -> str:
    for ctx in proof.contexts[:1]:
        if symbol in getattr(ctx, "infima", {}):
            objective, variables = ctx.infima[symbol]
            names = ", ".join(tex(v) for v in variables)
            return rf"$\inf_{{{names}}} {tex(objective)}$"
    module = _defining_module(symbol, proof.name)
    if module == "expressions" and symbol.name in CORE_MEANINGS:
        return CORE_MEANINGS[symbol.name]
    if module is not None:
        return "defined in " + code(f"proofs/{module}.py")
    return "defined by this result"


def _sizes(ctx) -> str:
    """``(d, k, n) = (2, 2, 2)``, in math, plus the loss (generic or concrete)."""
    match = re.match(r"^\(([^()]*)\) = \(([^()]*)\)(.*)$", ctx.label)
    if match:
        text = rf"$({match.group(1)}) = ({match.group(2)})$" + escape(match.group(3))
    else:
        text = escape(ctx.label)
    if ctx.loss is None:
        text += r" (generic loss $\ell$)"
    return text


def _hypothesis_use(hyp) -> str:
    """What the kernel may do with a hypothesis: read from its kind (its content is its statement)."""
    uses = []
    for name, value in sorted(hyp.equations().items(), key=lambda kv: str(kv[0])):
        uses.append(rf"substitutes ${tex(value)}$ for ${tex(name)}$")
    if hyp.positive():
        uses.append("treats " + ", ".join(f"${tex(s)}$" for s in hyp.positive())
                    + " as positive in sign rules (and may divide by them)")
    elif hyp.nonzero():
        uses.append("may divide by " + ", ".join(rf"${tex(e)}$" for e in hyp.nonzero()))
    kind = type(hyp).__name__
    if kind == "Bound":
        uses.append("lets a certificate cite an instance of this bound (atom \\texttt{Declared})")
    if hyp.convex_loss:
        uses.append(r"licenses Bregman-divergence atoms of the generic loss $\ell$ (convexity "
                    r"is assumed, not proven)")
    if kind == "LocalMinimum":
        uses.append("first-order conditions and level sets of the local minimum (rules "
                    "\\texttt{FirstOrder}, \\texttt{LevelSet})")
    if kind == "Projection":
        uses.append("the variational inequality of the projection (atom \\texttt{BallProjectionVI})")
    return "; ".join(uses)


def _has_formula(hyp) -> bool:
    """A hypothesis whose statement says something (``None`` and ``True`` print nothing)."""
    return hyp.statement is not None and hyp.statement is not sp.true


def _hypothesis_ref(name: str, proof) -> str:
    for hyp in proof.hypotheses:
        if hyp.name == name:
            stmt = f" ({hypothesis_latex(hyp.statement)})" if _has_formula(hyp) else ""
            return code(name) + stmt
    for chain in proof.chains:
        if chain.name == name:
            rel = _RELATIONS.get(_safe_relation(chain), "?")
            return f"the fact proven by chain {code(name)} (${tex(chain.start)} {rel} {tex(chain.end)}$)"
        if name == f"{chain.name}_parameter":
            return (f"the parameter fact of chain {code(chain.name)} (the level-set parameter is a "
                    "small nonzero number)")
    for step in proof.steps:
        if getattr(step, "name", None) == name:
            return f"the fact of step {code(name)} ({prose(step.text or type(step).__name__)})"
    return code(name) + r" (\textcolor{red}{not declared})"


def _safe_relation(chain) -> str:
    try:
        return chain.relation
    except K.KernelError:
        return "?"


_ATOM_WORDS = {
    "Square": "the square of a real quantity",
    "NonNegative": "nonnegative by SymPy's sign rules",
    "Scaled": "a nonnegative coefficient times a nonnegative atom",
    "BregmanMean": (r"a mean of Bregman divergences $D_{\ell}(q, p) = \ell(q; y) - \ell(p; y) - "
                    r"\ell'(p; y)(q - p)$, nonnegative because $\ell$ is convex in $p$"),
    "CauchySchwarzGap": r"the Cauchy--Schwarz gap, certified by Lagrange's identity",
    "OperatorNormGap": r"the definition of the spectral norm $\|M\|_2 = \max_{\|z\| = 1} \|M z\|$",
    "WeightedSum": "a sum of nonnegative weights times nonnegative atoms, listed per concrete size",
    "PathwiseSum": (r"the expectation of a sum over the steps $t$ of nonnegative weights times atoms that "
                    r"are nonnegative at every step on every stream"),
}


def _atom_line(atom) -> str:
    kind = type(atom).__name__
    words = _ATOM_WORDS.get(kind)
    if words is None:
        doc = (type(atom).__doc__ or kind).strip().splitlines()[0]
        words = escape(doc)
    if kind == "NonNegative" and getattr(atom, "why", ""):
        words += f" ({prose(atom.why)})"
    if kind == "WeightedSum" and getattr(atom, "symbolic", None) is not None:
        words += "; at every size, " + _ATOM_WORDS["PathwiseSum"]
    try:
        expr = tex(atom.expr)
    except Exception as exc:  # the kernel reports a malformed atom; print what we can
        expr = r"\text{" + escape(f"{kind}: {exc}") + "}"
    return rf"$\displaystyle {expr} \ge 0$: {words}"


def _justification(just, proof) -> str:
    """The justification object in words (what it claims; the kernel's verdict is added apart)."""
    kind = getattr(just, "kind", type(just).__name__)
    reason = getattr(just, "reason", "")
    parts = []
    if isinstance(just, K.Identity):
        how = ("checked by the index normal form at every size, and by SymPy at each concrete size above"
               if any(ctx.symbolic for ctx in getattr(proof, "contexts", ())) else
               "checked by SymPy at every size above")
        parts.append(rf"\textbf{{Identity}} ({how})" + (f": {prose(reason)}." if reason else "."))
    elif isinstance(just, K.Certificate):
        parts.append(r"\textbf{Certificate}" + (f": {prose(reason)}." if reason else ".")
                     + " The gap between the two sides equals, identically, the sum of the "
                       "nonnegative atoms")
        items = "".join(rf"\item {_atom_line(atom)}" + "\n" for atom in just.atoms)
        parts.append("\n\\begin{itemize}[nosep]\n" + items + "\\end{itemize}")
    elif isinstance(just, K.Infimum):
        parts.append(r"\textbf{Infimum}" + (f": {prose(reason)}." if reason else "."))
        if just.from_chain:
            parts.append(f"The bound of chain {code(just.from_chain)} holds for every value of the "
                         "comparator variables, which no hypothesis used constrains.")
    elif isinstance(just, K.Definiteness):
        parts.append(r"\textbf{Definiteness}" + (f": {prose(reason)}." if reason else ".")
                     + f" From chain {code(just.from_chain)}.")
    elif isinstance(just, K.FirstOrder):
        parts.append(r"\textbf{First-order condition}" + (f": {prose(reason)}." if reason else ".")
                     + f" The kernel checks that the left side is the derivative of the objective of "
                     f"{code(just.local_minimum)} in ${tex(just.variable)}$, component by component.")
    elif isinstance(just, K.LevelSet):
        path = ", ".join(rf"${tex(v)} \mapsto {tex(e)}$" for v, e in just.path)
        parts.append(r"\textbf{Level set of a local minimum}" + (f": {prose(reason)}." if reason else ".")
                     + f" Along the path {path} (polynomial in the fresh parameter ${tex(just.parameter)}$) "
                     f"the objective of {code(just.local_minimum)} is constant, so the gradient in "
                     f"${tex(just.variable)}$ vanishes there for every small ${tex(just.parameter)} \neq 0$.")
    else:
        parts.append(r"\textbf{" + escape(str(kind)) + "}" + (f": {prose(reason)}." if reason else "."))
    using = getattr(just, "using", ()) or ()
    if using:
        parts.append("Uses " + ", ".join(_hypothesis_ref(n, proof) for n in using) + ".")
    return " ".join(parts)


def _align_chain(chain, steps) -> str:
    """The ``align*`` block of a chain; ``steps[i]`` is the kernel's result for link ``i + 1``.

    ``start &rel e_1`` when the start is short; otherwise the start alone on the first line and
    every relation indented below it.  Each ``e_i`` is broken at its top-level ``+``/``-`` to fit
    :data:`LINE_UNITS`; the tag ``[i]`` (or the NOT VERIFIED box) goes on its last line.
    """
    start = tex(chain.start)
    start_units = visible_width(start)
    own_line = start_units > START_UNITS
    lines = []
    if own_line:
        lines.append(rf"&{start} \notag")
        indent, first_lead = 1.8, r"&\quad "
        more_lead = r"&\qquad\quad "
    else:
        indent, first_lead = start_units, f"{start} &"
        more_lead = r"&\qquad "
    for index, link in enumerate(chain.links, start=1):
        step = steps[index - 1] if index - 1 < len(steps) else None
        ok = step is not None and step.ok
        rel = _RELATIONS.get(link.relation, escape(link.relation))
        rel = rel if ok else rf"\failedrel{{{rel}}}"
        room = LINE_UNITS - indent - (0 if ok else FAILED_TAG_UNITS)
        fragments = break_sum(link.expr, room - 2.6, room - 3.6 - (1.8 if own_line else 0))
        tag = rf"\tag*{{[{index}]}}" if ok else rf"\tag*{{\notverified{{[{index}]}}}}"
        for j, fragment in enumerate(fragments):
            last = j == len(fragments) - 1
            if j == 0:
                lead = first_lead if index == 1 else (r"&\quad " if own_line else "&")
                body = f"{lead}{rel} {fragment}"
            else:
                body = f"{more_lead}{fragment}"
            lines.append(body + (f" {tag}" if last else r" \notag"))
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}\n"


def _chain_steps(proof, report) -> list[tuple[object, list, str]]:
    """Pair every step (chain, citation, case split) with its kernel results, in the kernel's order.

    The kernel appends, per chain, either one chain-level failure (index 0: e.g. a chain that mixes
    ``<=`` and ``>=``) or one :class:`StepResult` per link (and possibly a chain-level failure after
    them), and one result per citation or case split.  Returns ``(step, results, chain_error)``; a
    link without a result is printed as not verified.
    """
    out = []
    results = list(report.steps) if report is not None else []
    for step in proof.steps:
        mine = [r for r in results if r.chain == step.name]
        if not isinstance(step, K.Chain):
            out.append((step, mine, ""))
            continue
        errors = [r for r in mine if r.index == 0]
        steps = [next((r for r in mine if r.index == index), None)
                 for index in range(1, len(step.links) + 1)]
        error = errors[0].message if errors else ("" if step.links else "the chain has no steps")
        out.append((step, steps if not (errors and not any(steps)) else [], error))
    return out


def _render_other_step(step, results, proof) -> str:
    """A citation or a case split, with the kernel's verdict."""
    ok = bool(results) and all(r.ok for r in results)
    message = results[0].message if results else "not checked"
    if isinstance(step, K.Cite):
        head = (r"\paragraph{Citation " + code(step.name) + ".} Theorem "
                + rf"\ref{{{_label(step.lemma)}}} ({code(step.lemma)})")
        body = (", whose every hypothesis is discharged by a premise here with the same formal "
                "statement, checked at every size of this proof.")
    else:
        head = r"\paragraph{Case split " + code(step.name) + ".}"
        body = (f" The facts {code(step.facts[0])} (under {code(step.split[0])}) and "
                f"{code(step.facts[1])} (under {code(step.split[1])}) state the same; the two "
                "hypotheses are a statement and its negation, so it holds under neither.")
    text = (" " + prose(step.text) + ".") if getattr(step, "text", "") else ""
    verdict = (r"\emph{Kernel:} " + escape(message, breakable=True) + "." if ok else
               r"\textcolor{red}{\emph{Kernel: NOT VERIFIED.} " + escape(message, breakable=True) + "}")
    return head + body + text + " " + verdict + "\n\n\\medskip\n"


def _conclusion(chain, verified: bool) -> str:
    try:
        rel = _RELATIONS[chain.relation]
    except (K.KernelError, KeyError):
        rel = r"\;?\;"
    statement = rf"${tex(chain.start)} {rel} {tex(chain.end)}$"
    if visible_width(tex(chain.start)) + visible_width(tex(chain.end)) > LINE_UNITS - 10:
        statement = rf"\[{tex(chain.start)} {rel} {tex(chain.end)}\]"
    if verified:
        return r"\emph{Conclusion (verified):} " + statement
    return (r"\textcolor{red}{\emph{Conclusion NOT established}} (a step failed): " + statement)


def _render_chain(chain, steps, chain_error, proof) -> str:
    out = [r"\paragraph{Chain " + code(chain.name) + ".}"]
    if chain.text:
        out.append(prose(chain.text) + ".")
    verified = not chain_error and bool(steps) and all(s is not None and s.ok for s in steps)
    out.append("\n")
    if chain_error:
        out.append(r"\notverified{chain}" + " " + r"\textcolor{red}{Kernel: "
                   + escape(chain_error, breakable=True) + "}\n")
    if chain.links:
        out.append(_align_chain(chain, steps if not chain_error else []))
    out.append("{\\small\n\\begin{description}[leftmargin=2.2em,style=nextline,nosep,"
               "itemsep=2pt]\n")
    for index, link in enumerate(chain.links, start=1):
        step = steps[index - 1] if index - 1 < len(steps) else None
        words = _justification(link.justification, proof)
        if link.note:
            words += " " + prose(link.note) + "."
        if step is not None and step.ok:
            verdict = r"\emph{Kernel:} " + escape(step.message, breakable=True) + "."
            label = f"{{[{index}]}}"  # braces: brackets inside \item[...]
        else:
            message = step.message if step is not None else (chain_error or "not checked")
            verdict = (r"\textcolor{red}{\emph{Kernel: NOT VERIFIED.} "
                       + escape(message, breakable=True) + "}")
            label = rf"\notverified{{[{index}]}}"
        out.append(rf"\item[{label}] {words} {verdict}" + "\n")
    out.append("\\end{description}}\n\n")
    if len(chain.links) > 1 or not verified:  # a one-step chain's line is its conclusion
        out.append(r"\noindent " + _conclusion(chain, verified) + "\n")
    out.append("\\medskip\n")
    return "".join(out)


def _witness_table(numeric: NumericResult, lemma_name: str) -> str:
    out = [f"% >>> numeric {lemma_name}\n", r"\subsection*{Numeric witness}" + "\n"]
    rep = numeric.report
    if rep is None:
        if numeric.error:
            out.append(r"\notverified{witness} \textcolor{red}{" + escape(numeric.reason, True)
                       + "}\n")
        elif numeric.reason == "no witness":
            out.append("No numeric witness is registered for this result "
                       f"({code('numerics/witnesses/' + lemma_name + '.py')} does not exist).\n")
        elif numeric.reason == "missing from report":
            out.append("The check report this document was generated from has no entry for "
                       "this result.\n")
        else:
            out.append("Not run for this document (generated with \\texttt{--no-numeric}); run "
                       f"\\texttt{{resnet-lemmas check --only {escape(lemma_name)}}}.\n")
        out.append(f"% <<< numeric {lemma_name}\n")
        return "".join(out)
    status = rep.status if rep.ok else r"\textcolor{red}{\textbf{" + rep.status.upper() + "}}"
    rows = [("status", status)]
    if rep.outcome:
        rows.append(("outcome", escape(rep.outcome, breakable=True)))
    rows += [("instances", fmt_number(int(rep.instances))
              + (f" ({fmt_number(int(rep.unchecked))} unchecked: nothing certified there)"
                 if rep.unchecked else "")),
            ("seed", fmt_number(int(rep.seed)) + " (instance $i$ uses the $i$-th child of "
                                                 r"\texttt{numpy.random.SeedSequence(seed)})"),
            ("worst margin", fmt_number(rep.worst_margin) + r" (an instance satisfies the claim "
                                                             r"when its margin is $\ge 0$)")]
    for key, value in _flat_details(rep.details):
        rows.append((escape(key.replace("_", " ")), value))
    out.append("\\begin{center}\n\\begin{tabular}{@{}>{\\raggedright}p{0.3\\linewidth}"
               ">{\\raggedright\\arraybackslash}p{0.6\\linewidth}@{}}\n\\toprule\n")
    for key, value in rows:
        out.append(f"{key} & {value} \\\\\n")
    out.append("\\bottomrule\n\\end{tabular}\n\\end{center}\n")
    if rep.tolerance:
        out.append(r"\noindent\emph{Tolerance:} " + prose(rep.tolerance, breakable=True) + ".\n")
    if rep.failures:
        out.append("\n\\noindent\\textcolor{red}{\\textbf{Failing instances}} (replay with the "
                   "instance seed):\n\\begin{itemize}[nosep]\n")
        for failure in rep.failures:
            out.append(rf"\item seed {fmt_number(int(failure.get('seed', -1)))}, margin "
                       f"{fmt_number(failure.get('margin'))}: "
                       f"{escape(str(failure.get('description', '')), breakable=True)}\n")
        out.append("\\end{itemize}\n")
    out.append(f"% <<< numeric {lemma_name}\n")
    return "".join(out)


_TIMING_KEYS = re.compile(r"(second|time|elapsed|duration)", re.IGNORECASE)


def _flat_details(details, prefix: str = "") -> list[tuple[str, str]]:
    """Witness ``details`` as table rows; timing entries are left out so the output is deterministic."""
    rows = []
    for key in details:
        value = details[key]
        name = f"{prefix}{key}"
        if _TIMING_KEYS.search(str(key)):
            continue
        if isinstance(value, dict):
            rows.extend(_flat_details(value, prefix=f"{name}."))
        elif isinstance(value, (list, tuple)):
            if len(value) <= 6 and all(isinstance(v, (int, float)) for v in value):
                rows.append((name, ", ".join(fmt_number(v) for v in value)))
            elif value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                               for v in value):
                rows.append((name, f"{len(value)} values, from {fmt_number(min(value))} to "
                                   f"{fmt_number(max(value))}"))
            else:
                rows.append((name, f"{len(value)} entries (see \\texttt{{resnet-lemmas check --json}})"))
        elif isinstance(value, (int, float)):
            rows.append((name, fmt_number(value)))
        else:
            rows.append((name, escape(str(value), breakable=True)))
    return rows


def _notation_table(proof) -> str:
    symbols = _named_quantities(proof)
    if not symbols:
        return ""
    out = [r"\subsection*{Named quantities}" + "\n",
           "{\\small\n\\begin{longtable}{@{}>{\\raggedright}p{0.44\\linewidth}"
           ">{\\raggedright}p{0.09\\linewidth}>{\\raggedright\\arraybackslash}p{0.4\\linewidth}@{}}\n"
           "\\toprule\nsymbol & space & meaning \\\\\n\\midrule\n\\endhead\n"]
    for symbol in symbols:
        out.append(f"${tex(symbol)}$ & {_space(symbol)} & {_meaning(symbol, proof)} \\\\\n")
    out.append("\\bottomrule\n\\end{longtable}}\n")
    return "".join(out)


def _status_words(record: LemmaRecord) -> str:
    if record.error:
        return r"\textcolor{red}{\textbf{FAILED} (the proof could not be built or checked)}"
    if record.report is None:
        return "no symbolic proof (numeric only)"
    rep = record.report
    if rep.ok:
        return f"verified by the kernel: {len(rep.steps)} steps, each in every context"
    return (r"\textcolor{red}{\textbf{FAILED}: " + f"{len(rep.failures)} of {len(rep.steps)} "
            "steps not verified}")


def _label(name: str) -> str:
    return "lemma:" + re.sub(r"[^A-Za-z0-9]", "-", name)


def displayed_statement(lemma, report=None) -> str:
    """The lemma's statement as the document shows it (LaTeX), printed from the theorem the kernel
    issued (each conclusion with exactly the hypotheses it rests on); a proof that did not verify shows
    its declared conclusion, marked as not established; an experiment its description."""
    if report is not None and getattr(report, "theorem", None) is not None:
        return _theorem_latex(report.theorem)
    if lemma.build is None:
        return lemma.description_latex or prose(lemma.description)
    conclusion = " and ".join(f"${tex(c)}$" for c in K.proof.conclusion_tuple(lemma.conclusion))
    return r"\textcolor{red}{(not established)} " + conclusion


def _relation_latex(relation) -> str:
    """A conjunct of a theorem: inline when short, else displayed and broken at top-level +/-."""
    rel = {sp.Eq: "=", sp.Le: r"\le", sp.Ge: r"\ge", sp.Ne: r"\neq"}.get(type(relation), "?")
    lhs, rhs = tex(relation.lhs), tex(relation.rhs)
    if visible_width(lhs) + visible_width(rhs) <= LINE_UNITS / 2:
        return f"${lhs} {rel} {rhs}$"
    lines = break_sum(relation.rhs, LINE_UNITS - visible_width(lhs) - 4, LINE_UNITS - 8)
    body = f"{lhs} &{rel} {lines[0]}" + "".join(rf" \\ &\qquad {line}" for line in lines[1:])
    return "\n\\begin{align*}\n" + body + "\n\\end{align*}\n"


def hypothesis_latex(statement) -> str:
    """A hypothesis's formal statement as breakable LaTeX: predicates read as words around their
    mathematics, conjunctions as lists (long inline formulas cannot break)."""
    from ..proofs.kernel import ForEach, IsConvex, IsLocalMin

    if isinstance(statement, IsLocalMin):
        obj, *variables = statement.args
        return (f"$({', '.join(tex(v) for v in variables)})$ is a local minimum of "
                f"${tex(obj)}$")
    if isinstance(statement, IsConvex):
        return r"the loss $\ell(p; y)$ is convex and differentiable in $p$"
    if isinstance(statement, ForEach):
        names = (f"$({', '.join(tex(a) for a in statement.args[2])})$ in " if len(statement.args) > 2
                 else "")
        return f"${tex(statement.args[0])}$ for every {names}{escape(str(statement.args[1]))}"
    if isinstance(statement, sp.And):
        return ", ".join(hypothesis_latex(a) for a in statement.args)
    return f"${tex(statement)}$"


def _theorem_latex(theorem) -> str:
    """The theorem printed from its formal statements: each group of conclusions after exactly the
    hypotheses it rests on (``Theorem.groups``)."""
    parts = []
    for hyps, conjuncts in theorem.groups():
        body = " and ".join(_relation_latex(c) for c in conjuncts)
        if hyps:
            parts.append("If " + "; ".join(hypothesis_latex(h.statement) for h in hyps) + ", then " + body)
        else:
            parts.append(body)
    return ". ".join(parts) + "."


def _checked_at(report, proof) -> str:
    """Where the theorem holds: every size (index algebra) and the concrete sizes checked."""
    theorem = getattr(report, "theorem", None)
    concrete = "; ".join(_sizes(ctx) for ctx in proof.contexts
                         if not getattr(ctx, "symbolic", False))
    if theorem is not None and getattr(theorem, "all_sizes", False):
        return (r"Every step below was checked \emph{at every size} (the index algebra at symbolic "
                "sizes) and, as a second, independent check, at each of: " + concrete + ".\n")
    return "Every step below was checked at each of: " + concrete + ".\n"


def _hypotheses_section(proof, report) -> str:
    theorem = getattr(report, "theorem", None)
    assumed = {h.name for h in theorem.hypotheses} if theorem is not None else None
    out = [r"\subsection*{Hypotheses}" + "\n\\begin{description}[style=unboxed,"
           "leftmargin=1.5em,nosep,itemsep=2pt]\n"]
    for hyp in proof.hypotheses:
        stmt = f" {hypothesis_latex(hyp.statement)}." if _has_formula(hyp) else ""
        gloss = f" {prose(hyp.gloss)}." if getattr(hyp, "gloss", "") else ""
        role = ""
        if assumed is not None and hyp.name not in assumed:
            role = r" \emph{(a case of a case split, or not needed by the statement: not assumed)}"
        use = _hypothesis_use(hyp)
        out.append(rf"\item[{code(hyp.name)}]{stmt}{gloss}{role}"
                   + (rf" \emph{{Kernel use:}} {use}." if use else "") + "\n")
    out.append("\\end{description}\n")
    return "".join(out)


def displayed_title(lemma) -> str:
    """The lemma's title as a section title: its ASCII mathematics typeset (:func:`~.text.title`)."""
    return title(lemma.title)


def render_lemma(record: LemmaRecord) -> str:
    lemma = record.lemma
    kind = lemma.kind if lemma.kind in ("theorem", "lemma", "example", "experiment") else "lemma"
    out = [f"% ---- {lemma.name} ----\n",
           r"\section{" + displayed_title(lemma) + r"}\label{" + _label(lemma.name) + "}\n",
           r"\noindent\textbf{Name:} " + code(lemma.name) + r"\quad \textbf{Kind:} " + kind
           + r"\quad \textbf{Symbolic:} " + _status_words(record) + "\n\n",
           f"\\begin{{rl{kind}}}[{code(lemma.name)}]\n{displayed_statement(lemma, record.report)}\n"
           f"\\end{{rl{kind}}}\n\n",
           r"\noindent\emph{Paper:} " + prose(lemma.paper) + "\n"]
    if record.error:
        out.append("\n" + r"\noindent\notverified{proof} \textcolor{red}{"
                   + escape(record.error, breakable=True) + "}\n")
    proof = record.proof
    if proof is not None:
        if proof.hypotheses:
            out.append(_hypotheses_section(proof, record.report))
        if lemma.cites:
            out.append(r"\noindent\emph{Cites:} " + ", ".join(
                rf"\ref{{{_label(n)}}} ({code(n)})" for n in lemma.cites) + ".\n\n")
        out.append(r"\subsection*{Checked at}" + "\n" + _checked_at(record.report, proof))
        out.append(_notation_table(proof))
        if record.report is not None:
            out.append(r"\subsection*{Derivation}" + "\n")
            for step, steps, chain_error in _chain_steps(proof, record.report):
                if isinstance(step, K.Chain):
                    out.append(_render_chain(step, steps, chain_error, proof))
                else:
                    out.append(_render_other_step(step, steps, proof))
            conclusion_error = getattr(record.report, "conclusion_error", "")
            if conclusion_error:
                out.append(r"\noindent\notverified{statement} \textcolor{red}{\emph{The statement is "
                           r"NOT established:} " + escape(conclusion_error, breakable=True) + "}\n")
    out.append(_witness_table(record.numeric, lemma.name))
    return "".join(out)


def _summary(records: list[LemmaRecord]) -> str:
    out = ["% >>> numeric summary\n", r"\section*{Summary}" + "\n",
           "{\\small\n\\begin{longtable}{@{}>{\\raggedright}p{0.4\\linewidth}"
           ">{\\raggedright}p{0.23\\linewidth}>{\\raggedright\\arraybackslash}p{0.27\\linewidth}@{}}\n"
           "\\toprule\nresult & symbolic (kernel) & numeric (witness) \\\\\n\\midrule\n\\endhead\n"]
    for record in records:
        if record.error:
            sym = r"\textcolor{red}{FAILED}"
        elif record.report is None:
            sym = "n/a"
        elif record.report.ok:
            theorem = record.report.theorem
            where = ("all sizes" if getattr(theorem, "all_sizes", False)
                     else f"{len(theorem.sizes)} sizes")
            sym = f"verified, {len(record.report.steps)} steps, {where}"
        else:
            sym = (r"\textcolor{red}{FAILED} " + f"{len(record.report.failures)}/"
                   f"{len(record.report.steps)}")
        num = record.numeric
        if num.report is not None:
            word = (num.report.status if num.report.ok
                    else r"\textcolor{red}{" + num.report.status.upper() + "}")
            numeric = (f"{word}, {int(num.report.instances)} inst., worst margin "
                       f"{fmt_number(num.report.worst_margin)}")
        elif num.error:
            numeric = r"\textcolor{red}{error}"
        else:
            numeric = {"no witness": "no witness"}.get(num.reason, "not run")
        out.append(rf"\ref{{{_label(record.lemma.name)}}}~{prose(record.lemma.title)} & {sym} & "
                   f"{numeric} \\\\\n")
    out.append("\\bottomrule\n\\end{longtable}}\n% <<< numeric summary\n")
    out.append(_dependency_graph(records))
    return "".join(out)


def _dependency_graph(records: list[LemmaRecord]) -> str:
    """Which result's proof cites which (a citation discharges a hypothesis with a checked theorem)."""
    rows = [(r.lemma.name, r.lemma.cites) for r in records if r.lemma.cites]
    if not rows:
        return ""
    out = [r"\subsection*{Dependencies}" + "\n" + "A proof that cites a theorem uses it only after the "
           "kernel has checked it; if a cited result fails, the citing one is not verified.\n"
           "\\begin{itemize}[nosep]\n"]
    for name, cites in rows:
        out.append(rf"\item \ref{{{_label(name)}}} {code(name)} cites "
                   + ", ".join(rf"\ref{{{_label(c)}}} {code(c)}" for c in cites) + "\n")
    out.append("\\end{itemize}\n")
    return "".join(out)


INTRODUCTION = r"""
\section*{How to read this document}
This document is generated by \texttt{resnet-lemmas latex} from the objects the proof kernel checks;
nothing in the derivations is typed by hand.  The setting (Shamir, 2018) is a residual unit
$x \mapsto x + V f_{\theta}(x)$ with $V \in \mathbb{R}^{d \times k}$ and an arbitrary network
$f_{\theta}: \mathbb{R}^{d} \to \mathbb{R}^{k}$, an output layer $w \in \mathbb{R}^{d}$, the prediction
$p(x) = w^{\top}(x + V f_{\theta}(x))$ and the objective $F(w, V, \theta) =
\mathbb{E}\,\ell(p(x); y)$ for a loss $\ell(p; y)$ convex and differentiable in $p$; $\ell'$ and
$\ell''$ are derivatives in $p$, and $\mathbb{E}$ is the mean over a sample of $n$ points, for which
every statement holds exactly.

Each result lists its hypotheses, the sizes $(d, k, n)$ at which the kernel instantiated every named
quantity in explicit components, and its derivation as chains of relations.  Each relation carries a
tag $[i]$ and, below the chain, its justification in words together with the kernel's verdict:
\begin{description}[nosep,leftmargin=1.5em]
\item[Identity] the two sides agree after every named quantity is expanded into components at each
  size (gradients by \texttt{sympy.diff}, component by component), possibly after substituting the
  equations of the hypotheses used; SymPy reduces the difference to zero.
\item[Certificate] an inequality holds because the gap between its sides equals, identically, a sum
  of nonnegative atoms, each certified on its own (squares, Bregman divergences of a convex loss,
  Cauchy--Schwarz by Lagrange's identity, the definition of the spectral norm).
\item[Infimum] a bound proven for every comparator passes to the infimum over comparators that no
  hypothesis constrains.
\item[Definiteness] a real vector whose squared norm was proven zero is zero.
\item[First-order condition] the gradient of the objective vanishes at a local minimum (the kernel
  checks that the named gradient is the objective's derivative).
\item[Level set] points of the level set near a local minimum are local minima too.
\item[Citation] another result's theorem, once the kernel has checked it, with every hypothesis
  discharged by a premise of the same formal statement.
\item[Case split] a fact proven under a statement and under its negation holds without either.
\end{description}
Each result's statement is printed from the theorem the kernel issued: every conclusion next to exactly
the hypotheses it rests on.  What the kernel trusts is listed in \texttt{docs/trust.md}.
A step the kernel rejected is marked \notverified{[$i$]}, its relation with a red ``?'', and the
kernel's message is printed; such a chain's conclusion is printed as not established.
"""


def render_document(records: list[LemmaRecord], seed: int | None, numeric_note: str = "") -> str:
    """The complete LaTeX document for ``records`` (deterministic: no dates, no timings)."""
    seed_text = "numeric witnesses not run" if seed is None else f"numeric witnesses with seed {seed}"
    out = [PREAMBLE,
           "\\title{resnet-lemmas: machine-checked derivations\\\\[2pt]\\large Shamir (2018), "
           "``Are ResNets Provably Better than Linear Predictors?''}\n",
           f"\\author{{generated by \\texttt{{resnet-lemmas latex}} (version {escape(__version__)})}}\n",
           "\\date{% >>> numeric date\n" + escape(seed_text) + "\n% <<< numeric date\n}\n",
           "\\begin{document}\n\\maketitle\n", INTRODUCTION]
    if numeric_note:
        out.append("\n" + escape(numeric_note) + "\n")
    out.append(_summary(records))
    for record in records:
        out.append(render_lemma(record))
    out.append("\\end{document}\n")
    return "".join(out)


_MARKED = re.compile(r"% >>> numeric (?P<name>\S+)\n.*?% <<< numeric (?P=name)\n", re.DOTALL)


def mask_numeric(text: str) -> str:
    """``text`` with every numeric section (between the marker comments) replaced by its name."""
    return _MARKED.sub(lambda m: f"% [numeric {m.group('name')}]\n", text)


def build_records(selected: Iterable, seed: int | None = 0, numeric: bool = True,
                  report: dict[str, NumericResult] | None = None, instances: int | None = None,
                  progress_factory: Callable | None = None,
                  log: Callable[[str], None] | None = None) -> list[LemmaRecord]:
    """Check every selected lemma's proof and attach its numeric result.

    Numeric results come from ``report`` (a loaded ``check --output`` file) when given, else from
    running each witness with ``seed`` when ``numeric`` is true; otherwise they are marked not run.
    ``progress_factory(name, total)`` may return a ``progress(done, total)`` callback (with optional
    ``close``); ``log(line)`` receives one line per lemma.
    """
    records = []
    for registered in selected:
        record = check_proof(registered)
        if report is not None:
            record.numeric = report.get(registered.name, NumericResult(reason="missing from report"))
        elif numeric:
            progress = None
            if progress_factory is not None and getattr(registered, "witness_module", None):
                progress = progress_factory(registered.name,
                                            instances or getattr(registered, "default_instances", 0))
            record.numeric = run_numeric(registered, seed, instances, progress)
            if progress is not None and hasattr(progress, "close"):
                progress.close()
        else:
            record.numeric = NumericResult(reason="not run")
        if log is not None:
            sym = {True: "verified", False: "FAILED", None: "n/a"}[record.symbolic_ok]
            num = {True: "verified", False: "FAILED", None: record.numeric.reason or "n/a"}[
                record.numeric.ok]
            log(f"{registered.name}: symbolic {sym}; numeric {num}")
        records.append(record)
    return records
