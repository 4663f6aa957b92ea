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
    assert failure["values"]["margins"]["theorem"] < 0 or failure["values"]["margins"]["constants"] < 0


def test_instance_descriptions_state_the_constants():
    result = sgd_regret.one(7)
    for key in ("B=", "L=", "b=", "eta=", "T="):
        assert key in result.description
