"""MLP residual units: shapes, validation, sampling, and vjp against Richardson-extrapolated
directional derivatives (``D_v <G, f_theta(X)> = vjp(X, theta, G) . v``), and the fused readout pass
against the straightforward forward pass and vjp."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.models import networks
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, MLPUnit, ResidualUnit, sample_unit
from resnet_lemmas.numerics.models.residual import FUSED_PATH_RTOL


def test_n_params_matches_layout():
    unit = MLPUnit(d=3, k=2, widths=(4, 5), activation="tanh")
    assert unit.n_params == 4 * (3 + 1) + 5 * (4 + 1) + 2 * (5 + 1)
    theta = np.arange(unit.n_params, dtype=float)
    layers = unit.layers(theta)
    assert [A.shape for A, _ in layers] == [(4, 3), (5, 4), (2, 5)]
    assert [b.shape for _, b in layers] == [(4,), (5,), (2,)]
    assert np.array_equal(np.concatenate([np.concatenate((A.ravel(), b)) for A, b in layers]), theta)


def test_call_matches_explicit_formula(rng):
    unit = MLPUnit(d=2, k=3, widths=(4,), activation="sigmoid")
    theta = unit.init(rng)
    X = rng.normal(size=(7, 2))
    (A, b), (C, c) = unit.layers(theta)
    expected = (1.0 / (1.0 + np.exp(-(X @ A.T + b)))) @ C.T + c
    np.testing.assert_allclose(unit(X, theta), expected, rtol=1e-14, atol=1e-14)  # same ops, rounding only
    assert isinstance(unit, ResidualUnit)


@seed(11)
@settings(max_examples=16, deadline=None)
@given(activation=st.sampled_from(ACTIVATIONS), depth=st.integers(1, 4),
       k=st.integers(1, 3), np_seed=st.integers(0, 2**32 - 1))
def test_vjp_matches_directional_derivative(activation, depth, k, np_seed):
    rng = np.random.default_rng(np_seed)
    unit = sample_unit(rng, d=3, k=k, depth=depth, activation=activation)
    X = rng.normal(size=(9, 3))
    theta = unit.init(rng)
    G = rng.normal(size=(9, k))
    v = rng.normal(size=unit.n_params)
    v /= np.linalg.norm(v)

    def pairing(t):
        return float(np.sum(G * unit(X, t)))

    numeric, err = directional_derivative(pairing, theta, v)
    analytic = float(unit.vjp(X, theta, G) @ v)
    tol = derivative_tolerance(err, pairing(theta), analytic)
    assert abs(numeric - analytic) <= tol, (numeric, analytic, err)


def test_vjp_rejects_a_wrong_rule_via_the_same_check(rng):
    """The comparison used above can fail: a unit whose vjp drops the readout bias is caught."""
    unit = MLPUnit(d=2, k=2, widths=(3,), activation="tanh")
    X, theta, G = rng.normal(size=(6, 2)), unit.init(rng), rng.normal(size=(6, 2))
    wrong = unit.vjp(X, theta, G)
    wrong[-2:] = 0.0                       # forget grad c = 1^T G
    v = np.zeros(unit.n_params)
    v[-2:] = [0.6, 0.8]
    numeric, err = directional_derivative(lambda t: float(np.sum(G * unit(X, t))), theta, v)
    assert abs(numeric - wrong @ v) > derivative_tolerance(err, 1.0, wrong @ v)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(d=0, k=1, widths=(2,)), "MLPUnit.d must be a positive integer"),
    (dict(d=2, k=1, widths=()), "depth len(widths) must be in 1..4"),
    (dict(d=2, k=1, widths=(2, 2, 2, 2, 2)), "depth len(widths) must be in 1..4"),
    (dict(d=2, k=1, widths=(2, 0)), "widths must be positive integers"),
    (dict(d=2, k=1, widths=(2,), activation="gelu"), "unknown activation 'gelu'"),
])
def test_constructor_errors(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        MLPUnit(**kwargs)


def test_shape_errors_name_expected_and_actual(rng):
    unit = MLPUnit(d=3, k=2, widths=(4,))
    theta = unit.init(rng)
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, d\) = \(n, 3\); got shape \(5,\)"):
        unit(np.zeros(5), theta)
    with pytest.raises(ValueError, match=r"X .*got shape \(5, 2\)"):
        unit(np.zeros((5, 2)), theta)
    with pytest.raises(ValueError, match=rf"theta must have shape \(q,\) = \({unit.n_params},\).*got shape \(3,\)"):
        unit(np.zeros((5, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"G must have shape \(n, k\) = \(5, 2\); got shape \(5, 3\)"):
        unit.vjp(np.zeros((5, 3)), theta, np.zeros((5, 3)))


def test_sample_unit_ranges_and_reproducibility():
    units = [sample_unit(np.random.default_rng(s), d=3, k=2) for s in range(60)]
    assert {u.depth for u in units} == {1, 2, 3, 4}
    assert {u.activation for u in units} == set(ACTIVATIONS)
    assert all(2 <= w <= 8 for u in units for w in u.widths)
    assert sample_unit(np.random.default_rng(5), 3, 2) == sample_unit(np.random.default_rng(5), 3, 2)
    fixed = sample_unit(np.random.default_rng(0), 3, 2, depth=2, width=6, activation="relu")
    assert fixed == MLPUnit(3, 2, (6, 6), "relu")
    assert all(w <= 6 for s in range(20) for w in sample_unit(np.random.default_rng(s), 2, 1, max_width=6).widths)


def test_init_is_seeded_and_scaled():
    unit = MLPUnit(d=4, k=2, widths=(6, 6))
    a = unit.init(np.random.default_rng(1))
    assert np.array_equal(a, unit.init(np.random.default_rng(1)))
    assert np.allclose(unit.init(np.random.default_rng(1), scale=2.0), 2.0 * a)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        unit.init(1)


# -- the fused readout pass ---------------------------------------------------------------------
def run_readout_pass(unit, X, theta, u, r, **options):
    """``readout_pass`` with ``respond`` returning the given cotangent ``r``; also collects ``s``."""
    s = np.full(X.shape[0], np.nan)

    def respond(rows, s_block):
        s[rows] = s_block
        return r[rows]

    return unit.readout_pass(X, theta, u, respond, **options), s


def readout_pass_disagreement(unit, X, theta, u, r, result, s) -> dict[str, float]:
    """``max|fused - straightforward| / scale`` per quantity (must be <= FUSED_PATH_RTOL).

    The straightforward values are ``f_theta(X) u``, ``vjp(X, theta, r u^T)`` and ``f_theta(X)^T r``;
    ``scale`` is the largest entry of the sum over rows of the absolute per-row terms (one-row vjp
    calls), the size of what rounding can disturb in a sum over rows.
    """
    features = unit(X, theta)
    per_row_vjp = np.array([np.abs(unit.vjp(X[i:i + 1], theta, np.outer(r[i:i + 1], u)))
                            for i in range(X.shape[0])])
    checks = {
        "s": (s, features @ u, np.max(np.abs(features) @ np.abs(u))),
        "vjp": (result.vjp, unit.vjp(X, theta, np.outer(r, u)), np.max(per_row_vjp.sum(axis=0))),
        "feature_moment": (result.feature_moment, features.T @ r, np.max(np.abs(features).T @ np.abs(r))),
    }
    return {name: float(np.max(np.abs(fused - reference)) / scale)
            for name, (fused, reference, scale) in checks.items()}


@seed(12)
@settings(max_examples=40, deadline=None)
@given(activation=st.sampled_from(ACTIVATIONS), depth=st.integers(1, 4), k=st.integers(1, 3),
       n=st.integers(1, 40), block_rows=st.sampled_from([None, 1, 3, 16]),
       np_seed=st.integers(0, 2**32 - 1))
def test_readout_pass_equals_straightforward_vjp(activation, depth, k, n, block_rows, np_seed):
    """s = f_theta(X) u, vjp = vjp(X, theta, r u^T), feature_moment = f_theta(X)^T r, to rounding."""
    rng = np.random.default_rng(np_seed)
    unit = sample_unit(rng, d=3, k=k, depth=depth, activation=activation)
    X, theta, u, r = rng.normal(size=(n, 3)), unit.init(rng), rng.normal(size=k), rng.normal(size=n)
    result, s = run_readout_pass(unit, X, theta, u, r, block_rows=block_rows)
    worst = readout_pass_disagreement(unit, X, theta, u, r, result, s)
    assert max(worst.values()) <= FUSED_PATH_RTOL, worst


def test_readout_pass_comparison_rejects_a_wrong_derivative(rng, monkeypatch):
    """The comparison above can fail: a fused pass with tanh' = 1 - a (not 1 - a^2) is caught."""
    unit = MLPUnit(d=3, k=2, widths=(4, 5), activation="tanh")
    X, theta, u, r = rng.normal(size=(20, 3)), unit.init(rng), rng.normal(size=2), rng.normal(size=20)
    monkeypatch.setitem(networks._DERIVATIVE_INPLACE, "tanh", lambda a: np.subtract(1.0, a, out=a))
    result, s = run_readout_pass(unit, X, theta, u, r, block_rows=7)
    worst = readout_pass_disagreement(unit, X, theta, u, r, result, s)
    assert worst["vjp"] > 1e6 * FUSED_PATH_RTOL and worst["s"] <= FUSED_PATH_RTOL, worst


