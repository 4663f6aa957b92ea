"""SymbolicLemma: the cached kernel report of a lemma's proof, and the theorem it yields."""
import dataclasses

import pytest

from resnet_lemmas.proofs.kernel import ProofFailed
from resnet_lemmas.proofs.lemma import SymbolicLemma, clear_theorem_cache
from resnet_lemmas.proofs.lemmas import local_minima_beat_linear, stationarity_consequences


@pytest.fixture(autouse=True)
def fresh_theorems():
    clear_theorem_cache()
    yield
    clear_theorem_cache()


def _without_stationarity_in_V():
    proof = stationarity_consequences.build()
    chain = proof.chains[0]
    just = chain.links[1].justification
    chain.links[1] = dataclasses.replace(chain.links[1],
                                         justification=dataclasses.replace(just, using=("w_nonzero",)))
    return proof


def test_a_lemma_with_the_same_name_but_another_proof_is_checked_on_its_own():
    """The cache is keyed by the lemma, not by its name: a rebuilt registry entry whose proof is broken
    must not inherit the verdict (and the theorem) of the lemma checked before it."""
    assert stationarity_consequences.LEMMA.check().ok
    impostor = dataclasses.replace(stationarity_consequences.LEMMA, build=_without_stationarity_in_V)
    report = impostor.check()
    assert not report.ok
    assert [(f.chain, f.index) for f in report.failures] == [("c_vanishes", 2), ("E_rx_vanishes", 2)]
    with pytest.raises(ProofFailed, match="chain 'c_vanishes' step 2"):
        impostor.theorem()
    assert stationarity_consequences.LEMMA.check().ok


def test_the_report_is_cached_until_the_cache_is_cleared():
    first = stationarity_consequences.LEMMA.check()
    assert stationarity_consequences.LEMMA.check() is first
    assert stationarity_consequences.LEMMA.theorem() is first.theorem
    clear_theorem_cache()
    assert stationarity_consequences.LEMMA.check() is not first


def test_a_proof_citing_lemmas_it_does_not_declare_is_refused():
    undeclared = dataclasses.replace(local_minima_beat_linear.LEMMA, cites=("zero_w_case",))
    with pytest.raises(ValueError, match=r"declares cites=\['zero_w_case'\] but its proof cites "
                                         r"\['stationarity_consequences', 'zero_w_case'\]"):
        undeclared.check()


def test_experiments_have_no_proof():
    experiment = SymbolicLemma("an_experiment", "title", "paper", None, kind="experiment",
                               description="a numeric search")
    with pytest.raises(ValueError, match="an_experiment is an experiment: it has no proof"):
        experiment.check()
    with pytest.raises(ValueError, match="experiments \\(and only they\\) have no proof"):
        SymbolicLemma("no_proof", "title", "paper", None, kind="lemma")
