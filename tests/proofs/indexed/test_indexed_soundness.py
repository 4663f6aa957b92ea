"""Soundness suite: a false use of every trusted rule of the index algebra is refused.

``FALSE_USES`` has one entry per name in ``TRUSTED_RULES`` (a new rule without a false use fails
``test_every_trusted_rule_has_a_false_use``); each entry attempts something false and states the
exception and message that must come out.  The trusted files also stay auditable in size.
"""
import ast
import pathlib

import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs import indexed
from resnet_lemmas.proofs.indexed import calculus
from resnet_lemmas.proofs.indexed.calculus import NoRule, diff, substitute, substitute_scalar
from resnet_lemmas.proofs.indexed.instantiate import derivative_mismatches
from resnet_lemmas.proofs.indexed.matrix import translate
from resnet_lemmas.proofs.indexed.model import DEFINITIONS, F, J_t, V_t, theta_t, u_t, w_t, x_t, y_t
from resnet_lemmas.proofs.indexed.normal_form import Assume, IdentityFailure, equal
from resnet_lemmas.proofs.indexed.rules import by_telescoping, interchange, pull_out_of_mean
from resnet_lemmas.proofs.indexed.terms import (SEQ, IndexAlgebraError, Lam, Quotient, Tensor,
                                                as_expr, constant_in, delta, ell, expect, index, inv,
                                                mean, sqrt, sum_over, zero)
from resnet_lemmas.proofs.linalg import inner

d, k, n, q = ex.d, ex.k, ex.n, ex.q
m = sp.Symbol("m", integer=True, positive=True)
T = sp.Symbol("T", integer=True, positive=True)
t = sp.Symbol("t", real=True)
a, a2, l, l2, j, r = (index("a", d), index("a2", d), index("l", k), index("l2", k), index("j", n),
                      index("r", q))
W = Tensor("W", (m, d))
z, zs = Tensor("z", (SEQ, d)), Tensor("zs", (d,))


def ww():
    return sum_over(w_t[a] * w_t[a], a)


def uu():
    return sum_over(u_t[a] * u_t[a], a)


def _dropped_product_rule(monkeypatch):
    original = calculus._diff_term
    monkeypatch.setattr(calculus, "_diff_term", lambda *args: original(*args)[:-1])
    expr = ww() * sum_over(w_t[a] * u_t[a], a)
    sizes = {d: 2, k: 1, n: 2}
    assert not derivative_mismatches(expr, w_t, (a2,), sizes, diff(expr, w_t, a2)), \
        "the product rule dropped a term"


def _telescope_wrong_boundary(_):
    s_, t_ = index("s", lo=1, hi=T + 1), index("t", lo=1, hi=T)
    A = Lam((s_,), sum_over(z[s_, a] * z[s_, a], a))
    lhs = sum_over(A(t_) - A(t_ + 1), t_)
    by_telescoping(lhs, A(1) - A(T), A, t_)


def _interchange_dependent(_):
    t_ = index("t", lo=1, hi=T)
    s_ = index("s", lo=1, hi=t_)
    interchange(z[s_, a] * z[t_, a], t_, s_)


def _inverse_undeclared(_):
    o, p, e, g1, g2 = (index(x, m) for x in ("o", "p", "e", "g1", "g2"))
    G = Lam((g1, g2), sum_over(W[g1, a] * W[g2, a], a))
    equal(sum_over(inv(G, o, p) * sum_over(W[p, a] * W[e, a], a), p), delta(o, e))


def _scoping(_):
    t_ = index("t", lo=1, hi=T)
    s_ = index("s", lo=1, hi=t_)
    sum_over(z[s_, a] * z[t_, a], t_)


