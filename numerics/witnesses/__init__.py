"""Numeric witnesses, one module per lemma (``numerics/witnesses/<lemma name>.py``).

Each module defines ``witness(seed: int, instances: int | None = None, progress=None) ->
WitnessReport`` and ``DEFAULT_INSTANCES``.  A witness samples (network, loss, data, point) instances
from ``seed``, evaluates the lemma's claim on each, and returns the margins (``>= 0``: the claimed
relation held with that slack, after the stated tolerance).  The registry pairs it with the proof of
the same name.
"""
