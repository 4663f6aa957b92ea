"""Helpers for the kernel's tests: small proofs checked in small contexts."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.expressions import residual_context
from resnet_lemmas.proofs.kernel import Proof, check


def small_contexts():
    """Two quick contexts: (d, k, n) = (2, 2, 2) and (2, 3, 4) (n >= 3, sizes pairwise different)."""
    return [residual_context(2, 2, 2)[0], residual_context(2, 3, 4)[0]]


def run(steps, hypotheses=(), contexts=None, conclusion=None, assumes=None):
    """Check ``steps``; with no declared conclusion, the last chain's conclusion is the statement."""
    steps = list(steps)
    if conclusion is None:
        last = [s for s in steps if hasattr(s, "links")][-1]
        rel = {"=": sp.Eq, "<=": sp.Le, ">=": sp.Ge}[last.relation]
        conclusion = (rel(last.start, last.end, evaluate=False),)
    proof = Proof("test", list(hypotheses), steps, contexts or small_contexts(), conclusion=conclusion,
                  assumes=assumes)
    return check(proof)


def refused(report) -> str:
    """The first failure's message (asserting there is one and that no theorem was issued)."""
    assert report.theorem is None, "a theorem was issued for a false derivation"
    assert report.failures, "refused without saying why"
    return report.failures[0].message


@pytest.fixture
def small():
    return small_contexts()


def symbolic_contexts(extra=(), pairs=()):
    """The residual model at symbolic sizes only (so a case attacks the symbolic-size rules alone)."""
    from resnet_lemmas.proofs.indexed.model import symbolic_context
    return [symbolic_context(extra=extra, pairs=pairs)]


def sym_run(steps, hypotheses=(), conclusion=None, assumes=None, contexts=None):
    """:func:`run` in the symbolic context only."""
    return run(steps, hypotheses, contexts or symbolic_contexts(), conclusion, assumes)


def only_symbolic(proof):
    """``proof`` checked in its symbolic context alone."""
    proof.contexts = [ctx for ctx in proof.contexts if ctx.symbolic]
    assert proof.contexts, "the proof has no symbolic context"
    return proof
