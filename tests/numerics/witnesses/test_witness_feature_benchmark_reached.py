"""feature_benchmark_reached: F >= F_feat at random points, F = F_feat at certified local minima of a
fixed share of the instances (chosen by index, so every --instances value searches)."""
import numpy as np
import pytest

from resnet_lemmas.numerics.certificates import local_minimum
from resnet_lemmas.numerics.witnesses import feature_benchmark_reached as wit
from resnet_lemmas.numerics.witnesses.harness import instance_seeds
from resnet_lemmas.numerics.witnesses.local_minima_beat_linear import sample_minimum_instance


def test_witness_verifies_and_searches_at_small_instance_counts():
    report = wit.witness(seed=2, instances=3)
    assert report.status == "verified", report.failures
    d = report.details
    assert d["searches"] == 1            # index 0 searches, whatever the seed
    assert d["random_points_checked"] + d["random_points_without_certified_F_feat"] == 3
    assert d["certified_local_minima"] + d["escaped_to_infinity"] + d["unconverged"] + d["saddles"] == 1


@pytest.mark.parametrize("instances", [1, 5, 30])
def test_a_fixed_share_is_searched_by_index(instances, monkeypatch):
    """Whatever the instance count, the instances at indices 0, SEARCH_EVERY, ... search (the old
    witness searched only when seed % k == 0, i.e. never for most small runs)."""
    searched = []
    monkeypatch.setattr(wit, "one", lambda seed, search=True: searched.append(search) or
                        wit.InstanceResult(seed, margin=0.0))
    seeds = instance_seeds(0, instances)
    for s in seeds:
        wit._one_planned(s, frozenset(seeds[::wit.SEARCH_EVERY]))
    assert searched == [i % wit.SEARCH_EVERY == 0 for i in range(instances)]
    assert wit.minimum_checked(instances) <= instances


def test_certified_minima_attain_the_feature_benchmark():
    found = 0
    for seed in instance_seeds(5, 8):
        result = wit.one(seed, search=True)
        assert result.ok, result.description
        if "F_minus_F_feat" in result.values:
            found += 1
            assert abs(result.values["F_minus_F_feat"]) <= 1e-11
            labels = {c.label for c in result.claims}
            assert "F = F_feat [minimum]" in labels
    assert found >= 3


def test_stopped_search_leaves_the_searched_instances_unchecked(monkeypatch):
    monkeypatch.setattr(wit, "MAXITER", 2)
    report = wit.witness(seed=2, instances=8)
    assert report.details["certified_local_minima"] == 0
    assert report.status == "inconclusive"


def test_never_below_check_rejects_a_value_below_the_feature_benchmark():
    """F - F_feat >= 0 at every point; an objective shifted below F_feat must be caught."""
    problem = sample_minimum_instance(4).problem
    rng = np.random.default_rng(4)
    w, V, theta = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k)), problem.unit.init(rng)
    assert all(c.margin >= 0 for c in wit.never_below_claims(problem, w, V, theta))

    class Shifted(type(problem)):
        def objective(self, w, V, theta):
            return -1.0   # below every loss value: impossible for a genuine F

    shifted = Shifted(problem.unit, problem.X, problem.y, problem.loss)
    claims = wit.never_below_claims(shifted, w, V, theta)
    assert any(c.margin < 0 and c.label.startswith("F >= F_feat") for c in claims)


def test_loosened_tolerance_changes_what_is_certified(monkeypatch):
    """A stationarity tolerance 1e6 times too loose lets the search stop early: the certified points
    are then further from stationarity, which the report shows."""
    honest = wit.witness(seed=5, instances=16)
    monkeypatch.setattr(local_minimum, "STATIONARITY_RTOL", local_minimum.STATIONARITY_RTOL * 1e6)
    loose = wit.witness(seed=5, instances=16)
    assert loose.details["stationarity_rtol"] == 1e6 * honest.details["stationarity_rtol"]
    assert (loose.details["largest_relative_gradient_at_certified"]
            != honest.details["largest_relative_gradient_at_certified"])
