"""Theorem local_minima_beat_linear (the paper's main theorem): the kernel issues ``local minimum and
convex loss => F <= F_feat(theta)`` and ``F_feat(theta) <= F_lin`` from the cited theorems of
stationarity_consequences (w != 0) and zero_w_case (w = 0); it refuses broken steps, false or
over-reaching statements, and a broken, weaker, forged or differently-sized cited theorem."""
import dataclasses
from types import SimpleNamespace

import pytest
import sympy as sp

from resnet_lemmas import registry
from resnet_lemmas.check import check_lemma
from resnet_lemmas.proofs.expressions import F, F_lin, a, d, grad_V, grad_w, k, w
from resnet_lemmas.proofs.hypotheses import convex_loss, local_minimum
from resnet_lemmas.proofs.kernel import Certificate, Equation, ProofFailed, is_issued, prove
from resnet_lemmas.proofs.kernel.atoms import Square
from resnet_lemmas.proofs.lemmas import stationarity_consequences, zero_w_case
from resnet_lemmas.proofs.lemmas.local_minima_beat_linear import (CONCLUSION, LEMMA,
                                                                  below_every_comparator)
from resnet_lemmas.proofs.printing import theorem_text


def _with_cite(proof, step_name, theorem_value):
    """``proof`` whose citation ``step_name`` yields ``theorem_value`` instead of the lemma's theorem."""
    steps = [dataclasses.replace(step, theorem=lambda: theorem_value) if step.name == step_name
             else step for step in proof.steps]
    return dataclasses.replace(proof, steps=steps)


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (local_minimum, convex_loss)
    assert theorem.depends_on == ["stationarity_consequences", "zero_w_case"]
    # it cites the very theorems the kernel issued for those lemmas
    cited = {t.name: t for t in theorem.cites}
    assert cited["stationarity_consequences"] is stationarity_consequences.LEMMA.theorem()
    assert cited["zero_w_case"] is zero_w_case.LEMMA.theorem()
    assert {"Cite", "Cases", "FirstOrder", "Infimum", "BregmanMean"} <= set(theorem.rules)
    assert any(s["n"] >= 3 and len({s["d"], s["k"], s["n"]}) == 3 for s in theorem.sizes)


def test_the_feature_benchmark_needs_the_local_minimum_and_convexity(theorem, clauses_by_text):
    assert clauses_by_text(theorem) == {"F(w, V, theta) <= F_feat(theta)": ["local_minimum",
                                                                          "convex_loss"],
                                        "F_feat(theta) <= F_lin": []}


def test_the_printed_statement_says_what_the_paper_claims(theorem):
    assert theorem_text(theorem) == (
        "If (w, V) is a local minimum of F(w, V, theta); l(.; y) convex and differentiable: "
        "F(w, V, theta) <= F_feat(theta). F_feat(theta) <= F_lin")


# -- broken instances --------------------------------------------------------------------------------
def test_first_order_step_without_stationarity_in_w_is_rejected(proof, variant, drop_using,
                                                                kernel_check, failed_steps):
    broken = drop_using(variant(proof), "below_every_comparator", 1, "stationary_w")
    report = kernel_check(broken)
    # the infimum step then has no verified chain to stand on
    assert failed_steps(report) == [("below_every_comparator", 1),
                                    ("feature_and_linear_benchmarks", 1)]


def test_convexity_step_with_a_wrong_atom_is_rejected(proof, variant, replace_link, kernel_check,
                                                      failed_steps):
    broken = replace_link(variant(proof), "below_every_comparator", 3,
                          justification=Certificate((Square(F),), "wrong atom"))
    assert ("below_every_comparator", 3) in failed_steps(kernel_check(broken))


def test_the_convexity_step_without_the_convexity_premise_is_rejected(proof, variant, drop_using,
                                                                      kernel_check, failed_steps,
                                                                      failure_message):
    broken = drop_using(variant(proof), "below_every_comparator", 3, "convex_loss")
    report = kernel_check(broken)
    assert ("below_every_comparator", 3) in failed_steps(report)
    assert ("Bregman atom of the generic loss needs a convex_loss premise in use"
            in failure_message(report, "below_every_comparator", 3))


