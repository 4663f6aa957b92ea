"""``resnet-lemmas check``: prove every registered lemma and confirm it on sampled instances."""
from __future__ import annotations

import json
import sys

from ._common import progress_factory

NAME = "check"
HELP = "check every registered lemma symbolically (proof kernel) and numerically (witnesses)"
ORDER = 10


def add_arguments(parser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="seed of every random instance (default 0)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="check only this lemma (repeatable); see --list")
    parser.add_argument("--instances", type=int, default=None,
                        help="numeric instances per lemma (default: each lemma's own, >= 200)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--list", action="store_true", help="list the registered lemmas and exit")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def _fmt_margin(value) -> str:
    return "-" if value is None else f"{value:.3g}"


def _sizes(report) -> str:
    if report is None or report.theorem is None:
        return ""
    if report.theorem.sizes == "all":
        return ", all sizes"
    return ", at " + "; ".join(",".join(str(v) for k, v in s.items() if k != "loss")
                               for s in report.theorem.sizes)


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
    if num is not None and getattr(num, "outcome", ""):
        numeric += f": {num.outcome}"
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
    from ..reports import write_json_atomic

    if args.list:
        for registered in registry.lemmas():
            cites = (f"  [cites: {', '.join(registered.depends_on)}]" if registered.depends_on else "")
            print(f"{registered.name:36s} {registered.lemma.kind:10s} {registered.lemma.title}{cites}")
        return 0
    if args.instances is not None and args.instances < 1:
        print("error: --instances must be a positive integer", file=sys.stderr)
        return 2
    try:
        registry.select(args.only)
    except registry.UnknownLemmaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    progress = progress_factory(not args.no_progress and not args.json)

    def on_outcome(outcome):
        if not args.json:
            mark = "ok " if outcome.ok else "FAIL"
            print(f"[{mark}] {outcome.name} ({outcome.seconds:.1f} s)", file=sys.stderr, flush=True)

    report = run_check(seed=args.seed, only=args.only, instances=args.instances,
                       progress_factory=progress, on_outcome=on_outcome)
    payload = report.to_json()
    if args.output:
        write_json_atomic(args.output, payload)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(_table([_row(o) for o in report.outcomes]))
        for outcome in report.outcomes:
            print(f"  {outcome.name}: {outcome.statement}")
            if outcome.symbolic is not None:
                for failure in outcome.symbolic.failures[:3]:
                    print(f"  {outcome.name}: chain {failure.chain!r} step {failure.index} FAILED: "
                          f"{failure.message[:300]}")
            if outcome.numeric is not None:
                for failure in outcome.numeric.failures[:3]:
                    print(f"  {outcome.name}: instance seed {failure['seed']} FAILED "
                          f"(margin {failure['margin']:.3g}): {failure['description'][:300]}")
        verdict = "all verified" if report.ok else "NOT all verified"
        print(f"\n{len(report.outcomes)} lemmas, seed {report.seed}: {verdict} "
              f"in {report.seconds:.1f} s")
    return 0 if report.ok else 1
