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


def _failing_labels(report):
    return {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}


def test_a_hessian_with_a_flipped_sign_fails(monkeypatch):
    real = wit.dense_hessian
    monkeypatch.setattr(wit, "dense_hessian", lambda *a, **k: tuple(s * x for s, x in zip((-1, 1), real(*a, **k))))
    report = wit.witness(seed=1, instances=2)
    assert report.status == "failed"
    assert "d^T H d = -1 (Hessian code)" in _failing_labels(report)   # -H is indefinite too: the form says it


def test_a_certificate_that_flips_the_eigenvalue_sign_fails(monkeypatch):
    real = wit.negative_curvature_certificate

    def flipped(*args, **kwargs):
        report = real(*args, **kwargs)
        report.eigenvalue = -report.eigenvalue
        return report
    monkeypatch.setattr(wit, "negative_curvature_certificate", flipped)
    report = wit.witness(seed=1, instances=2)
    assert "lambda_min(S H S) < 0 (Hessian code, certified)" in _failing_labels(report)


def test_the_independent_and_rigorous_claims_are_there_and_hold():
    result = wit.one(2024)
    claims = {c.label: c for c in result.claims}
    assert claims["d2F_saddle = -1 (extrapolated from F)"].margin >= 0
    arb_claims = [c for label, c in claims.items() if "Arb enclosure" in label]
    assert len(arb_claims) == 3 and all(c.margin >= 0 for c in arb_claims)


def test_check_command_fails_on_a_flipped_hessian(monkeypatch, capsys):
    from resnet_lemmas.cli import main

    real = wit.dense_hessian
    monkeypatch.setattr(wit, "dense_hessian", lambda *a, **k: tuple(s * x for s, x in zip((-1, 1), real(*a, **k))))
    code = main(["check", "--only", "bad_saddle_at_zero", "--instances", "2", "--no-progress", "--json"])
    assert code == 1
    assert '"status": "failed"' in capsys.readouterr().out