def test_main_theorem_without_the_convexity_hypothesis_is_rejected(proof, variant, kernel_check,
                                                                   failed_steps, failure_message):
    broken = variant(proof, hypotheses=[h for h in proof.hypotheses if not h.convex_loss])
    report = kernel_check(broken)
    assert ("below_every_comparator", 3) in failed_steps(report)
    assert "unknown hypothesis 'convex_loss'" in failure_message(report, "below_every_comparator", 3)


def test_a_comparator_fixed_by_a_hypothesis_cannot_pass_to_the_infimum(proof, variant, replace_link,
                                                                       kernel_check, failed_steps,
                                                                       failure_message):
    """F <= E l(a^T x + b^T f) proven for a = w only says nothing about inf over a."""
    fixed = Equation("comparator_is_w", a, w, gloss="a = w")
    broken = variant(proof, hypotheses=proof.hypotheses + [fixed])
    chain = next(ch for ch in broken.chains if ch.name == "below_every_comparator")
    just = chain.links[0].justification
    using = just.using + ("comparator_is_w",)
    broken = replace_link(broken, "below_every_comparator", 1,
                          justification=dataclasses.replace(just, using=using))
    report = kernel_check(broken)
    assert failed_steps(report) == [("feature_and_linear_benchmarks", 1)]
    assert ("hypothesis 'comparator_is_w' (behind this fact) says something about"
            in failure_message(report, "feature_and_linear_benchmarks"))


# -- statements the chains do not establish ----------------------------------------------------------
def test_a_linear_benchmark_lowered_by_one_is_refused(proof, variant, kernel_check,
                                                      refused_statement):
    false = tuple(rel.xreplace({F_lin: F_lin - 1}) for rel in CONCLUSION)
    message = refused_statement(kernel_check(variant(proof, conclusion=false)))
    assert message == (f"no verified step establishes {sp.sstr(false[1])} (without open "
                       "eigenvariables)")


def test_the_statement_for_stationary_points_is_refused(proof, variant, kernel_check,
                                                        refused_statement):
    """Stationary points can be saddles worse than linear (bad_saddle_at_zero): the derivation rests
    on the local minimum, and the kernel will not issue the theorem under stationarity instead."""
    stationary = [Equation("grad_w_vanishes", grad_w, sp.ZeroMatrix(d, 1)),
                  Equation("grad_V_vanishes", grad_V, sp.ZeroMatrix(d, k))]
    restated = variant(proof, hypotheses=proof.hypotheses + stationary,
                       assumes=("grad_w_vanishes", "grad_V_vanishes", "convex_loss"))
    message = refused_statement(kernel_check(restated))
    assert "(not assumed: ['local_minimum'])" in message


def test_the_bound_at_every_point_is_refused(proof, variant, kernel_check, refused_statement):
    message = refused_statement(kernel_check(variant(proof, assumes=())))
    assert ("the statement assumes [] but its derivation rests on ['convex_loss', 'local_minimum']"
            in message)


def test_the_w_nonzero_case_alone_does_not_give_the_theorem(proof, variant, kernel_check,
                                                            refused_statement):
    """Without the case w = 0 (zero_w_case) the statement would silently assume w != 0."""
    steps = [step for step in variant(proof).steps
             if step.name not in ("consequences_if_w_zero", "first_order_consequences",
                                  "below_every_comparator")]
    steps.insert(-1, below_every_comparator("consequences_if_w_nonzero"))
    message = refused_statement(kernel_check(dataclasses.replace(proof, steps=steps)))
    assert "(not assumed: ['w_nonzero'])" in message


