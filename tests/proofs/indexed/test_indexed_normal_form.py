"""The normal form: sound against explicit components, complete for relabelling and reordering, and
each of its rules (delta, sqrt, inverse, unused dummies, denominators) on good and bad input."""
import itertools

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from resnet_lemmas.proofs.indexed import normal_form as nf
from resnet_lemmas.proofs.indexed.instantiate import instantiate
from resnet_lemmas.proofs.indexed.normal_form import (Assume, IdentityFailure, equal, expr_key, is_zero,
                                                 normal)
from resnet_lemmas.proofs.indexed.terms import (Delta, IndexAlgebraError, Lam, Quotient, Tensor,
                                                as_expr, delta, ell, expect, index, inv, mean, sqrt,
                                                sum_over)

d, k, n, m = sp.symbols("d k n m", integer=True, positive=True)
t = sp.Symbol("t", real=True)
w, u, b = Tensor("w", (d,)), Tensor("u", (d,)), Tensor("b", (k,))
V, x, y = Tensor("V", (d, k)), Tensor("x", (n, d)), Tensor("y", (n,))
W = Tensor("W", (m, d))
a, a2, l, j = index("a", d), index("a2", d), index("l", k), index("j", n)
o, o2, e = index("o", m), index("o2", m), index("e", m)


def dot(f, g, label="a"):
    i = index(label, d)
    return sum_over(f(i) * g(i), i)


# -- random expressions: built twice, with other labels and reversed products ---------------------
_labels = itertools.count()


def _vector(ast, idx, flip):
    kind = ast[0]
    if kind == "w":
        return w[idx]
    if kind == "u":
        return u[idx]
    if kind == "Vb":
        li = index(f"L{next(_labels)}", k)
        return sum_over(V[idx, li] * b[li] if not flip else b[li] * V[idx, li], li)
    if kind == "vadd":
        first, second = _vector(ast[1], idx, flip), _vector(ast[2], idx, flip)
        return second + first if flip else first + second
    scalar, vec = _scalar(ast[2], flip), _vector(ast[1], idx, flip)
    return vec * scalar if flip else scalar * vec


def _scalar(ast, flip):
    kind = ast[0]
    if kind == "const":
        return as_expr(ast[1])
    if kind == "dot":
        i = index(f"A{next(_labels)}", d)
        first, second = _vector(ast[1], i, flip), _vector(ast[2], i, flip)
        return sum_over(second * first if flip else first * second, i)
    if kind == "mean_ell":
        jj, i = index(f"J{next(_labels)}", n), index(f"A{next(_labels)}", d)
        pred = sum_over(_vector(ast[1], i, flip) * x[jj, i], i)
        return mean(ell(pred, y[jj]), jj)
    if kind == "expect":
        return expect(_scalar(ast[1], flip))
    first, second = _scalar(ast[1], flip), _scalar(ast[2], flip)
    if kind == "add":
        return second + first if flip else first + second
    return second * first if flip else first * second


vectors = st.recursive(
    st.sampled_from([("w",), ("u",), ("Vb",)]),
    lambda inner: st.one_of(st.tuples(st.just("vadd"), inner, inner),
                            st.tuples(st.just("vscale"), inner, st.just(("const", 2)))),
    max_leaves=3)
scalars = st.recursive(
    st.one_of(st.tuples(st.just("const"), st.integers(-2, 2)),
              st.tuples(st.just("dot"), vectors, vectors),
              st.tuples(st.just("mean_ell"), vectors)),
    lambda inner: st.one_of(st.tuples(st.sampled_from(["add", "mul"]), inner, inner),
                            st.tuples(st.just("expect"), inner)),
    max_leaves=4)

SIZES = {d: 2, k: 2, n: 2}


@settings(max_examples=40, deadline=None, derandomize=True)  # replays the same examples
@given(scalars)
def test_normal_form_has_the_value_of_the_expression_at_concrete_sizes(ast):
    expr = _scalar(ast, flip=False)
    assert sp.expand(instantiate(normal(expr), SIZES) - instantiate(expr, SIZES)) == 0


