"""Pieces shared by the subcommands (not a subcommand itself: it defines no ``run``)."""
from __future__ import annotations

import sys


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise ValueError
    return value


positive_int.__name__ = "positive integer"  # argparse names the type in its error message


def progress_factory(enabled: bool = True):
    """``factory(name, total) -> update(done, total)`` drawing a tqdm bar on stderr, or ``None``."""
    if not enabled:
        return None
    from tqdm import tqdm

    def factory(name, total):
        bar = tqdm(total=total, desc=name[:30], unit="inst", leave=False, file=sys.stderr)

        def update(done, total_):
            bar.update(done - bar.n)  # tqdm redraws at most every 0.1 s (not once per instance)

        update.close = bar.close
        return update

    return factory
