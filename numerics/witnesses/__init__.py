"""Numeric witnesses, one module per lemma (``numerics/witnesses/<lemma name>.py``).

Each module defines ``witness(seed: int, instances: int | None = None, progress=None) ->
WitnessReport`` and ``DEFAULT_INSTANCES``.  A witness samples (network, loss, data, point) instances
from ``seed`` and evaluates, on each, the relations of its lemma's statement as
:class:`~.harness.Claim` s between named quantities (``F``, ``F_lin``, ``c``, ``E_rx``, ``grad_w``, ...),
each with its named allowances (certified error bounds only); the harness (:mod:`.harness`) turns them
into margins (``>= 0``: the relation held).  Quantities are obtained independently of the code under
test where it matters (``_common``: definitions evaluated from the data, gradients extrapolated from
``F``; Arb enclosures where one float comparison would decide).  An instance where nothing could be
certified is *unchecked*; experiments *complete* with an outcome sentence and never verify.  The
registry pairs each witness with the proof of the same name.
"""
