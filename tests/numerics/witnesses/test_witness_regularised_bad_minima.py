from resnet_lemmas.numerics.witnesses import regularised_bad_minima as wit


def test_experiment_runs_and_records_its_outcome():
    report = wit.witness(seed=0, instances=3)
    assert report.ok, report.failures
    assert report.details["regularised_runs"] == 3 * len(wit.LAMBDAS) * wit.STARTS
    assert "outcome" in report.details and "space_searched" in report.details


def test_local_minimum_probes_catch_a_false_certificate(monkeypatch):
    """If the certificate accepted a point that is not a minimum, the perturbation probes must fail."""
    from resnet_lemmas.numerics.solvers.regularised import PointCertificate

    def accept_anything(problem, lam, z, **kw):
        return PointCertificate(True, 0.0, 0.0, 1.0, 0.0, "accepted without checking")
    monkeypatch.setattr(wit, "regularised_certificate", accept_anything)
    monkeypatch.setattr(wit, "regularised_local_minimum", lambda problem, lam, z0: z0)  # random points
    assert not wit.witness(seed=0, instances=2).ok
