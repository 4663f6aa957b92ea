from resnet_lemmas.numerics.witnesses import bad_saddle_at_zero as wit


def test_witness_certifies_saddles_and_both_families():
    report = wit.witness(seed=1, instances=3)
    assert report.ok, report.failures
    assert report.details["saddles_certified"] == 3
    assert report.details["max_lambda_min_of_SHS"] < 0
    assert report.details["small_w_family_instances"] >= 1


def test_witness_rejects_a_wrong_negative_curvature_step(monkeypatch):
    real = wit.s_star
    monkeypatch.setattr(wit, "s_star", lambda *args: 0.5 * real(*args))  # d^T H d is then not -1
    report = wit.witness(seed=1, instances=2)
    assert not report.ok
    assert "proven: -1" in report.failures[0]["description"]


def test_witness_rejects_a_point_that_is_not_stationary(monkeypatch):
    real = wit.saddle_point

    def shifted(problem, theta):
        a0, c0, V0 = real(problem, theta)
        return a0, c0, 1.01 * V0   # grad_w F = a0 + 1.01 V0 c0 = -0.01 a0 != 0
    monkeypatch.setattr(wit, "saddle_point", shifted)
    report = wit.witness(seed=1, instances=2)
    assert not report.ok
    assert "not stationary" in report.failures[0]["description"]
