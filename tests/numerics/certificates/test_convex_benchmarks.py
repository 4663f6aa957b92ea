"""Convex benchmarks: certificates, non-attainment on separable data, degenerate designs, and the
certificate's honesty when the solver is stopped early, and the separability LP's subsample
shortcut (same result as the full LP; declines when the subsample cannot decide)."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates import convex_benchmarks as cb
from resnet_lemmas.numerics.certificates.convex_benchmarks import (BenchmarkResult, convex_benchmark, feature_benchmark,
                                               linear_benchmark)
from resnet_lemmas.numerics.data.synthetic import DataError, classification_data, data_for_loss
from resnet_lemmas.numerics.models.networks import MLPUnit

from resnet_lemmas.proofs.losses import LOSSES

LOSS_NAMES = tuple(sorted(LOSSES))


def G(Z, y, loss, u):
    return float(np.mean(loss.value(Z @ u, y)))


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_certificate_on_generated_data(losses, name):
    loss = losses[name]
    rng = np.random.default_rng(100 + LOSS_NAMES.index(name))
    X, y = data_for_loss(rng, loss, 50, 3)
    res = linear_benchmark(X, y, loss)
    assert isinstance(res, BenchmarkResult)
    if res.n_separated == 0:
        assert res.attained and res.converged and res.argmin is not None
        g = X.T @ loss.grad(X @ res.argmin, y) / len(y)
        assert np.linalg.norm(g) == pytest.approx(res.grad_norm, rel=1e-6, abs=1e-15)
        assert res.grad_norm <= 1e-10 * max(1.0, np.linalg.norm(X.T @ loss.grad(0 * y, y) / len(y)))
        assert res.value == pytest.approx(G(X, y, loss, res.argmin), rel=1e-15)
        assert 0.0 <= res.suboptimality_bound <= 1e-18  # ||g||^2 / lambda_min with ||g|| <= 1e-10
    # the value is below the objective at random points and at 0 (up to the stated bound)
    for u in [np.zeros(3), *rng.normal(size=(20, 3))]:
        assert res.value <= G(X, y, loss, u) + res.suboptimality_bound


def test_squared_loss_matches_least_squares(losses):
    rng = np.random.default_rng(1)
    X, y = data_for_loss(rng, losses["squared"], 40, 4)
    u = np.linalg.lstsq(X, y, rcond=None)[0]
    res = linear_benchmark(X, y, losses["squared"])
    np.testing.assert_allclose(res.argmin, u, rtol=1e-10, atol=1e-12)  # conditioning of X ~ O(1)
    assert res.value == pytest.approx(0.5 * np.mean((X @ u - y) ** 2), rel=1e-12)


@pytest.mark.parametrize("name", ["logistic", "exponential", "softplus_hinge"])
def test_separable_data_infimum_not_attained(losses, name):
    loss = losses[name]
    X, y = classification_data(np.random.default_rng(5), 40, 3, separable=True)
    res = linear_benchmark(X, y, loss)
    assert not res.attained and res.argmin is None
    assert res.value == 0.0 and res.n_separated == 40
    assert "not attained" in res.message
    margins = y * (X @ res.direction)
    assert margins.min() > 0
    # along the direction the objective really goes to the infimum, and it never reaches it
    values = [G(X, y, loss, t * res.direction / margins.min()) for t in (1.0, 10.0, 100.0)]
    assert values[0] > values[1] > values[2] >= 0.0 and values[2] < 1e-20


def test_partially_separable_data(losses):
    """Points (1,0)+ and (2,0)+ can be pushed to margin inf by u = (1, 0) without affecting the
    conflicting pair (0,1)+, (0,1)-, so inf = 2 l(0) / 4 exactly, not attained."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    for name in ("logistic", "exponential", "softplus_hinge"):
        loss = losses[name]
        res = linear_benchmark(X, y, loss)
        assert not res.attained and res.n_separated == 2
        assert res.value == pytest.approx(float(loss.value(0.0, 1.0)) / 2, rel=1e-14)
        np.testing.assert_allclose(res.direction, [1.0, 0.0], atol=1e-12)


