"""Lemma feature_benchmark_reached: F >= F_feat(theta) everywhere, and at a local minimum (citing the
main theorem) F = F_feat(theta) <= F_lin; the kernel refuses a wrong comparator, a hypothesis that
does not discharge the cited theorem's, the bound at every point, and a broken main theorem."""
import dataclasses

import sympy as sp

from resnet_lemmas import registry
from resnet_lemmas.check import check_lemma
from resnet_lemmas.proofs.expressions import F, F_feat, F_lin, V, a, b, w
from resnet_lemmas.proofs.hypotheses import convex_loss, local_minimum
from resnet_lemmas.proofs.kernel import Certificate, LocalMinimum, is_issued
from resnet_lemmas.proofs.kernel.atoms import InfimumGap, Square
from resnet_lemmas.proofs.lemmas import local_minima_beat_linear, stationarity_consequences
from resnet_lemmas.proofs.lemmas.feature_benchmark_reached import CONCLUSION, LEMMA
from resnet_lemmas.proofs.printing import theorem_text


def test_the_proof_yields_a_kernel_theorem_of_the_declared_conclusion(theorem):
    assert is_issued(theorem)
    assert theorem.conclusion == CONCLUSION
    assert theorem.hypotheses == (local_minimum, convex_loss)
    # the cited main theorem, and (through it) the lemmas it cites
    assert theorem.depends_on == ["local_minima_beat_linear", "stationarity_consequences",
                                  "zero_w_case"]
    assert local_minima_beat_linear.LEMMA.theorem() in theorem.cites


def test_only_the_upper_bound_needs_the_local_minimum(theorem, clauses_by_text):
    """A citation gives each cited clause only the hypotheses it rests on in the cited theorem."""
    assert clauses_by_text(theorem) == {
        "F(w, V, theta) >= F_feat(theta)": [],
        "F(w, V, theta) <= F_feat(theta)": ["local_minimum", "convex_loss"],
        "F_feat(theta) <= F_lin": [],  # the cited clause keeps its own (empty) hypotheses
    }


def test_the_printed_statement_says_what_the_lemma_claims(theorem):
    assert theorem_text(theorem) == (
        "F(w, V, theta) >= F_feat(theta). If (w, V) is a local minimum of F(w, V, theta); "
        "l(.; y) convex and differentiable: F(w, V, theta) <= F_feat(theta). F_feat(theta) <= F_lin")


# -- broken instances --------------------------------------------------------------------------------
def _never_below_with(proof, variant, replace_link, atom):
    broken = variant(proof, only=["never_below_feature_benchmark"])
    return replace_link(broken, "never_below_feature_benchmark", 1,
                        justification=Certificate((atom,), "wrong comparator"))


def test_a_comparator_that_is_not_the_residual_prediction_is_rejected(proof, variant, replace_link,
                                                                      kernel_check, failed_steps,
                                                                      failure_message):
    atom = InfimumGap(F, F_feat, ((a, w), (b, 2 * V.T * w)))
    report = kernel_check(_never_below_with(proof, variant, replace_link, atom))
    assert failed_steps(report) == [("never_below_feature_benchmark", 1)]
    assert failure_message(report, "never_below_feature_benchmark").startswith(
        "F(w, V, theta) is the objective of F_feat(theta) at the point, at (d, k, n) = (2, 2, 2): "
        "residual does not vanish")


def test_a_comparator_missing_a_variable_is_rejected(proof, variant, replace_link, kernel_check,
                                                     failure_message):
    atom = InfimumGap(F, F_feat, ((a, w),))
    report = kernel_check(_never_below_with(proof, variant, replace_link, atom))
    assert "gives no value to ['b']" in failure_message(report, "never_below_feature_benchmark")


def test_a_local_minimum_in_w_alone_does_not_discharge_the_main_theorem(proof, variant, kernel_check,
                                                                        failed_steps, failure_message):
    """Minimal in w for fixed V is a weaker hypothesis than the main theorem's: the citation fails."""
    in_w_only = LocalMinimum("local_minimum", F, (w,), gloss="a local minimum in w only")
    broken = variant(proof, only=["main_theorem"], hypotheses=[in_w_only, convex_loss])
    report = kernel_check(broken)
    assert failed_steps(report) == [("main_theorem", 1)]
    assert failure_message(report, "main_theorem").startswith(
        "premise 'local_minimum' does not discharge hypothesis 'local_minimum' of "
        "local_minima_beat_linear")


def test_reaching_the_benchmark_without_convexity_is_rejected(proof, variant, kernel_check,
                                                              failure_message):
    broken = variant(proof, only=["main_theorem"], hypotheses=[local_minimum])
    report = kernel_check(broken)
    assert "unknown hypothesis 'convex_loss'" in failure_message(report, "main_theorem")


# -- statements the chains do not establish ----------------------------------------------------------
def test_reaching_the_benchmark_at_every_point_is_refused(proof, variant, kernel_check,
                                                          refused_statement):
    """F <= F_feat(theta) at every point is false (any point worse than the benchmark)."""
    message = refused_statement(kernel_check(variant(proof, assumes=())))
    assert "(not assumed: ['convex_loss', 'local_minimum'])" in message


def test_beating_the_linear_benchmark_strictly_is_refused(proof, variant, kernel_check,
                                                          refused_statement):
    false = sp.Le(F, F_lin - 1, evaluate=False)
    message = refused_statement(kernel_check(variant(proof, conclusion=CONCLUSION + (false,))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")


# -- a broken dependency (these clear the theorem cache: keep them last) ------------------------------
def test_a_broken_main_theorem_fails_this_lemma(break_lemma, failed_steps, failure_message):
    def wrong_atom(proof):
        chain = next(ch for ch in proof.chains if ch.name == "below_every_comparator")
        chain.links[2] = dataclasses.replace(chain.links[2],
                                             justification=Certificate((Square(F),), "wrong atom"))
        return proof

    break_lemma(local_minima_beat_linear, wrong_atom)
    report = LEMMA.check()
    assert report.theorem is None
    assert failed_steps(report) == [("main_theorem", 1)]
    assert failure_message(report, "main_theorem").startswith(
        "not verified: depends on local_minima_beat_linear (local_minima_beat_linear: ")
    outcome = check_lemma(registry.get("feature_benchmark_reached"), seed=0, numeric=False)
    assert outcome.status == "not verified: depends on local_minima_beat_linear"


def test_a_lemma_broken_two_citations_away_fails_this_lemma(break_lemma, failure_message):
    def without_stationarity_in_V(proof):
        chain = next(ch for ch in proof.chains if ch.name == "c_vanishes")
        just = chain.links[1].justification
        chain.links[1] = dataclasses.replace(chain.links[1], justification=dataclasses.replace(
            just, using=("w_nonzero",)))
        return proof

    break_lemma(stationarity_consequences, without_stationarity_in_V)
    message = failure_message(LEMMA.check(), "main_theorem")
    assert message.startswith("not verified: depends on local_minima_beat_linear")
    assert "not verified: depends on stationarity_consequences" in message
    outcome = check_lemma(registry.get("feature_benchmark_reached"), seed=0, numeric=False)
    assert outcome.status == "not verified: depends on stationarity_consequences"