def test_readout_pass_blocks_and_forward_only(rng):
    """Blocks cover the rows in order; backward=False ignores respond's value and returns no sums."""
    unit = MLPUnit(d=2, k=1, widths=(3,), activation="relu")
    X, theta = rng.normal(size=(10, 2)), unit.init(rng)
    seen = []
    result = unit.readout_pass(X, theta, np.ones(1), lambda rows, s: seen.append((rows.start, rows.stop)),
                               backward=False, block_rows=4)
    assert seen == [(0, 4), (4, 8), (8, 10)]
    assert result.vjp is None and result.feature_moment is None
    empty = unit.readout_pass(X[:0], theta, np.ones(1), lambda rows, s: s)   # no rows: empty sums
    assert np.array_equal(empty.vjp, np.zeros(unit.n_params)) and np.array_equal(empty.feature_moment, [0.0])


def test_readout_pass_errors(rng):
    unit = MLPUnit(d=2, k=2, widths=(3,))
    X, theta = rng.normal(size=(5, 2)), unit.init(rng)
    with pytest.raises(ValueError, match=r"u must have shape \(k,\) = \(2,\); got shape \(3,\)"):
        unit.readout_pass(X, theta, np.ones(3), lambda rows, s: s)
    with pytest.raises(ValueError, match="block_rows must be a positive integer; got 0"):
        unit.readout_pass(X, theta, np.ones(2), lambda rows, s: s, block_rows=0)
    with pytest.raises(ValueError, match="workers must be a positive integer; got 0"):
        unit.readout_pass(X, theta, np.ones(2), lambda rows, s: s, workers=0)
    with pytest.raises(ValueError, match=r"respond must return r for the block: shape \(5,\); got shape \(4,\)"):
        unit.readout_pass(X, theta, np.ones(2), lambda rows, s: s[:-1])
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, d\) = \(n, 2\)"):
        unit.readout_pass(X[:, :1], theta, np.ones(2), lambda rows, s: s)


def test_readout_pass_does_not_depend_on_the_number_of_workers(rng):
    """Chunks are summed in a fixed order, so 1, 2 or 3 threads give the same bits."""
    unit = MLPUnit(d=3, k=2, widths=(5, 4), activation="softplus")
    X, theta, u, r = rng.normal(size=(200, 3)), unit.init(rng), rng.normal(size=2), rng.normal(size=200)
    results = [run_readout_pass(unit, X, theta, u, r, block_rows=4, workers=workers)
               for workers in (1, 2, 3)]   # 200 rows = 4 chunks of 16 blocks of 4 rows (the last short)
    for result, s in results[1:]:
        assert np.array_equal(result.vjp, results[0][0].vjp)
        assert np.array_equal(result.feature_moment, results[0][0].feature_moment)
        assert np.array_equal(s, results[0][1])
    worst = readout_pass_disagreement(unit, X, theta, u, r, *results[0])
    assert max(worst.values()) <= FUSED_PATH_RTOL, worst
