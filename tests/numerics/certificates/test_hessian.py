"""The exact dense Hessian in (w, V), and the stationarity / negative-curvature certificates."""
import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.certificates.hessian import (dense_hessian, negative_curvature_certificate,
                                            stationarity_certificate)
from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses.bad_saddle_at_zero import saddle_point


def _grad_wV(problem, theta):
    d, k = problem.d, problem.k

    def grad(z):
        g = problem.gradients(z[:d], z[d:].reshape(d, k), theta)
        return np.concatenate((g.grad_w, g.grad_V.ravel()))
    return grad


@pytest.mark.parametrize("skip", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_dense_hessian_matches_extrapolated_derivative_of_the_gradient(seed, skip):
    problem = sample_instance(seed).problem
    problem.skip = skip
    rng = np.random.default_rng(seed)
    theta = problem.unit.init(rng)
    w, V = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k))
    H = dense_hessian(problem, w, V, theta)
    z = np.concatenate((w, V.ravel()))
    grad = _grad_wV(problem, theta)
    assert np.allclose(H, H.T, atol=0.0)
    for _ in range(3):
        a, b = rng.normal(size=z.size), rng.normal(size=z.size)
        est, err = directional_derivative(lambda x: float(grad(x) @ b), z, a)
        exact = float(a @ H @ b)
        assert abs(est - exact) <= derivative_tolerance(err, float(grad(z) @ b), exact)


def test_dense_hessian_check_rejects_a_missing_cross_term():
    """The derivative check above is able to fail: the Hessian without E[l'(p) d^2 p] is detected."""
    problem = sample_instance(3).problem
    rng = np.random.default_rng(3)
    theta = problem.unit.init(rng)
    _, _, V0 = saddle_point(problem, theta)
    w = 0.3 * rng.normal(size=problem.d)
    d = problem.d
    H = dense_hessian(problem, w, V0, theta)
    c = problem.gradients(w, V0, theta).c
    H_wrong = H.copy()
    H_wrong[:d, d:] -= np.kron(np.eye(d), c[None, :])   # the cross term I_d (x) c^T forgotten
    z = np.concatenate((w, V0.ravel()))
    grad = _grad_wV(problem, theta)
    e_w, e_V = np.eye(z.size)[0], np.eye(z.size)[d]     # d^2 F / dw_0 dV_00 = ... + c_0
    est, err = directional_derivative(lambda x: float(grad(x) @ e_V), z, e_w)
    assert abs(c[0]) > 1e-6
    assert abs(est - H[0, d]) <= derivative_tolerance(err, 0.0, H[0, d])
    assert abs(est - H_wrong[0, d]) > derivative_tolerance(err, 0.0, H_wrong[0, d])


def test_stationarity_certificate_accepts_the_saddle_and_rejects_a_perturbed_point():
    problem = sample_instance(7).problem
    theta = problem.unit.init(np.random.default_rng(7))
    a0, c0, V0 = saddle_point(problem, theta)
    zero = np.zeros(problem.d)
    assert stationarity_certificate(problem, zero, V0, theta, 1e-12).ok
    moved = stationarity_certificate(problem, zero, V0 + 1e-3, theta, 1e-12)
    assert not moved.ok
    assert "not stationary" in moved.message and "grad_w F" in moved.message


def test_negative_curvature_certificate_rejects_a_psd_hessian(rng):
    A = rng.normal(size=(6, 6))
    report = negative_curvature_certificate(A @ A.T, n=10)
    assert not report.ok
    assert "positive semidefinite" in report.message


def test_negative_curvature_certificate_rejects_a_direction_of_positive_curvature(rng):
    H = np.diag([-1.0, 2.0, 3.0])
    assert negative_curvature_certificate(H, n=5, direction=[1.0, 0.0, 0.0]).ok
    report = negative_curvature_certificate(H, n=5, direction=[1.0, 1.0, 0.0])
    assert not report.ok and "not a certified negative-curvature direction" in report.message


def test_negative_curvature_certificate_rejects_eigenvalues_within_rounding():
    report = negative_curvature_certificate(np.diag([-1e-17, 1.0]), n=5)
    assert not report.ok


def test_negative_curvature_certificate_rejects_an_asymmetric_matrix():
    with pytest.raises(ValueError, match="not symmetric"):
        negative_curvature_certificate(np.array([[0.0, 1.0], [0.0, 0.0]]), n=2)


