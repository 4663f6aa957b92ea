"""Running SymPy under a timeout (not trusted: it can only turn a check into a failure).

In the main thread ``SIGALRM`` really interrupts the computation; elsewhere the computation runs in a
daemon thread and the caller stops waiting after ``seconds`` (the thread is abandoned).  Either way a
timeout raises :class:`~.errors.SimplificationTimeout`, i.e. the step is reported as not verified.
"""
from __future__ import annotations

import signal
import threading
from typing import Callable

from .errors import SimplificationTimeout

DEFAULT_TIMEOUT = 30.0


def run_with_timeout(fn: Callable, seconds: float | None, what: str):
    """Run ``fn()``; raise :class:`SimplificationTimeout` naming ``what`` if it takes > ``seconds``."""
    if seconds is None or seconds <= 0:
        return fn()
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGALRM") \
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
        fired = []

        def _alarm(signum, frame):
            fired.append(True)
            raise SimplificationTimeout(f"SymPy did not finish {what} within {seconds:g} s")

        previous = signal.signal(signal.SIGALRM, _alarm)
        # the alarm repeats every 10 ms after the first: SymPy catches Exception in places, and a
        # timeout swallowed there would let the computation run on; it is raised again until it escapes
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.01)
        try:
            value = fn()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        if fired:       # swallowed every time, yet the budget was spent: still a timeout
            raise SimplificationTimeout(f"SymPy did not finish {what} within {seconds:g} s")
        return value
    box: dict = {}

    def _target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=_target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise SimplificationTimeout(f"SymPy did not finish {what} within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
