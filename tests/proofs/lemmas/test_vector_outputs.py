import dataclasses

import sympy as sp

from resnet_lemmas.proofs.lemmas.vector_outputs import C, LEMMA, V, W, grad_V_vec


def _only(*names):
    proof = LEMMA.build()
    proof.chains = [ch for ch in proof.chains if ch.name in names]
    return proof


def test_vector_outputs_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_recovering_C_without_the_rank_condition_is_rejected(replace_link):
    proof = _only("C_vanishes")
    just = proof.chains[0].links[0].justification
    proof = replace_link(proof, "C_vanishes", 1, justification=dataclasses.replace(just, using=()))
    failure = proof.check().failures[0]
    assert (failure.chain, failure.index) == ("C_vanishes", 1)
    assert "division by" in failure.message and "declares nonzero" in failure.message


def test_grad_V_with_W_instead_of_W_transpose_is_rejected(replace_link, failed_steps):
    proof = replace_link(_only("gradient_in_V"), "gradient_in_V", 1, expr=(W.T * C) * 2)
    assert failed_steps(proof.check()) == [("gradient_in_V", 1)]


def test_grad_W_without_the_residual_term_is_rejected(replace_link, failed_steps):
    from resnet_lemmas.proofs.lemmas.vector_outputs import E_rxT
    proof = replace_link(_only("gradient_in_W"), "gradient_in_W", 1, expr=E_rxT)
    assert failed_steps(proof.check()) == [("gradient_in_W", 1)]


def test_theorem_without_stationarity_in_V_is_rejected():
    proof = LEMMA.build()
    proof.hypotheses = [h for h in proof.hypotheses if h.name != "stationary_V_vec"]
    report = proof.check()
    assert ("C_vanishes", 2) in [(f.chain, f.index) for f in report.failures]
    assert "benchmarks" in {f.chain for f in report.failures}
