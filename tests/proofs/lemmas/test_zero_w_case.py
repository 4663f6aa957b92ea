import dataclasses

from resnet_lemmas.proofs.expressions import c, inner
from resnet_lemmas.proofs.lemmas.zero_w_case import E_l2_uphi, LEMMA, s, u_dir


def test_zero_w_case_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_wrong_constant_in_the_second_derivative_is_rejected(replace_link, failed_steps):
    wrong = E_l2_uphi - s * inner(u_dir, u_dir) * inner(c, c)  # the factor 2 dropped
    proof = replace_link(LEMMA.build(), "second_order_direction", 1, expr=wrong)
    assert failed_steps(proof.check()) == [("second_order_direction", 1)]


def test_dividing_by_the_step_t_needs_t_nonzero(replace_link):
    proof = LEMMA.build()
    chain = [ch for ch in proof.chains if ch.name == "norm_c_vanishes"][0]
    just = chain.links[0].justification
    proof = replace_link(proof, "norm_c_vanishes", 1,
                         justification=dataclasses.replace(just, using=("w_zero",)))
    assert "division by t" in proof.check().failures[0].message


def test_flatness_on_w_zero_fails_without_the_w_zero_hypothesis(replace_link, failed_steps):
    proof = LEMMA.build()
    just = proof.chains[0].links[0].justification
    proof = replace_link(proof, "F_constant_on_w_zero", 1,
                         justification=dataclasses.replace(just, using=()))
    assert ("F_constant_on_w_zero", 1) in failed_steps(proof.check())
