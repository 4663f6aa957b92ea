import numpy as np

from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses import feature_benchmark_reached as wit


def test_witness_verifies_on_a_small_run():
    report = wit.witness(seed=2, instances=3)
    assert report.ok, report.failures
    assert report.details["random_points_checked"] + \
        report.details["points_without_certified_F_feat_lower_bound"] == 3


def test_instances_with_a_search_reach_the_feature_benchmark():
    for seed in (0, wit.SEARCH_EVERY, 7 * wit.SEARCH_EVERY):   # seeds that run the L-BFGS search
        result = wit.one(seed)
        assert result.ok, result.description
        assert "beat_F_lin_by" in result.values


def test_search_check_rejects_an_end_point_that_is_not_a_local_minimum(monkeypatch):
    """With the gradient slack dropped and a one-iteration 'search', the end point lies above F_feat:
    the check F <= F_feat + slack must fail."""
    import resnet_lemmas.numerics.certificates.main_theorem as mt
    monkeypatch.setattr(mt, "gap_bound", lambda *args: 0.0)
    monkeypatch.setattr(wit, "MAXITER", 1)
    assert not wit.one(wit.SEARCH_EVERY).ok


def test_never_below_check_rejects_a_value_below_the_feature_benchmark():
    """F - F_feat is >= 0 at every point; an objective shifted below F_feat must be caught."""
    problem = sample_instance(4).problem
    rng = np.random.default_rng(4)
    w, V, theta = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k)), problem.unit.init(rng)
    assert wit.never_below_slack(problem, w, V, theta) >= 0

    class Shifted(type(problem)):
        def objective(self, w, V, theta):
            return -1.0   # below every loss value: impossible for a genuine F
    shifted = Shifted(problem.unit, problem.X, problem.y, problem.loss)
    assert wit.never_below_slack(shifted, w, V, theta) < 0
