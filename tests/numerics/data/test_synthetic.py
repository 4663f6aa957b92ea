"""Data validation (clear errors) and the seeded generators."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.synthetic import (DataError, classification_data, count_data, data_for_loss,
                                         regression_data, validate_data)


def test_validate_returns_contiguous_float64():
    X = np.asfortranarray(np.arange(12, dtype=np.int32).reshape(6, 2))
    X2, y2 = validate_data(X, [0, 1, 0, 1, 0, 1])
    assert X2.dtype == y2.dtype == np.float64
    assert X2.flags.c_contiguous and y2.flags.c_contiguous
    np.testing.assert_array_equal(X2, X)


@pytest.mark.parametrize("X, y, message", [
    (np.zeros(5), np.zeros(5), "X must be a 2-D array (n, d); got shape (5,)"),
    (np.zeros((5, 2)), np.zeros((5, 1)), "y must be a 1-D array (n,); got shape (5, 1)"),
    (np.zeros((10, 2)), np.zeros(9), "X has 10 rows but y has 9"),
    (np.zeros((1, 2)), np.zeros(1), "need at least n = 2 samples; got n = 1"),
    (np.zeros((4, 0)), np.zeros(4), "at least one column"),
    (np.array([[np.nan, 1.0], [np.inf, 0.0], [1.0, 1.0]]), np.zeros(3), "X has 2 NaN/inf entries"),
    (np.zeros((4, 2)), np.array([np.nan, np.inf, -np.inf, 0.0]), "y has 3 NaN/inf entries"),
    ([["a", "b"], ["c", "d"]], [0, 1], "X must be numeric"),
])
def test_validation_errors_name_the_problem(X, y, message):
    with pytest.raises(DataError) as info:
        validate_data(X, y)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("generator", [regression_data, classification_data, count_data])
def test_generators_are_seeded_with_right_shapes(generator):
    X, y = generator(np.random.default_rng(3), 25, 4)
    X2, y2 = generator(np.random.default_rng(3), 25, 4)
    assert X.shape == (25, 4) and y.shape == (25,)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    with pytest.raises(TypeError, match="Generator"):
        generator(3, 25, 4)
    with pytest.raises(DataError, match="n must be an integer >= 2"):
        generator(np.random.default_rng(3), 1, 4)


def test_targets_match_loss_families(losses):
    rng = np.random.default_rng(8)
    for loss in losses.values():
        X, y = data_for_loss(rng, loss, 40, 3)
        loss.check_targets(y)
        if loss.targets == "sign":
            assert set(np.unique(y)) == {-1.0, 1.0}
        if loss.targets == "count":
            assert np.all(y >= 0) and np.all(y == np.round(y))
            assert (y == 0).any() and (y > 0).any()


def test_regression_has_a_nonlinear_part():
    """A linear fit leaves a residual much larger than the noise: residual units have room to help."""
    X, y = regression_data(np.random.default_rng(4), 400, 3, noise=0.01)
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.std(resid) > 10 * 0.01


def test_classification_separability(losses):
    """Default data are certainly not linearly separable (antipodal pair with equal labels); the
    ``separable=True`` option is separable.  Checked with the benchmark's LP certificate."""
    logistic = losses["logistic"]
    for s in range(5):
        X, y = classification_data(np.random.default_rng(s), 30, 3)
        assert np.array_equal(X[-1], -X[0]) and y[-1] == y[0]
        assert linear_benchmark(X, y, logistic).n_separated < 30
        Xs, ys = classification_data(np.random.default_rng(s), 30, 3, separable=True)
        assert linear_benchmark(Xs, ys, logistic).n_separated == 30
