from resnet_lemmas.proofs.atoms_extra import InfimumGap
from resnet_lemmas.proofs.expressions import F, F_feat, V, a, b, w
from resnet_lemmas.proofs.kernel import Certificate
from resnet_lemmas.proofs.lemmas.feature_benchmark_reached import LEMMA


def test_feature_benchmark_proof_verifies():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def _never_below_with(point):
    proof = LEMMA.build()
    proof.chains = [ch for ch in proof.chains if ch.name == "never_below_feature_benchmark"]
    proof.chains[0].links[0] = type(proof.chains[0].links[0])(
        ">=", F_feat, Certificate((InfimumGap(F, F_feat, point),), "wrong comparator"))
    return proof.check()


def test_a_comparator_that_is_not_the_residual_prediction_is_rejected():
    report = _never_below_with(((a, w), (b, 2 * V.T * w)))
    assert not report.ok
    assert "is the objective of F_feat at the point" in report.failures[0].message


def test_a_comparator_missing_a_variable_is_rejected():
    report = _never_below_with(((a, w),))
    assert not report.ok
    assert "gives no value to ['b']" in report.failures[0].message


def test_reaching_the_benchmark_without_stationarity_is_rejected():
    proof = LEMMA.build()
    proof.hypotheses = [h for h in proof.hypotheses if h.name != "stationarity_consequences"]
    report = proof.check()
    assert any("stationarity_consequences" in f.message for f in report.failures)
    assert "reaches_feature_benchmark" in {f.chain for f in report.failures}
