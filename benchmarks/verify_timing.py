"""Wall time of ``resnet-lemmas verify`` with its defaults (3 restarts, maxiter 1500).

Real data (the default): the example units of ``examples/`` on ``builtin:diabetes`` (squared loss)
and ``builtin:breast_cancer`` (logistic loss), NumPy and -- when installed -- PyTorch, plus the NumPy
unit without a vjp (numeric theta-derivatives) at ``maxiter = 300``; one line per case: seconds,
verdict, start statuses, L-BFGS iterations and points checked.  Needs the extra ``real-data``
(scikit-learn).

Synthetic data (``--synthetic N [N ...]``): the NumPy example unit ``numpy_unit.py:diabetes_unit``
(``d = 10``, ``k = 4``, width 16) on ``N`` seeded synthetic rows (``data_for_loss``, ``d = 10``) for the
squared loss (regression data) and the logistic loss (noisy labels), to show the cost is linear in
``n``: per case the total, its phases -- preconditions (unit output and vjp checks), ``F_lin``
(``linear_benchmark``), the searches (L-BFGS with the section-4 checks at every visited point) and
the final-point checks (``check_point``: ``F_feat`` and the theorem) -- the objective evaluations, and
microseconds per evaluation and per row-evaluation (flat in ``n`` = linear).  The load average is
printed before and after.

    python benchmarks/verify_timing.py [--seed S]
    python benchmarks/verify_timing.py --synthetic 1e3 1e4 1e5 [--losses squared]
"""
from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from resnet_lemmas.numerics.data.datasets import load_dataset
from resnet_lemmas.numerics.verify import run as verify_run
from resnet_lemmas.numerics.verify.run import verify

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cases():
    yield "numpy", "numpy_unit.py:diabetes_unit", "builtin:diabetes", "squared", {}
    yield "numpy", "numpy_unit.py:cancer_unit", "builtin:breast_cancer", "logistic", {}
    yield "numpy, numeric vjp", "numpy_unit.py:diabetes_unit_no_vjp", "builtin:diabetes", "squared", \
        {"maxiter": 300}
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch not installed: PyTorch cases skipped")
        return
    yield "torch", "torch_unit.py:diabetes_block", "builtin:diabetes", "squared", {}
    yield "torch", "torch_unit.py:cancer_block", "builtin:breast_cancer", "logistic", {}


class PhaseTimer:
    """Times the phases of :func:`verify` by wrapping the functions it calls (names in its module)."""

    PHASES = {"linear_benchmark": "F_lin", "polished_local_minimum": "searches",
              "check_point": "final checks"}

    def __init__(self):
        self.seconds = defaultdict(float)
        self.originals = {}

    def __enter__(self):
        for name, phase in self.PHASES.items():
            original = getattr(verify_run, name)
            self.originals[name] = original

            def timed(*args, _original=original, _phase=phase, **kwargs):
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_phase] += time.perf_counter() - started

            setattr(verify_run, name, timed)
        return self

    def __exit__(self, *exc):
        for name, original in self.originals.items():
            setattr(verify_run, name, original)


def parse_size(text: str) -> int:
    value = float(text)
    if value < 2 or value != int(value):
        raise argparse.ArgumentTypeError(f"a size must be an integer >= 2 (1e4 is fine); got {text!r}")
    return int(value)


def synthetic(sizes, losses, seed: int) -> None:
    from resnet_lemmas.numerics.data.synthetic import data_for_loss
    from resnet_lemmas.proofs.losses import get_loss

    unit = f"{EXAMPLES / 'numpy_unit.py'}:diabetes_unit"
    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    print(f"{'loss':9s} {'n':>7s} {'total s':>8s} {'precond':>8s} {'F_lin':>7s} {'searches':>9s} "
          f"{'final':>7s} {'evals':>6s} {'ms/eval':>8s} {'ns/(row eval)':>13s}  verdict [statuses]")
    for loss_name in losses:
        for n in sizes:
            loss = get_loss(loss_name)
            X, y = data_for_loss(np.random.default_rng(seed), loss, n, 10)
            with PhaseTimer() as timer:
                started = time.perf_counter()
                report = verify(unit, X, y, loss_name, seed=seed, data_name=f"synthetic n={n}")
                total = time.perf_counter() - started
            phases = timer.seconds
            precond = total - sum(phases.values())
            evaluations = sum(s.points_checked + s.nonfinite_points for s in report.starts)
            per_eval = phases["searches"] / max(evaluations, 1)
            statuses = ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)
            print(f"{loss_name:9s} {n:>7d} {total:8.1f} {precond:8.2f} {phases['F_lin']:7.2f} "
                  f"{phases['searches']:9.1f} {phases['final checks']:7.2f} {evaluations:>6d} "
                  f"{1e3 * per_eval:8.2f} {1e9 * per_eval / n:13.0f}  {report.verdict} [{statuses}]",
                  flush=True)
    print("load average after:  %.2f %.2f %.2f" % os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--synthetic", nargs="+", type=parse_size, metavar="N",
                        help="synthetic-data sizes instead of the real data sets (e.g. 1e4 1e5)")
    parser.add_argument("--losses", nargs="+", default=["squared", "logistic"],
                        help="losses of the synthetic cases (default: squared logistic)")
    args = parser.parse_args()
    if args.synthetic:
        synthetic(args.synthetic, args.losses, args.seed)
        return
    for kind, unit, data_spec, loss, options in cases():
        data = load_dataset(data_spec)
        t0 = time.perf_counter()
        report = verify(f"{EXAMPLES / unit}", data.X, data.y, loss, seed=args.seed, data_name=data.name,
                        **options)
        seconds = time.perf_counter() - t0
        statuses = ", ".join(f"{v} {k}" for k, v in report.counts.items() if v)
        print(f"{kind:20s} {unit:38s} {data.name:14s} {seconds:6.1f} s  {report.verdict:12s} "
              f"[{statuses}]  nit {sum(s.nit for s in report.starts):5d}  "
              f"points {sum(s.points_checked for s in report.starts):5d}  "
              f"worst theorem margin {report.worst_theorem_margin:.3g}")


if __name__ == "__main__":
    main()
