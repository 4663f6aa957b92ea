"""Several residual blocks: reverse-mode gradient and the last-block inequality."""
import numpy as np
import pytest

from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.certificates.derivatives import derivative_tolerance, directional_derivative
from resnet_lemmas.numerics.models.multiblock import MultiBlockProblem, last_block_slack


@pytest.mark.parametrize("blocks", [1, 2, 3])
@pytest.mark.parametrize("name", ["squared", "logistic"])
def test_gradient_matches_extrapolated_directional_derivative(blocks, name, losses, rng):
    X, y = data_for_loss(rng, losses[name], 20, 2)
    problem = MultiBlockProblem(X, y, losses[name], blocks)
    flat = problem.random_start(rng)
    F, grad = problem.fun_and_grad(flat)
    for _ in range(3):
        v = rng.normal(size=flat.size)
        est, err = directional_derivative(problem.objective, flat, v)
        assert abs(est - grad @ v) <= derivative_tolerance(err, F, float(grad @ v))


def test_last_block_inequality_holds_at_random_points_and_fails_without_the_V_term(losses, rng):
    X, y = data_for_loss(rng, losses["pseudo_huber"], 20, 3)
    problem = MultiBlockProblem(X, y, losses["pseudo_huber"], 2)
    violated_without = 0
    for _ in range(50):
        flat = problem.random_start(rng, 2.0)
        u = rng.normal(size=3)
        gap, bound = last_block_slack(problem, flat, u)
        assert gap <= bound + 1e-12 * (1 + abs(gap) + bound)
        F, grad = problem.fun_and_grad(flat)
        w = problem.unpack(flat)[0]
        violated_without += gap > np.linalg.norm(w - u) * np.linalg.norm(grad[:3]) + 1e-12
    assert violated_without > 0   # the ||u|| ||V|| ||grad_V|| / ||w|| term is needed
