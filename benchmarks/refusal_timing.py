"""Wall time from starting ``resnet-lemmas`` to its refusal of a bad command line (the limit is one second).

Runs each refused command line of the table below as a user would (a new process, the installed
console script) ``--repeat`` times and prints, per case, the exit status, the median and the largest
wall time, and the one line on stderr.  Every case must exit 2 with one line; the script exits 1 if one
does not, or if a median exceeds ``LIMIT_SECONDS``.  Usage: ``python benchmarks/refusal_timing.py
[--repeat N]``.  Machine state matters (imports are read from disk): report the load with the figures.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_SECONDS = 1.0
VERIFY = ["verify", "--residual", "m:u", "--data", "d.npz", "--loss", "squared"]


def cases(folder: Path) -> list[tuple[str, list[str], dict]]:
    blocker = folder / "file.txt"
    blocker.write_text("x")
    return [
        ("check --seed -1", ["check", "--seed", "-1"], {}),
        ("check --output FOLDER", ["check", "--output", str(folder)], {}),
        ("check --output FILE/x.json", ["check", "--output", str(blocker / "x.json")], {}),
        ("check --only unknown", ["check", "--only", "unknown"], {}),
        ("RESNET_LEMMAS_JOBS=abc check", ["check"], {"RESNET_LEMMAS_JOBS": "abc"}),
        ("sgd --seed -1", ["sgd", "--seed", "-1"], {}),
        ("sgd --plot x.jpg", ["sgd", "--plot", str(folder / "x.jpg")], {}),
        ("verify --seed -3", VERIFY + ["--seed", "-3"], {}),
        ("verify --restarts 100000000", VERIFY + ["--restarts", "100000000"], {}),
        ("latex -o x.pdf", ["latex", "-o", str(folder / "x.pdf")], {}),
        ("latex --pdf (no -o)", ["latex", "--pdf"], {}),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    exe = shutil.which("resnet-lemmas") or str(Path(sys.executable).parent / "resnet-lemmas")
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, env in cases(Path(tmp)):
            times, result = [], None
            for _ in range(args.repeat):
                start = time.perf_counter()
                result = subprocess.run([exe, *argv], capture_output=True, text=True,
                                        env={**os.environ, **env}, stdin=subprocess.DEVNULL)
                times.append(time.perf_counter() - start)
            median = statistics.median(times)
            lines = result.stderr.strip().splitlines()
            ok = result.returncode == 2 and len(lines) == 1 and median <= LIMIT_SECONDS
            failed = failed or not ok
            print(f"{'ok ' if ok else 'BAD'} {name:32s} exit {result.returncode}  median {median:.2f} s  "
                  f"max {max(times):.2f} s  | {lines[0][:110] if lines else '(no message)'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
