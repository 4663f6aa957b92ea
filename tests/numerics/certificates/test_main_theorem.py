"""The main theorem's claims at certified local minima (no gradient slack) and the end-point certificate
that verify uses."""
import numpy as np
import pytest

from resnet_lemmas.numerics.certificates import main_theorem as mt
from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.certificates.local_minimum import CERTIFIED, PARAM_NORM_CAP, SADDLE, STATIONARITY_RTOL
from resnet_lemmas.numerics.solvers.search import refined_local_minimum
from resnet_lemmas.numerics.witnesses.bad_saddle_at_zero import saddle_point
from resnet_lemmas.numerics.witnesses.local_minima_beat_linear import sample_minimum_instance


@pytest.fixture(scope="module")
def minimum():
    for seed in range(10):
        problem = sample_minimum_instance(seed).problem
        m = refined_local_minimum(problem, 0, maxiter=300, norm_cap=PARAM_NORM_CAP,
                                  newton_rtol=STATIONARITY_RTOL)
        end = mt.certify_end_point(problem, m.w, m.V, m.theta)
        if end.status == CERTIFIED:
            return problem, m, end
    raise AssertionError("no certified local minimum on the first ten instances")


def test_end_point_certificate_at_a_certified_minimum(minimum):
    problem, m, end = minimum
    assert end.ok and end.margin >= 0
    labels = {c.label for c in end.claims}
    assert {"F <= F_feat", "F_feat <= F_lin", "F <= F_lin"} <= labels
    for claim in end.claims:
        assert not any("grad" in name and "solver" not in name for name in claim.allowance)
    assert set(end.values) == {"F", "F_feat", "F_lin", "w", "V", "c", "E_rx", "grad_w", "grad_V"}
    # at a local minimum F equals F_feat to rounding
    assert abs(end.values["F"] - end.values["F_feat"][1]) <= 1e-11


def test_claims_fail_for_a_value_above_the_feature_benchmark(minimum):
    """The F <= F_feat claim can fail: F planted 1e-6 above its value (e.g. a point that is not a local
    minimum) is refused with no slack to absorb it."""
    problem, m, end = minimum
    claims = mt.theorem_claims(end.values["F"] + 1e-6, end.certificate.F_rounding, end.feat, end.lin, problem.n)
    failing = {c.label for c in claims if c.margin < 0}
    assert {"F <= F_feat"} <= failing


def test_claims_fail_when_F_feat_exceeds_F_lin(minimum):
    import dataclasses

    problem, m, end = minimum
    low_lin = dataclasses.replace(end.lin, value=end.feat.lower - 0.1, lower=end.feat.lower - 0.1)
    failing = {c.label for c in mt.theorem_claims(end.values["F"], end.certificate.F_rounding,
                                                  end.feat, low_lin, problem.n) if c.margin < 0}
    assert {"F_feat <= F_lin", "F <= F_lin"} <= failing


def test_end_point_certificate_at_a_saddle_makes_no_claims():
    problem = sample_minimum_instance(2).problem
    theta = problem.unit.init(np.random.default_rng(2))
    _, _, V0 = saddle_point(problem, theta)
    end = mt.certify_end_point(problem, np.zeros(problem.d), V0, theta,
                               linear=linear_benchmark(problem.X, problem.y, problem.loss))
    assert end.status == SADDLE and end.claims == [] and np.isnan(end.margin)


def test_end_points_are_counted_by_status(minimum):
    problem, m, end = minimum
    far = 1e4 * np.ones(problem.n_params)
    results, counts = mt.certify_end_points(problem, [(m.w, m.V, m.theta), (m.w + 1e-2, m.V, m.theta),
                                                      problem.unpack(far)])
    assert [r.status for r in results] == [CERTIFIED, "unconverged", "escaped to infinity"]
    assert counts == {"runs": 3, CERTIFIED: 1, "escaped to infinity": 1, "unconverged": 1, SADDLE: 0}
    assert results[0].claims and not results[1].claims and not results[2].claims
