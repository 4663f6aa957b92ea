"""Richardson-extrapolated derivatives, and the gradient checker's power to reject wrong gradients."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.certificates.derivatives import (EPS, derivative_tolerance, directional_derivative,
                                                gradient_check)
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.networks import MLPUnit


def test_directional_derivative_known_function(rng):
    x, v = rng.normal(size=4), rng.normal(size=4)
    fun = lambda z: float(np.sin(z).sum() + np.exp(z[0] * z[1]))  # noqa: E731
    exact = float(np.cos(x) @ v + np.exp(x[0] * x[1]) * (x[1] * v[0] + x[0] * v[1]))
    est, err = directional_derivative(fun, x, v)
    assert abs(est - exact) <= derivative_tolerance(err, fun(x), exact)
    assert err < 1e-8  # smooth function: the extrapolation converges far below the forward-difference error


def test_directional_derivative_errors():
    with pytest.raises(ValueError, match="same shape"):
        directional_derivative(lambda z: 0.0, np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="NaN/inf"):
        directional_derivative(lambda z: np.nan, np.zeros(2), np.ones(2))


def test_tolerance_formula():
    assert derivative_tolerance(1e-9, 2.0, -3.0) == pytest.approx(1e-8 + 1e3 * EPS * 6.0)


# -- the checker must be able to fail -----------------------------------------------------------------
class FlippedGradV(ResNetProblem):
    """grad_V with the wrong sign."""

    def _gradients(self, w, V, theta):
        g = super()._gradients(w, V, theta)
        g.grad_V = -g.grad_V
        return g


class MissingVc(ResNetProblem):
    """grad_w = E[r x] only: the V c term (from the residual branch) forgotten."""

    def _gradients(self, w, V, theta):
        g = super()._gradients(w, V, theta)
        g.grad_w = g.r_x.copy()
        return g


class SlightlyScaledTheta(ResNetProblem):
    """grad_theta off by a relative 1e-6: the checker's resolution is far finer than that."""

    def _gradients(self, w, V, theta):
        g = super()._gradients(w, V, theta)
        g.grad_theta = g.grad_theta * (1 + 1e-6)
        return g


@pytest.fixture
def instance(losses, rng):
    X, y = data_for_loss(rng, losses["logistic"], 40, 3)
    unit = MLPUnit(3, 2, (5, 4), "tanh")
    w, V, theta = rng.normal(size=3), rng.normal(size=(3, 2)), unit.init(rng)
    return unit, X, y, losses["logistic"], (w, V, theta)


def test_correct_gradient_passes(instance, rng):
    unit, X, y, loss, point = instance
    check = gradient_check(ResNetProblem(unit, X, y, loss), *point, rng)
    assert check.passed, str(check)
    assert len(check.checks) == 12


@pytest.mark.parametrize("cls, block", [(FlippedGradV, "V"), (MissingVc, "w"), (SlightlyScaledTheta, "theta")])
def test_wrong_gradient_is_rejected(instance, rng, cls, block):
    unit, X, y, loss, point = instance
    check = gradient_check(cls(unit, X, y, loss), *point, rng)
    assert not check.passed
    assert check.max_discrepancy > check.tolerance
    failing = {c.block for c in check.checks if not c.passed}
    assert block in failing and failing <= {block, "all"}


def test_relu_units_pass_at_random_points(losses):
    """ReLU: piecewise smooth, but at random points no kink lies within the extrapolation steps."""
    rng = np.random.default_rng(7)
    X, y = data_for_loss(rng, losses["squared"], 30, 2)
    for depth in (1, 3):
        unit = MLPUnit(2, 2, (6,) * depth, "relu")
        problem = ResNetProblem(unit, X, y, losses["squared"])
        check = gradient_check(problem, rng.normal(size=2), rng.normal(size=(2, 2)), unit.init(rng), rng)
        assert check.passed, str(check)


def test_gradient_check_requires_generator(instance):
    unit, X, y, loss, point = instance
    with pytest.raises(TypeError, match="Generator"):
        gradient_check(ResNetProblem(unit, X, y, loss), *point, 0)


# -- batched extrapolation (all levels in one call) ---------------------------------------------------
from resnet_lemmas.numerics.certificates import derivatives as derivatives_module  # noqa: E402
from resnet_lemmas.numerics.certificates.derivatives import (derivative_allowance,  # noqa: E402
                                                             directional_derivatives,
                                                             second_directional_derivatives)


