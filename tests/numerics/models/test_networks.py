"""MLP residual units: shapes, validation, sampling, and vjp against Richardson-extrapolated
directional derivatives (``D_v <G, f_theta(X)> = vjp(X, theta, G) . v``)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, MLPUnit, ResidualUnit, sample_unit


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
