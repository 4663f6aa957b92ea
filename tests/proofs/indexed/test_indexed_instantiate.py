"""Instantiation uses the component symbols of proofs/expressions.py, so results compare directly."""
import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.indexed.instantiate import (components, instantiate, residual_names,
                                                      vector_names)
from resnet_lemmas.proofs.indexed.model import J_t, V_t, f_t, w_t, x_t
from resnet_lemmas.proofs.indexed.terms import IndexAlgebraError, index, sum_over

d, k, n, q = ex.d, ex.k, ex.n, ex.q
i, l, j, r = index("i", d), index("l", k), index("j", n), index("r", q)


def test_component_names_are_those_of_sample_symbols():
    s = ex.SampleSymbols(3, 2, 4, 0)
    sizes = {d: 3, k: 2, n: 4}
    assert instantiate(w_t[i], sizes, {i: 2}) == s.w[2]
    assert instantiate(V_t[i, l], sizes, {i: 2, l: 1}) == s.V[2, 1]
    assert instantiate(x_t[j, i], sizes, {j: 3, i: 1}) == s.x[3][1]
    assert instantiate(f_t[j, l], sizes, {j: 3, l: 1}) == s.f[3][1]


def test_features_depend_on_theta_when_theta_size_is_given():
    s = ex.SampleSymbols(2, 2, 3, 2)
    sizes = {d: 2, k: 2, n: 3, q: 2, "theta_size": 2}
    assert instantiate(f_t[j, l], sizes, {j: 2, l: 1}) == s.f[2][1]
    jac = s.f[2].jacobian(s.theta)
    assert instantiate(J_t[j, l, r], sizes, {j: 2, l: 1, r: 0}) == jac[1, 0]
    with pytest.raises(IndexAlgebraError, match="theta_size"):
        instantiate(J_t[j, l, r], {d: 2, k: 2, n: 3, q: 2}, {j: 0, l: 0, r: 0})


def test_sums_unroll_and_components_enumerate_free_indices():
    sizes = {d: 3, k: 2, n: 2}
    value = components(sum_over(w_t[i] * V_t[i, l], i), sizes, (l,))
    s = ex.SampleSymbols(3, 2, 2, 0)
    assert value == {(c,): sum(s.w[a] * s.V[a, c] for a in range(3)) for c in range(2)}


def test_a_free_index_without_a_value_is_refused():
    with pytest.raises(IndexAlgebraError, match="no value for free indices"):
        instantiate(w_t[i], {d: 2})


def test_vector_names_are_those_of_vector_context():
    assert vector_names("x", (1, 2), {}) == sp.Symbol("x1_20", real=True)
    assert vector_names("W", (1, 2), {}) == sp.Symbol("W_12", real=True)
    assert residual_names("zeta", (1, 2), {}) == sp.Symbol("zeta_1_2", real=True)
