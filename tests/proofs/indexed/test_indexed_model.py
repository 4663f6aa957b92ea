"""The model at symbolic sizes equals residual_context's (and vector_context's, and the lemma
modules') definitions component by component at random concrete sizes with n >= 3 and d, k, n
pairwise different; the gradients come from the derivative rules, residual_context's from sympy.diff."""
import random

import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.indexed import model
from resnet_lemmas.proofs.indexed.instantiate import components, vector_names
from resnet_lemmas.proofs.indexed.terms import index
from resnet_lemmas.proofs.lemmas import approximate_stationarity_bound as asb
from resnet_lemmas.proofs.lemmas import vector_outputs as vo
from resnet_lemmas.proofs.lemmas import zero_w_case as zw

SEEDS = (0, 1)


def random_sizes(seed):
    """``(d, k, n, q)``: n >= 3 and d, k, n pairwise different, from a seeded generator."""
    rng = random.Random(seed)
    nn = rng.choice([3, 4])
    dd, kk = rng.sample([x for x in (1, 2, 3, 4) if x != nn], 2)
    return dd, kk, nn, rng.choice([1, 2])


def _compare(lam, ctx_value, sizes, names=None):
    idx = tuple(index(f"z{p}", b.upper + 1) for p, b in enumerate(lam.bound))
    kwargs = {"names": names} if names else {}
    mine = components(lam(*idx), sizes, idx, **kwargs)
    if isinstance(ctx_value, sp.MatrixBase):
        theirs = {key: ctx_value[key if len(key) == 2 else (key[0], 0)] for key in mine}
    else:
        theirs = {(): ctx_value}
    for key in mine:
        assert sp.expand(mine[key] - theirs[key]) == 0, (key, mine[key], theirs[key])


NAMES = [ex.F, ex.c, ex.E_rx, ex.E_r_p, ex.grad_w, ex.grad_V, ex.grad_theta, ex.E_rJVw,
         ex.E_loss_comparator, ex.E_loss_linear, ex.E_r_gap, ex.E_bregman, ex.w, ex.V, ex.theta]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES, ids=str)
def test_definition_equals_residual_context_component_by_component(seed, name):
    dd, kk, nn, qq = random_sizes(seed)
    ctx, _ = ex.residual_context(dd, kk, nn, theta_size=qq)
    sizes = {ex.d: dd, ex.k: kk, ex.n: nn, ex.q: qq, "theta_size": qq}
    _compare(model.DEFINITIONS[name], ctx.instantiate(name), sizes)


@pytest.mark.parametrize("sizes", [(2, 3, 1, 3), (1, 2, 3, 4)], ids=["m2d3k1n3", "m1d2k3n4"])
def test_vector_model_equals_vector_context(sizes):
    mm, dd, kk, nn = sizes
    ctx = vo.vector_context(mm, dd, kk, nn)
    definitions, _ = model.vector_model()
    subs = {model.m: mm, ex.d: dd, ex.k: kk, ex.n: nn}
    for name, lam in definitions.items():
        _compare(lam, ctx.instantiate(name), subs, names=vector_names)


@pytest.mark.parametrize("seed", SEEDS)
def test_lemma_definitions_equal_the_lemma_contexts(seed):
    dd, kk, nn, _ = random_sizes(seed)
    ctx, _ = ex.residual_context(dd, kk, nn)
    zw._extend(ctx)
    asb._extend(ctx)
    sizes = {ex.d: dd, ex.k: kk, ex.n: nn}
    for name, lam in model.lemma_definitions().items():
        _compare(lam, ctx.instantiate(name), sizes)


def test_a_wrong_definition_is_caught_by_the_comparison():
    dd, kk, nn, qq = random_sizes(0)
    ctx, _ = ex.residual_context(dd, kk, nn, theta_size=qq)
    sizes = {ex.d: dd, ex.k: kk, ex.n: nn, ex.q: qq, "theta_size": qq}
    wrong = model.DEFINITIONS[ex.c]                                   # c in place of E_rx
    with pytest.raises((AssertionError, Exception)):
        _compare(wrong, ctx.instantiate(ex.E_rx), sizes)
    with pytest.raises(AssertionError):
        _compare(model.DEFINITIONS[ex.E_r_p], ctx.instantiate(ex.E_r_gap), sizes)


# -- the kernel's symbolic contexts: the same definitions, infima, and Bregman pairs -----------------
def _triples(triple, sizes, order, names=None):
    """The symbolic triple ``(q, p, y)`` at every value of its free indices, in the order ``order``."""
    from resnet_lemmas.proofs.indexed.instantiate import instantiate
    import itertools
    q, p, y, expectation = triple()
    assert not expectation
    ranges = [range(int(i.upper.xreplace({s: v for s, v in sizes.items() if isinstance(s, sp.Basic)})) + 1)
              for i in order]
    kwargs = {"names": names} if names else {}
    return [tuple(instantiate(part, sizes, dict(zip(order, map(sp.Integer, values))), **kwargs)
                  for part in (q, p, y)) for values in itertools.product(*ranges)]


@pytest.mark.parametrize("seed", SEEDS)
def test_symbolic_context_has_the_residual_contexts_infima_and_bregman_pairs(seed):
    dd, kk, nn, _ = random_sizes(seed)
    ctx, _ = ex.residual_context(dd, kk, nn)
    asb._extend(ctx)
    symbolic = model.symbolic_context(extra=model.lemma_definitions(),
                                      pairs=((asb.linear_pairs, model.linear_pairs),))
    assert symbolic.infima == ctx.infima
    sizes = {ex.d: dd, ex.k: kk, ex.n: nn}
    for function in (ex.comparator_pairs, asb.linear_pairs):
        mine = _triples(symbolic.pairs[function], sizes, (model.j,))
        theirs = function(ctx)
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            assert all(sp.expand(x - y) == 0 for x, y in zip(a, b)), (a, b)


def test_vector_symbolic_context_has_the_vector_contexts_infima_and_bregman_pairs():
    mm, dd, kk, nn = 2, 3, 1, 3
    ctx = vo.vector_context(mm, dd, kk, nn)
    symbolic = model.vector_symbolic_context()
    assert symbolic.infima == ctx.infima
    sizes = {model.m: mm, ex.d: dd, ex.k: kk, ex.n: nn}
    mine = _triples(symbolic.pairs[vo._pairs], sizes, (model.j, model.o), names=vector_names)
    theirs = vo._pairs(ctx)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert all(sp.expand(x - y) == 0 for x, y in zip(a, b)), (a, b)
