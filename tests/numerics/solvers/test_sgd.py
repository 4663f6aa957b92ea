"""Vectorised SGD (numerics.solvers.sgd): the bounded unit, gradients of every parameter, projections, the
constants of theorem sgd_regret, the held-out estimate, and the checks (which must be able to fail)."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.solvers.sgd import (
    ARCHITECTURES, BoundedUnit, HypothesisViolation, Population, Runs, SGDSetup, _State,
    ball_population, check_record, feature_bound, fit_slope, lipschitz_on_range, measure_horizon,
    pathwise_bound, prepare, regret_bound, regret_tolerance, run_sgd, saddle_point, step_size)
from resnet_lemmas.proofs.lemmas import sgd_regret as lem
from resnet_lemmas.proofs.losses import get_loss

LOGISTIC = get_loss("logistic")


def small_population(rng, n=64, d=3, radius=1.0):
    X = rng.normal(size=(n, d))
    X *= radius * rng.random(n)[:, None] ** (1 / d) / np.linalg.norm(X, axis=1, keepdims=True)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-3 * X[:, 0])), 1.0, -1.0)
    return Population(X, y, 0, "test")


def make_runs(unit, archs, rng, eta=0.1, eta_inner=0.1, B=5.0, R_V=1.0, stream=None):
    R = len(archs)
    theta = np.array([unit.init(rng) for _ in range(R)])
    V = rng.normal(size=(R, unit.d, unit.k)) * 0.3
    return Runs(list(archs), np.full(R, eta), np.full(R, eta_inner), np.full(R, B), np.full(R, R_V),
                V, theta, np.zeros(R, int) if stream is None else np.asarray(stream))


# -- the lemma's formulas are the numerics' formulas -----------------------------------------------
def test_step_size_and_bound_are_lambdified_from_the_lemma(rng):
    for _ in range(5):
        B, L, b, T = rng.uniform(0.5, 3, size=3).tolist() + [int(rng.integers(1, 10 ** 5))]
        subs = {lem.B: B, lem.L: L, lem.b_feat: b, lem.T: T}
        assert step_size(B, L, b, T) == pytest.approx(float(lem.STEP_SIZE.subs(subs)), rel=1e-14)
        assert regret_bound(B, L, b, T) == pytest.approx(float(lem.REGRET_BOUND.subs(subs)), rel=1e-14)


# -- the unit ---------------------------------------------------------------------------------
def test_bounded_unit_is_tanh_of_the_mlp_over_sqrt_k_and_bounded_by_one(rng):
    unit = BoundedUnit(3, 4, 5)
    theta = unit.init(rng, scale=5.0)                      # large weights: saturated tanh
    X = rng.normal(size=(50, 3)) * 10
    mlp = MLPUnit(3, 4, (5,), "tanh")
    np.testing.assert_allclose(unit(X, theta), np.tanh(mlp(X, theta)) / 2.0, rtol=0, atol=1e-15)
    assert np.max(np.linalg.norm(unit(X, theta), axis=1)) < unit.feature_bound


def test_bounded_unit_vjp_matches_central_differences(rng):
    unit = BoundedUnit(2, 3, 4)
    theta = unit.init(rng)
    X, G = rng.normal(size=(6, 2)), rng.normal(size=(6, 3))
    grad = unit.vjp(X, theta, G)
    h = 1e-6
    for i in range(unit.n_params):
        e = np.zeros(unit.n_params)
        e[i] = h
        numeric = (np.sum(G * unit(X, theta + e)) - np.sum(G * unit(X, theta - e))) / (2 * h)
        # central difference: truncation O(h^2 |f'''|) ~ 1e-12, rounding ~ eps |f| / h ~ 1e-9
        assert grad[i] == pytest.approx(numeric, abs=1e-8)


def test_batched_forward_equals_the_unbatched_architectures(rng):
    unit = BoundedUnit(3, 2, 4)
    R = 3
    runs = make_runs(unit, ["original", "tweak", "split"], rng)
    state = _State(unit, runs.V, runs.theta)
    state.z[:] = rng.normal(size=state.z.shape) * np.repeat(runs.masks, (3, 3, 2), axis=1)
    P = rng.normal(size=(R, 5, 3))
    p = state.forward(P)[0]
    for r, arch in enumerate(runs.arch):
        u, w, v = state.z[r, :3], state.z[r, 3:6], state.z[r, 6:]
        f = unit(P[r], runs.theta[r])
        expected = P[r] @ u + (P[r] + f @ runs.V[r].T) @ w + f @ v
        np.testing.assert_allclose(p[r], expected, rtol=1e-13, atol=1e-13)
        if arch == "original":
            problem = ResNetProblem(unit, P[r], np.ones(5), LOGISTIC)
            np.testing.assert_allclose(p[r], problem.predict(w, runs.V[r], runs.theta[r]), atol=1e-13)


def _loss_of(unit, arch, x, y, z, V, theta):
    d, k = unit.d, unit.k
    mu, mw, mv = ARCHITECTURES[arch][1]
    f = unit(x[None, :], theta)[0]
    p = mu * z[:d] @ x + mw * z[d:2 * d] @ (x + V @ f) + mv * z[2 * d:] @ f
    return float(LOGISTIC.value(p, y))


@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
def test_one_sgd_step_moves_every_parameter_by_minus_eta_times_its_gradient(rng, arch):
    # B and R_V huge: no projection, so z_2 - z_1 = -eta grad_z, V_2 - V_1 = -eta_in grad_V, ...
    unit = BoundedUnit(2, 2, 3)
    pop = small_population(rng, d=2)
    runs = make_runs(unit, [arch], rng, eta=0.3, eta_inner=0.2, B=1e9, R_V=1e9)
    # start from nonzero output weights (so V and theta get gradients): one step from z = 0 first
    warm = run_sgd(pop, unit, LOGISTIC, runs, np.array([[3]]), comparators=np.zeros((1, 2)))
    z0, V0, th0 = warm.final["z"][0], warm.final["V"][0], warm.final["theta"][0]
    # the same first step followed by a second one on sample 7: compare the second step
    trace = run_sgd(pop, unit, LOGISTIC, runs, np.array([[3, 7]]), comparators=np.zeros((1, 2)))
    x, y = pop.X[7], pop.y[7]
    h = 1e-6
    for name, value, step in (("z", z0, 0.3), ("V", V0, 0.2), ("theta", th0, 0.2)):
        flat = value.ravel()
        grad = np.zeros_like(flat)
        for i in range(flat.size):
            e = np.zeros_like(flat)
            e[i] = h
            args = {"z": z0, "V": V0, "theta": th0}
            plus, minus = dict(args), dict(args)
            plus[name] = (flat + e).reshape(value.shape)
            minus[name] = (flat - e).reshape(value.shape)
            grad[i] = (_loss_of(unit, arch, x, y, **plus) - _loss_of(unit, arch, x, y, **minus)) / (2 * h)
        moved = trace.final[name][0].ravel()
        # central differences: error ~1e-9 (rounding eps/h); masked output weights stay exactly 0
        np.testing.assert_allclose(moved, flat - step * grad, atol=1e-8)


def test_projections_keep_output_weights_and_V_in_their_balls(rng):
    unit = BoundedUnit(3, 2, 4)
    pop = small_population(rng)
    runs = make_runs(unit, ["tweak", "split", "original"], rng, eta=2.0, eta_inner=2.0, B=0.3, R_V=0.2)
    trace = run_sgd(pop, unit, LOGISTIC, runs, rng.integers(pop.size, size=(1, 40)),
                    comparators=np.zeros((1, 3)))
    assert np.all(trace.max_z <= 0.3 * (1 + 1e-12))          # projection: rounding only
    assert np.all(trace.max_V <= 0.2 * (1 + 1e-12))
    assert np.all(np.linalg.norm(trace.final["z"], axis=1) == pytest.approx(0.3, rel=1e-12))
    for r, arch in enumerate(runs.arch):
        b = feature_bound(arch, pop.b_x, 0.2, unit.feature_bound)
        assert trace.max_psi[r] <= b


def test_runs_advanced_together_equal_runs_advanced_alone(rng):
    unit = BoundedUnit(3, 2, 4)
    pop = small_population(rng)
    runs = make_runs(unit, ["tweak", "original", "split"], rng, stream=[0, 1, 0])
    train = rng.integers(pop.size, size=(2, 30))
    comps = rng.normal(size=(2, 3))
    together = run_sgd(pop, unit, LOGISTIC, runs, train, comparators=comps)
    for r in range(3):
        alone_runs = Runs([runs.arch[r]], runs.eta[r:r + 1], runs.eta_inner[r:r + 1], runs.B[r:r + 1],
                          runs.R_V[r:r + 1], runs.V[r:r + 1], runs.theta[r:r + 1], np.zeros(1, int))
        alone = run_sgd(pop, unit, LOGISTIC, alone_runs, train[runs.stream[r]][None], comparators=comps)
        # same operations on different batch shapes: equal up to float64 rounding
        np.testing.assert_allclose(together.online[r], alone.online[0], rtol=1e-12)
        np.testing.assert_allclose(together.final["z"][r], alone.final["z"][0], rtol=1e-10, atol=1e-13)


def test_regret_is_below_the_pathwise_bound_and_the_theorem_bound(rng):
    unit = BoundedUnit(3, 2, 4)
    pop = small_population(rng)
    T, B, R_V = 200, 2.0, 0.5
    archs = ["tweak", "split"]
    b = np.array([feature_bound(a, pop.b_x, R_V) for a in archs])
    L = np.array([lipschitz_on_range(LOGISTIC, B * bb, pop.y) for bb in b])
    eta = step_size(B, L, b, T)
    runs = Runs(archs, eta, eta, np.full(2, B), np.full(2, R_V), rng.normal(size=(2, 3, 2)) * 0.1,
                np.array([unit.init(rng) for _ in archs]), np.zeros(2, int))
    comps = rng.normal(size=(4, 3))
    comps *= B / np.linalg.norm(comps, axis=1, keepdims=True)
    trace = run_sgd(pop, unit, LOGISTIC, runs, rng.integers(pop.size, size=(1, T)), comparators=comps)
    pw = pathwise_bound(trace, runs, comps)
    tol = regret_tolerance(trace, runs)[:, None]
    assert np.all(trace.regret <= pw + tol)
    assert np.all(pw <= regret_bound(B, L, b, T)[:, None] + tol)
    assert np.all(trace.max_grad <= L * b)


def test_held_out_estimate_is_unbiased_for_the_exact_average_risk(rng):
    # exact (1/T) sum_t F(params_t) from checkpoints at every step on the whole pool, against the
    # evaluation stream's estimate: within 4 standard errors (the SE is conservative)
    unit = BoundedUnit(3, 2, 4)
    pop = small_population(rng, n=200)
    T = 40
    runs = make_runs(unit, ["tweak", "original"], rng, eta=0.3, eta_inner=0.3)
    comps = np.zeros((1, 3))
    trace = run_sgd(pop, unit, LOGISTIC, runs, rng.integers(pop.size, size=(1, T)), comparators=comps,
                    eval_idx=rng.integers(pop.size, size=(1, T, 50)), checkpoints=range(1, T + 1),
                    curve_points=np.arange(pop.size))
    exact = trace.curve.mean(axis=1) - np.log(2.0)          # comparator u = 0: l(0; y) = log 2
    estimate, se = trace.excess()
    assert np.all(np.abs(estimate - exact) <= 4 * se)
    assert np.all(se > 0)


def test_lipschitz_constant_is_the_supremum_on_the_range(rng):
    R = 2.5
    L = lipschitz_on_range(LOGISTIC, R, [-1.0, 1.0])
    assert L == pytest.approx(1 / (1 + np.exp(-R)), rel=1e-11)
    grid = np.linspace(-R, R, 20001)
    for y in (-1.0, 1.0):
        assert np.max(np.abs(LOGISTIC.grad(grid, np.full_like(grid, y)))) <= L
    squared = get_loss("squared")
    ys = rng.uniform(-2, 2, size=30)
    assert lipschitz_on_range(squared, R, ys) == pytest.approx(R + np.max(np.abs(ys)), rel=1e-11)


def test_feature_bound_formulas(rng):
    assert feature_bound("original", 1.0, 2.0) == 3.0
    assert feature_bound("tweak", 1.0, 2.0) == pytest.approx(np.sqrt(10.0))
    assert feature_bound("split", 1.0, 2.0) == pytest.approx(np.sqrt(2.0))
    with pytest.raises(ValueError, match="unknown architecture"):
        feature_bound("plain", 1.0, 1.0)


def test_runs_reject_bad_shapes_and_unknown_architectures(rng):
    unit = BoundedUnit(2, 2, 2)
    runs = make_runs(unit, ["tweak"], rng)
    with pytest.raises(ValueError, match="eta must have shape"):
        Runs(["tweak"], np.ones(2), runs.eta_inner, runs.B, runs.R_V, runs.V, runs.theta, runs.stream)
    with pytest.raises(ValueError, match="unknown architectures"):
        Runs(["resnet"], runs.eta, runs.eta_inner, runs.B, runs.R_V, runs.V, runs.theta, runs.stream)


def test_ball_population_is_bounded_and_seeded():
    a, b = ball_population(3, n=500, d=3), ball_population(3, n=500, d=3)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
    assert a.b_x <= 1.0 and set(np.unique(a.y)) == {-1.0, 1.0}


def test_fit_slope_recovers_a_power_law():
    T = np.array([1e2, 1e3, 1e4, 1e5])
    assert fit_slope(T, 3.0 * T ** -0.5)["slope"] == pytest.approx(-0.5, abs=1e-12)
    assert fit_slope(T, [-1.0, -2.0, 1.0, -1.0])["slope"] is None


# -- the campaign ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_campaign():
    setup = SGDSetup(population_size=600, eval_budget=2000)
    prep = prepare(setup)
    seeds = [11, 12, 13]
    return prep, measure_horizon(prep, 60, seeds) + measure_horizon(prep, 240, seeds)


def test_prepare_rejects_a_ball_that_misses_the_comparator():
    with pytest.raises(HypothesisViolation, match="raise B"):
        prepare(SGDSetup(population_size=600, B=1.0))


def test_measured_excess_respects_the_bound_in_every_covered_record(small_campaign):
    _, records = small_campaign
    covered = [r for r in records if r["covered"]]
    assert {r["architecture"] for r in covered} == {"tweak", "split"}
    for record in covered:
        check = check_record(record)
        assert check["ok"], check
        assert check["summary"]["mean_excess"] > 0          # wiggle = 0: the linear predictor is optimal


def test_bound_check_fails_when_the_bound_is_shrunk_below_the_measured_excess(small_campaign):
    _, records = small_campaign
    record = next(r for r in records if r["architecture"] == "tweak" and r["T"] == 240)
    # what the per-run check compares: the excess minus its tolerance of 3 standard errors
    lower = np.asarray(record["excess"]) - 3.0 * np.asarray(record["excess_se"])
    assert lower.min() > 0                                   # precondition of this test
    scale = 0.5 * lower.min() / record["bound"]              # shrunk bound below every measurement
    check = check_record(record, bound_scale=scale)
    assert not check["ok"]
    assert not check["per_run"]["ok"] and check["per_run"]["failures"] == len(record["excess"])
    assert not check["mean"]["ok"] and check["mean"]["margin"] < 0
    assert not check["regret"]["ok"]                         # the pathwise bound exceeds it too


def test_structural_violation_fails_the_regret_check(small_campaign):
    _, records = small_campaign
    record = dict(next(r for r in records if r["architecture"] == "split"))
    record["max_grad"] = [record["L"] * record["b"] * 1.01] + record["max_grad"][1:]
    check = check_record(record)
    assert not check["regret"]["ok"] and check["regret"]["structural_failures"] == 1


def test_uncovered_architecture_is_reported_not_checked(small_campaign):
    _, records = small_campaign
    check = check_record(next(r for r in records if r["architecture"] == "original"), bound_scale=1e-9)
    assert check["ok"] and "not covered" in check["note"]


def test_saddle_point_is_stationary_with_the_value_at_zero(small_campaign):
    prep, _ = small_campaign
    theta = prep.unit.init(np.random.default_rng(5))
    sad = saddle_point(prep, theta)
    assert sad["F"] == pytest.approx(np.log(2.0), rel=1e-15)
    # the gradient vanishes up to rounding of means over the population (600 points, values O(1))
    assert sad["grad_norm"] < 1e-12
    assert sad["F"] > prep.F_lin


@pytest.mark.slow
def test_default_campaign_holds_the_bound_with_the_predicted_scaling():
    # the full default of `resnet-lemmas sgd` (about 40 s on 2 cores): T = 10^2..10^5, 20 seeds
    from resnet_lemmas.numerics.solvers.sgd import run_campaign

    payload = run_campaign(SGDSetup())
    assert payload["ok"], [c for c in payload["checks"] if not c["ok"]]
    for arch in ("tweak", "split"):
        # the bound's rate is T^(-1/2); SGD with eta ~ T^(-1/2) on this problem decays at that rate
        assert -0.7 < payload["slopes"][arch]["slope"] < -0.3
        assert all(c["summary"]["max_tightness"] < 0.5 for c in payload["checks"]
                   if c["summary"]["architecture"] == arch)
    contrast = payload["contrast"]["architectures"]
    # the original network stalls at the saddle; the tweak's extra skip moves at once
    assert contrast["original"]["median_steps_to_10pct"] > 3 * contrast["tweak"]["median_steps_to_10pct"]
