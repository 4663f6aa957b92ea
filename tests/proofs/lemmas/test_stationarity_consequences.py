import dataclasses

from resnet_lemmas.proofs.lemmas.stationarity_consequences import LEMMA


def test_stationarity_consequences_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_concluding_c_is_zero_without_stationarity_in_V_is_rejected(replace_link, failed_steps):
    proof = LEMMA.build()
    link = proof.chains[0].links[1]
    proof = replace_link(proof, "c_vanishes", 2,
                         justification=dataclasses.replace(link.justification, using=()))
    report = proof.check()
    assert ("c_vanishes", 2) in failed_steps(report)
    # and the later chain, which relies on the fact c = 0, cannot use it any more
    assert any("unknown hypothesis 'c_vanishes'" in f.message for f in report.failures)
