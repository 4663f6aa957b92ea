"""Run the numeric hot loops with single-threaded BLAS.

The arrays here are tiny (tens of rows, a handful of columns), and a multithreaded OpenBLAS (the
default for NumPy's and SciPy's wheels) loses far more to thread hand-offs than it gains -- and
catastrophically on a shared, busy machine: measured on the 2-core project machine, one L-BFGS-B
iteration of :mod:`.search` took 2-3.5 ms of CPU with two BLAS threads and 0.28 ms with one (same
4114 iterations, same results).  :func:`single_threaded_blas` limits every loaded BLAS to one thread
for the duration of a call, through ``threadpoolctl`` (a dependency).  The controller is built once
(about 5 ms) and each limit costs about 20 microseconds.
"""
from __future__ import annotations

import functools

_CONTROLLER = None


def single_threaded_blas():
    """Context manager: every loaded BLAS limited to one thread inside."""
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def blas_single_threaded(func):
    """Decorator form of :func:`single_threaded_blas`."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_threaded_blas():
            return func(*args, **kwargs)
    return wrapper
