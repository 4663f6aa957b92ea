import numpy as np

from resnet_lemmas.numerics.models import vector_outputs
from resnet_lemmas.numerics.witnesses import vector_outputs as wit
from resnet_lemmas.numerics.witnesses import vector_outputs_counterexample_search as search


def test_witness_verifies_on_a_small_run_and_searches_whatever_the_count():
    report = wit.witness(seed=1, instances=3)
    assert report.ok, report.failures
    assert report.details["random_points_checked"] == 3 and report.details["searches"] == 1


def test_instances_with_a_search_verify():
    checked = 0
    for seed in (0, 5, 11, 12):
        result = wit.one(seed, 0)
        assert result.ok, result.description
        checked += result.checked
        if result.checked:
            assert result.values["sigma_m"] > wit.SIGMA_MIN
            assert result.values["first_order_bound"] < 1e-4
    assert checked >= 2


def test_witness_rejects_a_slack_without_the_rank_factor(monkeypatch):
    """Dropping the 1 / sigma_m(W) term and the gradient terms leaves F <= F_feat + 0 at an unconverged
    point: the instance must fail (its claims are evaluated although it is unchecked)."""
    monkeypatch.setattr(wit, "vector_gap_bound", lambda *args: 0.0)
    monkeypatch.setattr(wit, "SEARCH_MAXITER", 5)   # far from stationary
    result = wit.one(5, 0)
    assert not result.checked and not result.ok


def test_a_search_stopped_early_is_inconclusive(monkeypatch):
    monkeypatch.setattr(wit, "SEARCH_MAXITER", 2)
    report = wit.witness(seed=1, instances=10)
    assert report.status == "inconclusive" and report.details["searches_checked"] == 0
    assert report.unchecked == report.details["searches"] == 2


def test_witness_rejects_a_wrong_first_order_identity(monkeypatch):
    real = vector_outputs.vector_first_order_gap
    monkeypatch.setattr(wit, "vector_first_order_gap", lambda g, W, V, A, B: real(g, W, V, A, -B))
    assert not wit.witness(seed=1, instances=2).ok


def test_witness_rejects_a_wrong_rank_identity(monkeypatch):
    real = vector_outputs.VectorResNetProblem.gradients

    def wrong_C(self, W, V, theta):
        g = real(self, W, V, theta)
        g.C = 1.001 * g.C   # C no longer equals (W W^T)^{-1} W grad_V F
        return g
    monkeypatch.setattr(vector_outputs.VectorResNetProblem, "gradients", wrong_C)
    assert not wit.witness(seed=1, instances=2).ok


def test_counterexample_search_completes_with_its_outcome():
    report = search.witness(seed=0, instances=2)
    assert report.status == "completed", report.failures
    assert report.details["runs"] == 2 * len(search.STARTS)
    assert report.outcome.startswith(("found", "not found")) and "stationary end points" in report.outcome
    assert isinstance(report.details["candidate_counterexamples"], list)


def test_counterexample_search_stopped_early_explores_nothing(monkeypatch):
    monkeypatch.setattr(search, "MAXITER", 2)
    monkeypatch.setattr(search, "SECOND_STAGE_MAXITER", 1)
    report = search.witness(seed=0, instances=2)
    assert report.status == "inconclusive" and report.outcome.startswith("no run ended stationary")


def test_counterexample_search_sanity_check_can_fail(monkeypatch):
    """The experiment's sanity check F >= F_feat must catch a benchmark that reports too small a value."""
    real = search.vector_benchmark

    def too_low(Z, Y, loss):
        out = real(Z, Y, loss)
        out.value += 1.0   # claims the infimum is 1 higher than it is: F < F_feat would follow
        return out
    monkeypatch.setattr(search, "vector_benchmark", too_low)
    assert not search.witness(seed=0, instances=1).ok


def test_fd_hessian_of_a_quadratic_is_exact(losses, rng):
    from resnet_lemmas.numerics.models.fixed_features import table_unit
    X, Y = vector_outputs.vector_targets(rng, rng.normal(size=(10, 1)), losses["squared"], 2)
    problem = vector_outputs.VectorResNetProblem(table_unit(X, np.zeros((10, 1))), X, Y, losses["squared"])
    # with f = 0 the objective is a convex quadratic in W: smallest eigenvalue >= 0 (V is flat: 0)
    flat = problem.pack(rng.normal(size=(2, 1)), rng.normal(size=(1, 1)), np.zeros(0))
    assert search.fd_hessian_min_eig(problem, flat) >= -1e-8
