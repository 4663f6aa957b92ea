"""``resnet-lemmas verify``: check the main theorem on your own residual unit and data.

``resnet-lemmas verify --residual MODULE:ATTR --data FILE --loss NAME [--restarts R] [--seed S]``
loads the unit (a NumPy unit or a ``torch.nn.Module``; ``MODULE`` is importable from the current
directory or is a path to a ``.py`` file), the data (``.npz`` with arrays ``X``, ``y``; ``.csv`` with ``y``
last; or ``builtin:diabetes`` / ``builtin:breast_cancer``), computes ``F_lin`` with its certificate, runs
the multi-start search on ``F(w, V, theta)`` and checks the theorem and the section-4 bound at every
point visited (``resnet_lemmas.numerics.verify``).  Exit status: 0 iff the verdict is ``verified``;
1 for ``inconclusive`` or ``violated``; 2 when a precondition fails (the unit, the data or the loss is
unusable: the message says which and why).
"""
from __future__ import annotations

import json
import sys

NAME = "verify"
HELP = "check that your residual unit has no local minimum worse than linear, on your data"
ORDER = 30


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError
    return value


_positive.__name__ = "positive integer"  # argparse names the type in its error message


def add_arguments(parser) -> None:
    from ..numerics.verify import GTOL, MAXITER, RESTARTS

    parser.add_argument("--residual", required=True, metavar="MODULE:ATTR",
                        help="your residual unit f_theta: a NumPy unit (callable unit(X, theta) with "
                             "theta0, optional vjp) or a torch.nn.Module; MODULE is a module importable "
                             "from the current directory or a path/to/file.py")
    parser.add_argument("--data", required=True, metavar="FILE",
                        help=".npz (arrays X, y), .csv (last column y), or builtin:diabetes / "
                             "builtin:breast_cancer (standardised; +intercept appends a constant 1)")
    parser.add_argument("--loss", required=True, metavar="NAME",
                        help="a convex differentiable loss: squared, logistic, exponential, "
                             "softplus_hinge, pseudo_huber, poisson")
    parser.add_argument("--restarts", type=_positive, default=RESTARTS, metavar="R",
                        help=f"independent starts of the local-minimum search (default {RESTARTS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    parser.add_argument("--maxiter", type=_positive, default=MAXITER,
                        help=f"L-BFGS-B iterations per start (default {MAXITER})")
    parser.add_argument("--gtol", type=float, default=GTOL,
                        help=f"a start converged iff max_j |dF/dparam_j| <= gtol (default {GTOL:g})")
    parser.add_argument("--subsample", type=_positive, default=None, metavar="N",
                        help="use a random subset of N rows (seeded by --seed)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--output", metavar="FILE", help="also write the JSON report to FILE (atomically)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _progress_bar(args):
    if args.no_progress or args.json:
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=args.restarts, desc="verify", unit="start", leave=False, file=sys.stderr)

    def progress(done, total, start):
        if start is not None:
            bar.set_postfix_str(f"start {start.index}: {start.status}, F = {start.F:.4g}")
        bar.n = done
        bar.refresh()

    return progress, bar


def run(args) -> int:
    from ..numerics.data import DataError
    from ..numerics.datasets import load_dataset
    from ..numerics.user_units import UserUnitError
    from ..numerics.verify import verify
    from ..proofs.losses import LossError
    from ..reports import write_json_atomic

    progress, bar = None, None
    try:
        if not args.gtol > 0:
            raise ValueError(f"--gtol must be positive; got {args.gtol}")
        data = load_dataset(args.data, subsample=args.subsample, seed=args.seed)
        progress, bar = _progress_bar(args)
        report = verify(args.residual, data.X, data.y, args.loss, restarts=args.restarts, seed=args.seed,
                        maxiter=args.maxiter, gtol=args.gtol, data_name=data.name, progress=progress)
    except (UserUnitError, DataError, LossError, ValueError) as exc:
        kind = ("residual unit" if isinstance(exc, UserUnitError) else "data" if isinstance(exc, DataError)
                else "loss" if isinstance(exc, LossError) else "input")
        print(f"error: precondition violated ({kind}): {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
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
