"""Witness of theorem sgd_regret: verified on sampled SGD trajectories, replayable by seed, and
failing (with the failing seeds listed) when the bound is shrunk."""
from resnet_lemmas import registry
from resnet_lemmas.numerics.witnesses import sgd_regret


def test_witness_is_registered_with_the_theorem():
    registered = registry.get("sgd_regret")
    assert registered.witness_module is sgd_regret
    assert registered.default_instances >= 200


def test_witness_verifies_sampled_trajectories():
    report = sgd_regret.witness(seed=3, instances=40)
    assert report.ok, report.failures
    assert report.instances == 40 and report.worst_margin >= 0
    assert 0 < report.details["max_regret_over_bound"] <= 1


def test_an_instance_replays_from_its_seed():
    first = sgd_regret.one(123456)
    again = sgd_regret.one(123456)
    assert first.margin == again.margin and first.description == again.description
    assert first.ok


def test_shrunk_bound_fails_and_names_the_seeds():
    report = sgd_regret.witness(seed=3, instances=20, bound_scale=0.01)
    assert not report.ok
    assert report.details["failed_instances"] > 0
    failure = report.failures[0]
    assert failure["margin"] < 0 and "seed" in failure["description"]
    failing = {c["label"] for c in failure["claims"] if c["margin"] < 0}
    assert "regret <= B L b / sqrt(T)" in failing or any("<= B L b / sqrt(T)" in label for label in failing)


def _failing_labels(report):
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


def test_a_wrong_step_size_fails(monkeypatch):
    real = sgd_regret.step_size
    monkeypatch.setattr(sgd_regret, "step_size", lambda *args: 2.0 * real(*args))
    report = sgd_regret.witness(seed=3, instances=10)
    assert report.status == "failed"
    assert "B^2 / (2 eta T) + eta L^2 b^2 / 2 <= B L b / sqrt(T) (step size)" in _failing_labels(report)


def test_a_halved_bound_fails_even_where_the_regret_stays_below_it(monkeypatch):
    real = sgd_regret.regret_bound
    monkeypatch.setattr(sgd_regret, "regret_bound", lambda *args: 0.5 * real(*args))
    report = sgd_regret.witness(seed=3, instances=10)
    assert report.status == "failed" and report.details["failed_instances"] == 10


def test_instance_descriptions_state_the_constants():
    result = sgd_regret.one(7)
    for key in ("B=", "L=", "b=", "eta=", "T="):
        assert key in result.description
