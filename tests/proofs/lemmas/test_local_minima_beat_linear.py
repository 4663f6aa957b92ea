import dataclasses

from resnet_lemmas.proofs.atoms import Square
from resnet_lemmas.proofs.expressions import F
from resnet_lemmas.proofs.kernel import Certificate
from resnet_lemmas.proofs.lemmas.local_minima_beat_linear import LEMMA


def test_main_theorem_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_first_order_step_without_stationarity_in_w_is_rejected(replace_link, failed_steps):
    proof = LEMMA.build()
    just = proof.chains[0].links[0].justification
    proof = replace_link(proof, "below_every_comparator", 1,
                         justification=dataclasses.replace(just, using=("stationarity_consequences",)))
    report = proof.check()
    assert ("below_every_comparator", 1) in failed_steps(report)
    # the infimum step then has no verified chain to stand on
    assert ("feature_and_linear_benchmarks", 1) in failed_steps(report)


def test_convexity_step_with_a_wrong_atom_is_rejected(replace_link, failed_steps):
    proof = replace_link(LEMMA.build(), "below_every_comparator", 3,
                         justification=Certificate((Square(F),), "wrong atom"))
    assert ("below_every_comparator", 3) in failed_steps(proof.check())


def test_main_theorem_without_the_convexity_hypothesis_is_rejected():
    proof = LEMMA.build()
    proof.hypotheses = [h for h in proof.hypotheses if not h.convex_loss]
    report = proof.check()
    assert any("convex_loss" in f.message for f in report.failures)
