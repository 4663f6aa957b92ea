"""Compiling the document with latexmk or pdflatex, and reading the engine's log."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..reports import write_bytes_atomic


INSTALL_HINT = (
    "no TeX engine found (looked for latexmk and pdflatex on PATH).\n"
    "Install one, e.g. on Debian/Ubuntu:\n"
    "  apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra\n"
    "(and poppler-utils for pdftotext); on macOS: MacTeX (https://tug.org/mactex/); elsewhere "
    "TeX Live (https://tug.org/texlive/).")


class EngineMissing(RuntimeError):
    def __str__(self) -> str:
        return INSTALL_HINT


@dataclass
class CompileResult:
    """What :func:`compile_pdf` produced: ``pdf`` (the path written, ``None`` when not written),
    ``pdf_bytes`` (the PDF itself), the engine's ``log`` and, on failure, its first ``errors`` and
    ``log_path`` (the log kept next to the ``.tex``)."""

    ok: bool
    engine: str
    pdf: Path | None
    log: str
    errors: list = field(default_factory=list)
    overfull: list = field(default_factory=list)  # (points, where) of each overfull \hbox
    pdf_bytes: bytes = b""
    log_path: Path | None = None

    @property
    def worst_overfull(self) -> float:
        return max((pts for pts, _ in self.overfull), default=0.0)


def find_engine(preferred: str | None = None) -> str:
    """``latexmk`` if installed, else ``pdflatex``; :class:`EngineMissing` if neither is."""
    for name in ([preferred] if preferred else ["latexmk", "pdflatex"]):
        if name and shutil.which(name):
            # latexmk drives pdflatex; without it latexmk cannot produce a PDF
            if name == "latexmk" and not shutil.which("pdflatex"):
                continue
            return name
    raise EngineMissing()


def parse_errors(log: str, limit: int = 10) -> list[str]:
    """The engine's errors as ``file:line: message`` lines (``-file-line-error`` format), or the
    ``! message`` lines with their ``l.N`` context when the log has no file:line form."""
    errors = []
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[^\s:]+\.(tex|sty|cls|aux|toc|out):\d+: ", line):
            errors.append(line.strip())
        elif line.startswith("! "):
            context = next((l.strip() for l in lines[i + 1:i + 8] if re.match(r"^l\.\d+", l)), "")
            errors.append(f"{line[2:].strip()}" + (f" ({context})" if context else ""))
        if len(errors) >= limit:
            break
    return errors


def parse_overfull(log: str) -> list[tuple[float, str]]:
    """``(points too wide, where)`` for every ``Overfull \\hbox`` in a TeX log."""
    found = []
    for match in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\) ([^\n]*)", log):
        found.append((float(match.group(1)), match.group(2).strip()))
    return found


def compile_pdf(tex_path, engine: str | None = None, timeout: float = 300.0,
                write: bool = True) -> CompileResult:
    """Compile ``tex_path`` in a temporary folder and write the PDF next to it (atomically; with
    ``write=False`` only return its bytes, for a caller that writes it itself).

    Runs ``latexmk -pdf`` or ``pdflatex`` (until cross-references settle, at most 4 runs) with
    ``-interaction=nonstopmode -halt-on-error -file-line-error``.  ``SOURCE_DATE_EPOCH`` is fixed so
    the PDF does not change when the source does not.  On failure the log is copied next to the
    ``.tex`` (``NAME.log``) and the first errors are returned.
    """
    tex_path = Path(tex_path).resolve()
    engine = find_engine(engine)
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-file-line-error"]
    with tempfile.TemporaryDirectory(prefix="resnet-lemmas-latex-") as tmp:
        work = Path(tmp)
        shutil.copy2(tex_path, work / tex_path.name)
        stem = tex_path.stem
        if engine == "latexmk":
            commands = [["latexmk", "-pdf", *flags, tex_path.name]]
        else:
            commands = [["pdflatex", *flags, tex_path.name]] * 4
        log = ""
        failed = False
        for i, command in enumerate(commands):
            try:
                proc = subprocess.run(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                log_file = work / f"{stem}.log"
                log = log_file.read_text(errors="replace") if log_file.exists() else ""
                return CompileResult(False, engine, None, log,
                                     [f"{command[0]} did not finish within {timeout:g} s"])
            log_file = work / f"{stem}.log"
            log = log_file.read_text(errors="replace") if log_file.exists() else \
                proc.stdout.decode(errors="replace")
            if proc.returncode != 0:
                failed = True
                break
            if engine == "pdflatex" and i >= 1 and not re.search(r"Rerun|undefined references", log):
                break
        pdf = work / f"{stem}.pdf"
        if failed or not pdf.exists():
            errors = parse_errors(log) or [f"{engine} exited with an error and no message; "
                                           f"see {tex_path.with_suffix('.log')}"]
            log_path = None
            if log_file.exists():
                log_path = write_bytes_atomic(tex_path.with_suffix(".log"), log_file.read_bytes())
            return CompileResult(False, engine, None, log, errors, parse_overfull(log),
                                 log_path=log_path)
        data = pdf.read_bytes()
        target = write_bytes_atomic(tex_path.with_suffix(".pdf"), data) if write else None
        return CompileResult(True, engine, target, log, [], parse_overfull(log), pdf_bytes=data)
