"""Every registered lemma: its proof yields a kernel theorem of exactly its declared conclusion, checked
at three sizes or more, cited lemmas first; and its witness runs and verifies, evaluating every relation of
the conclusion it does not declare unevaluated (a witness that stops evaluating one fails).

This is the pytest face of `resnet-lemmas check`: parametrised over the registry, so a lemma added
as two files (proofs/lemmas/NAME.py, numerics/witnesses/NAME.py) is tested without editing this file.
"""
import importlib
import json
from types import SimpleNamespace

import pytest

from resnet_lemmas import registry
from resnet_lemmas.numerics.witnesses.harness import Claim, InstanceResult, run_witness
from resnet_lemmas.proofs.kernel import is_issued
from resnet_lemmas.proofs.printing import text, theorem_text

LEMMAS = registry.lemmas()
PROVEN = [r for r in LEMMAS if r.lemma.build is not None]
WITNESSED = [r for r in LEMMAS if r.witness_module is not None]


def _module(registered):
    return importlib.import_module(f"resnet_lemmas.proofs.lemmas.{registered.name}")


def test_registry_contains_the_foundation_lemmas():
    assert {"residual_gradients", "stationarity_consequences", "zero_w_case",
            "local_minima_beat_linear"} <= set(registry.names())


def test_unknown_lemma_name_lists_the_registered_ones():
    with pytest.raises(registry.UnknownLemmaError, match="unknown lemma 'nope'.*residual_gradients"):
        registry.get("nope")


@pytest.mark.parametrize("registered", PROVEN, ids=lambda r: r.name)
def test_the_proof_yields_a_theorem_of_the_declared_conclusion(registered):
    report = registered.lemma.check()
    assert report.ok, report.summary()
    theorem = report.theorem
    assert is_issued(theorem) and theorem.name == registered.name
    assert theorem.conclusion == tuple(_module(registered).CONCLUSION)
    # the statement users read is printed from the theorem: every conjunct and every hypothesis
    printed = theorem_text(theorem)
    for conjunct in theorem.conclusion:
        assert text(conjunct) in printed
    for hypothesis in theorem.hypotheses:
        assert text(hypothesis.statement) in printed


@pytest.mark.parametrize("registered", PROVEN, ids=lambda r: r.name)
def test_the_theorem_is_checked_at_three_sizes_one_of_them_generic(registered):
    """n >= 3 with d, k, n pairwise different catches identities true only at small or equal sizes;
    the SGD theorem is checked at T = 2, 3, 4 steps instead."""
    sizes = registered.lemma.theorem().sizes
    assert len(sizes) >= 3, sizes
    if "T" in sizes[0]:
        assert {2, 3, 4} <= {size["T"] for size in sizes}
    else:
        assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in sizes), sizes


@pytest.mark.parametrize("registered", PROVEN, ids=lambda r: r.name)
def test_cited_lemmas_come_first_and_the_theorem_records_them(registered):
    order = registry.names()
    for cited in registered.depends_on:
        assert order.index(cited) < order.index(registered.name)
    # the theorem's dependencies: the cited lemmas and, through their theorems, what they cite
    closure, todo = set(), list(registered.depends_on)
    while todo:
        name = todo.pop()
        if name not in closure:
            closure.add(name)
            todo += list(registry.get(name).depends_on)
    assert registered.lemma.theorem().depends_on == sorted(closure)


@pytest.mark.parametrize("registered", WITNESSED, ids=lambda r: r.name)
def test_numeric_witness_verifies_on_a_few_instances(registered):
    report = registered.witness(seed=0, instances=3)
    assert report.ok, report.failures
    assert report.seed == 0
    if registered.lemma.kind != "experiment":  # an experiment completes (the harness's tests)
        assert report.status == "verified"


@pytest.mark.parametrize("registered", [r for r in LEMMAS if r.lemma.kind != "experiment"],
                         ids=lambda r: r.name)
def test_every_non_experiment_has_both_a_proof_and_a_witness(registered):
    assert registered.lemma.build is not None
    assert registered.witness_module is not None
    assert registered.default_instances >= 200


@pytest.mark.parametrize("registered", [r for r in LEMMAS if r.lemma.kind == "experiment"],
                         ids=lambda r: r.name)
def test_experiments_state_no_theorem_but_describe_themselves(registered):
    assert registered.lemma.build is None
    assert registered.lemma.description
    with pytest.raises(ValueError, match="is an experiment: it has no proof"):
        registered.lemma.check()


def _covering(relations):
    """A report of a stationarity_consequences witness whose claims evaluate only ``relations`` (as the
    bridge's claim builders mark them), plus a claim that merely quotes the other relation's text."""
    indices = {"c = 0": 0, "E[l'(p) x] = 0": 1}

    def one(seed):
        claims = [Claim(f"{label} [0]", 0.0, "=", 0.0, evaluates=(("stationarity_consequences", indices[label]),))
                  for label in relations]
        claims += [Claim(f"{label}: consistency of two slacks", 0.0, "=", 0.0) for label in indices
                   if label not in relations]
        return InstanceResult(seed, claims=claims)
    return run_witness("stationarity_consequences", 0, 2, "none", one, n_jobs=1)


def test_a_witness_that_never_evaluates_a_relation_of_the_conclusion_fails():
    report = _covering(["c = 0"])
    registry.cover_relations(registry.get("stationarity_consequences"), report)
    assert report.uncovered == ["E[l'(p) x] = 0"] and report.relations["evaluated"] == ["c = 0"]
    assert report.status == "failed" and not report.ok
    payload = report.to_json()
    assert "claim_labels" not in payload and "claim_relations" not in payload
    assert payload["uncovered"] == ["E[l'(p) x] = 0"]
    json.dumps(payload)


def test_a_relation_the_witness_declares_unevaluated_is_reported_with_its_reason():
    declared = SimpleNamespace(name="stationarity_consequences",
                               witness_module=SimpleNamespace(UNEVALUATED={1: "a stated reason"}))
    report = _covering(["c = 0"])
    registry.cover_relations(declared, report)
    assert report.ok and report.status == "verified"
    assert report.relations["not evaluated"] == {"E[l'(p) x] = 0": "a stated reason"}
    full = _covering(["c = 0", "E[l'(p) x] = 0"])
    registry.cover_relations(registry.get("stationarity_consequences"), full)
    assert full.ok and not full.uncovered
