"""numerics/certificates/bounds.py, the per-point fast path of the section-4 gap (verify uses it): with a
linear comparator (``b = 0``) its formulas are lemma approximate_stationarity_bound's, compiled by the bridge;
with a feature comparator (``b != 0``, outside any theorem's conclusion) the first-order gap is its
definition ``E[l'(p) (p - q)]`` and the bound dominates it."""
import numpy as np
import pytest

from resnet_lemmas.bridge import compile_statement
from resnet_lemmas.numerics.certificates.bounds import first_order_gap, gap_bound, rounding_tolerance
from resnet_lemmas.numerics.models.fixed_features import table_unit
from resnet_lemmas.numerics.models.residual import ResNetProblem
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import LEMMA
from resnet_lemmas.proofs.losses import get_loss

N, D, K = 12, 3, 2
IDENTITY, BOUND = 0, 1
#: Float64 rounding of a few O(10)-term sums of O(1)-O(10) magnitudes: both sides are computed by
#: different code (NumPy here, the bridge's generated code there), each to ~1e-15 relative.
RELATIVE = 1e-12


def _problem(rng, name):
    loss = get_loss(name)
    X, Fx = rng.normal(size=(N, D)), rng.normal(size=(N, K))
    y = {"sign": rng.choice([-1.0, 1.0], size=N), "count": rng.poisson(2.0, size=N).astype(float)
         }.get(loss.targets, rng.normal(size=N))
    return ResNetProblem(table_unit(X, Fx), X, y, loss), Fx


@pytest.mark.parametrize("name", ["squared", "logistic", "poisson", "softplus_hinge"])
def test_linear_comparator_formulas_are_the_lemmas_compiled_by_the_bridge(name, rng):
    problem, Fx = _problem(rng, name)
    compiled = compile_statement(LEMMA.conclusion)
    for _ in range(10):
        w, V, u = rng.normal(size=D), rng.normal(size=(D, K)) * rng.uniform(0.1, 3), rng.normal(size=D)
        g = problem.gradients(w, V, np.zeros(0))
        values = {"F": g.F, "E_l_u": 0.0, "E_bregman_u": 0.0, "u": u, "w": w, "V": V, "grad_w": g.grad_w,
                  "c": g.c, "grad_V": g.grad_V}
        identity = compiled.relation(IDENTITY, values)   # rhs: first-order term - E[D_l], with E[D_l] = 0
        bound = compiled.relation(BOUND, values)
        zero_b = np.zeros(K)
        assert first_order_gap(g, w, V, u, zero_b) == pytest.approx(identity.rhs, rel=RELATIVE, abs=RELATIVE)
        assert gap_bound(g, w, V, u, zero_b) == pytest.approx(bound.rhs, rel=RELATIVE, abs=RELATIVE)


def test_a_fast_path_without_the_V_factor_would_differ_from_the_bridge(rng):
    problem, _ = _problem(rng, "squared")
    w, V, u = rng.normal(size=D), 3.0 * rng.normal(size=(D, K)), rng.normal(size=D)
    g = problem.gradients(w, V, np.zeros(0))
    bound = compile_statement(LEMMA.conclusion).relation(BOUND, {
        "F": g.F, "E_l_u": 0.0, "u": u, "w": w, "V": V, "grad_w": g.grad_w, "grad_V": g.grad_V})
    without = (np.linalg.norm(w - u) * np.linalg.norm(g.grad_w)
               + np.linalg.norm(u) * np.linalg.norm(g.grad_V) / np.linalg.norm(w))
    assert gap_bound(g, w, V, u, np.zeros(K)) == pytest.approx(bound.rhs, rel=RELATIVE)
    assert without != pytest.approx(bound.rhs, rel=1e-3)


def test_feature_comparator_gap_is_its_definition_and_is_bounded(rng):
    """``b != 0`` is outside any theorem's conclusion (the main theorem's proof uses it, its statement
    does not): ``first_order_gap = E[l'(p) (p - q)]`` with ``q = a^T x + b^T f``, and ``F - E l(q) <=`` it
    ``<= gap_bound`` (convexity, Cauchy-Schwarz)."""
    problem, Fx = _problem(rng, "logistic")
    for _ in range(10):
        w, V = rng.normal(size=D), rng.normal(size=(D, K))
        a, b = rng.normal(size=D), rng.normal(size=K)
        g = problem.gradients(w, V, np.zeros(0))
        p = problem.X @ w + Fx @ (V.T @ w)
        q = problem.X @ a + Fx @ b
        r = problem.loss.grad(p, problem.y)
        E_lq = float(np.mean(problem.loss.value(q, problem.y)))
        first = first_order_gap(g, w, V, a, b)
        tol = rounding_tolerance(g.F, E_lq, float(np.mean(np.abs(r * (p - q)))), n=N)
        assert first == pytest.approx(float(np.mean(r * (p - q))), abs=tol)
        assert g.F - E_lq <= first + tol and first <= gap_bound(g, w, V, a, b) + tol
