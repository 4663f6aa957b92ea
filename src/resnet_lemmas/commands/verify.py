"""``resnet-lemmas verify``: check the main theorem on your own residual unit and data.

``resnet-lemmas verify --residual MODULE:ATTR --data FILE --loss NAME [--restarts R] [--seed S]``
loads the unit (a NumPy unit or a ``torch.nn.Module``; ``MODULE`` is importable from the current
directory or is a path to a ``.py`` file), the data (``.npz`` with arrays ``X``, ``y``; ``.csv`` with ``y``
last; or ``builtin:diabetes`` / ``builtin:breast_cancer``), computes ``F_lin`` with its certificate, runs
the multi-start search on ``F(w, V, theta)`` and checks the theorem and the inequalities of lemma
``approximate_stationarity_bound`` at every point visited (``resnet_lemmas.numerics.verify.run``).
Verdicts (``numerics.verify.run``): ``verified`` (at least ``max(K, 1)`` starts ended at certified
local minima, ``K = --require-minima``, default 1, where the theorem's claims held, and every other
start ended no worse than ``F_lin``), ``too few minima`` (every start ended no worse than ``F_lin``
but fewer than ``K`` certified local minima were examined: that says nothing about local minima),
``below linear`` (the same with ``--require-minima 0`` and none examined), ``inconclusive``,
``violated``.  Exit status: 0 iff the verdict is ``verified`` or ``below linear``; 1 for ``too few
minima``, ``inconclusive`` or ``violated`` (or when the ``--output`` file could not be written: the
report then goes to a named file in the temporary folder); 2 when an argument or a precondition is refused (the unit, the data or the loss is unusable,
or the run is too long without ``--yes``: the message says which and why).  Under ``--json`` every
outcome is one JSON object on stdout.
"""
from __future__ import annotations

import json
import math
import sys

from ._common import (Refused, int_at_least, int_in_range, nonnegative_int, output_file, positive_float,
                      positive_int, save_output, seed)

NAME = "verify"
HELP = ("check the main theorem at the certified local minima a search reaches on your residual unit "
        "and data")
ORDER = 30

#: Above this many parameters a unit without vjp gets a note about the cost of numeric derivatives.
NUMERIC_NOTE_Q = 50


