"""``resnet-lemmas check``: prove every registered lemma and confirm it on sampled instances."""
from __future__ import annotations

import json
import sys

from ._common import (Refused, check_lemma_names, output_file, positive_int, progress_factory, save_output,
                      seed)

NAME = "check"
HELP = "check every registered lemma symbolically (proof kernel) and numerically (witnesses)"
ORDER = 10
#: ``RESNET_LEMMAS_JOBS`` is checked before the run (``cli.main``)
USES_WITNESSES = True


def add_arguments(parser) -> None:
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of every random instance, an integer >= 0 (default 0)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="check only this lemma (repeatable); see --list")
    parser.add_argument("--instances", type=positive_int, default=None, metavar="N",
                        help="numeric instances per lemma (default: each witness's own number, "
                             "shown by --list)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of a table (progress stays on stderr)")
    parser.add_argument("--output", metavar="FILE", type=output_file("--output"),
                        help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--list", action="store_true",
                        help="list the registered lemmas (name, kind, default instances, title) and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def validate(args) -> None:
    """Refuse unknown ``--only`` names before SymPy is imported."""
    check_lemma_names(args.only)


def _fmt_margin(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _sizes(report) -> str:
    if report is None or report.theorem is None:
        return ""
    concrete = "; ".join(",".join(str(v) for k, v in s.items() if k != "loss")
                         + (f" ({s['loss']})" if "loss" in s else "")
                         for s in report.theorem.sizes)
    if report.theorem.all_sizes:
        return ", all sizes" + (f"; also at {concrete}" if concrete else "")
    return ", at " + concrete


def _row(outcome) -> list[str]:
    sym = outcome.symbolic
    num = outcome.numeric
    if outcome.dependency_failed:
        symbolic = f"not verified: depends on {outcome.dependency_failed}"
    else:
        symbolic = "n/a" if sym is None else f"{sym.status} ({len(sym.steps)} steps{_sizes(sym)})"
    numeric = "n/a" if num is None else (
        f"{num.status} ({num.instances} inst"
        + (f", {num.unchecked} unchecked" if getattr(num, "unchecked", 0) else "")
        + f", worst margin {_fmt_margin(num.worst_margin)})")
    if outcome.error:
        numeric = f"error: {outcome.error[:60]}"
    return [outcome.name, outcome.kind, symbolic, numeric, f"{outcome.seconds:.1f}"]


def _table(rows: list[list[str]]) -> str:
    header = ["lemma", "kind", "symbolic", "numeric", "seconds"]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def run(args) -> int:
    from .. import registry
    from ..check import run_check

    if args.list:
        for registered in registry.lemmas():
            instances = (str(registered.default_instances) if registered.witness_module is not None
                         else "-")
            cites = (f"  [cites: {', '.join(registered.depends_on)}]" if registered.depends_on else "")
            print(f"{registered.name:36s} {registered.lemma.kind:10s} {instances:>5s}  "
                  f"{registered.lemma.title}{cites}")
        return 0
    try:
        registry.select(args.only)
    except registry.UnknownLemmaError as exc:
        raise Refused(f"--only: {exc}") from None

    # progress goes to stderr, so it stays on under --json (stdout carries only the JSON object)
    progress = progress_factory(not args.no_progress)

    def on_outcome(outcome):
        mark = "ok " if outcome.ok else "FAIL"
        print(f"[{mark}] {outcome.name} ({outcome.seconds:.1f} s)", file=sys.stderr, flush=True)

    report = run_check(seed=args.seed, only=args.only, instances=args.instances,
                       progress_factory=progress, on_outcome=on_outcome)
    payload = report.to_json()
    if args.json:
        print(json.dumps(payload, indent=2), flush=True)
    else:
        print(_table([_row(o) for o in report.outcomes]))
        print("\nStatements (printed from the theorems the kernel issued) and outcomes:")
        for outcome in report.outcomes:
            print(f"  {outcome.name}: {outcome.statement}")
            if outcome.numeric is not None and getattr(outcome.numeric, "outcome", ""):
                print(f"  {outcome.name}: outcome: {outcome.numeric.outcome}")
            if outcome.symbolic is not None:
                for failure in outcome.symbolic.failures[:3]:
                    print(f"  {outcome.name}: chain {failure.chain!r} step {failure.index} FAILED: "
                          f"{failure.message[:300]}")
            if outcome.numeric is not None:
                for relation in getattr(outcome.numeric, "uncovered", []):
                    print(f"  {outcome.name}: relation {relation!r} of the conclusion was never evaluated by "
                          "the witness (and the witness does not declare why)")
                for failure in outcome.numeric.failures[:3]:
                    print(f"  {outcome.name}: instance seed {failure['seed']} FAILED "
                          f"(margin {failure['margin']:.3g}): {failure['description'][:300]}")
        verdict = ("all verified (experiments completed)" if report.ok else "NOT all verified")
        print(f"\n{len(report.outcomes)} lemmas, seed {report.seed}: {verdict} "
              f"in {report.seconds:.1f} s", flush=True)
    written = True
    if args.output:
        _, written = save_output(NAME, "--output", args.output, json.dumps(payload, indent=2) + "\n")
    return 0 if report.ok and written else 1
