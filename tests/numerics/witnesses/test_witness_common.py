"""The witnesses' shared pieces: quantities from the data with honest error bounds, F at many points,
and gradients extrapolated from F alone."""
import numpy as np
import pytest

from resnet_lemmas.numerics.data.instances import sample_instance
from resnet_lemmas.numerics.witnesses import _common


@pytest.mark.parametrize("seed", [0, 3, 8])
def test_objective_batch_is_the_models_objective(seed, rng):
    problem = sample_instance(seed).problem
    points = [(rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k)), problem.unit.init(rng))
              for _ in range(3)]
    Z = np.array([problem.pack(*p) for p in points])
    batch = _common.objective_batch(problem)(Z)
    assert np.allclose(batch, [problem.objective(*p) for p in points], rtol=1e-13, atol=1e-15)
    fixed = _common.objective_batch(problem, points[0][2])(Z[:1, :problem.d + problem.d * problem.k])
    assert fixed[0] == pytest.approx(batch[0], rel=1e-13)


def test_direct_quantities_agree_with_the_model_within_their_error_bounds_even_at_large_V(rng):
    problem = sample_instance(5).problem
    for scale in (1.0, 1e4):
        w, V, theta = rng.normal(size=problem.d), scale * rng.normal(size=(problem.d, problem.k)), \
            problem.unit.init(rng)
        data = _common.from_data(problem, w, V, theta)
        model = problem.gradients(w, V, theta)
        assert abs(model.F - data.F) <= 2 * data.err_F
        assert np.all(np.abs(model.c - data.c) <= 2 * data.err_c)
        assert np.all(np.abs(model.r_x - data.E_rx) <= 2 * data.err_E_rx)
    assert np.max(data.dp) > 1e3 * np.finfo(float).eps   # at ||V|| = 1e4 the bound is not negligible


def test_the_extrapolated_gradient_is_the_models_and_resolves_small_errors(rng):
    problem = sample_instance(2).problem
    w, V, theta = rng.normal(size=problem.d), rng.normal(size=(problem.d, problem.k)), problem.unit.init(rng)
    fd = _common.extrapolated_gradient(problem, w, V, theta)
    g = problem.gradients(w, V, theta)
    assert np.all(np.abs(fd.grad_w - g.grad_w) <= fd.tolerance_w)
    assert np.all(np.abs(fd.grad_V - g.grad_V) <= fd.tolerance_V)
    assert fd.resolution() < 1e-3 * _common.DERIVATIVE_RESOLUTION
    assert np.any(np.abs(fd.grad_w * (1 + 1e-6) - g.grad_w * 1.0) > fd.tolerance_w)  # 1e-6 off: seen


def test_claim_builders_name_each_component():
    claims = _common.componentwise("grad_V = w c^T", np.zeros((2, 2)), np.ones((2, 2)), {"rounding": 2.0})
    assert [c.label for c in claims] == ["grad_V = w c^T[0,0]", "grad_V = w c^T[0,1]", "grad_V = w c^T[1,0]",
                                         "grad_V = w c^T[1,1]"]
    assert all(c.margin == 1.0 for c in claims) and _common.worst_ratio(claims) == 0.5
    assert _common.resolution_claim(2 * _common.DERIVATIVE_RESOLUTION).margin < 0


def test_prediction_scales_are_at_least_one_and_grow_with_the_weights():
    predict = lambda z: np.array([1e3 * z[0], z[1]])  # noqa: E731
    scales = _common.prediction_scales(predict, np.zeros(2), np.eye(2))
    assert scales[0] == pytest.approx(1e3) and scales[1] == 1.0
