"""Time the two witnesses that search for certified local minima (issue 10), as the default check runs
them, and print the counts they certify.

    python benchmarks/local_minima_timing.py [--instances 200] [--seed 0]

Prints, per witness: wall seconds with the default worker processes, CPU seconds of a one-process run
(comparable across machine loads), the status and the counts (runs, certified local minima, escaped,
unconverged, saddles), and the load average before and after, so a figure measured on a busy machine
says so.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from resnet_lemmas.numerics.witnesses import feature_benchmark_reached, local_minima_beat_linear

    print(f"load average before: {os.getloadavg()}")
    for module in (local_minima_beat_linear, feature_benchmark_reached):
        name = module.__name__.rsplit(".", 1)[-1]
        started = time.perf_counter()
        report = module.witness(seed=args.seed, instances=args.instances)
        wall = time.perf_counter() - started
        os.environ["RESNET_LEMMAS_JOBS"] = "1"
        cpu0 = time.process_time()
        module.witness(seed=args.seed, instances=args.instances)
        cpu = time.process_time() - cpu0
        del os.environ["RESNET_LEMMAS_JOBS"]
        keys = ("runs", "searches", "certified_local_minima", "escaped_to_infinity", "unconverged", "saddles")
        counts = {k: report.details[k] for k in keys if k in report.details}
        print(f"{name}: {report.status}, worst margin {report.worst_margin:.3g}, checked "
              f"{report.checked}/{report.instances} (needs {report.minimum_checked}); wall {wall:.1f} s "
              f"(default jobs), CPU {cpu:.1f} s (one process); {counts}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
