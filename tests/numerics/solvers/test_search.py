"""Multi-start local-minimum search: seeding and replay, honest convergence flags, and the paper's
bounds at the points it returns."""
from __future__ import annotations

import numpy as np
import pytest

from resnet_lemmas.numerics.certificates.convex_benchmarks import linear_benchmark
from resnet_lemmas.numerics.data.synthetic import data_for_loss
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.models.networks import MLPUnit
from resnet_lemmas.numerics.solvers.search import (local_minimum_from_seed, local_minimum_search, start_point,
                                           start_seeds)


def problem_for(losses, name, act="sigmoid", widths=(2,), n=30, d=2, k=1, data_seed=2):
    X, y = data_for_loss(np.random.default_rng(data_seed), losses[name], n, d)
    return ResNetProblem(MLPUnit(d, k, widths, act), X, y, losses[name])


def test_seeds_and_replay(losses):
    problem = problem_for(losses, "squared", act="tanh")
    found = local_minimum_search(problem, seed=7, restarts=2, maxiter=60)
    assert [m.seed for m in found] == start_seeds(7, 2) and found[0].seed != found[1].seed
    again = local_minimum_from_seed(problem, found[1].seed, maxiter=60)
    assert again.F == found[1].F and np.array_equal(again.theta, found[1].theta)
    assert np.array_equal(again.w, found[1].w) and np.array_equal(again.V, found[1].V)


def test_reported_quantities_are_honest(losses):
    problem = problem_for(losses, "pseudo_huber", act="softplus", widths=(3, 2), k=2)
    gtol = 1e-9
    for m in local_minimum_search(problem, seed=1, restarts=2, maxiter=80, gtol=gtol):
        g = problem.gradients(m.w, m.V, m.theta)
        assert m.F == g.F <= problem.objective(*start_point(problem, m.seed))
        assert m.grad_norm_w == pytest.approx(np.linalg.norm(g.grad_w), rel=1e-12)
        assert m.grad_norm_V == pytest.approx(np.linalg.norm(g.grad_V), rel=1e-12)
        assert m.grad_norm_theta == pytest.approx(np.linalg.norm(g.grad_theta), rel=1e-12)
        flat = np.concatenate((g.grad_w, g.grad_V.ravel(), g.grad_theta))
        assert m.converged == (np.max(np.abs(flat)) <= gtol)
        assert m.param_norm == pytest.approx(np.linalg.norm(problem.pack(m.w, m.V, m.theta)))


def test_section4_bound_holds_at_returned_points(losses):
    """Design section 4, at every point with w != 0:
    F - F_lin <= ||w - u*|| ||grad_w F|| + ||u*|| ||V||_2 ||grad_V F||_F / ||w||."""
    for name in ("squared", "logistic", "poisson"):
        problem = problem_for(losses, name, act="tanh", widths=(3,), k=2, data_seed=3)
        lin = linear_benchmark(problem.X, problem.y, problem.loss)
        assert lin.attained
        u = lin.argmin
        for m in local_minimum_search(problem, seed=3, restarts=2, maxiter=100):
            bound = (np.linalg.norm(m.w - u) * m.grad_norm_w
                     + np.linalg.norm(u) * np.linalg.norm(m.V, 2) * m.grad_norm_V / np.linalg.norm(m.w))
            # slack: F and F_lin are float64 means of O(1) terms, F_lin certified to within its bound
            assert m.F - lin.value <= bound + lin.suboptimality_bound + 1e-12


def test_a_converged_local_minimum_is_no_worse_than_linear(losses):
    """Section 3 on a fixed, seeded instance: the first of a few starts that the refined search takes to
    a stationary point (relative gradient <= 1e-9) is no worse than linear, up to the section-4 slack.
    (The plain L-BFGS-B start used before reached max|grad| <= 1e-9 on one machine and not on another.)"""
    problem = problem_for(losses, "logistic")
    lin = linear_benchmark(problem.X, problem.y, problem.loss)
    m = next(m for m in (refined_local_minimum(problem, s, maxiter=600, norm_cap=1e3, newton_rtol=1e-9)
                         for s in start_seeds(2, 6)) if m.converged)
    assert lin.attained and m.F > 1e-3  # a genuine stationary point, not an underflowed infimum
    eps = max(m.grad_norm_w, m.grad_norm_V)
    slack = eps * (np.linalg.norm(m.w - lin.argmin)
                   + np.linalg.norm(lin.argmin) * np.linalg.norm(m.V, 2) / np.linalg.norm(m.w))
    assert m.F <= lin.value + slack + 1e-12


