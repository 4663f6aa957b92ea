"""The LaTeX writer prints what the kernel checked, marks what failed, compiles, and stays fresh."""
import json
import re
import shutil
import subprocess
import types
from pathlib import Path

import pytest
import sympy as sp

from resnet_lemmas import latex, registry
from resnet_lemmas.check import LemmaOutcome
from resnet_lemmas.numerics.witnesses.harness import WitnessReport
from resnet_lemmas.proofs.expressions import (E_rx, F, V, c, d, grad_V, grad_w, inner,
                                              standard_contexts, w)
from resnet_lemmas.proofs.hypotheses import w_nonzero
from resnet_lemmas.proofs.kernel import Chain, Identity, Proof
from resnet_lemmas.proofs.lemma import SymbolicLemma
from resnet_lemmas.registry import RegisteredLemma

ROOT = Path(__file__).resolve().parents[1]
DOCS_TEX = ROOT / "docs" / "derivations.tex"
DOCS_PDF = ROOT / "docs" / "derivations.pdf"
HAVE_PDFLATEX = shutil.which("pdflatex") is not None
HAVE_PDFTOTEXT = shutil.which("pdftotext") is not None
needs_tex = pytest.mark.skipif(not (HAVE_PDFLATEX and HAVE_PDFTOTEXT),
                               reason="pdflatex/pdftotext not installed (Debian: apt-get install "
                                      "texlive-latex-base texlive-latex-recommended "
                                      "texlive-latex-extra poppler-utils); CI installs them")


def _declared_conclusion(chains):
    """The statement a test lemma declares: its last chain's start related to its end."""
    last = chains[-1]
    relations = {link.relation for link in last.links} - {"="}
    rel = {"<=": sp.Le, ">=": sp.Ge}.get(next(iter(relations), "="), sp.Eq) if len(relations) < 2 else sp.Le
    return (rel(last.start, last.end, evaluate=False),)


def fake_lemma(name, chains, hypotheses=(), witness=None):
    """A registered lemma built from ``chains()`` (a fresh list per build), optionally with a witness."""
    conclusion = _declared_conclusion(chains())
    lemma = SymbolicLemma(
        name=name, title=f"Test result {name.replace('_', ' ')}", paper="not in the paper",
        build=lambda: Proof(name, list(hypotheses), chains(), standard_contexts(), conclusion=conclusion),
        conclusion=conclusion)
    module = None
    if witness is not None:
        # these test witnesses make no claims about the relations: declared, so that a run is judged
        # by its own report (a real witness must evaluate every relation or say why not)
        module = types.SimpleNamespace(witness=witness, DEFAULT_INSTANCES=3,
                                       UNEVALUATED={i: "a test witness" for i in range(len(conclusion))})
    return RegisteredLemma(lemma, module)


def correct_chains():
    return [Chain("gradient_in_w", grad_w, text="the gradient in w").eq(E_rx + V * c, Identity("diff"))]


def wrong_sign_chains():
    return [Chain("gradient_in_w", grad_w, text="the gradient in w")
            .eq(-(E_rx + V * c), Identity("diff"))]


def section(record):
    return latex.render_lemma(record)


# ------------------------------------------------------------------------------------------------
# printing
# ------------------------------------------------------------------------------------------------
def test_inner_product_of_a_difference_is_parenthesised():
    g = sp.MatrixSymbol("g", d, 1)
    out = latex.tex(inner(w, grad_w - g))
    assert out == r"w^{\top} \left(- g + \nabla_{w} F\right)"


def test_transpose_of_a_compound_name_is_parenthesised_and_uses_top():
    out = latex.tex(grad_V.T * w / inner(w, w))
    assert r"\left(\nabla_{V} F\right)^{\top} w" in out
    assert "^{T}" not in out


def test_transpose_of_a_product_is_parenthesised():
    assert latex.tex(inner(V * c, w)) == r"\left(V c\right)^{\top} w"