# -- cited theorems ------------------------------------------------------------------------------
def test_a_cited_theorem_that_proves_less_breaks_the_argument(proof, variant, kernel_check,
                                                              failed_steps):
    """stationarity_consequences stated without E[l'(p) x] = 0: the case split keeps only c = 0."""
    base = stationarity_consequences.build()
    c_only = stationarity_consequences.CONCLUSION[:1]
    weaker = prove(variant(base, only=["c_vanishes"], conclusion=c_only,
                           assumes=("w_nonzero", "stationary_V")))
    report = kernel_check(_with_cite(proof, "consequences_if_w_nonzero", weaker))
    assert failed_steps(report) == [("below_every_comparator", 1),
                                    ("feature_and_linear_benchmarks", 1)]


def test_a_cited_theorem_checked_at_fewer_sizes_is_refused(proof, variant, kernel_check,
                                                           failed_steps, failure_message):
    base = stationarity_consequences.build()
    small = prove(variant(base, contexts=base.contexts[:1]))
    report = kernel_check(_with_cite(proof, "consequences_if_w_nonzero", small))
    assert ("consequences_if_w_nonzero", 1) in failed_steps(report)
    assert (f"stationarity_consequences was not checked at {base.contexts[1].label}"
            == failure_message(report, "consequences_if_w_nonzero"))


def test_a_forged_theorem_is_refused(proof, kernel_check, failure_message):
    genuine = stationarity_consequences.LEMMA.theorem()
    forged = SimpleNamespace(**{slot: getattr(genuine, slot) for slot in
                                ("name", "hypotheses", "conclusion", "clauses", "sizes", "rules",
                                 "cites", "definitions", "steps", "conjuncts")})
    report = kernel_check(_with_cite(proof, "consequences_if_w_nonzero", forged))
    assert not report.ok
    assert ("the cited value is not a theorem issued by the kernel"
            in failure_message(report, "consequences_if_w_nonzero"))


# -- a broken dependency (these clear the theorem cache: keep them last) ------------------------------
def _c_vanishes_without_stationarity_in_V(proof):
    chain = next(ch for ch in proof.chains if ch.name == "c_vanishes")
    just = chain.links[1].justification
    chain.links[1] = dataclasses.replace(chain.links[1], justification=dataclasses.replace(
        just, using=tuple(u for u in just.using if u != "stationary_V")))
    return proof


def test_a_broken_stationarity_lemma_fails_the_main_theorem(break_lemma, failed_steps,
                                                            failure_message):
    break_lemma(stationarity_consequences, _c_vanishes_without_stationarity_in_V)
    report = LEMMA.check()
    assert report.theorem is None
    assert failed_steps(report)[0] == ("consequences_if_w_nonzero", 1)
    assert failure_message(report, "consequences_if_w_nonzero").startswith(
        "not verified: depends on stationarity_consequences (stationarity_consequences: 2 of 4 steps "
        "failed; first: chain 'c_vanishes' step 2")
    with pytest.raises(ProofFailed, match="not verified: depends on stationarity_consequences"):
        LEMMA.theorem()
    outcome = check_lemma(registry.get("local_minima_beat_linear"), seed=0, numeric=False)
    assert not outcome.ok
    assert outcome.status == "not verified: depends on stationarity_consequences"
    assert outcome.statement.startswith("(not verified) ")


def test_a_broken_zero_w_lemma_fails_the_main_theorem(break_lemma, failed_steps, failure_message):
    def second_derivative_doubled(proof):
        chain = next(ch for ch in proof.chains if ch.name == "second_order_direction")
        chain.links[0] = dataclasses.replace(chain.links[0], expr=chain.links[0].expr * 2)
        return proof

    break_lemma(zero_w_case, second_derivative_doubled)
    report = LEMMA.check()
    assert failed_steps(report)[0] == ("consequences_if_w_zero", 1)
    assert failure_message(report, "consequences_if_w_zero").startswith(
        "not verified: depends on zero_w_case")
    outcome = check_lemma(registry.get("local_minima_beat_linear"), seed=0, numeric=False)
    assert outcome.status == "not verified: depends on zero_w_case"
