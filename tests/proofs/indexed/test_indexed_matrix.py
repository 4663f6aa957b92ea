"""The matrix front end: named-level SymPy expressions translate to index expressions with the same
components as SymPy's own explicit matrices; shape errors and unknown quantities are refused."""
import pytest
import sympy as sp

from resnet_lemmas.proofs import expressions as ex
from resnet_lemmas.proofs.indexed.instantiate import instantiate, vector_names
from resnet_lemmas.proofs.indexed.matrix import matrix_lam, translate
from resnet_lemmas.proofs.indexed.normal_form import Assume, equal
from resnet_lemmas.proofs.indexed.terms import IndexAlgebraError, Lam, Tensor, index
from resnet_lemmas.proofs.linalg import inner, norm, opnorm

d, k = ex.d, ex.k
m = sp.Symbol("m", integer=True, positive=True)
w_t, u_t, c_t = Tensor("w", (d,)), Tensor("u", (d,)), Tensor("c", (k,))
V_t, W_t = Tensor("V", (d, k)), Tensor("W", (m, d))
W = sp.MatrixSymbol("W", m, d)
i, i2, l, o, o2 = index("i", d), index("i2", d), index("l", k), index("o", m), index("o2", m)
TABLE = {ex.w: Lam((i,), w_t[i]), ex.u: Lam((i,), u_t[i]), ex.c: Lam((l,), c_t[l]),
         ex.V: Lam((i, l), V_t[i, l]), W: Lam((o, i), W_t[o, i])}
SIZES = {d: 3, k: 2, m: 2}


def _explicit(name, rows, cols):
    return sp.ImmutableMatrix(rows, cols, lambda r, c: sp.Symbol(
        f"{name}_{r}" if cols == 1 else f"{name}_{r}{c}", real=True))


EXPLICIT = {ex.w: _explicit("w", 3, 1), ex.u: _explicit("u", 3, 1), ex.c: _explicit("c", 2, 1),
            ex.V: _explicit("V", 3, 2), W: _explicit("W", 2, 3)}

CASES = [
    ex.V * ex.c,                                   # product, summed inner dimension
    ex.w * ex.c.T,                                 # outer product: no sum over the unit dimension
    (ex.w * ex.c.T).T * ex.u,                      # transpose of a product
    ex.w - 2 * ex.u + ex.V * ex.c,                 # sums and scalar multiples
    inner(ex.u, ex.V * ex.c) * inner(ex.w, ex.w),  # scalar products
    inner(ex.V, ex.w * ex.c.T),                    # Frobenius inner product
    norm(ex.w - ex.u),                             # norm = sqrt of a contraction
    (W * W.T).inv() * W * ex.w,                    # inverse of W W^T
    sp.Identity(d) * ex.w + sp.ZeroMatrix(d, 1),
]


def _components(named):
    dims = [s for s in named.shape if s != 1] if isinstance(named, sp.MatrixExpr) else []
    idx = tuple(index(f"o{p}", s) for p, s in enumerate(dims))
    return idx, translate(named, TABLE, idx)


@pytest.mark.parametrize("named", CASES, ids=[str(c) for c in CASES])
def test_translation_has_the_components_of_the_explicit_matrix(named):
    idx, value = _components(named)
    explicit = named.xreplace(EXPLICIT).doit()
    explicit = explicit.as_explicit() if isinstance(explicit, sp.MatrixExpr) else explicit
    entries = list(sp.ImmutableMatrix(explicit)) if isinstance(explicit, sp.MatrixBase) else [explicit]
    for pos, entry in enumerate(entries):
        at = dict(zip(idx, map(sp.Integer, divmod(pos, explicit.shape[1]) if len(idx) == 2
                               else (pos,))))
        got = instantiate(value, SIZES, at, names=vector_names)
        assert sp.cancel(sp.together(got - entry)) == 0, (named, pos)


def test_opnorm_is_an_opaque_atom_of_the_explicit_matrix():
    from resnet_lemmas.proofs.indexed.terms import Fn
    value = translate(opnorm(ex.V), TABLE)
    (term,) = value.num.terms
    assert isinstance(term.factors[0], Fn) and term.factors[0].name == "opnorm"
    assert instantiate(value, SIZES) == opnorm(EXPLICIT[ex.V])


def test_transpose_rule_and_product_rule_give_identities_at_symbolic_sizes():
    lhs = translate((ex.V * ex.c).T * ex.w, TABLE)
    rhs = translate(ex.c.T * (ex.V.T * ex.w), TABLE)
    assert equal(lhs, rhs)
    assert equal(translate(inner(ex.w, ex.V * ex.c), TABLE), translate(inner(ex.V.T * ex.w, ex.c), TABLE))


def test_a_division_by_a_scalar_becomes_a_denominator():
    value = translate(ex.w / inner(ex.w, ex.w), TABLE, (i,))
    assert len(value.dens) == 1
    ww = translate(inner(ex.w, ex.w), TABLE).num
    assert equal(value * ww, translate(ex.w, TABLE, (i,)), Assume(nonzero=(ww,)))


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(IndexAlgebraError, match="inner product of shapes"):
        translate(inner(ex.w, ex.c), TABLE)
    with pytest.raises(IndexAlgebraError, match="for a dimension d"):
        translate(ex.w, TABLE, (l,))
    with pytest.raises(IndexAlgebraError, match="non-unit dimension"):
        translate(ex.V, TABLE, (i,))


def test_a_named_quantity_without_definition_is_refused():
    with pytest.raises(IndexAlgebraError, match="no definition for the named quantity grad_w"):
        translate(ex.grad_w, TABLE, (i,))


def test_matrix_lam_binds_one_index_per_dimension():
    lam = matrix_lam(W * W.T, TABLE)
    assert len(lam.bound) == 2 and all(b.upper == m - 1 for b in lam.bound)