def test_escape_special_characters_and_relations():
    out = latex.escape("a_b & 50% #1 {x} ~ ^ \\ <tag> |x| >= <= != θ ℓ")
    for raw in ("_", "&", "%", "#", "{", "}"):
        assert "\\" + raw in out
    assert r"\textasciitilde{}" in out and r"\textasciicircum{}" in out
    assert r"\textbackslash{}" in out and r"\textless{}" in out and r"\textbar{}" in out
    assert r"$\ge$" in out and r"$\le$" in out and r"$\neq$" in out
    assert r"$\theta$" in out and r"$\ell$" in out
    assert all(ord(ch) < 128 for ch in out)


def test_break_sum_keeps_every_term_in_sympy_order():
    parts = [sp.MatrixSymbol(f"m{i}", d, 1) for i in range(12)]
    expr = sp.Add(*[inner(p, grad_w) for p in parts])
    lines = latex.break_sum(expr, 20, 20)
    assert len(lines) > 2
    assert " ".join(lines).replace(" ", "") == latex.tex(expr).replace(" ", "")
    assert all(latex.visible_width(line) <= 20 + 12 for line in lines)  # one term may overshoot


def test_break_sum_leaves_a_short_expression_on_one_line():
    assert latex.break_sum(E_rx + V * c) == [latex.tex(E_rx + V * c)]


def test_visible_width_counts_a_fraction_as_its_wider_part():
    assert latex.visible_width(r"\frac{a+b+c}{d}") < latex.visible_width("a+b+c+d")


def test_fmt_number_uses_three_significant_digits_and_powers_of_ten():
    assert latex.fmt_number(3.4812e-13) == r"$3.48 \times 10^{-13}$"
    assert latex.fmt_number(0.34712) == "$0.347$"
    assert latex.fmt_number(200) == "$200$"
    assert latex.fmt_number(float("-inf")) == r"$-\infty$"


# ------------------------------------------------------------------------------------------------
# what is checked is what is printed; failures are marked
# ------------------------------------------------------------------------------------------------
def test_verified_step_prints_the_checked_expressions_and_the_kernel_message():
    record = latex.check_proof(fake_lemma("good", correct_chains))
    assert record.report.ok
    out = section(record)
    assert latex.tex(grad_w) in out and latex.tex(E_rx + V * c) in out
    assert r"\tag*{[1]}" in out
    assert latex.escape(record.report.steps[0].message, breakable=True) in out
    assert "NOT VERIFIED" not in out and "notverified" not in out


def test_wrong_sign_step_is_marked_not_verified_with_the_kernel_message():
    record = latex.check_proof(fake_lemma("broken", wrong_sign_chains))
    assert not record.report.ok
    out = section(record)
    assert r"\tag*{\notverified{[1]}}" in out
    assert r"\failedrel{=}" in out
    assert "does not vanish" in out
    assert "Conclusion NOT established" in out
    assert "verified by the kernel" not in out
    assert r"\textbf{FAILED}" in out
    summary = latex.render_document([record], None)
    assert r"\textcolor{red}{FAILED} 1/1" in summary


def test_chain_mixing_le_and_ge_is_marked_not_verified():
    def mixed():
        return [Chain("mixed", F).le(F + inner(w, w), Identity()).ge(F, Identity())]

    record = latex.check_proof(fake_lemma("mixed", mixed))
    out = section(record)
    assert r"\notverified{chain}" in out and "mixes" in out
    assert "Conclusion NOT established" in out


def test_later_steps_after_a_failure_keep_their_own_verdicts():
    def chains():
        return [Chain("two", grad_w).eq(-(E_rx + V * c), Identity()).eq(-(E_rx + V * c), Identity())]

    record = latex.check_proof(fake_lemma("two_steps", chains))
    out = section(record)
    assert r"\tag*{\notverified{[1]}}" in out and r"\tag*{[2]}" in out
    assert "Conclusion NOT established" in out


def test_a_proof_that_raises_is_printed_as_failed():
    def explode():
        raise RuntimeError("cannot build")

    broken = RegisteredLemma(SymbolicLemma("boom", "Boom", "s", explode, "lemma"), None)
    record = latex.check_proof(broken)
    out = section(record)
    assert r"\notverified{proof}" in out and "RuntimeError: cannot build" in out
    assert not record.ok