def test_scaled_certificate_resolves_an_ill_conditioned_saddle_that_the_plain_one_cannot():
    """[[1e12, 1], [1, 0]] has lambda_min ~ -1e-12: far below rounding of ||H||, but S H S with
    S = diag(1e-6, 1) is [[1, 1e-6], [1e-6, 0]] (same inertia, Sylvester), whose -1e-12 is resolved."""
    H = np.array([[1e12, 1.0], [1.0, 0.0]])
    assert not negative_curvature_certificate(H, n=1).ok
    exact_entries = np.zeros_like(H)
    report = negative_curvature_certificate(H, n=1, error=exact_entries, scaling=np.array([1e-6, 1.0]))
    assert report.ok and "Sylvester" in report.message


def test_scaled_certificate_still_rejects_a_psd_matrix(rng):
    A = rng.normal(size=(5, 5))
    H = A @ A.T * np.logspace(0, 8, 5)[:, None] * np.logspace(0, 8, 5)[None, :]
    s = 1.0 / np.sqrt(np.diag(H))
    report = negative_curvature_certificate(H, n=3, error=1e-16 * np.abs(H), scaling=s)
    assert not report.ok and "positive semidefinite" in report.message


def test_entrywise_error_bound_dominates_the_summation_rounding():
    """|H - H_fsum| <= Eb, where H_fsum sums the same products with math.fsum (correctly rounded sums):
    the part of the rounding that comes from the means of n terms."""
    import math

    problem = sample_instance(9).problem
    rng = np.random.default_rng(9)
    theta = problem.unit.init(rng)
    w, V = rng.normal(size=problem.d), 10.0 * rng.normal(size=(problem.d, problem.k))
    H, Eb = dense_hessian(problem, w, V, theta, error_bound=True)
    Fx = problem.features(theta)
    phi = problem.X + Fx @ V.T
    p = phi @ w
    curv = problem.loss.curvature(p, problem.y)
    d, k, n = problem.d, problem.k, problem.n
    G = np.hstack((phi, (w[None, :, None] * Fx[:, None, :]).reshape(n, d * k)))
    ref = np.array([[math.fsum(curv * G[:, i] * G[:, j]) / n for j in range(G.shape[1])]
                    for i in range(G.shape[1])])
    r = problem.loss.grad(p, problem.y)
    c = np.array([math.fsum(r * Fx[:, m]) / n for m in range(k)])
    cross = np.kron(np.eye(d), c[None, :])
    ref[:d, d:] += cross
    ref[d:, :d] += cross.T
    assert np.all(np.abs(H - ref) <= Eb)


# -- the exact Hessian in all parameters (w, V, theta) ------------------------------------------------
from resnet_lemmas.numerics.certificates import hessian as hessian_module  # noqa: E402
from resnet_lemmas.numerics.certificates.hessian import (full_hessian, gradient_scale,  # noqa: E402
                                                         hessian_vector_products)
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, MLPUnit  # noqa: E402
from resnet_lemmas.numerics.models.residual import ResNetProblem  # noqa: E402


def _packed_grad(problem):
    def grad(z):
        return problem.fun_and_grad(z)[1]
    return grad


def _problem(seed, activation, skip=True, widths=(3, 2)):
    base = sample_instance(seed).problem
    unit = MLPUnit(base.d, base.k, widths, activation)
    return ResNetProblem(unit, base.X, base.y, base.loss, skip=skip)


def _point(problem, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k)), problem.unit.init(rng)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("skip", [True, False])
def test_full_hessian_matches_extrapolated_derivatives_of_the_gradient(activation, skip):
    for seed in (0, 3):
        problem = _problem(seed, activation, skip)
        w, V, theta = _point(problem, seed)
        R = full_hessian(problem, w, V, theta)
        z = problem.pack(w, V, theta)
        grad = _packed_grad(problem)
        assert np.array_equal(R.H, R.H.T) and np.all(R.error >= 0)
        np.testing.assert_allclose(R.grad, grad(z), rtol=1e-12, atol=1e-14)
        rng = np.random.default_rng(seed)
        for _ in range(2):
            a, b = rng.normal(size=z.size), rng.normal(size=z.size)
            est, err = directional_derivative(lambda x: float(grad(x) @ b), z, a, initial_step=1e-3)
            exact = float(a @ R.H @ b)
            assert abs(est - exact) <= derivative_tolerance(err, float(grad(z) @ b), exact)


