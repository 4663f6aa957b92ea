"""The residual network ``p = w^T (x + V f_theta(x))``: gradients against Richardson extrapolation,
the algebraic identities of section 2, packing, and construction errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from resnet_lemmas.numerics.data.synthetic import DataError, data_for_loss
from resnet_lemmas.numerics.certificates.derivatives import gradient_check
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, MLPUnit, sample_unit

from resnet_lemmas.proofs.losses import LOSSES

LOSS_NAMES = tuple(sorted(LOSSES))


def make_problem(rng, loss, n=30, d=3, k=2, depth=None, activation=None, skip=True):
    X, y = data_for_loss(rng, loss, n, d)
    unit = sample_unit(rng, d, k, depth=depth, activation=activation, max_width=6)
    return ResNetProblem(unit, X, y, loss, skip=skip)


def random_point(rng, problem, scale=1.0):
    return (scale * rng.normal(size=problem.d), scale * rng.normal(size=(problem.d, problem.k)),
            problem.unit.init(rng))


@seed(2018)
@settings(max_examples=24, deadline=None)
@given(loss_name=st.sampled_from(LOSS_NAMES), activation=st.sampled_from(ACTIVATIONS),
       depth=st.integers(1, 4), k=st.integers(1, 3), skip=st.booleans(),
       np_seed=st.integers(0, 2**32 - 1))
def test_gradients_agree_with_directional_derivatives(losses, loss_name, activation, depth, k, skip, np_seed):
    rng = np.random.default_rng(np_seed)
    problem = make_problem(rng, losses[loss_name], k=k, depth=depth, activation=activation, skip=skip)
    check = gradient_check(problem, *random_point(rng, problem, scale=0.7), rng, directions=1)
    assert check.passed, str(check)


def test_section2_identities(losses, rng):
    """grad_V = w c^T (rank one), c = grad_V^T w / ||w||^2, E[r x] = grad_w - V c, F(u, 0, theta) = E l(u^T x)."""
    for name in LOSS_NAMES:
        problem = make_problem(rng, losses[name])
        w, V, theta = random_point(rng, problem)
        g = problem.gradients(w, V, theta)
        # rounding: each side is a short sum of O(1) float64 terms
        np.testing.assert_allclose(g.grad_V, np.outer(w, g.c), rtol=0, atol=1e-14)
        assert np.linalg.matrix_rank(g.grad_V) <= 1
        np.testing.assert_allclose(g.grad_V.T @ w / (w @ w), g.c, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g.grad_w - V @ g.c, g.r_x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g.r, problem.loss.grad(problem.predict(w, V, theta), problem.y), rtol=1e-15)
        assert g.F == pytest.approx(problem.objective(w, V, theta), rel=1e-15)
        u = rng.normal(size=problem.d)
        lin = float(np.mean(problem.loss.value(problem.X @ u, problem.y)))
        assert problem.objective(u, np.zeros_like(V), theta) == pytest.approx(lin, rel=1e-14)


def test_no_skip_prediction_and_gradient(losses, rng):
    problem = make_problem(rng, losses["squared"], skip=False)
    w, V, theta = random_point(rng, problem)
    np.testing.assert_allclose(problem.predict(w, V, theta), problem.features(theta) @ V.T @ w, rtol=1e-13)
    g = problem.gradients(w, V, theta)
    np.testing.assert_allclose(g.grad_w, V @ g.c, rtol=1e-13, atol=1e-15)
    # F(w, 0, theta) is constant without the skip connection: E l(0; y)
    assert problem.objective(w, np.zeros_like(V), theta) == pytest.approx(
        float(np.mean(problem.loss.value(0.0, problem.y))), rel=1e-15)


def test_pack_unpack_roundtrip_and_fun_and_grad(losses, rng):
    problem = make_problem(rng, losses["logistic"])
    w, V, theta = random_point(rng, problem)
    flat = problem.pack(w, V, theta)
    assert flat.shape == (problem.d + problem.d * problem.k + problem.q,) == (problem.n_params,)
    w2, V2, theta2 = problem.unpack(flat)
    assert np.array_equal(w, w2) and np.array_equal(V, V2) and np.array_equal(theta, theta2)
    F, grad = problem.fun_and_grad(flat)
    g = problem.gradients(w, V, theta)
    assert F == g.F
    assert np.array_equal(grad, np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta)))
    with pytest.raises(ValueError, match=rf"packed parameters must have shape \({problem.n_params},\)"):
        problem.unpack(flat[:-1])


def test_point_shape_errors(losses, rng):
    problem = make_problem(rng, losses["squared"], d=3, k=2)
    w, V, theta = random_point(rng, problem)
    with pytest.raises(ValueError, match=r"w must have shape \(d,\) = \(3,\); got shape \(2,\)"):
        problem.gradients(w[:2], V, theta)
    with pytest.raises(ValueError, match=r"V must have shape \(d, k\) = \(3, 2\); got shape \(2, 3\)"):
        problem.objective(w, V.T, theta)
    with pytest.raises(ValueError, match=r"theta must have shape \(q,\)"):
        problem.predict(w, V, theta[:-1])


class NoVjpUnit:
    """A unit following the protocol with ``theta0`` and no ``vjp``: f_theta(x) = tanh(x theta)."""

    theta0 = np.array([0.5, -1.0])

    def __call__(self, X, theta):
        return np.tanh(X @ theta)[:, None]


def test_unit_protocol_without_vjp(losses, rng):
    X, y = data_for_loss(rng, losses["squared"], 20, 2)
    problem = ResNetProblem(NoVjpUnit(), X, y, losses["squared"])
    assert (problem.k, problem.q) == (1, 2)
    g = problem.gradients(np.ones(2), np.ones((2, 1)), NoVjpUnit.theta0)
    assert g.grad_theta is None and g.grad_V.shape == (2, 1)
    with pytest.raises(TypeError, match="no `vjp`"):
        problem.fun_and_grad(problem.pack(np.ones(2), np.ones((2, 1)), NoVjpUnit.theta0))


def test_construction_errors(losses, rng):
    X, y = data_for_loss(rng, losses["squared"], 20, 3)
    unit = MLPUnit(3, 2, (4,))
    with pytest.raises(DataError, match="X has 20 rows but y has 19"):
        ResNetProblem(unit, X, y[:-1], losses["squared"])
    with pytest.raises(DataError, match="y has 1 NaN/inf entries"):
        ResNetProblem(unit, X, np.where(np.arange(20) == 3, np.nan, y), losses["squared"])
    with pytest.raises(ValueError, match=r"needs targets in \{-1, \+1\}"):
        ResNetProblem(unit, X, y, losses["logistic"])
    with pytest.raises(ValueError, match=r"X must be a 2-D array of shape \(n, d\) = \(n, 3\)"):
        ResNetProblem(unit, X[:, :2], y, losses["squared"])

    class BadShape:
        theta0 = np.zeros(1)

        def __call__(self, X, theta):
            return np.zeros(X.shape[0] - 1)

    with pytest.raises(ValueError, match=r"must map X \(n, d\) = \(20, 3\) to \(n, k\); got shape \(19,\)"):
        ResNetProblem(BadShape(), X, y, losses["squared"])

    class NaNUnit(BadShape):
        def __call__(self, X, theta):
            return np.full((X.shape[0], 2), np.nan)

    with pytest.raises(ValueError, match="40 NaN/inf entries"):
        ResNetProblem(NaNUnit(), X, y, losses["squared"])
    with pytest.raises(TypeError, match="`theta0` or a method `init"):
        ResNetProblem(lambda X, t: X, X, y, losses["squared"])