@settings(max_examples=40, deadline=None, derandomize=True)  # replays the same examples
@given(scalars)
def test_relabelled_and_reordered_expressions_have_the_same_normal_form(ast):
    assert expr_key(_scalar(ast, flip=False)) == expr_key(_scalar(ast, flip=True))


@settings(max_examples=30, deadline=None, derandomize=True)
@given(scalars, scalars)
def test_an_identity_the_normal_form_accepts_holds_in_components(first, second):
    left, right = _scalar(first, False), _scalar(second, False)
    try:
        equal(left, right)
    except IdentityFailure:
        return
    assert sp.expand(instantiate(left, SIZES) - instantiate(right, SIZES)) == 0


def test_normal_form_is_idempotent():
    expr = dot(w, u) * dot(w, w) + mean(ell(dot(w, lambda i: x[j, i]), y[j]), j)
    once = normal(expr)
    assert expr_key(once) == expr_key(normal(once)) == expr_key(expr)


# -- delta ---------------------------------------------------------------------------------------
def test_delta_contracts_with_an_index_of_the_same_range():
    assert equal(sum_over(delta(a, a2) * w[a2], a2), w[a])
    assert equal(sum_over(delta(a2, a) * w[a2] * u[a2], a2), w[a] * u[a])


def test_delta_contracts_with_a_constant_inside_the_range():
    assert equal(sum_over(delta(a, 0) * w[a], a), w[0])
    assert is_zero(delta(0, 1) * w[0])
    assert equal(delta(1, 1) * w[0], w[0])


def test_delta_between_different_ranges_is_not_contracted():
    # a in 0..d-1, l in 0..k-1: sum_a delta(a, l) w_a is w_l only when l < d, which is not known
    kept = normal(sum_over(delta(a, l) * w[a], a))
    assert any(isinstance(f, Delta) for f in kept.terms[0].factors)


# -- sqrt, unused dummies ----------------------------------------------------------------------------
def test_square_of_a_square_root_is_its_argument():
    assert equal(sqrt(dot(w, w)) * sqrt(dot(w, w, "a3")), dot(w, w))
    assert not is_zero(sqrt(dot(w, w)) * sqrt(dot(u, u)) - sqrt(dot(w, w) * dot(u, u)))


def test_an_unused_dummy_counts_its_range():
    assert equal(sum_over(w[0], a), d * w[0])
    assert equal(sum_over(as_expr(1), j, a), n * d)


# -- inverse ---------------------------------------------------------------------------------------
g1, g2 = index("g1", m), index("g2", m)
G = Lam((g1, g2), sum_over(W[g1, a] * W[g2, a], a))          # W W^T
INVERTIBLE = Assume(invertible=(G,))


def test_inverse_cancels_on_the_left_and_on_the_right_when_declared():
    p = index("p", m)
    left = sum_over(inv(G, o, p) * sum_over(W[p, a] * W[e, a], a), p)
    assert equal(left, delta(o, e), INVERTIBLE)
    right = sum_over(sum_over(W[e, a] * W[p, a], a) * inv(G, p, o), p)
    assert equal(right, delta(e, o), INVERTIBLE)


def test_inverse_of_an_undeclared_matrix_is_refused():
    p = index("p", m)
    left = sum_over(inv(G, o, p) * sum_over(W[p, a] * W[e, a], a), p)
    with pytest.raises(IndexAlgebraError, match="without declaring it invertible"):
        equal(left, delta(o, e))
    other = Lam((g1, g2), sum_over(W[g1, a] * W[g2, a] * w[a], a))  # not the declared G
    with pytest.raises(IndexAlgebraError, match="without declaring it invertible"):
        normal(sum_over(inv(other, o, p) * W[p, 0], p), INVERTIBLE)