def test_poisson_zero_counts_can_make_infimum_unattained(losses):
    """Zero counts at points that a direction can push to p -> -inf while keeping p fixed on positive
    counts: exp(p) -> 0 there, so the infimum is approached, not attained."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1.0, 1.0]])
    y = np.array([0.0, 2.0, 3.0, 0.0])
    res = linear_benchmark(X, y, losses["poisson"])
    assert not res.attained and res.n_separated == 2 and res.converged
    # remaining part: min_b (e^b - 2b) + (e^{2b} - 6b) over b, attained at e^b + 2 e^{2b} = 8
    b = np.log((-1 + np.sqrt(1 + 64)) / 4)
    assert res.value == pytest.approx((np.exp(b) - 2 * b + np.exp(2 * b) - 6 * b) / 4, rel=1e-12)


def test_default_classification_data_attains(losses):
    X, y = classification_data(np.random.default_rng(9), 40, 3)
    res = linear_benchmark(X, y, losses["logistic"])
    assert res.attained and res.n_separated == 0 and res.direction is None


def test_rank_deficient_design(losses):
    rng = np.random.default_rng(2)
    for name in ("squared", "logistic", "poisson"):
        loss = losses[name]
        X, y = data_for_loss(rng, loss, 40, 3)
        Z = np.hstack((X, 2.0 * X[:, :1] - X[:, 1:2], np.zeros((40, 1))))  # rank 3 of 5 columns
        res, ref = convex_benchmark(Z, y, loss), linear_benchmark(X, y, loss)
        assert res.attained and res.argmin.shape == (5,)
        assert res.value == pytest.approx(ref.value, rel=1e-12)
        assert abs(res.argmin[-1]) < 1e-12  # minimum-norm solution: nothing on the zero column


def test_feature_benchmark_is_at_most_linear(losses):
    rng = np.random.default_rng(3)
    for name in ("squared", "logistic", "pseudo_huber"):
        loss = losses[name]
        X, y = data_for_loss(rng, loss, 50, 3)
        unit = MLPUnit(3, 2, (5,), "tanh")
        Fx = unit(X, unit.init(rng))
        feat, lin = feature_benchmark(X, Fx, y, loss), linear_benchmark(X, y, loss)
        assert feat.value <= lin.value + lin.suboptimality_bound + feat.suboptimality_bound
        assert feat.point.shape == (5,)


def test_non_converged_solve_is_flagged(losses):
    """Stopped after one Newton iteration: the certificate must say so, not claim attainment."""
    X, y = data_for_loss(np.random.default_rng(4), losses["logistic"], 50, 3)
    res = linear_benchmark(X, y, losses["logistic"], maxiter=1)
    assert not res.converged and not res.attained and res.argmin is None
    assert res.suboptimality_bound == float("inf")
    assert res.grad_norm > 1e-6
    assert "did not converge" in res.message and "upper bound" in res.message
    full = linear_benchmark(X, y, losses["logistic"])
    assert full.attained and res.value >= full.value  # still an upper bound on the infimum


def test_input_errors(losses):
    X, y = data_for_loss(np.random.default_rng(6), losses["squared"], 20, 2)
    with pytest.raises(DataError, match="X has 1 NaN/inf entries"):
        linear_benchmark(np.where(np.arange(40).reshape(20, 2) == 5, np.nan, X), y, losses["squared"])
    with pytest.raises(DataError, match="X has 20 rows but y has 19"):
        linear_benchmark(X, y[:-1], losses["squared"])
    with pytest.raises(DataError, match=r"Fx must be a 2-D array \(n, k\) with n = 20 rows; got shape \(19, 2\)"):
        feature_benchmark(X, np.zeros((19, 2)), y, losses["squared"])
    with pytest.raises(DataError, match="Fx has 2 NaN/inf entries"):
        feature_benchmark(X, np.where(np.arange(20) < 2, np.inf, 0.0)[:, None], y, losses["squared"])
    with pytest.raises(ValueError, match=r"needs targets in \{-1, \+1\}"):
        linear_benchmark(X, y, losses["logistic"])
    with pytest.raises(ValueError, match="gtol > 0"):
        linear_benchmark(X, y, losses["squared"], gtol=0.0)


def test_exponential_loss_on_huge_features_does_not_crash_the_solver():
    """Regression: trust-exact evaluated an overflowing Hessian at a trial point and crashed."""
    from resnet_lemmas.numerics.data.instances import sample_instance
    from resnet_lemmas.numerics.solvers.search import local_minimum_search

    inst = sample_instance(3677471389, n=(20, 32))  # exponential loss, features up to ~4e3
    problem = inst.problem
    point = local_minimum_search(problem, 3677471389, restarts=2, maxiter=400, gtol=1e-8)[1]
    result = feature_benchmark(problem.X, problem.features(point.theta), problem.y, problem.loss)
    assert np.isfinite(result.value)


def test_degenerate_separability_lp_fails_with_a_clear_message_not_a_wrong_value():
    """Rows agreeing to ~1e-10 (saturated features) make HiGHS fail; the retry on rounded margins
    must not be accepted unless its direction verifies on the exact margins."""
    from pathlib import Path

    from resnet_lemmas.proofs.losses import get_loss

    data = np.load(Path(__file__).parent / "fixtures" / "highs_degenerate.npz")
    Z, y = data["Z"], data["y"]
    try:
        result = convex_benchmark(Z, y, get_loss("logistic"))
    except RuntimeError as exc:  # what SciPy 1.17's HiGHS gives on this machine
        assert "separability LP" in str(exc)
        return
    # a HiGHS that solves it must return a direction that verifies on the exact margins
    margins = (y[:, None] * Z) @ result.direction
    assert not result.attained and margins.min() >= -1e-9 * np.abs(Z).max()


# -- two-sided brackets: a Fenchel dual lower bound ---------------------------------------------------
from scipy.optimize import minimize  # noqa: E402

from resnet_lemmas.numerics.certificates import convex_benchmarks as cb  # noqa: E402
from resnet_lemmas.numerics.certificates.bounds import rounding_tolerance  # noqa: E402
from resnet_lemmas.numerics.certificates.main_theorem import bracket_claim  # noqa: E402


def test_every_registered_loss_has_a_conjugate():
    assert set(cb.CONJUGATES) == set(LOSSES)


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_conjugates_satisfy_fenchel_young(losses, name):
    """l*(s) = sup_p (s p - l(p)): equality at s = l'(p) and, for other p', l*(s) >= s p' - l(p')."""
    from flint import arb

    loss = losses[name]
    conjugate, room = cb.CONJUGATES[name]
    targets = {"sign": [-1.0, 1.0], "count": [0.0, 1.0, 3.0]}.get(loss.targets, [-1.3, 0.0, 2.0])
    for y in targets:
        for p in (-2.0, -0.3, 0.0, 0.7, 1.9):
            s = float(loss.grad(p, y))
            sq, yq = cb._fmpq(s), cb._fmpq(y)
            assert cb._in_domain(name, sq, yq) and room(np.array([s]), np.array([y]))[0] >= 0
            value = conjugate(sq, yq)
            assert isinstance(value, arb)
            fy = float(value.mid()) + float(loss.value(p, y)) - s * p
            assert abs(fy) <= 1e-12 * (1 + abs(s * p))
            for q in np.linspace(-6, 6, 25):
                assert float(value.mid()) >= s * q - float(loss.value(q, y)) - 1e-12


@pytest.mark.parametrize("name", LOSS_NAMES)
def test_bracket_contains_an_independent_solution(losses, name):
    """Every loss against a second, independent solver (BFGS from another start, on G itself): its value
    lies above the bracket's lower end, and the bracket closes to rounding."""
    loss = losses[name]
    rng = np.random.default_rng(200 + LOSS_NAMES.index(name))
    X, y = data_for_loss(rng, loss, 40, 3)
    res = linear_benchmark(X, y, loss)
    assert res.tight, res.lower_message
    other = minimize(lambda u: G(X, y, loss, u), rng.normal(size=3), method="BFGS",
                     options={"gtol": 1e-10, "maxiter": 2000})
    tol = rounding_tolerance(res.value, other.fun, n=40)
    assert res.lower <= other.fun + tol
    assert res.lower <= res.value + tol and res.value - res.lower <= tol
    assert abs(other.fun - res.value) <= 1e-8


