import dataclasses

from resnet_lemmas.proofs.expressions import E_rx, V, c, grad_V, w
from resnet_lemmas.proofs.lemmas.residual_gradients import LEMMA


def test_residual_gradients_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_wrong_sign_in_grad_V_is_rejected(replace_link, failed_steps):
    proof = replace_link(LEMMA.build(), "gradient_in_V", 1, expr=-w * c.T)
    assert failed_steps(proof.check()) == [("gradient_in_V", 1)]


def test_missing_V_c_term_in_grad_w_is_rejected(replace_link, failed_steps):
    proof = replace_link(LEMMA.build(), "gradient_in_w", 1, expr=E_rx)
    assert failed_steps(proof.check()) == [("gradient_in_w", 1)]


def test_recovering_c_without_w_nonzero_is_rejected(replace_link):
    proof = LEMMA.build()
    link = [ch for ch in proof.chains if ch.name == "c_from_grad_V"][0].links[0]
    proof = replace_link(proof, "c_from_grad_V", 1,
                         justification=dataclasses.replace(link.justification, using=()))
    report = proof.check()
    assert "declares nonzero" in report.failures[0].message


def test_transposed_rank_one_gradient_is_rejected(replace_link, failed_steps):
    # grad_V = w c^T, not (V c) c^T: a plausible but wrong rank-one matrix
    proof = replace_link(LEMMA.build(), "gradient_in_V", 1, expr=(V * c) * c.T)
    assert failed_steps(proof.check()) == [("gradient_in_V", 1)]
