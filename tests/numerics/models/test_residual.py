"""The residual network ``p = w^T (x + V f_theta(x))``: gradients against Richardson extrapolation,
the algebraic identities of section 2, packing, construction errors, and the fused path against the
straightforward one and against the symbolic definitions of proofs/expressions.py."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from resnet_lemmas.numerics.data.synthetic import DataError, data_for_loss
from resnet_lemmas.numerics.certificates.derivatives import gradient_check
from resnet_lemmas.numerics.models.residual import FUSED_MIN_ROWS, FUSED_PATH_RTOL, ResNetProblem
from resnet_lemmas.numerics.models.networks import ACTIVATIONS, MLPUnit, sample_unit

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.losses import LOSSES
from resnet_lemmas.bridge import lambdify

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


# -- the fused path against the straightforward one and against the symbolic definitions ----------
QUANTITIES = ("F", "grad_w", "grad_V", "grad_theta", "c", "r_x")


def row_scales(problem, w, V, theta) -> dict[str, float]:
    """Per quantity, the largest entry of ``mean_i |t_i|`` (``t_i`` the row-``i`` term of the mean),
    each ``t_i`` computed on the two-row problem ``(x_i, x_i)`` whose mean is ``t_i`` exactly."""
    terms = {name: [] for name in QUANTITIES}
    for i in range(problem.n):
        rows = [i, i]
        single = ResNetProblem(problem.unit, problem.X[rows], problem.y[rows], problem.loss, skip=problem.skip)
        g = single.reference_gradients(w, V, theta)
        for name in QUANTITIES:
            terms[name].append(np.abs(getattr(g, name)))
    return {name: float(np.max(np.mean(values, axis=0))) for name, values in terms.items()}


def path_disagreement(fused, reference, scales) -> dict[str, float]:
    """``max|fused - reference| / scale`` per quantity (``FUSED_PATH_RTOL`` bounds each); ``p`` and
    ``r`` are per-row vectors, compared relative to their largest entry."""
    out = {name: float(np.max(np.abs(np.subtract(getattr(fused, name), getattr(reference, name)))) / scales[name])
           for name in QUANTITIES}
    for name in ("p", "r"):
        size = max(float(np.max(np.abs(getattr(reference, name)))), np.finfo(float).tiny)
        out[name] = float(np.max(np.abs(getattr(fused, name) - getattr(reference, name)))) / size
    return out


@seed(1212)
@settings(max_examples=40, deadline=None)
@given(loss_name=st.sampled_from(LOSS_NAMES), activation=st.sampled_from(ACTIVATIONS),
       depth=st.integers(1, 4), k=st.integers(1, 3), skip=st.booleans(), n=st.integers(2, 40),
       np_seed=st.integers(0, 2**32 - 1))
def test_fused_path_equals_straightforward_path(losses, loss_name, activation, depth, k, skip, n, np_seed):
    rng = np.random.default_rng(np_seed)
    problem = make_problem(rng, losses[loss_name], n=n, k=k, depth=depth, activation=activation, skip=skip)
    point = random_point(rng, problem, scale=0.7)
    worst = path_disagreement(problem.fused_gradients(*point), problem.reference_gradients(*point),
                              row_scales(problem, *point))
    assert max(worst.values()) <= FUSED_PATH_RTOL, worst


class PerturbedReadout:
    """An MLP unit whose fused pass is wrong by a factor ``1 + error`` on the cotangent ``r``."""

    def __init__(self, unit, error):
        self.unit, self.error = unit, error
        self.init, self.vjp, self.forward = unit.init, unit.vjp, unit.forward

    def __call__(self, X, theta):
        return self.unit(X, theta)

    def readout_pass(self, X, theta, u, respond, **options):
        return self.unit.readout_pass(X, theta, u, lambda rows, s: (1.0 + self.error) * respond(rows, s),
                                      **options)


def test_path_comparison_rejects_a_fused_path_off_by_1e_9(losses, rng):
    """The comparison above can fail: a relative error of 1e-9 in the pulled-back cotangent is caught."""
    base = make_problem(rng, losses["logistic"], n=25, depth=2, activation="tanh")
    problem = ResNetProblem(PerturbedReadout(base.unit, 1e-9), base.X, base.y, base.loss)
    point = random_point(rng, problem)
    worst = path_disagreement(problem.fused_gradients(*point), problem.reference_gradients(*point),
                              row_scales(problem, *point))
    assert worst["F"] <= FUSED_PATH_RTOL and worst["grad_theta"] > 100 * FUSED_PATH_RTOL, worst


def test_gradients_take_the_fused_path_from_fused_min_rows(losses, rng, monkeypatch):
    calls = []
    original = ResNetProblem._fused_gradients
    monkeypatch.setattr(ResNetProblem, "_fused_gradients",
                        lambda self, *args: calls.append(self.n) or original(self, *args))
    for n in (FUSED_MIN_ROWS - 1, FUSED_MIN_ROWS):
        problem = make_problem(rng, losses["squared"], n=n, depth=2)
        point = random_point(rng, problem)
        g = problem.gradients(*point)
        assert problem.objective(*point) == pytest.approx(g.F, rel=FUSED_PATH_RTOL)
        np.testing.assert_allclose(problem.predict(*point), g.p, rtol=FUSED_PATH_RTOL)
    assert calls == [FUSED_MIN_ROWS]
    # fused and straightforward predictions agree too
    np.testing.assert_allclose(problem._fused_predict(*point), problem._predict(
        point[0], point[1], problem.features(point[2])), rtol=FUSED_PATH_RTOL, atol=0)


def test_fused_path_needs_a_readout_pass(losses, rng):
    X, y = data_for_loss(rng, losses["squared"], 20, 2)
    problem = ResNetProblem(NoVjpUnit(), X, y, losses["squared"])
    with pytest.raises(TypeError, match="NoVjpUnit has no `readout_pass`, so the fused path is unavailable"):
        problem.fused_gradients(np.ones(2), np.ones((2, 1)), NoVjpUnit.theta0)


def _symbolic_kernels(loss, d, k, n, q):
    """lambdify of the shared definitions of F, grad_w, grad_V, c, E[r x], grad_theta (component-wise
    sympy.diff), with f_theta(x_j)_m and its theta-derivatives replaced by plain symbols."""
    ctx, s = ex.residual_context(d, k, n, theta_size=q, loss=loss)
    feature = {s.f[j][m]: sp.Symbol(f"F_{j}_{m}") for j in range(n) for m in range(k)}
    jacobian = {sp.Derivative(s.f[j][m], s.theta[t]): sp.Symbol(f"J_{j}_{m}_{t}")
                for j in range(n) for m in range(k) for t in range(q)}
    arguments = (list(s.w) + list(s.V) + [e for x in s.x for e in x] + s.y + list(feature.values())
                 + list(jacobian.values()))
    kernels = {}
    for name, quantity in (("F", ex.F), ("grad_w", ex.grad_w), ("grad_V", ex.grad_V), ("c", ex.c),
                           ("r_x", ex.E_rx), ("grad_theta", ex.grad_theta)):
        expr = sp.sympify(ctx.instantiate(quantity)).xreplace(jacobian).xreplace(feature)
        kernels[name] = lambdify(arguments, expr)
    return kernels


@pytest.mark.parametrize("loss_name", LOSS_NAMES)
def test_fused_path_equals_lambdified_symbolic_definitions(losses, loss_name):
    """The fused path against the component-wise symbolic definitions of proofs/expressions.py, the
    features and their Jacobian J_j = d f_theta(x_j) / d theta taken from the unit (rows of its vjp)."""
    loss = losses[loss_name]
    d, k, n = 2, 2, 3
    unit = MLPUnit(d, k, (1,), "tanh")     # q = 7: small enough for SymPy, every layer present
    kernels = _symbolic_kernels(loss, d, k, n, unit.n_params)
    rng = np.random.default_rng(20181212)   # seed recorded: replay with this value
    for _ in range(3):
        X, y = data_for_loss(rng, loss, n, d)
        problem = ResNetProblem(unit, X, y, loss)
        w, V, theta = random_point(rng, problem)
        features = unit(X, theta)
        jac = np.array([[unit.vjp(X[j:j + 1], theta, np.eye(k)[m:m + 1]) for m in range(k)] for j in range(n)])
        args = [*w, *V.ravel(), *X.ravel(), *y, *features.ravel(), *jac.ravel()]
        fused = problem.fused_gradients(w, V, theta)
        scales = row_scales(problem, w, V, theta)
        for name, kernel in kernels.items():
            expected = np.asarray(kernel(*args), dtype=float).reshape(np.shape(getattr(fused, name)))
            error = float(np.max(np.abs(getattr(fused, name) - expected))) / scales[name]
            assert error <= FUSED_PATH_RTOL, f"{loss_name}: {name} off by {error:.3g} of its row scale"


def test_threads_change_nothing_but_speed(losses, rng):
    problem = make_problem(rng, losses["logistic"], n=FUSED_MIN_ROWS, depth=2)
    point = random_point(rng, problem)
    one = problem.gradients(*point)
    two = ResNetProblem(problem.unit, problem.X, problem.y, problem.loss, threads=2).gradients(*point)
    for name in ("F", "grad_w", "grad_V", "grad_theta", "p", "r"):
        assert np.array_equal(getattr(one, name), getattr(two, name)), name
    with pytest.raises(ValueError, match="threads must be a positive integer; got 0"):
        ResNetProblem(problem.unit, problem.X, problem.y, problem.loss, threads=0)
