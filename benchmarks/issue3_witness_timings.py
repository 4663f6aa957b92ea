"""Measure the default-size witnesses and proofs of issue 3 (quantitative bound, failure modes, extensions).

Run: ``python benchmarks/issue3_witness_timings.py [--seed 0]``.  Prints, per lemma, the seconds taken by
the symbolic proof and by the numeric witness at its default instance count (BLAS limited to one thread,
as in ``resnet-lemmas check``), and the total.  The issue's budget for these together is about 35 s
of the 90 s default check on the 2-core development machine.
"""
from __future__ import annotations

import argparse
import time

from resnet_lemmas import registry

NAMES = ("approximate_stationarity_bound", "bad_saddle_at_zero", "feature_benchmark_reached",
         "no_skip_bad_minimum", "vector_outputs", "vector_outputs_counterexample_search",
         "regularised_bad_minima", "multi_block_experiment")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    total = 0.0
    for name in NAMES:
        registered = registry.get(name)
        t0 = time.perf_counter()
        proof = registered.lemma.build().check() if registered.lemma.build is not None else None
        t1 = time.perf_counter()
        report = registered.witness(seed=args.seed)
        t2 = time.perf_counter()
        total += t2 - t0
        status = "n/a" if proof is None else proof.status
        print(f"{name:38s} proof {status:9s} {t1 - t0:6.2f} s   witness {report.status:9s} "
              f"{report.instances:4d} inst {t2 - t1:6.2f} s")
    print(f"{'total':38s} {total:6.2f} s")


if __name__ == "__main__":
    main()