def test_squared_loss_bracket_matches_least_squares(losses):
    rng = np.random.default_rng(11)
    X, y = data_for_loss(rng, losses["squared"], 35, 4)
    u = np.linalg.lstsq(X, y, rcond=None)[0]
    exact = 0.5 * np.mean((X @ u - y) ** 2)
    res = linear_benchmark(X, y, losses["squared"])
    tol = rounding_tolerance(exact, n=35)
    assert res.lower - tol <= exact <= res.value + tol and res.bracket_width <= tol


def test_separable_data_get_a_valid_bracket(losses):
    X, y = classification_data(np.random.default_rng(5), 40, 3, separable=True)
    res = linear_benchmark(X, y, losses["logistic"])
    assert not res.attained and res.lower <= 0.0 <= res.value and res.bracket_width <= 1e-300


def test_partially_separable_bracket(losses):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    res = linear_benchmark(X, y, losses["logistic"])
    exact = float(losses["logistic"].value(0.0, 1.0)) / 2
    assert res.lower <= exact <= res.value + 1e-15 and res.tight


def test_a_benchmark_reported_too_large_breaks_its_bracket(losses):
    """F_lin reported 0.01 too large: the dual lower bound excludes it (the bracket claim fails)."""
    import dataclasses

    X, y = data_for_loss(np.random.default_rng(3), losses["logistic"], 40, 3)
    res = linear_benchmark(X, y, losses["logistic"])
    assert bracket_claim("F_lin bracket", res, 40).margin >= 0
    planted = dataclasses.replace(res, value=res.value + 0.01)
    claim = bracket_claim("F_lin bracket", planted, 40)
    assert claim.margin < 0 and claim.margin == pytest.approx(-0.01, rel=1e-6)