def add_arguments(parser) -> None:
    # the light module of defaults: building the parser must not import NumPy/SciPy
    from ..numerics.verify.defaults import (GTOL, LONG_RUN_SECONDS, MAX_RESTARTS, MAXITER, REQUIRE_MINIMA,
                                            RESTARTS)

    parser.add_argument("--residual", required=True, metavar="MODULE:ATTR",
                        help="your residual unit f_theta: a NumPy unit (callable unit(X, theta) with "
                             "theta0 or init(rng, scale), optional vjp) or a torch.nn.Module; MODULE is "
                             "a module importable from the current directory or a path/to/file.py")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help=".npz (arrays X, y), .csv (last column y), or builtin:diabetes / "
                             "builtin:breast_cancer (standardised; +intercept appends a constant 1)")
    parser.add_argument("--loss", required=True, metavar="NAME",
                        help="a registered convex differentiable loss, e.g. squared (regression) or "
                             "logistic (labels -1/+1); an unknown name lists them all")
    parser.add_argument("--restarts", type=int_in_range(1, MAX_RESTARTS, " (run larger campaigns as "
                                                         "several runs with different --seed)"),
                        default=RESTARTS, metavar="R",
                        help=f"independent starts of the local-minimum search (default {RESTARTS}, "
                             f"at most {MAX_RESTARTS:,})")
    parser.add_argument("--seed", type=seed, default=0,
                        help="seed of every random choice, an integer >= 0 (default 0)")
    parser.add_argument("--maxiter", type=positive_int, default=MAXITER,
                        help=f"L-BFGS-B iterations per start (default {MAXITER})")
    parser.add_argument("--gtol", type=positive_float, default=GTOL,
                        help=f"a start converged iff max_j |dF/dparam_j| <= gtol (default {GTOL:g})")
    parser.add_argument("--require-minima", type=nonnegative_int, default=REQUIRE_MINIMA, metavar="K",
                        help=f"the verdict is 'verified' only if at least K starts (and at least one) "
                             f"ended at certified local minima, where the theorem is checked; otherwise "
                             f"'too few minima' (exit 1). 0 accepts a run without any: its verdict is "
                             f"then 'below linear' (every start ended no worse than F_lin, which says "
                             f"nothing about local minima). At most --restarts (default {REQUIRE_MINIMA})")
    parser.add_argument("--subsample", type=int_at_least(2), default=None, metavar="N",
                        help="use a random subset of N rows (seeded by --seed)")
    parser.add_argument("--standardize", action="store_true",
                        help="standardise the columns of X (mean 0, sd 1; constant columns are kept) "
                             "before the search: the cure for badly scaled data")
    parser.add_argument("--yes", action="store_true",
                        help=f"run even when the estimated duration exceeds "
                             f"{LONG_RUN_SECONDS / 3600:g} h (the estimate is printed first)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object instead of the report (progress stays on stderr)")
    parser.add_argument("--output", metavar="FILE", type=output_file("--output"),
                        help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


class _ProgressBar:
    """A tqdm bar on stderr, created at the first report (after the preconditions passed, so that an
    error message is not mixed with an empty bar)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __call__(self, done, total, start):
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="verify", unit="start", leave=False, file=sys.stderr)
        if start is not None:
            self.bar.set_postfix_str(f"start {start.index}: {start.status}, F = {start.F:.4g}")
        self.bar.n = done
        self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _note(line: str) -> None:
    print(f"note: {line}", file=sys.stderr, flush=True)


def run(args) -> int:
    from ..numerics.data.datasets import load_dataset
    from ..numerics.data.synthetic import DataError
    from ..numerics.verify.run import ResourceLimitError, verify
    from ..numerics.verify.user_units import UserUnitError, load_unit
    from ..proofs.losses import LossError

    # progress is on stderr, so it stays on under --json (stdout carries only the JSON object)
    progress = _ProgressBar(enabled=not args.no_progress)
    data = None
    try:
        data = load_dataset(args.data, subsample=args.subsample, seed=args.seed)
        unit = load_unit(args.residual)
        if getattr(unit, "vjp_source", "") == "numeric" and unit.q > NUMERIC_NOTE_Q:
            _note(f"{args.residual} has no vjp, so each gradient in theta costs about 11 q = "
                  f"{11 * unit.q} unit calls (numeric derivatives, q = {unit.q}); up to --maxiter "
                  f"{args.maxiter} iterations per start. Write vjp(X, theta, G) to make this fast.")
        report = verify(unit, data.X, data.y, args.loss, restarts=args.restarts, seed=args.seed,
                        maxiter=args.maxiter, gtol=args.gtol, data_name=data.name,
                        standardize=args.standardize, confirm_long=args.yes,
                        require_minima=args.require_minima, progress=progress,
                        note=_note)
    except ResourceLimitError as exc:
        estimate = exc.estimate_seconds if math.isfinite(exc.estimate_seconds) else None
        raise Refused(f"refused before the search: {exc}", reason="resources", verdict="refused",
                      estimate_seconds=estimate) from None
    except (UserUnitError, DataError, LossError, ValueError) as exc:
        kind = ("residual unit" if isinstance(exc, UserUnitError) else "data" if isinstance(exc, DataError)
                else "loss" if isinstance(exc, LossError) else "input")
        raise Refused(f"precondition violated ({kind}): {exc}", reason=f"precondition ({kind})",
                      verdict="precondition violated") from None
    finally:
        progress.close()
    payload = report.to_json()
    payload["data_description"] = data.description
    if args.json:
        print(json.dumps(payload, indent=2), flush=True)
    else:
        print(report.text())
        if data.description:
            print(f"  data source: {data.description}", flush=True)
    written = True
    if args.output:
        _, written = save_output(NAME, "--output", args.output, json.dumps(payload, indent=2) + "\n")
    return 0 if report.ok and written else 1
