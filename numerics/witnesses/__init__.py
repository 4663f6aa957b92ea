"""Numeric witnesses, one module per lemma (``numerics/witnesses/<lemma name>.py``).

Each module defines ``witness(seed: int, instances: int | None = None, progress=None) ->
WitnessReport`` and ``DEFAULT_INSTANCES``.  A witness samples (network, loss, data, point) instances
from ``seed`` and evaluates, on each, the relations of its lemma's own conclusion (``LEMMA.conclusion``,
the formal statement the kernel establishes), compiled once per process by the bridge
(:mod:`._statement`, :mod:`resnet_lemmas.bridge`): the witness computes the values of the named
quantities (``F``, ``F_lin``, ``c``, ``E_rx``, ``grad_w``, ...), the bridge both sides of each relation, and
the result is a :class:`~.harness.Claim` labelled with the relation as printed, with the witness's named
allowances (certified error bounds only); the harness (:mod:`.harness`) turns them into margins (``>=
0``: the relation held).  A wrong formula in a lemma module therefore fails numerically as well.  Claims
that are not relations of the conclusion (steps of the proof, hypotheses, certificates, rounding
checks, witness-only thresholds "unchecked by the kernel") say so in their labels.  Quantities are
obtained independently of the code under test where it matters (``_common``: definitions evaluated from
the data, gradients extrapolated from ``F``; Arb enclosures where one float comparison would decide).  An
instance where nothing could be certified is *unchecked*; experiments *complete* with an outcome sentence
and never verify.  The registry pairs each witness with the proof of the same name.
"""