def test_hypotheses_print_text_statement_and_kernel_use():
    def chains():
        return [Chain("c_from_grad_V", c).eq(grad_V.T * w / inner(w, w), Identity(using=("w_nonzero",)))]

    out = section(latex.check_proof(fake_lemma("hyp", chains, [w_nonzero])))
    assert code_name("w_nonzero") in out
    assert latex.tex(w_nonzero.statement) in out and latex.prose(w_nonzero.gloss) in out
    assert r"$w \neq 0$. the output weights are nonzero" in out
    assert r"may divide by $w^{\top} w$" in out


def code_name(name):
    return latex.code(name)


def failing_witness(seed, instances=None, progress=None):
    return WitnessReport("broken", seed, instances or 3, -0.5, "slack 64 n eps for rounding",
                         failures=[{"seed": 123, "margin": -0.5, "description": "F > F_lin by 0.5",
                                    "values": {}}],
                         details={"failed_instances": 1, "seconds_spent": 4.2,
                                  "spread": [0.1, 0.2]})


def passing_witness(seed, instances=None, progress=None):
    return WitnessReport("fine", seed, instances or 3, 1.5e-9, "slack 64 n eps for rounding",
                         details={"failed_instances": 0})


def test_failed_witness_is_marked_failed_with_its_replayable_seed():
    registered = fake_lemma("wit", correct_chains, witness=failing_witness)
    [record] = latex.build_records([registered], seed=7)
    assert not record.ok
    out = section(record)
    assert r"\textcolor{red}{\textbf{FAILED}}" in out
    assert "$123$" in out and r"F \textgreater{} F\_lin by 0.5" in out.replace(r"\allowbreak{}", "")
    assert "$7$" in out  # the run's seed
    assert "seconds" not in out  # timings never enter the document


def test_witness_that_raises_is_marked_failed():
    def raising(seed, instances=None, progress=None):
        raise ValueError("array must not contain infs")

    [record] = latex.build_records([fake_lemma("wit", correct_chains, witness=raising)], seed=0)
    assert record.numeric.ok is False and not record.ok
    assert "ValueError: array must not contain infs" in section(record)


def test_no_numeric_says_not_run_and_does_not_call_the_witness():
    def never(seed, instances=None, progress=None):
        raise AssertionError("witness called")

    [record] = latex.build_records([fake_lemma("wit", correct_chains, witness=never)], numeric=False)
    assert "Not run for this document" in section(record)


def test_numeric_table_from_a_check_report_matches_the_direct_run(tmp_path):
    registered = fake_lemma("wit", correct_chains, witness=passing_witness)
    [direct] = latex.build_records([registered], seed=3)
    outcome = LemmaOutcome("wit", "lemma", "test", direct.report, passing_witness(3), 1.23)
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"seed": 3, "status": "verified", "seconds": 9.9,
                                "lemmas": [outcome.to_json()]}))
    seed, numeric = latex.load_check_report(path)
    [from_report] = latex.build_records([registered], seed=seed, report=numeric)
    assert seed == 3
    assert section(from_report) == section(direct)


def test_a_report_without_the_lemma_says_so(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"seed": 0, "lemmas": []}))
    _, numeric = latex.load_check_report(path)
    [record] = latex.build_records([fake_lemma("wit", correct_chains)], report=numeric)
    assert "has no entry for this result" in section(record)


