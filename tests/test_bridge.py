"""The bridge from symbols to arrays: the translation table is tested the way SymPy tests its own, and
a compiled statement evaluates exactly the relations the kernel checked."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas import bridge, registry
from resnet_lemmas.bridge import BridgeError, compile_statement, lambdify
from resnet_lemmas.proofs import linalg, primitives
from resnet_lemmas.proofs.expressions import F, F_feat, F_lin, ell, w


def test_every_translation_key_is_a_symbolic_function_of_the_package():
    for name in bridge.TRANSLATIONS:
        assert hasattr(primitives, name) or hasattr(linalg, name), name


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_scalar_translations_match_evalf_at_random_points(name):
    rng = np.random.default_rng(7)
    fn = getattr(primitives, name)
    z = sp.Symbol("z", real=True)
    numeric = lambdify(z, fn(z))
    for value in rng.normal(scale=5, size=20):
        assert numeric(value) == pytest.approx(float(fn(sp.Float(value)).evalf(30)), rel=1e-14)


def test_vector_translations_match_their_definitions():
    rng = np.random.default_rng(3)
    A, B = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    a, b = sp.ImmutableMatrix(A), sp.ImmutableMatrix(B)
    assert bridge.TRANSLATIONS["inner"](A, B) == pytest.approx(float(linalg.inner(a, b).doit()), rel=1e-14)
    assert bridge.TRANSLATIONS["norm"](A) == pytest.approx(float(linalg.norm(a).doit()), rel=1e-14)
    assert bridge.TRANSLATIONS["opnorm"](A) == pytest.approx(max(np.linalg.svd(A, compute_uv=False)))


def test_an_untranslated_function_is_refused_by_name_when_compiled():
    p = sp.Symbol("p", real=True)
    with pytest.raises(BridgeError, match="ell"):
        lambdify(p, ell(p, p))


def test_every_theorem_compiles_and_names_its_quantities():
    for registered in registry.lemmas():
        if registered.lemma.build is None:
            continue
        compiled = compile_statement(registered.lemma.theorem())
        assert compiled.names and len(compiled.relations) == len(registered.lemma.theorem().conclusion)


def test_a_compiled_statement_evaluates_its_relations_and_refuses_missing_or_nan_values():
    compiled = compile_statement((sp.Le(F, F_feat), sp.Le(F_feat, F_lin)))
    (first, second) = compiled({"F": 1.0, "F_feat": 2.0, "F_lin": 3.0})
    assert (first.lhs, first.relation, first.rhs) == (1.0, "<=", 2.0) and second.rhs == 3.0
    with pytest.raises(BridgeError, match="F_lin"):
        compiled({"F": 1.0, "F_feat": 2.0})
    with pytest.raises(BridgeError, match="not finite"):
        compiled({"F": float("nan"), "F_feat": 2.0, "F_lin": 3.0})


def test_a_vector_quantity_is_taken_as_a_column():
    compiled = compile_statement((sp.Eq(w, 2 * w, evaluate=False),))
    (relation,) = compiled({"w": np.array([1.0, 2.0])})
    assert np.shape(relation.lhs) == (2, 1)
