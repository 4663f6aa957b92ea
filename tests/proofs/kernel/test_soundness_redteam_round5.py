"""The fifth red team's reproducers (tests/proofs/kernel/redteam_round5/): none may issue a theorem.

Each script builds a proof that the kernel accepted before the fixes (a false theorem; the script's
docstring gives the counterexample) and prints ``ISSUED: True`` if a theorem comes out.  A script may
also stop earlier with the kernel's refusal (``ProofFailed``/``KernelError``).
"""
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).parent / "redteam_round5"
RUNS = [(p.name, arg) for p in sorted(HERE.glob("[gh][0-9]*.py")) for arg in ("", "concrete")]


@pytest.mark.parametrize("script, arg", RUNS)
def test_the_reproducer_no_longer_issues_a_theorem(script, arg):
    run = subprocess.run([sys.executable, str(HERE / script)] + ([arg] if arg else []),
                         capture_output=True, text=True, timeout=300, cwd=HERE)
    out = run.stdout + run.stderr
    assert "ISSUED: True" not in out, out[-2000:]
    assert "ISSUED: False" in out or "ProofFailed" in out or "KernelError" in out, out[-2000:]