def test_search_errors(losses):
    problem = problem_for(losses, "squared")
    with pytest.raises(ValueError, match="restarts must be >= 1"):
        local_minimum_search(problem, seed=0, restarts=0)

    class NoVjp:
        theta0 = np.array([1.0])

        def __call__(self, X, theta):
            return np.tanh(X[:, :1] * theta)

    bare = ResNetProblem(NoVjp(), problem.X, problem.y, problem.loss)
    with pytest.raises(TypeError, match="vjp"):
        local_minimum_search(bare, seed=0)


def test_non_finite_start_is_reported_not_optimised(losses):
    """exp(-y p) overflows at a huge start: the run is reported as such, never as converged."""
    X, y = data_for_loss(np.random.default_rng(0), losses["exponential"], 30, 3)
    problem = ResNetProblem(MLPUnit(3, 2, (4,), "relu"), 1e3 * X, y, losses["exponential"])
    m = local_minimum_from_seed(problem, 0, init_scale=5.0)
    assert not m.converged and m.nit == 0 and "not finite at the start point" in m.message


# -- refinement to a certifiable local minimum ---------------------------------------------------------
from resnet_lemmas.numerics.solvers.search import refined_local_minimum  # noqa: E402


def test_refinement_counts_every_iteration_against_maxiter(losses):
    problem = problem_for(losses, "squared", act="relu", widths=(3,), k=1)
    for maxiter in (1, 2, 5):
        m = refined_local_minimum(problem, 0, maxiter=maxiter, norm_cap=1e3, newton_rtol=1e-9)
        assert m.nit <= maxiter and m.newton_nit == 0 and not m.converged
    with pytest.raises(ValueError, match="maxiter must be >= 1"):
        refined_local_minimum(problem, 0, maxiter=0, norm_cap=1e3, newton_rtol=1e-9)


def test_refinement_reaches_the_relative_tolerance_with_newton_steps():
    from resnet_lemmas.numerics.certificates.hessian import gradient_scale
    from resnet_lemmas.numerics.witnesses.local_minima_beat_linear import sample_minimum_instance

    reached = 0
    for seed in range(6):
        problem = sample_minimum_instance(seed).problem
        m = refined_local_minimum(problem, 0, maxiter=300, norm_cap=1e3, newton_rtol=1e-9)
        if m.converged:
            reached += 1
            assert m.grad_norm <= 1e-9 * gradient_scale(problem, m.w, m.V, m.theta)
            assert m.param_norm <= 1e3 and not m.escaped
    assert reached >= 3


def test_refinement_is_replayable(losses):
    problem = problem_for(losses, "pseudo_huber", act="tanh", widths=(2,), k=1)
    a = refined_local_minimum(problem, 4, maxiter=80, norm_cap=1e3, newton_rtol=1e-9)
    b = refined_local_minimum(problem, 4, maxiter=80, norm_cap=1e3, newton_rtol=1e-9)
    assert a.F == b.F and np.array_equal(a.theta, b.theta) and a.message == b.message


def test_the_polish_starts_only_near_a_stationary_point(losses):
    """verify's search: after 18 L-BFGS-B iterations the point is far from stationary (relative gradient
    above POLISH_GATE), so no Hessian is computed and the message says why; with the full budget the
    run reaches the gate and is polished."""
    from resnet_lemmas.numerics.solvers import search

    problem = problem_for(losses, "squared")
    early = search.polished_local_minimum(problem, 1, maxiter=20, newton_rtol=1e-9, norm_cap=1e3)
    assert "no polish: relative gradient" in early.message and early.newton_nit == 0
    assert search._relative_gradient(problem, problem.pack(early.w, early.V, early.theta)) > search.POLISH_GATE
    full = search.polished_local_minimum(problem, 1, maxiter=3000, newton_rtol=1e-9, norm_cap=1e3)
    assert "polish:" in full.message


def test_the_polish_stops_when_its_hessians_are_spent(losses):
    """refine with a budget of one Hessian: the first curvature test uses it (a negative-curvature step
    may follow), no Newton step can be taken, and the notes say the budget was spent."""
    from resnet_lemmas.numerics.solvers import search

    problem = problem_for(losses, "squared")
    start = search.local_minimum_from_seed(problem, 1, maxiter=3000)
    x = problem.pack(start.w, start.V, start.theta)
    fun = search._safe_fun_and_grad(problem)
    _, _, newton_nit, _, notes = search.refine(problem, fun, x, used=0, maxiter=100, norm_cap=1e3,
                                               newton_rtol=0.0, lbfgs_first=False, max_hessians=1)
    assert newton_nit == 0
    assert any(note.startswith("Hessian budget spent (1)") for note in notes)
