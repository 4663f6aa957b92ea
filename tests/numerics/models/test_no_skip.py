"""Dead-ReLU local-minimum certificates without the skip connection."""
import numpy as np
import pytest

from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.no_skip import (TwoLayerNet, best_constant, constant_suboptimality,
                                            dead_first_layer, no_skip_local_minimum, symmetrised)
from resnet_lemmas.numerics.witnesses.no_skip_bad_minimum import resnet_without_skip


def test_best_constant_of_the_squared_loss_is_the_mean(losses, rng):
    y = rng.normal(size=30)
    s, lo, hi = best_constant(losses["squared"], y)
    assert s == pytest.approx(y.mean(), abs=1e-14)
    assert constant_suboptimality(losses["squared"], y, s) <= 1e-25
    # away from the mean the bound must be at least the true excess (s0 - mean)^2 / 2
    assert constant_suboptimality(losses["squared"], y, s + 0.1) >= 0.5 * 0.1 ** 2 - 1e-15


def test_best_constant_raises_when_the_infimum_is_not_attained(losses):
    with pytest.raises(ValueError, match="not attained"):
        best_constant(losses["logistic"], np.ones(5))


def test_certified_neighbourhood_really_is_a_local_minimum():
    """Random perturbations of every parameter within the certified radius never lower F."""
    rng = np.random.default_rng(11)
    _, problem, w, V, theta = resnet_without_skip(11, rng)
    cert = no_skip_local_minimum(problem, w, V, theta)
    assert cert.ok, cert.message
    for _ in range(200):
        step = rng.normal(size=problem.n_params)
        step *= 0.99 * cert.radius * rng.uniform() / np.linalg.norm(step)
        w2, V2, th2 = problem.unpack(problem.pack(w, V, theta) + step)
        assert problem.objective(w2, V2, th2) >= cert.F - cert.delta - cert.tolerance


def test_certificate_rejects_a_point_that_is_not_the_best_constant():
    rng = np.random.default_rng(12)
    _, problem, w, V, theta = resnet_without_skip(12, rng)
    f0 = problem.features(theta)[0]
    moved = V + 0.1 * np.outer(w, f0)   # w^T V f0 moves from 0 to 0.1 ||w||^2 ||f0||^2
    cert = no_skip_local_minimum(problem, w, moved, theta)
    assert not cert.ok
    assert "is not the best constant" in cert.message


def test_certificate_rejects_a_live_relu():
    rng = np.random.default_rng(13)
    _, problem, w, V, theta = resnet_without_skip(13, rng)
    theta = theta.copy()
    A, b = problem.unit.layers(theta)[0]
    b[0] = 10.0 + np.max(np.abs(problem.X @ A[0]))               # unit 0 active everywhere
    cert = no_skip_local_minimum(problem, w, V, theta)
    assert not cert.ok
    assert "first-layer unit 0 is active" in cert.message
    assert not dead_first_layer(problem.unit, problem.X, theta).ok


def test_certificate_refuses_the_model_with_skip_connection():
    rng = np.random.default_rng(14)
    _, problem, w, V, theta = resnet_without_skip(14, rng)
    problem.skip = True
    with pytest.raises(ValueError, match="skip=False"):
        no_skip_local_minimum(problem, w, V, theta)


def test_two_layer_net_certificate_accepts_dead_and_rejects_live_units(losses):
    rng = np.random.default_rng(15)
    X, y = data_for_loss(rng, losses["poisson"], 30, 2)
    net = TwoLayerNet(X, y, losses["poisson"])
    A = rng.normal(size=(3, 2))
    dead = -(np.max(X @ A.T, axis=0) + 0.5)
    cert = net.local_minimum(A, dead, rng.normal(size=3))
    assert cert.ok and cert.F == pytest.approx(np.mean(losses["poisson"].value(0 * y, y)))
    live = dead.copy()
    live[2] = 0.0 + np.max(np.abs(X @ A[2])) + 1.0
    bad = net.local_minimum(A, live, rng.normal(size=3))
    assert not bad.ok and "unit 2 is active" in bad.message


def test_the_bracket_of_the_best_constant_is_proven_in_arb_balls(losses, rng):
    from resnet_lemmas.numerics.certificates.enclosures import mean_derivative
    from resnet_lemmas.numerics.models.no_skip import certified_bracket

    y = np.concatenate((rng.normal(size=10), -rng.normal(size=10)))
    loss = losses["pseudo_huber"]
    s, lo, hi = best_constant(loss, y)
    lo2, hi2 = certified_bracket(loss, y, s, s)       # a degenerate bracket is widened until proven
    assert lo2 <= s <= hi2 and lo2 < hi2
    assert mean_derivative(loss, y, lo2).upper() < 0 < mean_derivative(loss, y, hi2).lower()


def test_symmetric_data_give_a_zero_suboptimality_at_the_constant_zero(losses):
    X, y = symmetrised(np.ones((3, 1)), np.array([0.5, -1.0, 2.0]))
    # E l'(0; y) = 0 exactly for a symmetric sample: the Arb ball of G'(0) is zero
    assert constant_suboptimality(losses["pseudo_huber"], y, 0.0) <= 1e-30
    assert constant_suboptimality(losses["pseudo_huber"], y, 0.1) > 1e-4


def test_an_unattained_best_constant_cannot_be_bracketed(losses):
    from resnet_lemmas.numerics.models.no_skip import certified_bracket

    with pytest.raises(ValueError, match="could not prove"):
        certified_bracket(losses["logistic"], np.ones(5), -1.0, 1.0)
