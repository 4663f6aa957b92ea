"""Index expressions: typed slots, scoping of sums, capture-free products, shapes of sums."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.indexed.normal_form import equal, is_zero
from resnet_lemmas.proofs.indexed.terms import (SEQ, Expr, IndexAlgebraError, Lam, Quotient, Tensor,
                                                as_expr, delta, ell, index, inv, mean, rename,
                                                sum_over, zero)

d, k, n, T = sp.symbols("d k n T", integer=True, positive=True)
w, u, V = Tensor("w", (d,)), Tensor("u", (d,)), Tensor("V", (d, k))
x = Tensor("x", (n, d))
z = Tensor("z", (SEQ, d))
a, b, l, j = index("a", d), index("b", d), index("l", k), index("j", n)


def test_an_index_of_range_k_in_a_slot_of_size_d_is_refused():
    with pytest.raises(IndexAlgebraError, match="does not fit a slot of size d"):
        w[l]


def test_an_integer_component_must_provably_lie_in_the_slot():
    assert w[0].free == frozenset()
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        w[-1]
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        w[1]  # d = 1 is a size too: w[1] need not exist


def test_the_same_label_with_two_ranges_in_one_monomial_is_refused():
    a_in_k = index("a", k)
    with pytest.raises(IndexAlgebraError, match="label a is used with two ranges"):
        w[a] * V[0, a_in_k]


def test_index_labels_starting_with_underscore_are_reserved():
    with pytest.raises(IndexAlgebraError, match="must be nonempty and not start with"):
        index("_c0_0", d)


def test_sizes_must_be_positive_integers():
    with pytest.raises(IndexAlgebraError, match="not a positive integer"):
        index("a", sp.Symbol("s", real=True))


def test_adding_expressions_of_different_shapes_is_refused():
    with pytest.raises(IndexAlgebraError, match="cannot add expressions of shapes"):
        w[a] + w[b]
    with pytest.raises(IndexAlgebraError, match="cannot add expressions of shapes"):
        w[a] + 1


def test_products_rename_dummies_apart_so_no_index_is_captured():
    # (sum_a w_a w_a) * u_a with a free: the inner a is bound, the outer a is free
    left = sum_over(w[a] * w[a], a) * u[a]
    assert left.free == frozenset({a})
    captured = sum_over(w[a] * w[a] * u[a], a) * as_expr(1)
    assert captured.free == frozenset()
    # squaring a contraction keeps two independent sums
    square = sum_over(w[a] * u[a], a) ** 2
    assert len(square.terms[0].dummies) == 2


def test_sum_over_an_index_whose_range_another_free_index_depends_on_is_refused():
    t = index("t", lo=1, hi=T)
    s = index("s", lo=1, hi=t)          # s in 1..t
    body = z[s, a] * z[t, a]
    inner_first = sum_over(body, s)     # sum_t sum_{s<=t}: fine
    assert sum_over(inner_first, t, a).free == frozenset()
    with pytest.raises(IndexAlgebraError, match="whose range 1..t depends on t"):
        sum_over(body, t)               # the sum over t inside the sum over s (s's range needs t)


def test_a_summand_constant_in_the_index_is_counted_range_size_times():
    assert equal(sum_over(w[a], j), n * w[a])
    assert equal(mean(w[a], j), w[a])


def test_coefficients_must_not_depend_on_indices():
    with pytest.raises(IndexAlgebraError, match="depends on an index"):
        as_expr(sp.Idx("q", d) + 1)


def test_denominators_must_be_scalars():
    with pytest.raises(IndexAlgebraError, match="denominator with free indices"):
        Quotient(as_expr(1), (w[a],))
    with pytest.raises(IndexAlgebraError, match="division by an expression with free indices"):
        Quotient(as_expr(1)) / w[a]


def test_function_atoms_check_their_arity_and_slots():
    from resnet_lemmas.proofs.indexed.terms import function
    with pytest.raises(IndexAlgebraError, match="expects 2 argument"):
        function("ell", w[0])
    with pytest.raises(IndexAlgebraError, match="unknown function atom"):
        function("exp", w[0])
    G = Lam((a, b), w[a] * w[b])
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        inv(G, a, l)
    with pytest.raises(IndexAlgebraError, match="must be square"):
        inv(Lam((a, l), V[a, l]), a, b)


def test_lam_application_is_capture_avoiding():
    # (b) -> sum_a w_a V_{b, 0} u_a applied to a: the bound a inside must not capture the argument
    lam = Lam((b,), sum_over(w[a] * u[a], a) * w[b])
    applied = lam(a)
    assert applied.free == frozenset({a})
    assert equal(applied, sum_over(w[b] * u[b], b) * w[a])


def test_rename_of_a_free_index_and_the_zero_of_a_shape():
    assert equal(rename(w[a] * x[j, a], {a: b}), w[b] * x[j, b])
    assert is_zero(zero(a))
    assert zero(a).free == frozenset({a})
    assert equal(sum_over(delta(a, a), a), d)  # delta(a, a) = 1, then the sum counts d
    assert equal(ell(0, 0) - ell(0, 0), as_expr(0))
    assert isinstance(w[a], Expr)
