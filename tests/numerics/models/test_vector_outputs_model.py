"""The vector-output model: gradients, decoupled benchmarks, and the rank-condition slack."""
import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.models.vector_outputs import (VectorResNetProblem, vector_benchmark,
                                                   vector_first_order_gap, vector_gap_bound,
                                                   vector_targets)
from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark


@pytest.mark.parametrize("name", ["squared", "logistic", "poisson"])
def test_gradient_matches_extrapolated_directional_derivative(name, losses, rng):
    loss = losses[name]
    X, Y = vector_targets(rng, rng.normal(size=(25, 3)), loss, 2)
    unit = MLPUnit(d=3, k=2, widths=(3, 2), activation="tanh")
    problem = VectorResNetProblem(unit, X, Y, loss)
    flat = problem.pack(rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), unit.init(rng))
    F, grad = problem.fun_and_grad(flat)
    for _ in range(3):
        v = rng.normal(size=flat.size)
        est, err = directional_derivative(lambda z: problem.fun_and_grad(z)[0], flat, v)
        assert abs(est - grad @ v) <= derivative_tolerance(err, F, float(grad @ v))


def test_grad_V_is_W_transpose_C_and_C_is_recovered_under_full_row_rank(rng, losses):
    X, Y = vector_targets(rng, rng.normal(size=(20, 3)), losses["squared"], 2)
    Fx = rng.normal(size=(20, 2))
    problem = VectorResNetProblem(table_unit(X, Fx), X, Y, losses["squared"])
    W, V = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    g = problem.gradients(W, V, np.zeros(0))
    assert np.allclose(g.grad_V, W.T @ g.C, rtol=1e-12, atol=1e-14)
    assert np.allclose(np.linalg.solve(W @ W.T, W @ g.grad_V), g.C, rtol=1e-9, atol=1e-12)


def test_benchmark_is_the_sum_of_per_output_benchmarks(rng, losses):
    X, Y = vector_targets(rng, rng.normal(size=(30, 2)), losses["logistic"], 3)
    total = vector_benchmark(X, Y, losses["logistic"])
    assert total.value == pytest.approx(sum(linear_benchmark(X, Y[:, o], losses["logistic"]).value
                                            for o in range(3)), rel=1e-12)


def test_gap_bound_dominates_the_first_order_gap_and_blows_up_without_full_rank(rng, losses):
    X, Y = vector_targets(rng, rng.normal(size=(20, 2)), losses["pseudo_huber"], 2)
    Fx = rng.normal(size=(20, 1))
    problem = VectorResNetProblem(table_unit(X, Fx), X, Y, losses["pseudo_huber"])
    for _ in range(20):
        W, V = rng.normal(size=(2, 2)), rng.normal(size=(2, 1))
        A, B = rng.normal(size=(2, 2)), rng.normal(size=(2, 1))
        g = problem.gradients(W, V, np.zeros(0))
        assert vector_first_order_gap(g, W, V, A, B) <= vector_gap_bound(g, W, V, A, B) * (1 + 1e-12)
    W_rank1 = np.outer(rng.normal(size=2), rng.normal(size=2))   # rank W = 1 < m = 2
    g = problem.gradients(W_rank1, V, np.zeros(0))
    # sigma_m(W) is rounding-level, so the slack blows up: the rank condition, quantitatively
    assert vector_gap_bound(g, W_rank1, V, A, B) > 1e10


def test_gap_bound_is_infinite_when_m_exceeds_d(rng, losses):
    X, Y = vector_targets(rng, rng.normal(size=(20, 1)), losses["squared"], 2)
    problem = VectorResNetProblem(table_unit(X, rng.normal(size=(20, 1))), X, Y, losses["squared"])
    W, V = rng.normal(size=(2, 1)), rng.normal(size=(1, 1))
    g = problem.gradients(W, V, np.zeros(0))
    assert vector_gap_bound(g, W, V, np.zeros((2, 1)), np.zeros((2, 1))) == np.inf
