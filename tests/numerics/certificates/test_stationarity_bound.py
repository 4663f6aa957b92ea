"""The vectorised section-4 terms agree with numerics.certificates.bounds and with lambdify of the symbolic forms."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.numerics.certificates.bounds import first_order_gap, gap_bound
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.numerics.certificates.stationarity_bound import batched_terms, sample_points
from resnet_lemmas.proofs.expressions import residual_context
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import BOUND, FIRST_ORDER
from resnet_lemmas.proofs.losses import get_loss
from resnet_lemmas.bridge import TRANSLATIONS as NUMPY_PRIMITIVES

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


@pytest.mark.parametrize("name", ["squared", "logistic", "poisson"])
def test_vectorised_terms_equal_bounds_module_and_lambdified_symbolic_forms(name, rng):
    loss = get_loss(name)
    first_fn, bound_fn = _symbolic(loss)
    for _ in range(5):
        X, y, Fx = _data(rng, loss)
        problem = ResNetProblem(table_unit(X, Fx), X, y, loss)
        W, Vs, U = sample_points(rng, 8, D, K, u_star=rng.normal(size=D))
        t = batched_terms(X, y, Fx, loss, W, Vs, U)
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
    t = batched_terms(X, y, Fx, loss, W, Vs, U)
    tol = t.tolerance(N)
    assert np.all(np.abs(t.gap - (t.first_order - t.bregman)) <= tol)
    assert np.all(t.bregman >= -tol)
    assert np.all(t.gap <= t.bound + tol)


def test_batched_terms_rejects_mismatched_shapes(rng):
    loss = get_loss("squared")
    X, y, Fx = _data(rng, loss)
    with pytest.raises(ValueError, match="expected W, U of shape"):
        batched_terms(X, y, Fx, loss, np.zeros((3, D)), np.zeros((3, D, K + 1)), np.zeros((3, D)))
