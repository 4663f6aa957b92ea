"""Wall and CPU seconds of numeric witnesses at their default sizes (no proofs), one process.

Run: ``python benchmarks/witness_times.py [--seed 0] [--repeats 2] [NAME ...]`` (default: the witnesses and
experiments of issue 10 other than the main theorem's two).  Each witness is imported once, warmed up on
one instance (imports, lambdified losses), then run ``--repeats`` times; the *minimum* wall and CPU times
are printed with the total.  CPU time (``time.process_time``) is the figure to compare on a shared
machine: it does not count the time other processes hold the cores.  BLAS is limited to one thread inside
the witness harness, and none of these witnesses starts worker processes (``RESNET_LEMMAS_JOBS`` unset:
light witnesses run in one process).  Prints the load average before and after.
"""
from __future__ import annotations

import argparse
import os
import time

from resnet_lemmas import registry

NAMES = ("residual_gradients", "stationarity_consequences", "zero_w_case", "approximate_stationarity_bound",
         "bad_saddle_at_zero", "sgd_regret", "no_skip_bad_minimum", "vector_outputs",
         "vector_outputs_counterexample_search", "regularised_bad_minima", "multi_block_experiment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(NAMES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    total_wall = total_cpu = 0.0
    for name in args.names:
        registered = registry.get(name)
        registered.witness(seed=args.seed, instances=1)
        best_wall = best_cpu = float("inf")
        for _ in range(args.repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            report = registered.witness(seed=args.seed)
            best_wall = min(best_wall, time.perf_counter() - w0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        total_wall += best_wall
        total_cpu += best_cpu
        print(f"{name:38s} {report.status:12s} {report.instances:4d} inst  wall {best_wall:6.2f} s  "
              f"cpu {best_cpu:6.2f} s", flush=True)
    print(f"{'total':38s} {'':12s} {'':9s}  wall {total_wall:6.2f} s  cpu {total_cpu:6.2f} s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
