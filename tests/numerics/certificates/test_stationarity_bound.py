"""The vectorised section-4 terms agree with numerics.certificates.bounds, with lambdify of the symbolic forms,
and with the lemma's own conclusion compiled by the bridge (the fast path the witness uses to find its worst
points); its identity is not algebra: a wrong l', a dropped 1/n or a wrong sign in the Bregman term, or a
first-order term built from a wrong r breaks it far beyond the tolerance."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.numerics.certificates.bounds import first_order_gap, gap_bound
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.certificates.stationarity_bound import (ModelGradients, batched_terms,
                                                                    model_gradients, sample_points)
from resnet_lemmas.proofs.expressions import residual_context
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import BOUND, FIRST_ORDER
from resnet_lemmas.proofs.losses import get_loss
from resnet_lemmas.bridge import TRANSLATIONS as NUMPY_PRIMITIVES
from resnet_lemmas.bridge import compile_statement
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import LEMMA

D, K, N = 2, 2, 3


def _symbolic(loss):
    """lambdify of FIRST_ORDER and BOUND instantiated at (d, k, n) = (2, 2, 3) with a concrete loss."""
    ctx, s = residual_context(D, K, N, loss=loss)
    args = [*s.w, *s.V, *s.u, *[e for x in s.x for e in x], *s.y, *[e for f in s.f for e in f]]
    modules = [{**NUMPY_PRIMITIVES, "opnorm": lambda M: np.linalg.norm(np.asarray(M, float), 2)},
               "numpy"]
    return [sp.lambdify(args, ctx.instantiate(expr), modules=modules) for expr in (FIRST_ORDER, BOUND)]


def _data(rng, loss):
    X = rng.normal(size=(N, D))
    y = {"sign": rng.choice([-1.0, 1.0], size=N), "count": rng.poisson(2.0, size=N).astype(float)
         }.get(loss.targets, rng.normal(size=N))
    return X, y, rng.normal(size=(N, K))


def _terms(X, y, Fx, loss, W, Vs, U, loss_for_terms=None):
    """``batched_terms`` with the model's gradients (of the true ``loss``); ``loss_for_terms``: another loss
    object for the fast path's own loss values and ``l'`` (a planted bug)."""
    problem = ResNetProblem(table_unit(X, Fx), X, y, loss)
    gradients = model_gradients(problem, Fx, W, Vs)
    return batched_terms(X, y, Fx, loss_for_terms or loss, W, Vs, U, gradients)


@pytest.mark.parametrize("name", ["squared", "logistic", "poisson"])
def test_vectorised_terms_equal_bounds_module_and_lambdified_symbolic_forms(name, rng):
    loss = get_loss(name)
    first_fn, bound_fn = _symbolic(loss)
    for _ in range(5):
        X, y, Fx = _data(rng, loss)
        problem = ResNetProblem(table_unit(X, Fx), X, y, loss)
        W, Vs, U = sample_points(rng, 8, D, K, u_star=rng.normal(size=D))
        t = _terms(X, y, Fx, loss, W, Vs, U)
        for i in range(8):
            g = problem.gradients(W[i], Vs[i], np.zeros(0))
            args = [*W[i], *Vs[i].ravel(), *U[i], *X.ravel(), *y, *Fx.ravel()]
            zero_b = np.zeros(K)
            for value, reference in ((t.first_order[i], first_order_gap(g, W[i], Vs[i], U[i], zero_b)),
                                     (t.first_order[i], first_fn(*args)),
                                     (t.bound[i], gap_bound(g, W[i], Vs[i], U[i], zero_b)),
                                     (t.bound[i], bound_fn(*args))):
                # float64 rounding of O(10)-term sums of O(1)-O(100) magnitudes
                assert value == pytest.approx(float(reference), rel=1e-9, abs=1e-12)
            assert t.F[i] == pytest.approx(g.F, rel=1e-12)


def test_gap_equals_first_order_minus_bregman_and_bound_dominates(rng):
    loss = get_loss("softplus_hinge")
    X, y, Fx = _data(rng, loss)
    W, Vs, U = sample_points(rng, 200, D, K)
    t = _terms(X, y, Fx, loss, W, Vs, U)
    tol = t.tolerance(N)
    assert np.all(np.abs(t.gap - (t.first_order - t.bregman)) <= tol)
    assert np.all(t.bregman >= -tol)
    assert np.all(t.gap <= t.bound + tol)


def test_batched_terms_rejects_mismatched_shapes(rng):
    loss = get_loss("squared")
    X, y, Fx = _data(rng, loss)
    with pytest.raises(ValueError, match="expected W, U of shape"):
        batched_terms(X, y, Fx, loss, np.zeros((3, D)), np.zeros((3, D, K + 1)), np.zeros((3, D)),
                      ModelGradients(np.zeros((3, D)), np.zeros((3, K)), np.zeros((3, D, K)), np.zeros((3, N))))
    with pytest.raises(ValueError, match="model's gradients of shapes"):
        batched_terms(X, y, Fx, loss, np.zeros((3, D)), np.zeros((3, D, K)), np.zeros((3, D)),
                      ModelGradients(np.zeros((3, D)), np.zeros((3, K + 1)), np.zeros((3, D, K)),
                                     np.zeros((3, N))))


@pytest.mark.parametrize("name", ["squared", "logistic", "exponential"])
def test_batched_terms_are_the_sides_of_the_lemmas_relations_compiled_by_the_bridge(name, rng):
    """At every point: ``gap``, ``first_order - bregman``, ``bound`` and ``eps_bound`` are the sides of the
    identity, the bound and the corollary (with ``F_lin = E l(u^T x)``, ``eps = max`` of the gradient
    norms) as the bridge computes them from the fast path's named quantities, within the fast path's own
    rounding tolerance (:meth:`BatchTerms.tolerance`); and those quantities are the model's."""
    loss = get_loss(name)
    identity, bound, corollary = range(3)
    compiled = compile_statement(LEMMA.conclusion)
    for _ in range(3):
        X, y, Fx = _data(rng, loss)
        problem = ResNetProblem(table_unit(X, Fx), X, y, loss)
        W, Vs, U = sample_points(rng, 10, D, K, u_star=rng.normal(size=D))
        t = _terms(X, y, Fx, loss, W, Vs, U)
        tol = t.tolerance(N)
        for i in range(len(W)):
            values = {"F": t.F[i], "E_l_u": t.E_l_u[i], "E_bregman_u": t.bregman[i], "u": U[i], "w": W[i],
                      "V": Vs[i], "grad_w": t.grad_w[i], "c": t.c[i], "grad_V": t.grad_V[i],
                      "F_lin": t.E_l_u[i], "eps_stat": max(t.grad_w_norm[i], t.grad_V_norm[i])}
            relations = compiled(values)
            fast = {identity: (t.gap[i], t.first_order[i] - t.bregman[i]), bound: (t.gap[i], t.bound[i]),
                    corollary: (t.gap[i], t.eps_bound()[i])}
            for index, (lhs, rhs) in fast.items():
                assert abs(relations[index].lhs - lhs) <= tol[i], (index, relations[index].label)
                assert abs(relations[index].rhs - rhs) <= tol[i], (index, relations[index].label)
            g = problem.gradients(W[i], Vs[i], np.zeros(0))
            assert np.allclose(t.grad_w[i], g.grad_w, rtol=1e-12, atol=tol[i])
            assert np.allclose(t.grad_V[i], g.grad_V, rtol=1e-12, atol=tol[i])
            assert np.allclose(t.c[i], g.c, rtol=1e-12, atol=tol[i])