def test_a_wrong_dual_is_caught_by_the_bracket(losses, monkeypatch):
    """A conjugate with a wrong sign gives a lower 'bound' above the value (or a wide bracket): the
    bracket claim fails either way."""
    conj, room = cb.CONJUGATES["poisson"]
    monkeypatch.setitem(cb.CONJUGATES, "poisson", (lambda s, y: -conj(s, y), room))
    X, y = data_for_loss(np.random.default_rng(8), losses["poisson"], 40, 3)
    res = linear_benchmark(X, y, losses["poisson"])
    assert bracket_claim("F_lin bracket", res, 40).margin < 0


def test_no_conjugate_no_lower_bound(losses):
    from resnet_lemmas.proofs.losses import P, Y, custom_loss

    quartic = custom_loss("quartic", (P - Y) ** 4 / 4 + (P - Y) ** 2 / 2)
    X, y = data_for_loss(np.random.default_rng(1), losses["squared"], 20, 2)
    res = linear_benchmark(X, y, quartic)
    assert res.lower == float("-inf") and "no closed-form conjugate" in res.lower_message
    assert not res.tight and bracket_claim("F_lin bracket", res, 20) is None


def test_nearly_dependent_features_give_a_valid_loose_bracket(losses):
    """Two features equal up to 1e-12: float64 cannot resolve the direction separating them, so the
    dual point needs a large correction; the bracket stays valid (lower <= value) and is not demanded
    to close."""
    rng = np.random.default_rng(9)
    X, y = data_for_loss(rng, losses["logistic"], 30, 2)
    f = np.tanh(X @ rng.normal(size=2))
    Fx = np.stack((f, f + 1e-12 * rng.normal(size=30)), axis=1)
    res = feature_benchmark(X, Fx, y, losses["logistic"])
    assert res.lower <= res.value + rounding_tolerance(res.value, n=30)
    if not res.tight:
        assert bracket_claim("F_feat bracket", res, 30) is None


# -- the separability shortcut for many points ---------------------------------------------------
SMALL_SUBSAMPLE = 50   # the shortcut's first subsample in these tests (SUBSAMPLE_ROWS is 2000), so
                       # that a few hundred points exercise it


