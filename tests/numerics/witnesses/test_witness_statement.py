"""The witnesses' access to their lemma's conclusion (numerics/witnesses/_statement.py): compiled once by
the bridge, evaluated exactly as CompiledStatement.relation evaluates it, refusing bad values by name, and
recompiled when a test replaces a relation."""
import numpy as np
import pytest
import sympy as sp

from resnet_lemmas import registry
from resnet_lemmas.bridge import BridgeError, compile_statement
from resnet_lemmas.numerics.witnesses import _statement as statement
from resnet_lemmas.proofs.expressions import E_rJVw, E_rx, V, c, grad_theta, grad_w, inner, w
from resnet_lemmas.proofs.lemmas import bad_saddle_at_zero

#: Lemmas whose witness evaluates a conclusion (the experiments state none).
WITH_CONCLUSION = [r.name for r in registry.lemmas() if r.lemma.build is not None]


def _random_values(compiled, rng) -> dict:
    """A value for every named quantity of ``compiled`` (a CompiledStatement): sizes 2-3 for each size
    symbol, scalars in [0.5, 2] (positive: ``sqrt(T)`` and the like stay real), vectors as 1-D arrays."""
    sizes = {}
    values = {}
    for symbol in compiled.symbols:
        if isinstance(symbol, sp.MatrixSymbol):
            shape = []
            for dim in symbol.shape:
                if dim.is_Integer:
                    shape.append(int(dim))
                else:
                    shape.append(sizes.setdefault(dim, int(rng.integers(2, 4))))
            value = rng.normal(size=shape)
            values[symbol.name] = value[:, 0] if shape[1] == 1 else value
        else:
            values[symbol.name] = float(rng.uniform(0.5, 2.0))
    return values


@pytest.mark.parametrize("name", WITH_CONCLUSION)
def test_evaluation_equals_the_bridges_own_relation_on_every_conclusion(name, rng):
    compiled = compile_statement(statement.conclusion(name))
    for _ in range(3):
        values = _random_values(compiled, rng)
        for index in range(len(compiled.relations)):
            ours = statement.evaluate(name, index, values)
            theirs = compiled.relation(index, values)
            assert (ours.label, ours.relation) == (theirs.label, theirs.relation)
            # the same generated code at the same values: bit for bit
            np.testing.assert_array_equal(ours.lhs, theirs.lhs)
            np.testing.assert_array_equal(ours.rhs, theirs.rhs)


def test_a_conclusion_is_compiled_once_and_a_replaced_one_anew(wrong_conclusion):
    first = statement.conjuncts("residual_gradients")
    assert statement.conjuncts("residual_gradients") is first
    wrong_conclusion("residual_gradients", 0, sp.Eq(grad_w, E_rx - V * c, evaluate=False))
    patched = statement.conjuncts("residual_gradients")
    assert patched is not first
    assert patched[0].label == "grad_w F = E[l'(p) x] - V c" and patched[1].label == first[1].label


def test_missing_and_non_finite_values_are_refused_by_name():
    values = {"grad_w": np.ones(2), "E_rx": np.ones(2), "V": np.ones((2, 2))}
    with pytest.raises(BridgeError, match=r"values missing for \['c'\]"):
        statement.evaluate("residual_gradients", 0, values)
    with pytest.raises(BridgeError, match="c is not finite"):
        statement.evaluate("residual_gradients", 0, {**values, "c": np.array([1.0, np.nan])})
    with pytest.raises(BridgeError, match="column vector"):
        statement.evaluate("residual_gradients", 0, {**values, "c": np.ones((2, 2))})


def test_a_relation_index_outside_the_conclusion_is_refused():
    with pytest.raises(BridgeError, match="its conclusion has 2 relations"):
        statement.conjunct("stationarity_consequences", 2)


def test_component_claims_are_labelled_and_fail_where_a_component_is_off():
    values = {"grad_w": np.array([1.0, 2.0]), "E_rx": np.array([1.0, 1.0]), "V": np.eye(2),
              "c": np.array([0.0, 1.0])}
    claims = statement.component_claims("residual_gradients", 0, values, {"rounding": np.array([1e-12, 1e-12])},
                                        " (test)")
    assert [c.label for c in claims] == ["grad_w F = E[l'(p) x] + V c (test) [0]",
                                         "grad_w F = E[l'(p) x] + V c (test) [1]"]
    assert all(c.margin >= 0 for c in claims)
    values["grad_w"] = np.array([1.0, 2.0 + 1e-9])
    off = statement.component_claims("residual_gradients", 0, values, {"rounding": np.array([1e-12, 1e-12])})
    assert [c.margin >= 0 for c in off] == [True, False]
    with pytest.raises(BridgeError, match="compares arrays"):
        statement.claim("residual_gradients", 0, values)


