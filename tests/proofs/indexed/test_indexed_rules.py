"""Checked rules: pulling factors out of E, interchanging sums, telescoping; each refuses a false use."""
import pytest
import sympy as sp

from resnet_lemmas.proofs.indexed.instantiate import instantiate
from resnet_lemmas.proofs.indexed.normal_form import IdentityFailure, equal
from resnet_lemmas.proofs.indexed.rules import (by_telescoping, interchange, pull_out_of_mean,
                                                telescope)
from resnet_lemmas.proofs.indexed.terms import (SEQ, IndexAlgebraError, Lam, Tensor, constant_in, index,
                                                indices_in, mean, sum_over)

d, n, T = sp.symbols("d n T", integer=True, positive=True)
w, x, y = Tensor("w", (d,)), Tensor("x", (n, d)), Tensor("y", (n,))
z, zs = Tensor("z", (SEQ, d)), Tensor("zs", (d,))
a, j = index("a", d), index("j", n)
t = index("t", lo=1, hi=T)
s = index("s", lo=1, hi=T + 1)


def test_a_sample_independent_factor_leaves_the_mean():
    lhs, rhs = pull_out_of_mean(w[a], x[j, a], j)
    assert equal(lhs, rhs)


def test_a_factor_that_carries_the_sample_index_is_not_pulled_out():
    with pytest.raises(IndexAlgebraError, match="depends on j"):
        pull_out_of_mean(y[j], x[j, a], j)


def test_independent_sums_interchange():
    lhs, rhs = interchange(x[j, a] * w[a], j, a)
    assert equal(lhs, rhs)


def test_an_interchange_of_dependent_sums_is_refused():
    u = index("u", lo=1, hi=t)                       # u in 1..t
    with pytest.raises(IndexAlgebraError, match="depends on t"):
        interchange(z[u, a] * z[t, a], t, u)


def _squared_distance(idx):
    b = index("b", d)
    gap = z[idx, b] - constant_in(zs[b], *indices_in(idx))
    return sum_over(gap * gap, b)


A = Lam((s,), _squared_distance(s))                  # A_s = ||z_s - z*||^2


def test_telescoping_gives_the_first_minus_the_one_after_the_last():
    lhs, rhs = telescope(A, t)
    claimed_lhs = sum_over(_squared_distance(t) - _squared_distance(t + 1), t)
    assert by_telescoping(claimed_lhs, _squared_distance(1) - _squared_distance(T + 1), A, t)
    assert equal(lhs, claimed_lhs)
    sizes = {d: 2, T: 3}
    assert sp.expand(instantiate(lhs, sizes) - instantiate(rhs, sizes)) == 0


def test_telescoping_with_a_wrong_boundary_term_is_refused():
    claimed_lhs = sum_over(_squared_distance(t) - _squared_distance(t + 1), t)
    with pytest.raises(IdentityFailure, match="check the summand and the boundary terms"):
        by_telescoping(claimed_lhs, _squared_distance(1) - _squared_distance(T), A, t)


def test_telescoping_a_sum_that_skips_a_step_is_refused():
    skipping = sum_over(_squared_distance(t) - _squared_distance(t + 2), t)
    with pytest.raises(IdentityFailure, match="not an instance of"):
        by_telescoping(skipping, _squared_distance(1) - _squared_distance(T + 1), A, t)


def test_the_normal_form_alone_does_not_telescope():
    # without the rule the two sides have different normal forms: shifting t is the rule's job
    with pytest.raises(IdentityFailure):
        equal(*telescope(A, t))


def test_telescoping_needs_a_sequence_of_one_index_in_sequence_slots():
    with pytest.raises(IndexAlgebraError, match="one index"):
        telescope(Lam((s, a), z[s, a]), t)
    b = index("b", d)
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        telescope(Lam((b,), w[b]), index("c", d))        # w_{c+1} with c = d - 1 does not exist
    lhs, rhs = telescope(Lam((b,), w[b]), index("c", lo=0, hi=d - 2))   # inside the slot: fine
    assert equal(rhs, w[0] - w[d - 1])


def test_mean_is_linear():
    assert equal(mean(2 * x[j, a] + w[a] * y[j], j), 2 * mean(x[j, a], j) + w[a] * mean(y[j], j))
