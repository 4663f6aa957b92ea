"""Fixtures of the witness tests: a lemma whose conclusion is replaced by a wrong relation (the witness
evaluates the lemma's own conclusion through the bridge, so it must then fail numerically)."""
import importlib

import pytest

from resnet_lemmas.numerics.witnesses._statement import LEMMAS_PACKAGE, clear_compiled
from resnet_lemmas.proofs.lemma import clear_theorem_cache


@pytest.fixture
def wrong_conclusion(monkeypatch):
    """``wrong_conclusion(lemma_name, index, relation)``: ``LEMMA.conclusion`` of
    ``proofs/lemmas/<lemma_name>.py`` with relation ``index`` replaced by ``relation``.

    The frozen ``LEMMA`` is patched in place (its ``__dict__``, as ``tests/proofs/lemmas/conftest.py``'s
    ``break_lemma`` does), so every reader -- the witness, the registry -- sees the wrong relation; the
    compiled conclusions and the theorem cache are cleared before and after, and the lemma is restored
    after the test."""
    def apply(name: str, index: int, relation):
        lemma = importlib.import_module(f"{LEMMAS_PACKAGE}.{name}").LEMMA
        conclusion = list(lemma.conclusion)
        conclusion[index] = relation
        monkeypatch.setitem(vars(lemma), "conclusion", tuple(conclusion))
        clear_compiled()
        clear_theorem_cache()
        return lemma

    yield apply
    clear_compiled()
    clear_theorem_cache()


def failing_labels(report) -> set:
    """The labels of the failing claims of a witness report."""
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


@pytest.fixture
def failing():
    return failing_labels
