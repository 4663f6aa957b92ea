"""The main theorem's claims at certified local minima (no gradient slack) and the end-point certificate
that verify uses; the NumPy claims are the theorem's own relations as the bridge compiles them."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.bridge import compile_statement
from resnet_lemmas.numerics.certificates.convex_benchmarks import BenchmarkResult
from resnet_lemmas.proofs.lemmas.local_minima_beat_linear import LEMMA

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


def _benchmark(rng, value: float) -> BenchmarkResult:
    """A certified benchmark with a random bracket ``[value - width, value]``."""
    width = float(rng.uniform(0.0, 1e-9))
    return BenchmarkResult(value=value, argmin=None, grad_norm=0.0, attained=True,
                           suboptimality_bound=width, message="", iterations=1, lower=value - width,
                           dual_correction=0.0)


def test_theorem_claims_are_the_theorems_relations_compiled_by_the_bridge(rng):
    """``F <= F_feat`` and ``F_feat <= F_lin`` of :func:`theorem_claims` (the fast path ``verify`` uses)
    have the sides and the relation of the theorem's conclusion evaluated by the bridge at
    :func:`theorem_quantities`, with the same allowances; the consequence ``F <= F_lin`` is the two
    chained."""
    compiled = compile_statement(LEMMA.conclusion)
    for _ in range(20):
        F, n = float(rng.normal()), int(rng.integers(5, 50))
        feat, lin = _benchmark(rng, F + float(rng.normal(scale=0.1))), _benchmark(rng, F + float(rng.normal()))
        F_rounding = float(rng.uniform(0, 1e-12))
        fast = {c.label: c for c in mt.theorem_claims(F, F_rounding, feat, lin, n)}
        values, allowances = mt.theorem_quantities(F, F_rounding, feat, lin, n)
        for index, key in enumerate(("F <= F_feat", "F_feat <= F_lin")):
            relation = compiled.relation(index, values)
            claim = fast[key]
            assert (claim.lhs, claim.relation, claim.rhs) == (relation.lhs, relation.relation, relation.rhs)
            assert claim.allowance == allowances[key]
            assert claim.margin == pytest.approx(relation.rhs - relation.lhs + sum(allowances[key].values()),
                                                 abs=1e-15)
        assert (fast["F <= F_lin"].lhs, fast["F <= F_lin"].rhs) == (values["F"], values["F_lin"])


def test_the_comparison_sees_a_relation_that_differs_from_the_fast_path(rng):
    """Had the theorem said ``F_feat <= F_lin - 1``, the bridge's sides would differ from the fast path's."""
    from resnet_lemmas.proofs.expressions import F_feat, F_lin

    feat, lin = _benchmark(rng, 1.0), _benchmark(rng, 2.0)
    fast = {c.label: c for c in mt.theorem_claims(1.0, 0.0, feat, lin, 10)}
    values, _ = mt.theorem_quantities(1.0, 0.0, feat, lin, 10)
    wrong = compile_statement((sp.Le(F_feat, F_lin - 1, evaluate=False),)).relation(0, values)
    assert wrong.rhs != fast["F_feat <= F_lin"].rhs


def test_a_stopped_benchmark_solver_leaves_the_point_unchecked(rng):
    """Red team W1: a stopped F_feat solve reports a value too large by its own error; were its bracket
    width an allowance, ``F <= F_feat`` would pass by exactly that error.  A bracket that is not closed
    (solver not converged) gives no claims (the point is unchecked), and theorem_quantities refuses it."""
    from dataclasses import replace as dc_replace

    feat, lin = _benchmark(rng, 1.0), _benchmark(rng, 2.0)
    stopped = dc_replace(feat, value=1.3, converged=False)      # 0.3 too large; its lower end is right
    assert mt.theorem_claims(1.0, 0.0, feat, lin, 10)             # closed brackets: claims are made
    assert not mt.brackets_closed(stopped, lin)
    assert mt.theorem_claims(1.2, 0.0, stopped, lin, 10) == []
    with pytest.raises(ValueError, match="closed brackets"):
        mt.theorem_quantities(1.2, 0.0, stopped, lin, 10)
    wide = dc_replace(feat, dual_correction=1.0)                 # a loose dual point: valid, not closed
    assert mt.theorem_claims(1.0, 0.0, wide, lin, 10) == []


def test_the_main_witness_does_not_check_a_point_whose_bracket_is_open(rng):
    from dataclasses import replace as dc_replace

    from resnet_lemmas.numerics.witnesses.local_minima_beat_linear import conclusion_claims

    feat, lin = _benchmark(rng, 1.0), _benchmark(rng, 2.0)
    assert conclusion_claims(1.0, 0.0, feat, lin, 10)
    assert conclusion_claims(1.2, 0.0, dc_replace(feat, value=1.3, converged=False), lin, 10) == []
    assert conclusion_claims(1.0, 0.0, feat, dc_replace(lin, converged=False), 10) == []


def test_a_solver_remainder_excuses_a_bracket_only_up_to_a_fixed_resolution(rng):
    """Red team: with the solver tolerance loosened, ||grad||^2 / lambda_min grows and an open-looking
    bracket closed by that excuse; the excuse is capped at BRACKET_RESOLUTION (1 + |value|)."""
    from dataclasses import replace as dc_replace

    bench = _benchmark(rng, 1.0)
    wide = dc_replace(bench, lower=1.0 - 1e-8, suboptimality_bound=1e-8)   # a 1e-8 bracket, "excused"
    claim = mt.bracket_claim("F_feat bracket", wide, 10)
    assert claim.margin < 0
    solver = [v for k, v in claim.allowance.items() if k.startswith("solver")]
    assert solver == [mt.BRACKET_RESOLUTION * (1.0 + 1.0)]
    closed = dc_replace(bench, lower=1.0 - 1e-13, suboptimality_bound=1e-13)
    assert mt.bracket_claim("F_feat bracket", closed, 10).margin >= 0      # a closed bracket passes
