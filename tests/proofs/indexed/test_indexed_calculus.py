"""Each derivative rule of the index algebra equals component-wise ``sympy.diff`` at random concrete
sizes; a derivative without a rule is refused; a broken rule is caught by the same comparison.
Substitution commutes with instantiation (also inside function atoms)."""
import random

import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.indexed import calculus
from resnet_lemmas.proofs.indexed.calculus import NoRule, diff, substitute, substitute_scalar
from resnet_lemmas.proofs.indexed.instantiate import derivative_mismatches, instantiate
from resnet_lemmas.proofs.indexed.model import (F, J_t, V_t, W_t, f_t, p, theta_t, u_t, w_t, x_t,
                                                y_t)
from resnet_lemmas.proofs.indexed.normal_form import Assume, equal
from resnet_lemmas.proofs.indexed.terms import (IndexAlgebraError, Lam, Tensor, delta, ell, ell_pp,
                                                index, inv, mean, opnorm, sqrt, sum_over, zero)

d, k, n, q = ex.d, ex.k, ex.n, ex.q
t, s = sp.symbols("t s", real=True)
a, a2, l, l2, j, r, r2 = (index("a", d), index("a2", d), index("l", k), index("l2", k),
                          index("j", n), index("r", q), index("r2", q))
SEEDS = (0, 1, 2)


def random_sizes(seed):
    """Sizes drawn from a seeded generator: d, k, n pairwise different, n >= 2, q >= 1."""
    rng = random.Random(seed)
    dd, kk, nn = rng.sample([1, 2, 3], 3)
    return {d: dd, k: kk, n: max(nn, 2), q: rng.choice([1, 2]), "theta_size": 2}


def check_derivative(expr, var, new, sizes):
    """Assert ``diff(expr, var, *new)`` equals ``sympy.diff`` of the instantiated ``expr`` in every
    component; the message names the component and both values."""
    sizes = dict(sizes, theta_size=sizes[q])
    bad = derivative_mismatches(expr, var, new, sizes, diff(expr, var, *new))
    assert not bad, "d/d{} at {}, sizes {}: rule gives {}, sympy.diff gives {}".format(
        var, bad[0][:2], sizes, bad[0][2], bad[0][3])


