"""``resnet-lemmas latex``: writes the document, compiles it, and fails loudly and plainly."""
import json
import shutil

import pytest
import sympy as sp

from resnet_lemmas import latex, registry
from resnet_lemmas.cli import main
from resnet_lemmas.numerics.witnesses.harness import WitnessReport
from resnet_lemmas.proofs.expressions import E_rx, V, c, grad_w, standard_contexts
from resnet_lemmas.proofs.kernel import Chain, Identity, Proof
from resnet_lemmas.proofs.lemma import SymbolicLemma
from resnet_lemmas.registry import RegisteredLemma

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                               reason="pdflatex not installed (Debian: apt-get install "
                                      "texlive-latex-base texlive-latex-recommended "
                                      "texlive-latex-extra); CI installs it")
ONE = ["--only", "residual_gradients", "--no-progress"]


def run(capsys, *argv):
    status = main(["latex", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_pdf_needs_an_output_file(capsys):
    status, _, err = run(capsys, "--pdf", *ONE)
    assert status == 2 and "--pdf needs -o" in err


def test_output_must_be_a_tex_file(capsys, tmp_path):
    status, _, err = run(capsys, "-o", str(tmp_path / "x.pdf"), *ONE)
    assert status == 2 and "must end in .tex" in err


def test_unknown_lemma_lists_the_registered_ones(capsys):
    status, _, err = run(capsys, "--only", "no_such_lemma", "--no-numeric")
    assert status == 2 and "registered lemmas:" in err and "residual_gradients" in err


def test_no_numeric_and_report_are_exclusive(capsys):
    assert main(["latex", "--no-numeric", "--report", "r.json"]) == 2
    assert "not allowed with argument --no-numeric" in capsys.readouterr().err


def test_writes_the_selected_lemma_only(capsys, tmp_path):
    target = tmp_path / "one.tex"
    status, out, err = run(capsys, "-o", str(target), "--no-numeric", *ONE)
    assert status == 0 and out == ""
    text = target.read_text()
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    assert r"\section{Gradients of the residual objective}" in text
    others = [r for r in registry.lemmas() if r.name != "residual_gradients"]
    assert all(r"\section{" + latex.escape(r.lemma.title) + "}" not in text for r in others)
    assert "Not run for this document" in text


def test_without_output_the_document_goes_to_stdout(capsys):
    status, out, _ = run(capsys, "--no-numeric", *ONE)
    assert status == 0 and out.startswith(r"\documentclass")


def _report(tmp_path, seed=5):
    witness = WitnessReport("residual_gradients", seed, 17, 0.0123, "slack 64 n eps (rounding)",
                            details={"failed_instances": 0})
    payload = {"seed": seed, "status": "verified", "seconds": 1.0, "lemmas": [
        {"name": "residual_gradients", "kind": "lemma", "statement": "s",
         "symbolic": {"status": "verified"}, "numeric": witness.to_json(), "status": "verified"}]}
    path = tmp_path / "report.json"
    path.write_text(json.dumps(payload))
    return path


def test_numeric_results_are_read_from_a_check_report(capsys, tmp_path):
    target = tmp_path / "r.tex"
    status, _, _ = run(capsys, "-o", str(target), "--report", str(_report(tmp_path)), *ONE)
    text = target.read_text().replace(r"\allowbreak{}", "")
    assert status == 0
    assert "$0.0123$" in text and "$17$" in text and r"slack $64 n \varepsilon$ (rounding)" in text
    assert "numeric witnesses with seed 5" in text


def test_a_seed_that_contradicts_the_report_is_refused(capsys, tmp_path):
    status, _, err = run(capsys, "--report", str(_report(tmp_path, seed=5)), "--seed", "6", *ONE)
    assert status == 2 and "differs from the seed 5" in err


def test_a_failed_lemma_is_written_marked_and_exits_1(capsys, tmp_path, monkeypatch):
    conclusion = (sp.Eq(grad_w, -(E_rx + V * c), evaluate=False),)
    broken = SymbolicLemma(
        "broken", "Broken on purpose", "s",
        lambda: Proof("broken", [], [Chain("g", grad_w).eq(-(E_rx + V * c), Identity())],
                      standard_contexts(), conclusion=conclusion), "lemma", conclusion=conclusion)
    monkeypatch.setattr(registry, "select", lambda only: [RegisteredLemma(broken, None)])
    target = tmp_path / "b.tex"
    status, _, err = run(capsys, "-o", str(target), "--no-numeric", "--no-progress")
    assert status == 1 and "NOT all verified: broken" in err
    assert r"\tag*{\notverified{[1]}}" in target.read_text()


def test_pdf_without_an_engine_says_how_to_install(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(latex.compile.shutil, "which", lambda name: None)
    status, _, err = run(capsys, "-o", str(tmp_path / "x.tex"), "--pdf", "--no-numeric", *ONE)
    assert status == 1
    assert "no TeX engine found" in err and "apt-get install texlive-latex-base" in err


@needs_tex
def test_pdf_is_written_next_to_the_tex(capsys, tmp_path):
    target = tmp_path / "sub" / "one.tex"
    status, _, err = run(capsys, "-o", str(target), "--pdf", "--no-numeric", *ONE)
    assert status == 0, err
    assert (tmp_path / "sub" / "one.pdf").stat().st_size > 1000


@needs_tex
def test_pdf_failure_prints_the_engine_error_as_file_line_message(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(latex.document, "render_document",
                        lambda records, seed: "\\documentclass{article}\n\\begin{document}\n"
                                              "\\oops\n\\end{document}\n")
    status, _, err = run(capsys, "-o", str(tmp_path / "bad.tex"), "--pdf", "--no-numeric", *ONE)
    assert status == 1
    assert "./bad.tex:3: Undefined control sequence." in err
    assert "full log:" in err and (tmp_path / "bad.log").exists()