def test_a_file_that_is_not_a_check_report_is_rejected(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(latex.ReportError, match="not a report"):
        latex.load_check_report(path)


def test_mask_numeric_hides_only_the_marked_sections():
    text = "a\n% >>> numeric x\n1.5\n% <<< numeric x\nb\n"
    assert latex.mask_numeric(text) == "a\n% [numeric x]\nb\n"


# ------------------------------------------------------------------------------------------------
# every registered lemma
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def symbolic_records():
    return latex.build_records(registry.lemmas(), numeric=False)


@pytest.fixture(scope="module")
def symbolic_document(symbolic_records):
    return latex.render_document(symbolic_records, None)


def test_every_registered_lemma_chain_and_step_is_printed(symbolic_records, symbolic_document):
    for record in symbolic_records:
        lemma = record.lemma
        assert r"\section{" + latex.document.displayed_title(lemma) + "}" in symbolic_document
        # the statement is printed from the theorem the kernel issued (or the experiment's description)
        assert latex.document.displayed_statement(lemma, record.report) in symbolic_document
        if record.proof is None:
            continue
        assert record.report.theorem is not None
        out = latex.render_lemma(record)
        for chain in record.proof.chains:
            assert latex.code(chain.name) in out
        tags = len(re.findall(r"\\tag\*\{", out))
        assert tags == sum(len(chain.links) for chain in record.proof.chains)
        for hyp in record.proof.hypotheses:
            assert latex.code(hyp.name) in out
        for step in record.report.steps:
            assert latex.escape(step.message, breakable=True) in out
        for cited in lemma.cites:
            assert latex.code(cited) in out


#: ASCII mathematics as it appears in the lemmas' texts, escaped for LaTeX: none of it may reach the
#: titles, the summary table or the justification lines of the document
ASCII_MATH = [r"F\_feat", r"F\_lin", r"f\_theta", r"grad\_", r"sqrt(", r"\textbar{}\textbar{}",
              r"\textasciicircum{}", r" theta", r"(theta)", r" \textless{}= ", r"!="]


def _without_bookmark_text(tex: str) -> str:
    """``tex`` without the second argument of each ``\\texorpdfstring`` (the PDF bookmark's plain
    text, which cannot hold mathematics)."""
    out, i = [], 0
    while True:
        j = tex.find(r"\texorpdfstring{", i)
        if j < 0:
            return "".join(out) + tex[i:]
        depth, k, groups = 0, j + len(r"\texorpdfstring"), 0
        start_second = None
        while k < len(tex):
            depth += {"{": 1, "}": -1}.get(tex[k], 0)
            if depth == 0 and tex[k] == "}":
                groups += 1
                if groups == 1:
                    start_second = k + 1
                else:
                    break
            k += 1
        out.append(tex[i:start_second])
        i = k + 1


def _typeset_places(document: str) -> list[str]:
    """Section titles, summary rows and justification lines (without the kernel's own message)."""
    titles = [_without_bookmark_text(t) for t in re.findall(r"\\section\{(.*)\}\\label", document)]
    summary = document.split(r"\section*{Summary}")[1].split(r"\end{longtable}")[0].splitlines()
    justifications = [line.split(r"\emph{Kernel")[0] for line in document.splitlines()
                      if line.startswith(r"\item[{[") or line.startswith(r"\item[\notverified")]
    return titles + [row for row in summary if r"\ref{" in row] + justifications


def test_titles_summary_and_justifications_typeset_their_mathematics(symbolic_document):
    places = _typeset_places(symbolic_document)
    assert len(places) > 50
    leftovers = [(pattern, place) for place in places for pattern in ASCII_MATH if pattern in place]
    assert not leftovers, leftovers[:5]
    assert r"\section{Local minima attain the feature benchmark \texorpdfstring{$F_{\mathrm{feat}}(\theta)$}" \
        in symbolic_document


@pytest.mark.parametrize("ascii_text, typeset", [
    ("the feature benchmark F_feat(theta) exactly", r"the feature benchmark $F_{\mathrm{feat}}(\theta)$ exactly"),
    ("the 1/||w|| factor is necessary", r"the $1/\|w\|$ factor is necessary"),
    ("reaches F_lin + B L b / sqrt(T)", r"reaches $F_{\mathrm{lin}} + B L b / \sqrt{T}$"),
    ("grad_V F = w c^T, divided by w^T w", r"$\nabla_{V} F = w c^{\top}$, divided by $w^{\top} w$"),
    ("c = E[l'(p) f_theta(x)] = 0", r"$c = \mathbb{E}[\ell'(p) f_{\theta}(x)] = 0$"),
    ("||grad_V F||_F <= eps", r"$\|\nabla_{V} F\|_{F} \le \varepsilon$"),
    ("an eps-stationary point", r"an $\varepsilon$-stationary point"),
    ("E[r^T p] = <W, grad_W F>", r"$\mathbb{E}[r^{\top} p] = \langle W, \nabla_{W} F\rangle$"),
    ("C = (W W^T)^{-1} W", r"$C = (W W^{\top})^{-1} W$"),
    ("lemma residual_gradients", r"lemma \texttt{residual\_\allowbreak{}gradients}"),
    ("a real vector with zero squared norm is zero", "a real vector with zero squared norm is zero"),
    ("for every a, b", "for every $a$, $b$"),
    ("100% of 5 & more", r"100\% of 5 \& more"),
    ("the solver's bound on a*^T x", r"the solver's bound on $a^{* \top} x$"),
    ("||grad F|| <= 1e-5", r"$\|\nabla  F\| \le 10^{-5}$"),
])
def test_prose_typesets_ascii_mathematics(ascii_text, typeset):
    assert latex.prose(ascii_text) == typeset


def test_prose_never_leaves_a_formula_open_nor_doubles_a_script():
    texts = [getattr(j, "reason", "") for r in registry.lemmas() if r.lemma.build
             for ch in r.lemma.build().chains for j in (link.justification for link in ch.links)]
    texts += [r.lemma.title for r in registry.lemmas()]
    texts += [r.witness_module.TOLERANCE for r in registry.lemmas()
              if r.witness_module is not None and isinstance(getattr(r.witness_module, "TOLERANCE", None), str)]
    texts += ["the solver's bound and a*^T x + b*^T f", "F - F_lin^solver > 0", "u*^T x <= 1e-5"]
    for text in texts:
        out = latex.prose(text, breakable=True)
        assert out.count("$") % 2 == 0, (text, out)
        assert out.count("{") == out.count("}"), (text, out)
        for formula in out.split("$")[1::2]:
            # x^{a}^{b} and x_{a}_{b} are LaTeX errors ("Double superscript")
            assert not re.search(r"\^\{[^{}]*\}\^|\^\{[^{}]*\}\s*\^|_\{[^{}]*\}_", formula), (text, formula)


def test_registered_lemmas_print_as_verified_exactly_when_the_kernel_says_so(symbolic_records):
    for record in symbolic_records:
        out = latex.render_lemma(record)
        if record.report is not None and record.report.ok:
            assert "notverified" not in out, record.lemma.name
        elif record.report is not None:
            assert out.count(r"\notverified{[") == len(record.report.failures)


def test_document_has_no_timings_and_is_deterministic(symbolic_records, symbolic_document):
    assert latex.render_document(symbolic_records, None) == symbolic_document
    assert not re.search(r"\d+\.\d+ s\b", symbolic_document)


def test_documented_tex_is_not_stale_in_its_symbolic_part(symbolic_document):
    """docs/derivations.tex equals a regeneration, numeric sections aside (see the slow test)."""
    assert DOCS_TEX.exists(), "docs/derivations.tex is missing; regenerate it (docs/guide.md)"
    committed = latex.mask_numeric(DOCS_TEX.read_text(encoding="utf-8"))
    fresh = latex.mask_numeric(symbolic_document)
    assert committed == fresh, (
        "docs/derivations.tex is stale; regenerate with: "
        "resnet-lemmas latex --pdf -o docs/derivations.tex --seed 0")


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?")


def _numbers(text):
    values = []
    for token in _NUMBER.findall(text):
        mantissa, _, exponent = token.partition(r" \times 10^{")
        values.append(float(mantissa) * (10 ** int(exponent.rstrip("}")) if exponent else 1))
    return values


@pytest.mark.slow
def test_documented_tex_is_not_stale_including_the_numeric_witnesses():
    """Regenerate everything with seed 0 (runs every witness: 1-2 minutes) and compare.

    The text must agree exactly once numbers are set aside; the numbers to 5 % or 1e-6 absolute:
    margins at float64 rounding level (~1e-13) and gradient norms at the optimiser's stopping rule
    differ in their last digits between BLAS builds, everything else is reproducible from the seed.
    """
    fresh = latex.render_document(latex.build_records(registry.lemmas(), seed=0), 0)
    committed = DOCS_TEX.read_text(encoding="utf-8")
    assert _NUMBER.sub("#", committed) == _NUMBER.sub("#", fresh), "docs/derivations.tex is stale"
    for old, new in zip(_numbers(committed), _numbers(fresh)):
        assert abs(old - new) <= 1e-6 + 0.05 * max(abs(old), abs(new)), (old, new)


# ------------------------------------------------------------------------------------------------
# compiling
# ------------------------------------------------------------------------------------------------
def _words(text: str) -> str:
    """Letters and digits only, one space between runs: ``F_lin`` typesets as ``F lin`` (OT1)."""
    return " ".join(re.findall(r"[A-Za-z0-9]+", text))


def _title_words(title: str) -> list[str]:
    """The English runs of a title (its formulas are typeset, so their PDF text differs)."""
    from resnet_lemmas.latex.text import _spans

    return [_words(piece) for is_math, piece in _spans(title) if not is_math and _words(piece)]


def _pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode()
    return _words(text.replace("-\n", ""))


@needs_tex
def test_document_of_every_registered_lemma_compiles_cleanly(tmp_path, symbolic_records,
                                                              symbolic_document):
    tex_file = tmp_path / "derivations.tex"
    tex_file.write_text(symbolic_document)
    result = latex.compile_pdf(tex_file)
    assert result.ok, result.errors
    assert not latex.parse_errors(result.log)
    assert result.pdf == tmp_path / "derivations.pdf" and result.pdf.exists()
    assert result.worst_overfull <= 1.0, f"overfull lines: {sorted(result.overfull)[-3:]}"
    text = _pdf_text(result.pdf)
    for record in symbolic_records:
        assert all(words in text for words in _title_words(record.lemma.title)), record.lemma.title


@needs_tex
def test_committed_pdf_covers_every_registered_lemma():
    assert DOCS_PDF.exists(), "docs/derivations.pdf is missing; regenerate it (docs/guide.md)"
    text = _pdf_text(DOCS_PDF)
    for registered in registry.lemmas():
        title = registered.lemma.title
        assert all(words in text for words in _title_words(title)), title


@needs_tex
def test_broken_proof_and_witness_compile_and_read_not_verified(tmp_path):
    records = latex.build_records([fake_lemma("broken", wrong_sign_chains, witness=failing_witness)],
                                  seed=0)
    tex_file = tmp_path / "broken.tex"
    tex_file.write_text(latex.render_document(records, 0))
    result = latex.compile_pdf(tex_file)
    assert result.ok, result.errors
    assert result.worst_overfull <= 1.0, result.overfull
    text = _pdf_text(result.pdf)
    body = text[text.index("Test result broken", text.index("Summary") + 40):]
    assert "1 NOT VERIFIED" in body and "does not vanish" in body
    assert "Conclusion NOT established" in body and "FAILED" in body


@needs_tex
def test_compile_error_is_reported_as_file_line_message(tmp_path):
    tex_file = tmp_path / "bad.tex"
    tex_file.write_text("\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedthing\n"
                        "\\end{document}\n")
    result = latex.compile_pdf(tex_file)
    assert not result.ok and result.pdf is None
    assert result.errors[0] == "./bad.tex:4: Undefined control sequence."
    assert (tmp_path / "bad.log").exists() and not (tmp_path / "bad.pdf").exists()


def test_missing_engine_says_how_to_install(monkeypatch):
    monkeypatch.setattr(latex.compile.shutil, "which", lambda name: None)
    with pytest.raises(latex.EngineMissing) as info:
        latex.find_engine()
    assert "apt-get install texlive-latex-base texlive-latex-recommended" in str(info.value)


def test_parse_overfull_reads_widths_from_a_log():
    log = ("Overfull \\hbox (12.5pt too wide) in paragraph at lines 3--4\n"
           "Overfull \\hbox (0.3pt too wide) detected at line 9\n")
    assert latex.parse_overfull(log) == [(12.5, "in paragraph at lines 3--4"),
                                         (0.3, "detected at line 9")]
