"""Deciding zero and sign: timeouts are clear failures, residuals are reported."""
import threading
import time

import pytest
import sympy as sp

from resnet_lemmas.proofs.kernel import (KernelError, SimplificationTimeout, prove_zero, run_with_timeout,
                                         sign_nonnegative)


def test_simplification_timeout_is_a_clear_failure_not_a_hang():
    x, y = sp.symbols("x y")
    huge = sp.expand((x + y + 1) ** 60) - (x + y + 1) ** 60
    with pytest.raises(SimplificationTimeout, match="did not finish"):
        prove_zero(huge + x, timeout=0.05, what="a huge identity")


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
