"""The main-theorem witness: claims at certified local minima only, counts in the report, and every
planted bug of issue 10 (a stopped search, a benchmark reported too large, a flipped eigenvalue sign, a
loosened stationarity tolerance, a wrong relation in the theorem's conclusion) changes the verdict or a
reported figure."""
import dataclasses

import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.numerics.certificates import convex_benchmarks, local_minimum
from resnet_lemmas.numerics.witnesses import local_minima_beat_linear as wit
from resnet_lemmas.numerics.witnesses.harness import instance_seeds
from resnet_lemmas.proofs.expressions import F, F_feat, F_lin

CONCLUSION = ("F(w, V, theta) <= F_feat(theta)", "F_feat(theta) <= F_lin")

FEW = 6


@pytest.fixture(scope="module")
def honest():
    return wit.witness(seed=1, instances=FEW)


def test_witness_verifies_and_reports_counts(honest):
    assert honest.status == "verified", honest.failures
    d = honest.details
    assert d["runs"] == (d["certified_local_minima"] + d["escaped_to_infinity"] + d["unconverged"]
                         + d["saddles"])
    assert d["certified_local_minima"] >= wit.minimum_certified(FEW)
    assert honest.minimum_checked == wit.minimum_certified(FEW) and honest.checked >= honest.minimum_checked
    assert 0 <= d["largest_relative_gradient_at_certified"] <= local_minimum.STATIONARITY_RTOL
    # the smallest margin is kept (never the largest): it is that of the tightest claim
    assert honest.worst_margin >= 0


def test_default_run_needs_100_certified_minima():
    assert wit.minimum_certified(wit.DEFAULT_INSTANCES) == 100
    assert wit.minimum_certified(30) == 15


def test_claims_carry_no_gradient_slack():
    result = next(r for r in map(wit.one, instance_seeds(1, FEW)) if r.checked)
    allowed = {"rounding", "rounding of F", "rounding of F_lin", "F_feat bracket", "F_lin bracket",
               "solver ||grad||^2 / lambda_min (at most 1e-12 (1 + |value|))", "extrapolation"}
    assert result.claims and all(set(c.allowance) <= allowed for c in result.claims)
    labels = {c.label.split(" [")[0] for c in result.claims}
    assert {*CONCLUSION, "F <= F_lin (a consequence; not a relation of the conclusion)", "F_lin bracket",
            "d^T H d (lambda_min)", "d^T H d (lambda_max)"} <= labels


def test_search_stopped_after_two_iterations_is_inconclusive(monkeypatch):
    monkeypatch.setattr(wit, "MAXITER", 2)
    report = wit.witness(seed=1, instances=FEW)
    assert report.details["certified_local_minima"] == 0
    assert report.status == "inconclusive" and not report.ok


