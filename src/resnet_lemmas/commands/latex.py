"""``resnet-lemmas latex``: write (and optionally compile) the derivations the kernel checked.

    resnet-lemmas latex [-o FILE.tex] [--pdf] [--only NAME] [--seed S] [--instances N]
                        [--no-numeric | --report FILE]

Without ``-o`` the document goes to standard output.  Exit status: 0 when every printed result is
verified (and the PDF, if asked for, compiled); 1 when a result failed (the document is still written,
with the failure marked), the compilation failed, no TeX engine is installed, or an output could not be
written (it then goes to a named file in the temporary folder); 2 for a refused argument, output path
or ``RESNET_LEMMAS_JOBS``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from ._common import (Refused, check_jobs_environment, check_lemma_names, output_file, positive_int,
                      progress_factory, save_output, seed)

NAME = "latex"
HELP = "write the checked derivations as a LaTeX document (and compile it with --pdf)"
ORDER = 20

#: the exact command that regenerates the committed document (docs/guide.md quotes it)
REGENERATE = "resnet-lemmas latex --pdf -o docs/derivations.tex --seed 0"


def add_arguments(parser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE.tex", type=output_file("-o", (".tex",), "the document"),
                        help="write the document to FILE.tex (default: standard output)")
    parser.add_argument("--pdf", action="store_true",
                        help="also compile FILE.tex to FILE.pdf (latexmk or pdflatex); needs -o")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="only this lemma (repeatable); see 'resnet-lemmas check --list'")
    parser.add_argument("--seed", type=seed, default=None,
                        help="seed of the numeric witnesses, an integer >= 0 (default 0, or the "
                             "--report's seed)")
    parser.add_argument("--instances", type=positive_int, default=None, metavar="N",
                        help="numeric instances per lemma (default: each witness's own)")
    numeric = parser.add_mutually_exclusive_group()
    numeric.add_argument("--no-numeric", action="store_true",
                         help="do not run the numeric witnesses (their tables say 'not run')")
    numeric.add_argument("--report", metavar="FILE",
                         help="take the numeric results from FILE, written by "
                              "'resnet-lemmas check --output FILE', instead of running witnesses")
    parser.add_argument("--no-progress", action="store_true", help="no progress output on stderr")


def validate(args) -> None:
    """Everything that can be refused before the proofs are checked and the witnesses run."""
    if args.pdf and not args.output:
        raise Refused("--pdf needs -o FILE.tex (the PDF is written next to it)")
    if args.report and args.instances is not None:
        raise Refused("--instances has no effect with --report (the report fixed them)")
    check_lemma_names(args.only)
    if not args.no_numeric and not args.report:
        check_jobs_environment()
    args.loaded_report = None
    if args.report:          # read now: a missing or foreign report is refused before SymPy loads
        from ..latex import records as latex_records

        try:
            args.loaded_report = latex_records.load_check_report(args.report)
        except latex_records.ReportError as exc:
            raise Refused(f"--report: {exc}") from None
        report_seed = args.loaded_report[0]
        if args.seed is not None and args.seed != report_seed:
            raise Refused(f"--seed {args.seed} differs from the seed {report_seed} of {args.report}")


def run(args) -> int:
    from .. import registry
    from ..latex import compile as latex_compile
    from ..latex import document

    try:
        selected = registry.select(args.only)
    except registry.UnknownLemmaError as exc:
        raise Refused(f"--only: {exc}") from None
    if args.pdf:  # fail before minutes of numerics when there is no engine
        try:
            latex_compile.find_engine()
        except latex_compile.EngineMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    report = None
    seed = 0 if args.seed is None else args.seed
    if getattr(args, "loaded_report", None) is not None:
        seed, report = args.loaded_report

    def log(line):
        if not args.no_progress:
            print(f"[latex] {line}", file=sys.stderr, flush=True)

    records = document.build_records(
        selected, seed=seed, numeric=not args.no_numeric, report=report, instances=args.instances,
        progress_factory=progress_factory(not args.no_progress and not args.no_numeric
                                          and report is None),
        log=log)
    text = document.render_document(records, None if (args.no_numeric) else seed)

    status = 0
    if not args.output:
        sys.stdout.write(text)
    else:
        written, ok = save_output(NAME, "-o", args.output, text)
        if not ok:
            status = 1
            if written is None or args.pdf:
                return status   # the PDF is compiled from the file at -o, which is not there

    failed = [r.lemma.name for r in records if not r.ok]
    if failed:
        print(f"NOT all verified: {', '.join(failed)} (marked NOT VERIFIED / FAILED in the document)",
              file=sys.stderr)
        status = 1

    if args.pdf:
        try:
            result = latex_compile.compile_pdf(args.output, write=False)
        except latex_compile.EngineMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if not result.ok:
            print(f"error: {result.engine} failed on {args.output}:", file=sys.stderr)
            for line in result.errors:
                print(f"  {line}", file=sys.stderr)
            if result.log_path is not None:
                print(f"  (full log: {result.log_path})", file=sys.stderr)
            return 1
        _, ok = save_output(NAME, "--pdf", str(Path(args.output).with_suffix(".pdf")), result.pdf_bytes)
        if not ok:
            return 1
        if result.overfull:
            worst = sorted(result.overfull, reverse=True)[:3]
            print(f"warning: {len(result.overfull)} overfull line(s); widest: "
                  + "; ".join(f"{pts:g}pt {where}" for pts, where in worst), file=sys.stderr)
    return status
