"""The witness harness: claims become margins here, unchecked instances never pass, experiments
never verify."""
import math

import pytest

from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness


def test_claim_margins_follow_the_relation_and_its_allowance():
    assert Claim("a <= b", 1.0, "<=", 3.0).margin == 2.0
    assert Claim("a >= b", 1.0, ">=", 3.0).margin == -2.0
    assert Claim("a = b", 1.0, "=", 1.5, {"rounding": 1.0}).margin == 0.5
    assert Claim("a <= b", 3.0, "<=", 1.0, {"solver": 1.0}).margin == -1.0


def test_a_claim_refuses_a_negative_or_infinite_allowance_and_an_unknown_relation():
    with pytest.raises(ValueError, match="allowance 'rounding'"):
        Claim("x", 0.0, "<=", 1.0, {"rounding": -1e-3})
    with pytest.raises(ValueError, match="allowance 'solver'"):
        Claim("x", 0.0, "<=", 1.0, {"solver": math.inf})
    with pytest.raises(ValueError, match="relation"):
        Claim("x", 0.0, "<", 1.0)


def test_a_nan_side_fails_the_claim():
    assert Claim("x", math.nan, "<=", 1.0).margin == -math.inf


def test_instance_margin_is_the_smallest_claim_margin():
    result = InstanceResult(1, claims=[Claim("a", 0.0, "<=", 1.0), Claim("b", 0.0, "<=", 0.25)])
    assert result.margin == 0.25 and result.ok


def _unchecked(seed):
    return InstanceResult(seed, checked=False, description="nothing certified")


def _passing(seed):
    return InstanceResult(seed, claims=[Claim("0 <= 1", 0.0, "<=", 1.0)])


def _failing(seed):
    return InstanceResult(seed, claims=[Claim("1 <= 0", 1.0, "<=", 0.0)])


def test_a_witness_with_only_unchecked_instances_is_inconclusive_never_verified():
    report = run_witness("t", 0, 3, "none", _unchecked, n_jobs=1)
    assert report.status == "inconclusive" and not report.ok and report.unchecked == 3


def test_a_witness_below_its_minimum_of_checked_instances_is_inconclusive():
    report = run_witness("t", 0, 3, "none", _passing, n_jobs=1, minimum_checked=5)
    assert report.status == "inconclusive" and not report.ok
    assert run_witness("t", 0, 5, "none", _passing, n_jobs=1, minimum_checked=5).status == "verified"


def test_an_experiment_completes_and_says_what_it_found_but_never_verifies():
    report = run_witness("t", 0, 2, "none", _passing, n_jobs=1, kind="experiment",
                         outcome=lambda results: f"found 0 of {len(results)}")
    assert report.status == "completed" and report.ok and report.outcome == "found 0 of 2"
    assert report.to_json()["status"] == "completed"


def test_an_experiment_whose_sanity_claim_fails_is_failed():
    report = run_witness("t", 0, 2, "none", _failing, n_jobs=1, kind="experiment")
    assert report.status == "failed" and not report.ok and report.failures[0]["claims"]


def _index_recorder(seed, index):
    return InstanceResult(seed, claims=[Claim("index >= 0", float(index), ">=", 0.0)], values={"index": index})


def test_an_indexed_witness_receives_each_instance_position():
    report = run_witness("t", 0, 4, "none", _index_recorder, n_jobs=1, indexed=True,
                         details=lambda rs: {"indices": [r.values["index"] for r in rs]})
    assert report.details["indices"] == [0, 1, 2, 3]


def test_a_fixed_share_by_index_selects_the_first_instance_whatever_the_count():
    from resnet_lemmas.numerics.witnesses.harness import selected_by_index, selected_count

    for instances in (1, 3, 30, 31):
        chosen = [i for i in range(instances) if selected_by_index(i, 10)]
        assert chosen and chosen[0] == 0 and len(chosen) == selected_count(instances, 10)
    with pytest.raises(ValueError, match="every"):
        selected_by_index(0, 0)


def _unchecked_with_sanity(seed):
    return InstanceResult(seed, checked=False, claims=[Claim("F >= F_feat", 1.0, ">=", 0.5)])


def _unchecked_with_violated_sanity(seed):
    return InstanceResult(seed, checked=False, claims=[Claim("F >= F_feat", 0.0, ">=", 0.5)])


def test_sanity_claims_of_unchecked_instances_count_and_can_fail():
    fine = run_witness("t", 0, 2, "none", _unchecked_with_sanity, n_jobs=1, kind="experiment")
    assert fine.status == "inconclusive" and fine.unchecked == 2 and fine.worst_margin == 0.5
    broken = run_witness("t", 0, 2, "none", _unchecked_with_violated_sanity, n_jobs=1, kind="experiment")
    assert broken.status == "failed" and broken.failures[0]["claims"][0]["label"] == "F >= F_feat"
