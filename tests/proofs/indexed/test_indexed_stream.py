"""The stream's rules for ``E`` (proofs/indexed/stream.py): what they prove, what they refuse, and an
oracle that evaluates both sides by enumerating every stream at small sizes.

The oracle is independent of the normal form: it sums over the index ranges, draws every predictable
tensor as a random function of the samples before its step, every sampled tensor from its population at
the step's sample, and takes ``E`` as the mean over all ``n^T`` streams.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import sympy as sp

from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.normal_form import Assume, IdentityFailure, equal
from resnet_lemmas.proofs.indexed.stream import Stream
from resnet_lemmas.proofs.indexed.terms import (SEQ, Delta, IndexAlgebraError, Ten, Tensor, constant_in,
                                                dependency_order, expect, index, mean, sum_over)
from resnet_lemmas.proofs.lemmas import sgd_regret as sg

STREAM = Assume(stream=model.STREAM)
t, j = model.t_idx, model.j


# -- the oracle ---------------------------------------------------------------------------------
class Oracle:
    """Random values of the stream's tensors at sizes ``(T, n, d)``; ``value(expr)`` by enumeration."""

    def __init__(self, T, n, d, seed):
        self.sizes = {model.T: T, model.n: n, model.d: d}
        self.streams = list(itertools.product(range(n), repeat=T))
        self.rng, self.table = np.random.default_rng(seed), {}
        self.eta = 0.37

    def _draw(self, key):
        if key not in self.table:
            self.table[key] = float(self.rng.normal())
        return self.table[key]

    def tensor(self, name, args, omega):
        if name in ("x", "y", "us"):                       # deterministic
            return self._draw((name, args))
        if name in ("z", "rho", "phi"):                    # predictable: samples before the step
            s = args[0]
            return self._draw((name, args, omega[:max(s - 1, 0)]))
        population = {"X": "x", "Y": "y", "Phi": "phi"}[name]
        s, sample = args[0], omega[args[0] - 1]
        if population == "phi":
            return self.tensor("phi", (s, sample) + args[1:], omega)
        return self.tensor(population, (sample,) + args[1:], omega)

    def _int(self, arg, env):
        env = {k: sp.Integer(v) for k, v in env.items()}
        return int(sp.sympify(arg).xreplace(env).xreplace(self.sizes))

    def value(self, expr, env=None, omega=None):
        env = dict(env or {})
        total = 0.0
        for term in expr.terms:
            coef = float(sp.sympify(term.coef).xreplace(self.sizes).xreplace({sg.eta: self.eta}))
            order = dependency_order(term.dummies)
            total += coef * self._sum(term, order, env, omega)
        return total

    def _sum(self, term, order, env, omega):
        if not order:
            return math.prod(self._factor(f, env, omega) for f in term.factors)
        first, rest = order[0], order[1:]
        lo, hi = self._int(first.lower, env), self._int(first.upper, env)
        return sum(self._sum(term, rest, {**env, first: v}, omega) for v in range(lo, hi + 1))

    def _factor(self, f, env, omega):
        if isinstance(f, Ten):
            return self.tensor(f.tensor.name, tuple(self._int(a, env) for a in f.args), omega)
        if isinstance(f, Delta):
            a, b = (self._int(x, env) for x in f.args)
            return float(a == b)
        if f.name == "expect":
            return float(np.mean([self.value(f.lams[0].body, env, w) for w in self.streams]))
        p, y = (self.value(lam.body, env, omega) for lam in f.lams)
        return {"ell": math.log1p(math.exp(-p * y)) + 0.1 * p ** 2,
                "ell_p": -y / (1 + math.exp(p * y)) + 0.2 * p}[f.name]


def _close(a, b):
    # float64 sums of at most a few hundred terms of size O(1): 1e-9 is far above their rounding
    return abs(a - b) <= 1e-9 * (1 + abs(a) + abs(b))


# -- what the rules prove, confirmed by the oracle ------------------------------------------------
@pytest.mark.parametrize("T, n, d, seed", [(2, 2, 1, 0), (3, 2, 1, 1), (2, 3, 2, 2)])
def test_the_online_to_batch_step_of_the_model_holds_on_every_stream(T, n, d, seed):
    """AvgRisk = CompLoss + E_regret: proven by the stream rules, and true by enumeration."""
    defs = model.sgd_model()
    lhs, rhs = defs[sg.AvgRisk].body, defs[sg.CompLoss].body + defs[sg.E_regret].body
    assert equal(lhs, rhs, STREAM)
    oracle = Oracle(T, n, d, seed)
    assert _close(oracle.value(lhs), oracle.value(rhs))


def test_the_sample_rule_with_a_feature_of_the_same_step():
    e = index("e", 2 * model.d)
    M = model
    lhs = expect(M.Phi_s[t, 0] * M.X_s[t, 0] * M.z_t[t, e] * M.z_t[1, e])
    rhs = mean(expect(constant_in(M.phi_t[t, j, 0] * M.x_t[j, 0] * M.z_t[t, e] * M.z_t[1, e], t)), j)
    assert equal(lhs, rhs, STREAM)
    oracle = Oracle(3, 2, 1, 5)
    for step in (1, 2, 3):
        for comp in (0, 1):
            env = {t: step, e: comp}
            assert _close(oracle.value(lhs, env), oracle.value(rhs, env))


