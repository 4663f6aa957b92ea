from resnet_lemmas.numerics.models import multiblock
from resnet_lemmas.numerics.witnesses import multi_block_experiment as wit


def test_experiment_runs_and_records_its_outcome():
    report = wit.witness(seed=0, instances=1)
    assert report.ok, report.failures
    assert report.details["runs"] == len(wit.STARTS)
    assert "outcome" in report.details


def test_last_block_check_can_fail(monkeypatch):
    real = multiblock.last_block_slack
    monkeypatch.setattr(wit, "last_block_slack", lambda p, f, u: (real(p, f, u)[0], -1.0))
    assert not wit.witness(seed=0, instances=1).ok