FALSE_USES = {
    # rule: (attempt, exception, message)
    "typed_slots": (lambda _: V_t[l, a], IndexAlgebraError, "does not fit a slot of size d"),
    "scoping": (_scoping, IndexAlgebraError, "depends on t"),
    "capture_avoidance": (  # (sum_a w_a w_a)(sum_a u_a u_a) is not sum_a w_a w_a u_a u_a
        lambda _: equal(ww() * uu(), sum_over(w_t[a] * w_t[a] * u_t[a] * u_t[a], a)),
        IdentityFailure, "differ"),
    "canonical_labelling": (  # w_a V_ab u_b is not w_b V_ab u_a
        lambda _: equal(sum_over(w_t[a] * Tensor("M", (d, d))[a, a2] * u_t[a2], a, a2),
                        sum_over(w_t[a2] * Tensor("M", (d, d))[a, a2] * u_t[a], a, a2)),
        IdentityFailure, "differ"),
    "collect": (  # true only at n = 2: the mean is the sum over 2
        lambda _: equal(mean(x_t[j, a], j), sum_over(x_t[j, a], j) / 2), IdentityFailure, "differ"),
    "delta": (  # sum_a delta(a, l) = 1 needs l < d, unknown for l in 0..k-1
        lambda _: equal(sum_over(delta(a, l), a), as_expr(1) * delta(l, l)), IdentityFailure, "differ"),
    "sqrt": (lambda _: equal(sqrt(ww()) * sqrt(uu()), sqrt(ww() * uu())), IdentityFailure, "differ"),
    "inverse": (_inverse_undeclared, IndexAlgebraError, "without declaring it invertible"),
    "unused_dummy": (lambda _: equal(sum_over(w_t[0], j), d * w_t[0]), IdentityFailure, "differ"),
    "expect_linear": (lambda _: equal(expect(w_t[0] * u_t[0]), expect(w_t[0]) * expect(u_t[0])),
                      IdentityFailure, "differ"),
    "quotient": (lambda _: equal(Quotient(ww()) / ww(), as_expr(1)), IdentityFailure,
                 "not declared nonzero"),
    "d_variable": (lambda _: equal(diff(ww(), w_t, a2), w_t[a2]), IdentityFailure, "differ"),
    "d_declared": (lambda _: diff(J_t[j, l, r], theta_t, index("r2", q)), NoRule,
                   "J depends on theta"),
    "d_product": (_dropped_product_rule, AssertionError, "dropped a term"),
    "d_chain_loss": (lambda _: diff(diff(diff(F, w_t, a), w_t, a2), w_t, index("a3", d)), NoRule,
                     "third derivative"),
    "d_coefficient": (lambda _: equal(diff(t ** 2 * w_t[0], t), t * w_t[0]), IdentityFailure,
                      "differ"),
    "d_opaque": (lambda _: diff(sqrt(ww()), w_t, a2), NoRule, "sqrt"),
    "substitute_tensor": (  # moving V changes F: the substitution reaches inside the loss
        lambda _: equal(substitute(F, V_t, Lam((a2, l2), V_t[a2, l2] + t * delta(a2, 0) * w_t[0]
                                                * delta(l2, 0))), F),
        IdentityFailure, "differ"),
    "substitute_scalar": (lambda _: substitute_scalar(w_t[0] / t, t, 0), IndexAlgebraError,
                          "divides by zero"),
    "pull_out_of_mean": (lambda _: pull_out_of_mean(y_t[j], x_t[j, a], j), IndexAlgebraError,
                         "depends on j"),
    "interchange": (_interchange_dependent, IndexAlgebraError, "depends on t"),
    "telescope": (_telescope_wrong_boundary, IdentityFailure, "boundary terms"),
    "translate": (lambda _: translate(inner(ex.w, ex.c), DEFINITIONS), IndexAlgebraError,
                  "inner product of shapes"),
    # a in 0..d-1 and b + 1 in 1..d overlap: sum_a delta(a, b + 1) w_a is w_{b+1} for b < d - 1
    "delta_disjoint": (lambda _: equal(sum_over(delta(a, a2 + 1) * w_t[a], a), zero(a2)),
                       IdentityFailure, "differ"),
    # the iterate of step t depends on the samples before t: E[z_t] is not z_t
    "expect_deterministic": (lambda _: _stream_equal(lambda M: (expect(M.z_t[M.t_idx, _e()]),
                                                                M.z_t[M.t_idx, _e()])),
                             IdentityFailure, "differ"),
    # z_{t+1} depends on the sample of step t: E[x_{i_t} z_{t+1}] is not E[mean_j x_j z_{t+1}]
    "expect_sample": (lambda _: _stream_equal(lambda M: (
        expect(M.X_s[M.t_idx, 0] * M.z_t[M.t_idx + 1, 0]),
        mean(expect(constant_in(M.x_t[M.j, 0] * M.z_t[M.t_idx + 1, 0], M.t_idx)), M.j))),
        IdentityFailure, "differ"),
}


