"""``resnet-lemmas verify``: check the main theorem on your own residual unit and data.

``resnet-lemmas verify --residual MODULE:ATTR --data FILE --loss NAME [--restarts R] [--seed S]``
loads the unit (a NumPy unit or a ``torch.nn.Module``; ``MODULE`` is importable from the current
directory or is a path to a ``.py`` file), the data (``.npz`` with arrays ``X``, ``y``; ``.csv`` with ``y``
last; or ``builtin:diabetes`` / ``builtin:breast_cancer``), computes ``F_lin`` with its certificate, runs
the multi-start search on ``F(w, V, theta)`` and checks the theorem and the section-4 bound at every
point visited (``resnet_lemmas.numerics.verify.run``).  Exit status: 0 iff the verdict is ``verified``;
1 for ``inconclusive`` or ``violated``; 2 when a precondition fails (the unit, the data or the loss is
unusable: the message says which and why).
"""
from __future__ import annotations

import json
import sys

from ._common import positive_int

NAME = "verify"
HELP = "check that your residual unit has no local minimum worse than linear, on your data"
ORDER = 30

#: Above this many parameters a unit without vjp gets a note about the cost of numeric derivatives.
NUMERIC_NOTE_Q = 50


def add_arguments(parser) -> None:
    from ..numerics.verify.run import GTOL, MAXITER, RESTARTS

    parser.add_argument("--residual", required=True, metavar="MODULE:ATTR",
                        help="your residual unit f_theta: a NumPy unit (callable unit(X, theta) with "
                             "theta0, optional vjp) or a torch.nn.Module; MODULE is a module importable "
                             "from the current directory or a path/to/file.py")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help=".npz (arrays X, y), .csv (last column y), or builtin:diabetes / "
                             "builtin:breast_cancer (standardised; +intercept appends a constant 1)")
    parser.add_argument("--loss", required=True, metavar="NAME",
                        help="a registered convex differentiable loss, e.g. squared (regression) or "
                             "logistic (labels +-1); an unknown name lists them all")
    parser.add_argument("--restarts", type=positive_int, default=RESTARTS, metavar="R",
                        help=f"independent starts of the local-minimum search (default {RESTARTS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--maxiter", type=positive_int, default=MAXITER,
                        help=f"L-BFGS-B iterations per start (default {MAXITER})")
    parser.add_argument("--gtol", type=float, default=GTOL,
                        help=f"a start converged iff max_j |dF/dparam_j| <= gtol (default {GTOL:g})")
    parser.add_argument("--subsample", type=positive_int, default=None, metavar="N",
                        help="use a random subset of N rows (seeded by --seed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE (atomically)")
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


def run(args) -> int:
    from ..numerics.data.synthetic import DataError
    from ..numerics.data.datasets import load_dataset
    from ..numerics.verify.user_units import UserUnitError, load_unit
    from ..numerics.verify.run import verify
    from ..proofs.losses import LossError
    from ..reports import write_json_atomic

    progress = _ProgressBar(enabled=not (args.no_progress or args.json))
    try:
        if not args.gtol > 0:
            raise ValueError(f"--gtol must be positive; got {args.gtol}")
        data = load_dataset(args.data, subsample=args.subsample, seed=args.seed)
        unit = load_unit(args.residual)
        if getattr(unit, "vjp_source", "") == "numeric" and unit.q > NUMERIC_NOTE_Q:
            print(f"note: {args.residual} has no vjp, so each gradient in theta costs about 11 q = "
                  f"{11 * unit.q} unit calls (numeric derivatives, q = {unit.q}); up to --maxiter "
                  f"{args.maxiter} iterations per start. Write vjp(X, theta, G) to make this fast.",
                  file=sys.stderr)
        report = verify(unit, data.X, data.y, args.loss, restarts=args.restarts, seed=args.seed,
                        maxiter=args.maxiter, gtol=args.gtol, data_name=data.name, progress=progress)
    except (UserUnitError, DataError, LossError, ValueError) as exc:
        kind = ("residual unit" if isinstance(exc, UserUnitError) else "data" if isinstance(exc, DataError)
                else "loss" if isinstance(exc, LossError) else "input")
        print(f"error: precondition violated ({kind}): {exc}", file=sys.stderr)
        return 2
    finally:
        progress.close()
    payload = report.to_json()
    payload["data_description"] = data.description
    if args.output:
        write_json_atomic(args.output, payload)
    if args.json:
        print(json.dumps(payload, indent=2))
    else:
        print(report.text())
        if data.description:
            print(f"  data source: {data.description}")
    return 0 if report.ok else 1
