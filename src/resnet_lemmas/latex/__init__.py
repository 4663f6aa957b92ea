"""The LaTeX writer: print exactly what the proof kernel checked, and compile it.

For every registered lemma (``registry.lemmas()``) the writer builds its :class:`~.proofs.kernel.Proof`,
runs ``Proof.check()`` and prints, from the *same objects*:

* the statement (``statement_latex``), what the paper claims, the hypotheses (their text, their
  statement through ``sympy.latex`` and what the kernel does with them), the sizes ``(d, k, n)`` the
  proof was checked at, and a table of the named quantities it uses;
* every chain ``start rel_1 e_1 rel_2 e_2 ...`` as an ``align*`` block whose lines are ``sympy.latex``
  of ``chain.start`` and of each ``link.expr``, with one tag ``[i]`` per step, followed by the
  justification of each step in words (identity checked by SymPy; certificate = sum of named
  nonnegative atoms, each with the reason it is nonnegative; infimum; definiteness; hypotheses used)
  and the kernel's own message for that step (:class:`~.proofs.kernel.StepResult`);
* the numeric witness (``WitnessReport``): instances, seed, worst margin, the tolerance sentence.

A step the kernel did not verify is printed with a red boxed **NOT VERIFIED** tag, a ``?`` over its
relation and the kernel's message; its chain's conclusion is printed as *not established*.  Nothing
that failed is ever typeset as if proven.

The output is deterministic for a given seed (no timings, no dates, sorted sets), so regenerating
``docs/derivations.tex`` reproduces it byte for byte.  Numeric parts sit between the marker comments
``% >>> numeric NAME`` and ``% <<< numeric NAME`` so that a fast staleness test can compare the
symbolic part alone (:func:`mask_numeric`).

Long expressions are broken at their top-level ``+``/``-`` (the terms come from SymPy's own ordering
of the sum, printed by the same printer), so lines stay within the text width.

Modules: :mod:`.printer` (SymPy printing, widths, line breaking), :mod:`.text` (free text),
:mod:`.records` (one record per lemma), :mod:`.document` (the document), :mod:`.compile` (the engine).
This package re-exports their public names.
"""
from __future__ import annotations

from .compile import (INSTALL_HINT, CompileResult, EngineMissing, compile_pdf, find_engine,
                      parse_errors, parse_overfull)
from .document import (CORE_MEANINGS, INTRODUCTION, PREAMBLE, build_records, mask_numeric,
                       render_document, render_lemma)
from .printer import (FAILED_TAG_UNITS, LINE_UNITS, START_UNITS, PaperLatexPrinter, break_sum, tex,
                      visible_width)
from .records import (LemmaRecord, NumericResult, ReportError, check_proof, load_check_report,
                      run_numeric)
from .text import code, escape, fmt_number, prose, title

__all__ = ["INSTALL_HINT", "CompileResult", "EngineMissing", "compile_pdf", "find_engine", "parse_errors",
           "parse_overfull", "CORE_MEANINGS", "INTRODUCTION", "PREAMBLE", "build_records", "mask_numeric",
           "render_document", "render_lemma", "FAILED_TAG_UNITS", "LINE_UNITS", "START_UNITS",
           "PaperLatexPrinter", "break_sum", "tex", "visible_width", "LemmaRecord", "NumericResult",
           "ReportError", "check_proof", "load_check_report", "run_numeric", "code", "escape",
           "fmt_number", "prose", "title"]