def test_a_fast_path_with_a_halved_bound_differs_from_the_bridge(rng):
    """The comparison above can fail: a bound off by a factor 2 is far outside the tolerance."""
    loss = get_loss("squared")
    X, y, Fx = _data(rng, loss)
    W, Vs, U = sample_points(rng, 4, D, K)
    t = _terms(X, y, Fx, loss, W, Vs, U)
    relation = compile_statement(LEMMA.conclusion).relation(1, {
        "F": t.F[0], "E_l_u": t.E_l_u[0], "u": U[0], "w": W[0], "V": Vs[0], "grad_w": t.grad_w[0],
        "grad_V": t.grad_V[0]})
    assert abs(relation.rhs - 0.5 * t.bound[0]) > t.tolerance(N)[0]


def _identity_error(t):
    return np.abs(t.gap - (t.first_order - t.bregman))


PLANTED = {"l' doubled": lambda r: 2 * r, "l' zero": lambda r: 0 * r,
           "the Bregman term's l' (q - p) with the wrong sign": lambda r: -r}


@pytest.mark.parametrize("name", ["logistic", "squared", "poisson"])
@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_a_wrong_derivative_in_the_bregman_term_breaks_the_identity(name, planted, rng, planted_derivative):
    """The finding the fix answers: with every term built from one r, the identity held for r = 2 l' or 0.
    Now only the Bregman term uses the loss's l' (the first-order term is the model's), so a wrong l' there
    moves it by E[(r - l') (q - p)]: far beyond the tolerance at every generic point."""
    loss = get_loss(name)
    X, y, Fx = _data(rng, loss)
    W, Vs, U = sample_points(rng, 50, D, K)
    right = _terms(X, y, Fx, loss, W, Vs, U)
    assert np.all(_identity_error(right) <= right.tolerance(N))
    wrong = _terms(X, y, Fx, loss, W, Vs, U, loss_for_terms=planted_derivative(loss, PLANTED[planted]))
    broken = _identity_error(wrong) > 1e6 * wrong.tolerance(N)
    assert broken.mean() > 0.9, (planted, np.sort(_identity_error(wrong) / wrong.tolerance(N))[:5])