def test_full_hessian_contains_the_dense_w_V_block_and_its_products():
    problem = sample_instance(5).problem
    w, V, theta = _point(problem, 5)
    R = full_hessian(problem, w, V, theta)
    N_wV = problem.d + problem.d * problem.k
    np.testing.assert_allclose(R.H[:N_wV, :N_wV], dense_hessian(problem, w, V, theta), rtol=1e-12, atol=1e-13)
    D = np.random.default_rng(0).normal(size=(4, problem.n_params))
    np.testing.assert_allclose(hessian_vector_products(problem, w, V, theta, D), D @ R.H, rtol=1e-10, atol=1e-12)
    assert hessian_vector_products(problem, w, V, theta, D[0]).shape == (problem.n_params,)
    with pytest.raises(ValueError, match="columns"):
        hessian_vector_products(problem, w, V, theta, D[:, 1:])


def test_the_extrapolation_check_rejects_a_hessian_without_the_activation_curvature(monkeypatch):
    """The check above can fail: dropping act'' (the second-order term of the unit) is detected."""
    problem = _problem(1, "tanh")
    w, V, theta = _point(problem, 1)
    real = hessian_module._activation3
    monkeypatch.setattr(hessian_module, "_activation3",
                        lambda name, z: (lambda a, da, dda, d3: (a, da, 0.0 * dda, d3))(*real(name, z)))
    H = full_hessian(problem, w, V, theta).H
    z = problem.pack(w, V, theta)
    grad = _packed_grad(problem)
    worst = 0.0
    for j in range(problem.d + problem.d * problem.k, z.size):
        e = np.eye(z.size)[j]
        est, err = directional_derivative(lambda x: float(grad(x) @ e), z, e, initial_step=1e-3)
        worst = max(worst, abs(est - H[j, j]) / derivative_tolerance(err, 0.0, H[j, j]))
    assert worst > 1.0


def test_rounding_bound_covers_the_asymmetry_of_the_raw_hessian():
    """The exact Hessian is symmetric, so the two triangles of the raw forward-over-reverse result differ
    by rounding only: the entrywise error bound must cover that difference."""
    problem = _problem(2, "sigmoid")
    w, V, theta = _point(problem, 2)
    eye = np.eye(problem.n_params)
    _, raw, _ = hessian_module._mlp_second_order(problem, w, V, theta, eye)
    R = full_hessian(problem, w, V, theta)
    assert np.all(np.abs(raw - R.H) <= R.error)


def test_gradient_scale_bounds_every_gradient_entry():
    problem = _problem(4, "softplus")
    w, V, theta = _point(problem, 4)
    R = full_hessian(problem, w, V, theta)
    assert np.all(np.abs(R.grad) <= R.grad_scale * (1 + 1e-12))
    assert gradient_scale(problem, w, V, theta) == pytest.approx(np.linalg.norm(R.grad_scale), rel=1e-12)
    assert R.F_rounding > 0 and R.grad_floor > 0


def test_units_without_an_exact_hessian_get_extrapolated_differences():
    """A unit that is not an MLPUnit (same function, wrapped) gets the difference Hessian, which agrees
    with the exact one within its error estimate."""
    problem = _problem(6, "tanh", widths=(2,))

    class Wrapped:
        def __init__(self, unit):
            self.unit = unit
            self.theta0 = unit.init(np.random.default_rng(0))

        def __call__(self, X, theta):
            return self.unit(X, theta)

        def vjp(self, X, theta, G):
            return self.unit.vjp(X, theta, G)

    wrapped = ResNetProblem(Wrapped(problem.unit), problem.X, problem.y, problem.loss)
    w, V, theta = _point(problem, 6)
    exact = full_hessian(problem, w, V, theta)
    approx = full_hessian(wrapped, w, V, theta)
    assert exact.exact and not approx.exact
    assert np.all(np.abs(approx.H - exact.H) <= 10 * approx.error + 1e-9)
    with pytest.raises(TypeError, match="no exact Hessian-vector product"):
        hessian_vector_products(wrapped, w, V, theta, np.zeros(wrapped.n_params))