def test_inverse_does_not_cancel_against_a_different_matrix():
    p = index("p", m)
    transposed_product = sum_over(inv(G, o, p) * sum_over(W[p, a] * W[e, a2], a) * delta(a, a2), p)
    with pytest.raises(IdentityFailure):   # the delta is over a free a2: not W W^T
        equal(sum_over(transposed_product, a2), delta(o, e), INVERTIBLE)
    half = sum_over(inv(G, o, p) * W[p, 0] * W[e, 0], p)   # one component of W W^T only
    with pytest.raises(IdentityFailure):
        equal(half, delta(o, e), INVERTIBLE)


# -- denominators ----------------------------------------------------------------------------------
def test_a_quotient_needs_its_denominator_declared_nonzero():
    ww = dot(w, w)
    lhs = Quotient(dot(w, u) * ww) / ww
    with pytest.raises(IdentityFailure, match="not declared nonzero"):
        equal(lhs, dot(w, u))
    assert equal(lhs, dot(w, u), Assume(nonzero=(ww,)))
    assert equal(lhs, dot(w, u), Assume(nonzero=(-ww,)))  # nonzero up to sign
    assert equal(Quotient(dot(w, u) * ww) / (2 * ww), dot(w, u) / 2, Assume(nonzero=(ww,)))
    with pytest.raises(IdentityFailure, match="not declared nonzero"):   # t w.w: t is not declared
        equal(Quotient(dot(w, u) * ww * t) / (t * ww), dot(w, u), Assume(nonzero=(ww,)))


def test_a_coefficient_denominator_needs_its_factor_declared():
    with pytest.raises(IdentityFailure, match="divides by t"):
        equal(w[0] / t + u[0], u[0] + w[0] / t)   # both sides are undefined at t = 0
    assert equal(w[0] / t + u[0], u[0] + w[0] / t, Assume(nonzero=(t,)))
    assert equal(mean(w[0], j), w[0])  # 1/n: a positive size


def test_cross_multiplication_refuses_a_wrong_quotient():
    ww = dot(w, w)
    with pytest.raises(IdentityFailure, match="differ"):
        equal(Quotient(dot(w, u)) / ww, dot(w, u), Assume(nonzero=(ww,)))


# -- expectation -----------------------------------------------------------------------------------
def test_expectation_is_linear_with_deterministic_coefficients_and_sums():
    assert equal(expect(2 * dot(w, u) + t * w[0]), 2 * expect(dot(w, u)) + t * expect(w[0]))
    assert equal(expect(dot(w, u)), sum_over(expect(w[a] * u[a]), a))
    assert equal(expect(as_expr(3)), as_expr(3))
    assert is_zero(expect(w[0] - w[0]))


def test_expectation_does_not_factor_a_product():
    with pytest.raises(IdentityFailure):
        equal(expect(w[0] * u[0]), expect(w[0]) * expect(u[0]))
    with pytest.raises(IdentityFailure):
        equal(expect(w[0] * w[0]), expect(w[0]) * expect(w[0]))


# -- budget ----------------------------------------------------------------------------------------
def test_too_many_symmetric_dummies_raise_instead_of_running_long():
    expr = as_expr(1)
    for _ in range(8):
        expr = expr * sum_over(w[a], a)
    with pytest.raises(IndexAlgebraError, match="labellings of symmetric dummies exceed"):
        normal(expr)


def test_the_budget_of_monomials_is_enforced(monkeypatch):
    monkeypatch.setattr(nf, "MAX_TERMS", 3)
    big = (w[0] + u[0]) * (sqrt(dot(w, w) + dot(u, u)) * sqrt(dot(w, w) + dot(u, u, "a4")))
    with pytest.raises(IndexAlgebraError, match="exceeds 3 monomials"):
        normal(big * big)


def test_inverse_does_not_cancel_over_part_of_the_dimension():
    p_short = index("p", lo=0, hi=m - 2)                    # p < m - 1: not the whole sum
    partial = sum_over(inv(G, o, p_short) * sum_over(W[p_short, a] * W[e, a], a), p_short)
    with pytest.raises(IdentityFailure):
        equal(partial, delta(o, e), INVERTIBLE)