#: The new rules of issue 11, each broken on purpose: its false use above must then go through (so the
#: false-use test fails on the broken rule).  ``module, attribute, broken replacement``.
BROKEN = {
    "delta_disjoint": ("normal_form", "disjoint", lambda ra, rb: True),
    "expect_deterministic": ("stream", "at_first_step", lambda arg, stream: True),
    "expect_sample": ("stream", "predictable_at", lambda pred_steps, steps: True),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_the_false_use_fails_on_a_deliberately_broken_rule(rule, monkeypatch):
    import importlib
    from resnet_lemmas.proofs.indexed import normal_form
    module, attribute, broken = BROKEN[rule]
    normal_form._collect.cache_clear()   # normal forms are cached: none computed by the broken rule may stay
    monkeypatch.setattr(importlib.import_module(f"resnet_lemmas.proofs.indexed.{module}"), attribute, broken)
    attempt, _, _ = FALSE_USES[rule]
    try:
        attempt(monkeypatch)    # accepted now: the false-use test would fail
    finally:
        normal_form._collect.cache_clear()


def _e():
    from resnet_lemmas.proofs.indexed import model
    return index("e", 2 * model.d)


def _stream_equal(sides):
    from resnet_lemmas.proofs.indexed import model
    lhs, rhs = sides(model)
    return equal(lhs, rhs, Assume(stream=model.STREAM))


def test_every_trusted_rule_has_a_false_use():
    assert set(FALSE_USES) == set(indexed.TRUSTED_RULES)


@pytest.mark.parametrize("rule", sorted(FALSE_USES))
def test_a_false_use_of_the_rule_is_refused(rule, monkeypatch):
    attempt, error, message = FALSE_USES[rule]
    with pytest.raises(error, match=message):
        attempt(monkeypatch)


# -- the false identities the issue names, each refused --------------------------------------------
def test_a_stray_one_over_n_minus_one_is_refused_even_with_n_minus_one_declared():
    x0 = x_t[j, 0]
    j2 = index("j2", n)
    variance = mean((x0 - constant_in(mean(x_t[j2, 0], j2), j)) ** 2, j)   # E[(x - E x)^2]
    assert equal(variance, mean(x0 * x0, j) - mean(x0, j) ** 2)
    with pytest.raises(IdentityFailure, match="differ"):
        equal(variance * n / (n - 1), mean(x0 * x0, j) - mean(x0, j) ** 2,
              Assume(nonzero=(n - 1,)))
    with pytest.raises(IdentityFailure, match="not declared nonzero"):
        equal(variance / (n - 1), variance / (n - 1))


def test_a_factor_depending_on_the_sample_does_not_leave_the_mean():
    j2 = index("j2", n)
    with pytest.raises(IdentityFailure, match="differ"):
        equal(mean(ell(0, y_t[j]) * x_t[j, a], j), mean(ell(0, y_t[j]), j) * mean(x_t[j2, a], j2))


def test_shapes_that_do_not_match_are_refused_at_every_level():
    with pytest.raises(IndexAlgebraError, match="does not fit"):
        w_t[l]
    with pytest.raises(IndexAlgebraError, match="cannot add expressions of shapes"):
        w_t[a] + zero(l)
    with pytest.raises(IdentityFailure, match="shapes differ"):
        equal(w_t[a], w_t[a2])


def code_lines(path: pathlib.Path) -> int:
    """Lines of code: not blank, not a comment, not inside a docstring."""
    source = path.read_text()
    skip = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node):
            doc = node.body[0]
            skip |= set(range(doc.lineno, doc.end_lineno + 1))
    return sum(1 for number, line in enumerate(source.splitlines(), start=1)
               if number not in skip and line.strip() and not line.strip().startswith("#"))


def test_trusted_files_stay_auditable():
    """The trusted modules together stay under 1,100 lines of code (docstrings and comments excluded)."""
    root = pathlib.Path(indexed.__file__).parent
    code = sum(code_lines(root / name) for name in indexed.TRUSTED_FILES)
    assert code <= 1100, f"the trusted part has {code} lines of code"
