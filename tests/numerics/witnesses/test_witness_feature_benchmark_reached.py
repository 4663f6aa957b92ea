import numpy as np

from resnet_lemmas.numerics.instances import sample_instance
from resnet_lemmas.numerics.witnesses import feature_benchmark_reached as wit


def test_witness_verifies_on_a_small_run():
    report = wit.witness(seed=2, instances=2)
    assert report.ok, report.failures
    assert report.details["local_minimum_runs"] == 2


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