def _smooth(Z):
    Z = np.atleast_2d(Z)
    return np.sin(Z).sum(axis=1) + np.exp(Z[:, 0] * Z[:, 1]) + 0.1 * np.sum(Z ** 4, axis=1)


def _smooth_grad(z):
    return np.cos(z) + np.exp(z[0] * z[1]) * np.array([z[1], z[0]] + [0.0] * (z.size - 2)) + 0.4 * z ** 3


def _smooth_hessian(z):
    H = np.diag(-np.sin(z) + 1.2 * z ** 2)
    e = np.exp(z[0] * z[1])
    H[:2, :2] += e * np.array([[z[1] ** 2, 1 + z[0] * z[1]], [1 + z[0] * z[1], z[0] ** 2]])
    return H


def test_batched_derivatives_match_exact_values_and_scipy(rng):
    x, D = rng.normal(size=4), rng.normal(size=(5, 4))
    est, err = directional_derivatives(_smooth, x, D)
    exact = D @ _smooth_grad(x)
    F = float(_smooth(x)[0])
    assert np.all(np.abs(est - exact) <= [derivative_tolerance(e, F, a) for e, a in zip(err, exact)])
    assert np.all(err < 1e-9)
    for j in range(2):   # the same numbers as the scalar, scipy-driven extrapolation, to its accuracy
        scalar, scalar_err = directional_derivative(lambda z: float(_smooth(z)[0]), x, D[j])
        assert abs(scalar - est[j]) <= derivative_tolerance(max(scalar_err, err[j]), F, exact[j])


def test_batched_second_derivatives_match_the_hessian(rng):
    x, D = rng.normal(size=4), rng.normal(size=(5, 4))
    est, err = second_directional_derivatives(_smooth, x, D)
    exact = np.einsum("mi,ij,mj->m", D, _smooth_hessian(x), D)
    F = float(_smooth(x)[0])
    assert np.all(np.abs(est - exact) <= [derivative_tolerance(e, F, a) for e, a in zip(err, exact)])
    wrong = exact + 1e-5 * np.abs(exact)   # a curvature off by 1e-5 relative is resolved
    assert np.all(np.abs(est - wrong) > [derivative_tolerance(e, F, a) for e, a in zip(err, wrong)])


def test_one_sided_extrapolation_sees_one_side_of_a_kink():
    kink = lambda Z: np.abs(np.atleast_2d(Z)[:, 0] - 1e-5) + np.atleast_2d(Z)[:, 1] ** 2  # noqa: E731
    x, v = np.array([0.0, 1.0]), np.array([[1.0, 1.0]])
    central, central_err = directional_derivatives(kink, x, v)
    left, left_err = directional_derivatives(kink, x, v, step_direction=-1)
    assert abs(left[0] - 1.0) <= 10 * left_err[0] + 1e-12      # -1 + 2: the piece containing x
    assert central_err[0] > 1e3 * left_err[0]                   # the central stencil straddles the kink


def test_batched_extrapolation_refuses_nan_and_bad_shapes():
    with pytest.raises(ValueError, match="NaN/inf"):
        directional_derivatives(lambda Z: np.full(len(Z), np.nan), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="NaN/inf"):
        second_directional_derivatives(lambda Z: np.full(len(Z), np.inf), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="directions"):
        directional_derivatives(_smooth, np.zeros(3), np.eye(2))
    with pytest.raises(ValueError, match="step_direction"):
        directional_derivatives(_smooth, np.zeros(2), np.eye(2), step_direction=2)


def test_allowances_are_built_from_the_named_constants(monkeypatch):
    allow = derivative_allowance(1e-9, 2.0, -3.0)
    assert allow == {"extrapolation": pytest.approx(derivatives_module.ERROR_FACTOR * 1e-9),
                     "rounding": pytest.approx(derivatives_module.ROUNDING_MULTIPLE * EPS * 6.0)}
    monkeypatch.setattr(derivatives_module, "ERROR_FACTOR", 1e7)   # a tolerance loosened 1e6-fold
    assert derivative_allowance(1e-9, 2.0, -3.0)["extrapolation"] == pytest.approx(1e-2)