def test_subsample_shortcut_gives_the_full_lp_result_on_inseparable_data(losses, monkeypatch):
    """Noisy labels: the shortcut certifies S empty on 50 of 400 rows; the benchmark is the same as
    with the LP on all rows (it is the same Newton solve once S is known to be empty)."""
    X, y = classification_data(np.random.default_rng(7), 400, 3)
    loss = losses["logistic"]
    monkeypatch.setattr(cb, "SUBSAMPLE_ROWS", SMALL_SUBSAMPLE)
    assert cb._inseparable_by_subsample(y[:, None] * X)
    shortcut = linear_benchmark(X, y, loss)
    monkeypatch.setattr(cb, "SUBSAMPLE_ROWS", 10**9)
    full = linear_benchmark(X, y, loss)
    assert shortcut.attained and full.attained and shortcut.n_separated == full.n_separated == 0
    assert shortcut.value == full.value and np.array_equal(shortcut.argmin, full.argmin)


def _separable_off_the_subsample(rng, m):
    """Rows ``(x, 0)`` with noisy labels (nothing separable along x) and three rows ``(0, 1)``, label
    +1, outside the evenly spaced subsample: ``u = (0, 1)`` separates exactly those three."""
    X = np.column_stack((rng.normal(size=m), np.zeros(m)))
    y = rng.choice([-1.0, 1.0], size=m)
    X[-1], y[-1] = -X[0], y[0]                  # the pair (x, y), (-x, y): x alone separates nothing
    subsample = set(np.linspace(0, m - 1, SMALL_SUBSAMPLE).round().astype(int).tolist())
    special = [i for i in range(1, m - 1) if i not in subsample][:3]
    X[special], y[special] = [0.0, 1.0], 1.0
    return X, y, special


def test_subsample_shortcut_declines_when_the_subsample_misses_a_direction(losses, monkeypatch):
    """The rank condition is what makes the shortcut sound: here the subsample has rank 1 < 2, sees
    nothing separable, and yet three points are separable; the shortcut must decline, and the
    benchmark must find the three points and report the infimum as not attained."""
    X, y, special = _separable_off_the_subsample(np.random.default_rng(8), 400)
    loss = losses["logistic"]
    monkeypatch.setattr(cb, "SUBSAMPLE_ROWS", SMALL_SUBSAMPLE)
    assert not cb._inseparable_by_subsample(y[:, None] * X)
    res = linear_benchmark(X, y, loss)
    assert not res.attained and res.n_separated == 3
    np.testing.assert_allclose(res.direction, [0.0, 1.0], atol=1e-9)


def test_subsample_shortcut_without_the_rank_condition_would_be_wrong(losses, monkeypatch):
    """The test above can fail: a shortcut that skips the rank comparison (ranks faked equal) claims
    S empty on the same data, and the benchmark then misses the three separable points."""
    X, y, _ = _separable_off_the_subsample(np.random.default_rng(8), 400)
    monkeypatch.setattr(cb, "SUBSAMPLE_ROWS", SMALL_SUBSAMPLE)
    real_svd = np.linalg.svd

    def svd_padding_rank(A, compute_uv=True, **kwargs):   # every matrix looks full rank
        sv = real_svd(A, compute_uv=compute_uv, **kwargs)
        return np.where(sv == 0, 1.0, np.maximum(sv, 1.0)) if not compute_uv else sv

    monkeypatch.setattr(cb.np.linalg, "svd", svd_padding_rank)
    assert cb._inseparable_by_subsample(y[:, None] * X)
    res = linear_benchmark(X, y, losses["logistic"])
    assert res.n_separated == 0            # the wrong answer the rank condition prevents


def test_subsample_shortcut_declines_on_separable_data(losses, monkeypatch):
    X, y = classification_data(np.random.default_rng(9), 400, 3, separable=True)
    monkeypatch.setattr(cb, "SUBSAMPLE_ROWS", SMALL_SUBSAMPLE)
    assert not cb._inseparable_by_subsample(y[:, None] * X)
    res = linear_benchmark(X, y, losses["logistic"])
    assert not res.attained and res.n_separated == 400 and res.value == 0.0
