from resnet_lemmas.numerics.witnesses import regularised_bad_minima as wit


def test_experiment_completes_with_its_outcome():
    report = wit.witness(seed=0, instances=3)
    assert report.status == "completed", report.failures
    assert report.details["regularised_runs"] == 3 * len(wit.LAMBDAS) * wit.STARTS
    assert report.outcome.startswith(("found", "not found")) and "space_searched" in report.details


def test_an_experiment_whose_certificates_are_all_refused_is_inconclusive(monkeypatch):
    from resnet_lemmas.numerics.solvers.regularised import PointCertificate

    refuse = lambda *args, **kw: PointCertificate(False, 0.0, 1.0, 0.0, 0.0, "refused")  # noqa: E731
    monkeypatch.setattr(wit, "regularised_certificate", refuse)
    monkeypatch.setattr(wit, "ball_kkt_certificate", refuse)
    report = wit.witness(seed=0, instances=2)
    assert report.status == "inconclusive" and not report.ok and report.unchecked == 2
    assert report.outcome.startswith("no certificate accepted")
    assert report.worst_margin > 0   # the sanity claims F >= F_feat still held; never "margin 0"


def test_the_sanity_claim_can_fail(monkeypatch):
    real = wit.feature_benchmark

    def too_high(*args):
        out = real(*args)
        out.value += 1.0
        return out
    monkeypatch.setattr(wit, "feature_benchmark", too_high)
    assert wit.witness(seed=0, instances=1).status == "failed"


def test_local_minimum_probes_catch_a_false_certificate(monkeypatch):
    """If the certificate accepted a point that is not a minimum, the perturbation probes must fail."""
    from resnet_lemmas.numerics.solvers.regularised import PointCertificate

    def accept_anything(problem, lam, z, **kw):
        return PointCertificate(True, 0.0, 0.0, 1.0, 0.0, "accepted without checking")
    monkeypatch.setattr(wit, "regularised_certificate", accept_anything)
    monkeypatch.setattr(wit, "regularised_local_minimum", lambda problem, lam, z0: z0)  # random points
    assert not wit.witness(seed=0, instances=2).ok
