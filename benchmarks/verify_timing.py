"""Wall time of ``resnet-lemmas verify`` with its defaults (3 restarts, maxiter 1500) on the real data sets.

Runs the example units of ``examples/`` on ``builtin:diabetes`` (squared loss) and
``builtin:breast_cancer`` (logistic loss), NumPy and -- when installed -- PyTorch, plus the NumPy unit
without a vjp (numeric theta-derivatives) at ``maxiter = 300``, and prints one line per case: seconds,
verdict, start statuses, L-BFGS iterations and points checked.  Needs the extra ``real-data``
(scikit-learn).  Usage: ``python benchmarks/verify_timing.py [--seed S]``.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from resnet_lemmas.numerics.data.datasets import load_dataset
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
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
