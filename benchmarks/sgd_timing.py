"""Timing of ``resnet-lemmas sgd`` (target: the default run finishes in under 2 minutes on 2 cores).

Runs the default campaign (or the one given by the options) once through the CLI entry point, and
reports wall-clock and CPU seconds, the per-horizon timings the campaign records, SGD microseconds per
step (all runs advance together, so this is the cost of one vectorised step), and the load average
before and after (other processes on a shared machine inflate wall time, not CPU time).

    python benchmarks/sgd_timing.py                 # the default: 10^2..10^5 steps, 20 seeds, plot
    python benchmarks/sgd_timing.py --steps 100 1000 --seeds 5
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", nargs="+", default=["100", "1000", "10000", "100000"])
    parser.add_argument("--seeds", default="20")
    parser.add_argument("--contrast-steps", default="10000")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)

    from resnet_lemmas.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "sgd.json"
        cmd = ["sgd", "--steps", *args.steps, "--seeds", args.seeds, "--contrast-steps",
               args.contrast_steps, "--no-progress", "--output", str(report)]
        shown = cmd[:-1] + ["FILE.json"]
        if not args.no_plot:
            cmd += ["--plot", str(Path(tmp) / "sgd.png")]
            shown += ["--plot", "FILE.png"]
        load_before = os.getloadavg()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        status = cli(cmd)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        payload = json.loads(report.read_text())
    steps = sum(int(s) for s in args.steps)
    sgd_seconds = sum(v for k, v in payload["timings"].items() if k != "contrast")
    result = {
        "command": "resnet-lemmas " + " ".join(shown),
        "exit_status": status, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "campaign_seconds": payload["seconds"], "timings": payload["timings"],
        "runs_per_pass": len(payload["setup"]["architectures"]) * int(args.seeds),
        "microseconds_per_vectorised_step": round(1e6 * sgd_seconds / steps, 1),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