def test_the_first_iterate_is_deterministic_and_later_ones_are_not():
    e = index("e", 2 * model.d)
    assert equal(expect(model.z_t[1, e] * model.us_t[0]), model.z_t[1, e] * model.us_t[0], STREAM)
    with pytest.raises(IdentityFailure):
        equal(expect(model.z_t[2, e]), model.z_t[2, e], STREAM)


# -- what they refuse, and why it is false -------------------------------------------------------
def _refused_and_false(lhs, rhs, env, T=2, n=2, d=1, seed=3):
    with pytest.raises(IdentityFailure):
        equal(lhs, rhs, STREAM)
    oracle = Oracle(T, n, d, seed)
    assert not _close(oracle.value(lhs, env), oracle.value(rhs, env)), "the refused identity is true"


def test_the_sample_is_not_independent_of_the_next_iterate():
    lhs = expect(model.X_s[t, 0] * model.z_t[t + 1, 0])
    rhs = mean(expect(constant_in(model.x_t[j, 0] * model.z_t[t + 1, 0], t)), j)
    _refused_and_false(lhs, rhs, {t: 1})


def test_two_samples_of_different_steps_are_not_replaced_by_one():
    s = index("s", lo=1, hi=model.T)
    lhs = expect(model.X_s[t, 0] * model.X_s[s, 0])
    rhs = mean(expect(constant_in(model.x_t[j, 0] * model.X_s[s, 0], t)), j)
    with pytest.raises(IdentityFailure):
        equal(lhs, rhs, STREAM)
    oracle = Oracle(2, 2, 1, 4)          # at s = t the two sides differ (E[x_i^2] vs E[x_i]^2)
    assert not _close(oracle.value(lhs, {t: 1, s: 1}), oracle.value(rhs, {t: 1, s: 1}))


def test_a_sample_after_the_horizon_and_an_undeclared_tensor_block_the_rule():
    G = Tensor("G", (SEQ,))                        # of unknown kind: it may depend on the sample
    with pytest.raises(IdentityFailure):            # there is no sample of step T + 1
        equal(expect(model.X_s[model.T + 1, 0]), mean(model.x_t[j, 0], j), STREAM)
    with pytest.raises(IdentityFailure):
        equal(expect(model.X_s[t, 0] * G[t]),
              mean(expect(constant_in(model.x_t[j, 0] * G[t], t)), j), STREAM)


def test_a_stream_declaration_must_be_consistent():
    x2 = Tensor("x2", (model.k, model.d))
    with pytest.raises(IndexAlgebraError, match="two kinds"):
        Stream(1, model.T, deterministic=(model.z_t,), predictable=(model.z_t,))
    with pytest.raises(IndexAlgebraError, match="different sizes"):
        Stream(1, model.T, deterministic=(model.x_t, x2),
               sampled=((model.X_s, model.x_t), (Tensor("X2", (SEQ, model.d)), x2)))
    with pytest.raises(IndexAlgebraError, match="step as its first slot"):
        Stream(1, model.T, predictable=(model.x_t,))


# -- red-team finding (issue 11): a step summed inside a function atom is many samples, not one ----
def _one_population():
    pop, X = Tensor("pop", (model.n,)), Tensor("Xr", (SEQ,))
    return pop, X, Assume(stream=Stream(1, model.T, deterministic=(pop,), sampled=((X, pop),)))


def test_a_step_summed_inside_sqrt_is_not_one_sample():
    """E[(sum_s X_s)^2] written as sqrt(S)^4 is not (T^2/n) sum_j pop_j^2 (at T = n = 2, pop = (0, 1):
    3/2 against 2); the rule once merged every X_s into one draw."""
    from resnet_lemmas.proofs.indexed.terms import sqrt
    pop, X, assume = _one_population()
    s = index("s", lo=1, hi=model.T)
    S = sum_over(X[s], s)
    with pytest.raises(IdentityFailure):
        equal(expect(sqrt(S) * sqrt(S) * sqrt(S) * sqrt(S)),
              sum_over(pop[j] * pop[j], j) * (model.T ** 2 / model.n), assume)
    streams = list(itertools.product((0.0, 1.0), repeat=2))
    assert np.mean([(a + b) ** 2 for a, b in streams]) == 1.5


def test_a_step_bound_by_an_atom_argument_is_not_one_sample():
    """E[opnorm((s, a) -> X_s)], and E[X_t opnorm((t, a) -> X_t)] with the outer label reused inside."""
    from resnet_lemmas.proofs.indexed.terms import Lam, opnorm
    pop, X, assume = _one_population()
    s, a = index("s", lo=1, hi=model.T), index("a", model.d)
    mj = lambda e: sum_over(e, j) * (1 / model.n)  # noqa: E731
    with pytest.raises(IdentityFailure):
        equal(expect(opnorm(Lam((s, a), constant_in(X[s], a)))),
              mj(opnorm(Lam((s, a), constant_in(pop[j], s, a)))), assume)
    with pytest.raises(IdentityFailure):
        equal(expect(X[t] * opnorm(Lam((t, a), constant_in(X[t], a)))),
              constant_in(mj(pop[j] * opnorm(Lam((t, a), constant_in(pop[j], t, a)))), t), assume)