def test_F_lin_reported_too_large_fails(monkeypatch):
    original = convex_benchmarks._convex_benchmark

    def too_large(*args, **kwargs):
        return dataclasses.replace(original(*args, **kwargs), value=original(*args, **kwargs).value + 0.01)

    monkeypatch.setattr(convex_benchmarks, "_convex_benchmark", too_large)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    failing = {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert "F_lin bracket" in failing


def test_flipped_eigenvalue_sign_is_not_verified(monkeypatch):
    real_eigh = np.linalg.eigh

    def flipped(H):
        values, vectors = real_eigh(H)
        return -values[::-1], vectors[:, ::-1]

    monkeypatch.setattr(local_minimum.np.linalg, "eigh", flipped)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status != "verified"
    assert report.details["certified_local_minima"] < report.details["saddles"]


def test_loosened_stationarity_tolerance_changes_reported_figures(monkeypatch, honest):
    tolerance = local_minimum.STATIONARITY_RTOL
    monkeypatch.setattr(local_minimum, "STATIONARITY_RTOL", tolerance * 1e6)
    loose = wit.witness(seed=1, instances=FEW)
    assert loose.details["stationarity_rtol"] == honest.details["stationarity_rtol"] * 1e6
    # the search stops earlier, so points the honest tolerance refuses are now certified
    assert loose.details["largest_relative_gradient_at_certified"] > tolerance
    assert honest.details["largest_relative_gradient_at_certified"] <= tolerance


RESOLUTION = f"the second-order test resolves relative curvature {wit.CURVATURE_RESOLUTION:g}"


def test_the_second_order_test_resolves_its_stated_curvature(honest):
    result = next(r for r in map(wit.one, instance_seeds(1, FEW)) if r.checked)
    claims = [c for c in result.claims if c.label.startswith(RESOLUTION)]
    assert claims and all(0 < c.lhs <= local_minimum.CURVATURE_RTOL * (1 + 1e-3) and c.margin > 0 for c in claims)


def test_a_loosened_second_order_tolerance_fails(monkeypatch):
    """The eigenvalue tolerance 1e6 times looser (a test that would count saddles as minima): every certified
    point fails the resolution claim."""
    real = local_minimum.scaled_curvature

    def loose(*args, **kwargs):
        curvature = real(*args, **kwargs)
        return curvature._replace(tolerance=1e6 * curvature.tolerance)

    monkeypatch.setattr(local_minimum, "scaled_curvature", loose)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    failing = {c["label"] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert any(label.startswith(RESOLUTION) for label in failing)


def test_instances_are_replayable_from_their_seed():
    seed = instance_seeds(3, 1)[0]
    a, b = wit.one(seed), wit.one(seed)
    assert a.margin == b.margin and a.values["counts"] == b.values["counts"]


def test_sampled_data_have_a_finite_best_prediction_at_every_input():
    for seed in range(12):
        problem = wit.sample_minimum_instance(seed).problem
        X, y = problem.X, problem.y
        _, inverse = np.unique(X, axis=0, return_inverse=True)
        for group in np.unique(inverse):
            targets = y[inverse.ravel() == group]
            assert targets.size >= wit.COPIES[0]
            if problem.loss.targets == "sign":
                assert {-1.0, 1.0} <= set(targets)
            if problem.loss.targets == "count":
                assert targets.max() >= 1


def test_a_wrong_hessian_is_caught_by_the_independent_curvature(monkeypatch):
    """The Hessian code scaled by 2 (a dropped 1/2, a doubled term): the certificate still classifies,
    but the curvature it reports along the top eigenvector disagrees with extrapolated differences."""
    from resnet_lemmas.numerics.certificates import hessian

    real = hessian._mlp_second_order

    def doubled(*args, **kwargs):
        grad, hvp, extra = real(*args, **kwargs)
        return grad, 2.0 * hvp, extra

    monkeypatch.setattr(hessian, "_mlp_second_order", doubled)
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    failing = {c["label"].split(" [")[0] for f in report.failures for c in f["claims"] if c["margin"] < 0}
    assert "d^T H d (lambda_max)" in failing


def test_a_wrong_relation_in_the_theorem_fails_numerically(wrong_conclusion, failing):
    """``F_feat <= F_lin - 1`` (a plausible off-by-one in the statement): evaluated through the bridge at
    every certified minimum, it fails."""
    wrong_conclusion("local_minima_beat_linear", wit.FEAT_BELOW_LIN, sp.Le(F_feat, F_lin - 1, evaluate=False))
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    assert any(label.startswith("F_feat(theta) <= F_lin - 1 [start") for label in failing(report))


def test_a_flipped_main_relation_fails_numerically(wrong_conclusion, failing):
    """``F >= F_feat + 1/100`` instead of ``F <= F_feat``."""
    wrong_conclusion("local_minima_beat_linear", wit.F_BELOW_FEAT,
                     sp.Ge(F, F_feat + sp.Rational(1, 100), evaluate=False))
    report = wit.witness(seed=1, instances=FEW)
    assert report.status == "failed"
    assert any(label.startswith("F(w, V, theta) >= F_feat(theta) + 1/100") for label in failing(report))


def test_a_point_with_descent_nearby_is_not_counted_as_a_minimum(monkeypatch):
    """The descent probe runs at every point that passes the second-order test (which a degenerate saddle
    passes too); a point it refuses is a saddle, never a checked minimum."""
    calls = []
    monkeypatch.setattr(local_minimum, "descent_probe",
                        lambda *a, **k: calls.append(1) or "F = 0 < F(end point) (descent probe, planted)")
    for seed in instance_seeds(1, FEW):
        problem = wit.sample_minimum_instance(seed).problem
        points = wit.search_and_certify(problem, seed, max_starts=2, wanted=1, maxiter=wit.MAXITER)
        assert all(cert.status != local_minimum.CERTIFIED for _, cert in points)
        if calls:
            break
    assert calls, "no instance reached the second-order test"
    assert any(cert.status == local_minimum.SADDLE and "planted" in cert.message for _, cert in points)