def test_a_dropped_mean_in_a_loss_term_breaks_the_identity(rng):
    """The gap comes from loss values only: E l(u^T x) or E[D_l] summed instead of averaged breaks it."""
    loss = get_loss("softplus_hinge")
    X, y, Fx = _data(rng, loss)
    W, Vs, U = sample_points(rng, 50, D, K)
    t = _terms(X, y, Fx, loss, W, Vs, U)
    tol = t.tolerance(N)
    for gap, bregman in ((t.F - N * t.E_l_u, t.bregman), (t.gap, N * t.bregman)):
        assert np.mean(np.abs(gap - (t.first_order - bregman)) > 1e6 * tol) > 0.9


def test_gradients_built_from_a_wrong_r_break_the_identity(rng):
    """The first-order term is the model's: gradients from a doubled r (what the old fast path computed
    from its own r) no longer match the Bregman term's l'."""
    loss = get_loss("logistic")
    X, y, Fx = _data(rng, loss)
    W, Vs, U = sample_points(rng, 50, D, K)
    problem = ResNetProblem(table_unit(X, Fx), X, y, loss)
    g = model_gradients(problem, Fx, W, Vs)
    doubled = ModelGradients(2 * g.grad_w, 2 * g.c, 2 * g.grad_V, 2 * g.r)
    t = batched_terms(X, y, Fx, loss, W, Vs, U, doubled)
    assert np.mean(_identity_error(t) > 1e6 * t.tolerance(N)) > 0.9


def test_model_gradients_are_the_models_at_each_point(rng):
    """model_gradients evaluates ResNetProblem.gradients point by point (features fixed to f_theta(X))."""
    from resnet_lemmas.numerics.data.instances import sample_instance
    problem = sample_instance(5).problem
    theta = problem.unit.init(rng)
    W, Vs, _ = sample_points(rng, 4, problem.d, problem.k)
    g = model_gradients(problem, problem.features(theta), W, Vs)
    for i in range(4):
        ref = problem.gradients(W[i], Vs[i], theta)
        for mine, theirs in ((g.grad_w[i], ref.grad_w), (g.c[i], ref.c), (g.grad_V[i], ref.grad_V),
                             (g.r[i], ref.r)):
            assert np.allclose(mine, theirs, rtol=1e-13, atol=1e-15)