def test_largest_claim_compares_an_array_with_zero():
    claim = statement.largest_claim("stationarity_consequences", 0, {"c": np.array([1e-13, -3e-13])},
                                    {"rounding": 2e-13})
    assert claim.label == "c = 0 (largest component)" and claim.lhs == pytest.approx(3e-13)
    assert claim.margin < 0


def test_along_evaluates_a_linear_relation_at_projections_and_refuses_others(wrong_conclusion):
    claim = statement.along("residual_gradients", 2, {"grad_theta": 0.5, "E_rJVw": 0.5}, {"rounding": 1e-15})
    assert claim.label == "grad_theta F = E[l'(p) J_theta(x)^T V^T w]" and claim.margin > 0
    with pytest.raises(BridgeError, match="every quantity of the relation must be projected"):
        statement.along("residual_gradients", 2, {"grad_theta": 0.5})
    wrong_conclusion("residual_gradients", 2, sp.Eq(grad_theta, E_rJVw * inner(w, w), evaluate=False))
    with pytest.raises(BridgeError, match="uses"):
        statement.along("residual_gradients", 2, {"grad_theta": 0.5, "E_rJVw": 0.5})
    wrong_conclusion("residual_gradients", 2, sp.Eq(grad_theta, E_rJVw * inner(E_rJVw, E_rJVw),
                                                    evaluate=False))
    with pytest.raises(BridgeError, match="not linear"):
        statement.along("residual_gradients", 2, {"grad_theta": 0.5, "E_rJVw": 0.5})


def test_a_lemma_expression_compiles_to_its_value(rng):
    step = statement.expression("bad_saddle_at_zero", "S_STAR", ("E_l2_uphi", "u_dir", "c0"))
    u, c0, e = rng.normal(size=(3, 1)), rng.normal(size=(2, 1)), 0.7
    expected = (e + 1) / (2 * float(np.sum(u * u)) * float(np.sum(c0 * c0)))
    assert float(step(e, u, c0)) == pytest.approx(expected, rel=1e-14)
    assert statement.expression("bad_saddle_at_zero", "S_STAR", ("E_l2_uphi", "u_dir", "c0")) is step
    assert bad_saddle_at_zero.S_STAR.has(bad_saddle_at_zero.E_l2_uphi)


def test_margins_at_many_points_are_the_harness_margins():
    lhs, rhs, allowance = np.array([1.0, 2.0, np.nan]), np.array([1.5, 1.0, 0.0]), np.array([0.0, 0.5, 1.0])
    assert statement.margins("<=", lhs, rhs, allowance).tolist() == [0.5, -0.5, -np.inf]
    assert statement.margins("=", lhs, rhs, allowance)[:2].tolist() == [-0.5, -0.5]
    assert statement.margins(">=", lhs, rhs, allowance)[:2].tolist() == [-0.5, 1.5]


def test_coverage_names_the_relations_a_run_never_evaluated():
    labels = [c.label for c in statement.conjuncts("zero_w_case")]
    out = statement.coverage("zero_w_case", [0], {1: "a reason"})
    assert out == {"evaluated": [labels[0]], "not evaluated": {labels[1]: "a reason"},
                   "missing": [labels[2], labels[3]]}
    with pytest.raises(BridgeError, match=r"declares relations \[7\] not evaluated"):
        statement.coverage("zero_w_case", [], {7: "a reason"})


def test_every_declared_unevaluated_relation_exists_and_says_why():
    declared = {r.name: getattr(r.witness_module, "UNEVALUATED", {}) for r in registry.lemmas()
                if r.witness_module is not None}
    assert declared["zero_w_case"] and declared["sgd_regret"]
    for name, relations in declared.items():
        if relations:
            assert set(relations) <= set(range(len(statement.conjuncts(name)))), name
            assert all(isinstance(why, str) and why for why in relations.values()), name
