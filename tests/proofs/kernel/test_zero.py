"""Deciding zero and sign: timeouts are clear failures, residuals are reported."""
import threading
import time

import pytest
import sympy as sp

from resnet_lemmas.proofs.kernel import (KernelError, SimplificationTimeout, prove_zero, run_with_timeout,
                                         sign_nonnegative)


def test_simplification_timeout_is_a_clear_failure_not_a_hang():
    # fresh symbols, so that no expansion is in SymPy's cache from an earlier test (with one, the work
    # left could finish within the timeout on a warm process); 5 ms is far below the ~0.5 s it takes
    x, y = sp.Dummy("x"), sp.Dummy("y")
    huge = sp.expand((x + y + 1) ** 60) - (x + y + 1) ** 60
    sp.core.cache.clear_cache()
    with pytest.raises(SimplificationTimeout, match="did not finish"):
        prove_zero(huge + x, timeout=0.005, what="a huge identity")


def test_timeout_also_works_outside_the_main_thread():
    box = {}

    def worker():
        try:
            run_with_timeout(lambda: time.sleep(2), 0.1, "sleeping")
        except SimplificationTimeout as exc:
            box["error"] = str(exc)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert "sleeping" in box["error"]


def test_prove_zero_reports_the_nonvanishing_component():
    with pytest.raises(KernelError, match="component 1"):
        prove_zero(sp.Matrix([0, sp.Symbol("x")]), timeout=5, what="vector")


def test_sign_rules_see_only_the_positivity_they_are_given():
    b = sp.Symbol("b", real=True)
    assert sign_nonnegative(b) is None
    assert sign_nonnegative(b, positive=(b,)) is not None
    assert sign_nonnegative(b ** 2 + 1) is not None


def test_a_timeout_swallowed_by_the_computation_is_still_a_timeout():
    """SymPy catches Exception in places: an alarm raised inside such a block must not let the step pass
    (it repeats until it escapes, and a computation that swallowed it is still reported as timed out)."""
    def swallowing():
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            try:
                sum(range(10_000))
            except SimplificationTimeout:
                pass        # swallowed, like a broad except in SymPy
        return 0

    with pytest.raises(SimplificationTimeout, match="did not finish"):
        run_with_timeout(swallowing, 0.02, "a swallowing computation")