@pytest.mark.parametrize("seed", SEEDS)
def test_variable_and_product_rules_in_w_equal_sympy_diff(seed):
    expr = sum_over(w_t[a] * u_t[a], a) * sum_over(w_t[a] * w_t[a], a)
    check_derivative(expr, w_t, (a2,), random_sizes(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_of_F_in_w_equals_sympy_diff(seed):
    check_derivative(F, w_t, (a2,), random_sizes(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_of_F_in_V_equals_sympy_diff(seed):
    check_derivative(F, V_t, (a2, l2), random_sizes(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_of_F_in_theta_through_f_and_J_equals_sympy_diff(seed):
    check_derivative(F, theta_t, (r2,), random_sizes(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_second_derivative_in_w_then_V_uses_the_chain_ell_p_to_ell_pp(seed):
    sizes = random_sizes(seed)
    gw = diff(F, w_t, a2)
    check_derivative(gw, V_t, (index("a3", d), l2), sizes)


@pytest.mark.parametrize("seed", SEEDS)
def test_second_derivative_in_w_twice_equals_sympy_diff(seed):
    check_derivative(diff(F, w_t, a2), w_t, (index("a3", d),), random_sizes(seed))


@pytest.mark.parametrize("seed", SEEDS)
def test_derivative_in_a_scalar_along_a_line_equals_sympy_diff(seed):
    sizes = dict(random_sizes(seed), theta_size=0)
    along = substitute(F, w_t, Lam((a,), w_t[a] + t * u_t[a]))
    first = diff(along, t)
    second = diff(first, t)
    value = instantiate(along, sizes)
    assert sp.expand(instantiate(first, sizes) - sp.diff(value, t)) == 0
    assert sp.expand(instantiate(second, sizes) - sp.diff(value, t, 2)) == 0


def test_scalar_derivative_of_coefficients_is_sympy_diff_of_the_rational_function():
    expr = (t ** 2 / (1 + s)) * w_t[0] + t * s * u_t[0]
    assert equal(diff(expr, t), (2 * t / (1 + s)) * w_t[0] + s * u_t[0], Assume(nonzero=(1 + s,)))


# -- refusals: no rule means no derivative, never 0 --------------------------------------------------
def test_J_depends_on_theta_without_a_rule_so_its_derivative_is_refused():
    with pytest.raises(NoRule, match="J depends on theta"):
        diff(diff(F, theta_t, r), theta_t, r2)


def test_a_third_derivative_of_the_loss_is_refused():
    with pytest.raises(NoRule, match="third derivative"):
        diff(diff(diff(F, w_t, a), w_t, a2), w_t, index("a3", d))


def test_derivative_of_the_loss_in_its_target_argument_is_refused():
    with pytest.raises(NoRule, match="second argument"):
        diff(F, y_t, index("j2", n))


def test_moving_arguments_of_opaque_atoms_are_refused_and_fixed_ones_give_zero():
    norm_w = sqrt(sum_over(w_t[a] * w_t[a], a))
    with pytest.raises(NoRule, match="sqrt"):
        diff(norm_w, w_t, a2)
    assert equal(diff(norm_w, V_t, a2, l2), zero(a2, l2))
    V_lam = Lam((a, l), V_t[a, l])
    with pytest.raises(NoRule, match="opnorm"):
        diff(opnorm(V_lam), V_t, a2, l2)
    m = sp.Symbol("m", integer=True, positive=True)
    o, o2, g1, g2 = index("o", m), index("o2", m), index("g1", m), index("g2", m)
    G = Lam((g1, g2), sum_over(W_t[g1, a] * W_t[g2, a], a))
    with pytest.raises(NoRule, match="inv"):
        diff(inv(G, o, o2), W_t, index("o3", m), a2)


def test_a_new_index_already_free_is_refused():
    with pytest.raises(IndexAlgebraError, match="already free"):
        diff(w_t[a], w_t, a)
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        diff(F, w_t, l)


# -- the comparison catches a broken rule ------------------------------------------------------------
def test_a_product_rule_that_drops_a_term_is_caught_by_sympy_diff(monkeypatch):
    original = calculus._diff_term

    def dropped(term, var, new, taken):
        return original(term, var, new, taken)[:-1]  # forget the derivative of the last factor

    monkeypatch.setattr(calculus, "_diff_term", dropped)
    expr = sum_over(w_t[a] * u_t[a], a) * sum_over(w_t[a] * w_t[a], a)
    with pytest.raises(AssertionError, match="rule gives"):
        check_derivative(expr, w_t, (a2,), random_sizes(0))


def test_a_chain_rule_with_the_wrong_outer_derivative_is_caught_by_sympy_diff(monkeypatch):
    monkeypatch.setitem(calculus.DERIVATIVE_IN_FIRST_ARGUMENT, "ell", "ell_pp")
    with pytest.raises(AssertionError, match="rule gives"):
        check_derivative(F, w_t, (a2,), random_sizes(1))


def test_a_wrong_declared_derivative_tensor_is_caught_by_sympy_diff():
    f_bad = Tensor("f", (n, k), derivatives=(("theta", Tensor("Jbad", (n, k, q))),))
    bad_F = mean(ell(sum_over(w_t[a] * x_t[j, a], a) + sum_over(u_t[0] * f_bad[j, l], l), y_t[j]), j)
    sizes = random_sizes(2)
    with pytest.raises((AssertionError, IndexAlgebraError)):
        check_derivative(bad_F, theta_t, (r2,), sizes)


# -- substitution ------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_substitution_commutes_with_instantiation_also_inside_the_loss(seed):
    sizes = dict(random_sizes(seed), theta_size=0)
    c_vec = Tensor("c", (k,))
    value = Lam((a, l), V_t[a, l] + t * delta(a, 0) * c_vec[l])     # V + t e_1 c^T
    moved = substitute(F, V_t, value)
    dd, kk = sizes[d], sizes[k]
    comp = {sp.Symbol(f"V_{i}{mm}", real=True):
            sp.Symbol(f"V_{i}{mm}", real=True) + (t * sp.Symbol(f"c_{mm}", real=True) if i == 0 else 0)
            for i in range(dd) for mm in range(kk)}
    assert sp.expand(instantiate(moved, sizes) - instantiate(F, sizes).xreplace(comp)) == 0


def test_substituting_zero_for_w_makes_every_prediction_zero():
    at_zero = substitute(F, w_t, Lam((a,), zero(a)))
    assert equal(at_zero, mean(ell(0, y_t[j]), j))


def test_substitution_values_are_checked():
    with pytest.raises(IndexAlgebraError, match="binds 1 indices"):
        substitute(F, V_t, Lam((a,), w_t[a]))
    with pytest.raises(IndexAlgebraError, match="slot has size k"):
        substitute(F, V_t, Lam((a, a2), zero(a, a2)))
    with pytest.raises(IndexAlgebraError, match="free indices"):
        substitute(F, w_t, Lam((a,), u_t[a] * w_t[a2]))


def test_scalar_substitution_refuses_to_divide_by_zero_and_agrees_with_components():
    expr = (1 / t) * w_t[0] + t * u_t[0]
    with pytest.raises(IndexAlgebraError, match="divides by zero"):
        substitute_scalar(expr, t, 0)
    assert equal(substitute_scalar(expr, t, 2), w_t[0] / 2 + 2 * u_t[0])
    inside = ell(t * p, y_t[j])
    assert equal(substitute_scalar(inside, t, 0), ell(0, y_t[j]))


def test_J_is_the_declared_derivative_of_f():
    assert equal(diff(f_t[j, l], theta_t, r), J_t[j, l, r])
    assert equal(diff(x_t[j, a], theta_t, r), zero(j, a, r))
    assert equal(ell_pp(0, y_t[j]) - ell_pp(0, y_t[j]), zero(j))
