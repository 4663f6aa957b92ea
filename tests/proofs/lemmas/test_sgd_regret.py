"""Theorem sgd_regret: the kernel verifies the projected-OGD regret derivation and rejects broken
ones (wrong step-size constant, a missing eta^2 term, no projection, a too-small bound), and the SGD
atoms reject what they must not certify."""
import dataclasses

import pytest
import sympy as sp

from resnet_lemmas.proofs.kernel import KernelError, Proof
from resnet_lemmas.proofs.lemmas import sgd_regret as lem
from resnet_lemmas.proofs.sgd_atoms import BallProjectionVI, Declared, WeightedSum, euclidean_norm

# The smallest model (T, n, d) = (1, 1, 1) checks every step in about a second; the full sizes
# (lem.CONTEXT_SIZES) run once, in the first test.
SMALL = ((1, 1, 1),)


def small_proof(chain=None, hypotheses=None):
    return Proof("sgd_regret_small", list(hypotheses or lem.HYPOTHESES), [chain or lem.regret_chain()],
                 lem.sgd_contexts(SMALL))


def test_sgd_regret_proof_verifies_at_the_registered_sizes():
    report = lem.LEMMA.build().check()
    assert report.ok, report.summary()
    assert len(report.steps) == 9


def test_the_conclusion_is_the_design_cards_bound():
    chain = lem.regret_chain()
    assert chain.relation == "<="
    assert sp.simplify(chain.end - (lem.F_lin + lem.B * lem.L * lem.b_feat / sp.sqrt(lem.T))) == 0


def test_the_step_size_minimises_the_bound_for_any_step():
    # d/d eta [B^2/(2 eta T) + eta L^2 b^2 / 2] = 0 at eta = B / (L b sqrt T), and the value is B L b / sqrt T
    derivative = sp.diff(lem.BOUND_ANY_STEP, lem.eta)
    assert sp.simplify(derivative.subs(lem.eta, lem.STEP_SIZE)) == 0
    assert sp.simplify(lem.BOUND_ANY_STEP.subs(lem.eta, lem.STEP_SIZE) - lem.REGRET_BOUND) == 0


def test_small_model_verifies():
    report = small_proof().check()
    assert report.ok, report.summary()


def test_wrong_step_size_constant_is_rejected(failed_steps):
    wrong = dataclasses.replace(lem.step_size, name="wrong_step",
                                equations={lem.eta: 2 * lem.B / (lem.L * lem.b_feat * sp.sqrt(lem.T))})
    proof = small_proof(lem.regret_chain(step_size_hypothesis="wrong_step"),
                        lem.HYPOTHESES + [wrong])
    report = proof.check()
    assert failed_steps(report) == [("average_risk_bound", 8)]
    assert "does not vanish" in report.failures[0].message


def test_a_bound_smaller_than_proven_is_rejected(failed_steps):
    half = lem.REGRET_BOUND / 2
    report = small_proof(lem.regret_chain(final_bound=half)).check()
    assert ("average_risk_bound", 8) in failed_steps(report)


def test_missing_eta_squared_term_is_rejected(replace_link, failed_steps):
    # step 3 without (eta/2) E||g_t||^2: the expansion of ||z_t - eta g_t - z*||^2 loses its square
    proof = replace_link(small_proof(), "average_risk_bound", 3, expr=lem.CompLoss + lem.E_pre)
    report = proof.check()
    assert ("average_risk_bound", 3) in failed_steps(report)
    assert "does not vanish" in dict(((f.chain, f.index), f.message) for f in report.failures)[
        ("average_risk_bound", 3)]


def test_projection_step_needs_the_projection_hypothesis(replace_link, failed_steps):
    proof = small_proof()
    just = proof.chains[0].links[3].justification
    proof = replace_link(proof, "average_risk_bound", 4, justification=dataclasses.replace(
        just, using=("positive_constants", "comparator_in_ball")))
    report = proof.check()
    assert failed_steps(report) == [("average_risk_bound", 4)]
    assert "ball_projection" in report.failures[0].message


def test_gradient_bound_needs_the_lipschitz_hypothesis(replace_link, failed_steps):
    proof = small_proof()
    just = proof.chains[0].links[6].justification
    using = tuple(u for u in just.using if u != "lipschitz_on_range")
    proof = replace_link(proof, "average_risk_bound", 7,
                         justification=dataclasses.replace(just, using=using))
    report = proof.check()
    assert failed_steps(report) == [("average_risk_bound", 7)]
    assert "lipschitz_on_range" in report.failures[0].message


def test_dropping_the_start_at_zero_hypothesis_is_rejected(replace_link, failed_steps):
    proof = small_proof()
    just = proof.chains[0].links[6].justification
    using = tuple(u for u in just.using if u != "start_at_zero")
    proof = replace_link(proof, "average_risk_bound", 7,
                         justification=dataclasses.replace(just, using=using))
    assert failed_steps(proof.check()) == [("average_risk_bound", 7)]


def test_online_to_batch_is_not_an_identity_for_the_wrong_comparator(replace_link, failed_steps):
    # E l(u*^T x) must be the comparator's *population* loss: dropping it breaks step 1
    proof = replace_link(small_proof(), "average_risk_bound", 1, expr=lem.E_regret)
    assert ("average_risk_bound", 1) in failed_steps(proof.check())


# -- the atoms -----------------------------------------------------------------------------------
def _ctx_and_proof():
    ctx = lem.sgd_context(1, 1, 1)
    proof = Proof("atoms", list(lem.HYPOTHESES), [], [ctx])
    return ctx, proof


def test_projection_atom_certifies_a_comparator_in_the_ball():
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    y = s.z_tilde(1, (), 0)
    atom = BallProjectionVI(y, s.rho[(2, (0,))], s.z_star, lem.B)
    message = atom.certify(ctx, proof, [lem.ball_projection, lem.comparator_in_ball])
    assert "case rho = 1 vanishes" in message


def test_projection_atom_rejects_an_undeclared_comparator_bound():
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    atom = BallProjectionVI(s.z_tilde(1, (), 0), s.rho[(2, (0,))], s.z_star, lem.B)
    with pytest.raises(KernelError, match="comparator_in_ball"):
        atom.certify(ctx, proof, [lem.ball_projection])


def test_projection_atom_rejects_a_comparator_outside_the_ball():
    # z* scaled by 2 is not declared inside the ball: the declared bound does not match
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    atom = BallProjectionVI(s.z_tilde(1, (), 0), s.rho[(2, (0,))], 2 * s.z_star, lem.B)
    with pytest.raises(KernelError, match="not among the 1 bounds"):
        atom.certify(ctx, proof, [lem.ball_projection, lem.comparator_in_ball])


def test_projection_atom_rejects_a_scaling_that_is_not_a_projection():
    # rho = 2 (an expansion) is not a positive *symbol* of the projection: rejected before any case
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    atom = BallProjectionVI(s.z_tilde(1, (), 0), sp.Integer(2), s.z_star, lem.B)
    with pytest.raises(KernelError, match="not a symbol declared > 0"):
        atom.certify(ctx, proof, [lem.ball_projection, lem.comparator_in_ball])


def test_projection_atom_rejects_a_factor_of_another_point():
    # rho_2 belongs to z_1 - eta g_1; using it for the point 2 (z_1 - eta g_1) would apply the case
    # analysis of min(1, B / ||y||) to the wrong y
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    atom = BallProjectionVI(2 * s.z_tilde(1, (), 0), s.rho[(2, (0,))], s.z_star, lem.B)
    with pytest.raises(KernelError, match="not the projection factor of this point"):
        atom.certify(ctx, proof, [lem.ball_projection, lem.comparator_in_ball])


def test_declared_atom_rejects_an_expression_no_hypothesis_declares():
    ctx, proof = _ctx_and_proof()
    s = ctx.samples
    psi = s.psi[(1, (), 0)]
    good = Declared(lem.b_feat ** 2 - sum(e ** 2 for e in psi), "features_bounded")
    assert "declared" in good.certify(ctx, proof, [lem.features_bounded])
    loose = Declared(lem.b_feat - sum(e ** 2 for e in psi), "features_bounded")  # b, not b^2
    with pytest.raises(KernelError, match="not among"):
        loose.certify(ctx, proof, [lem.features_bounded])
    with pytest.raises(KernelError, match="does not use"):
        good.certify(ctx, proof, [])


def test_weighted_sum_rejects_a_negative_weight_and_a_wrong_total():
    from resnet_lemmas.proofs.atoms import Square

    ctx, proof = _ctx_and_proof()
    z = sp.Symbol("z_check", real=True)
    bad_weight = WeightedSum(-z ** 2, lambda c: [(-1, Square(z))], "negative")
    with pytest.raises(KernelError, match="not certified nonnegative"):
        bad_weight.certify(ctx, proof, [])
    wrong_total = WeightedSum(2 * z ** 2, lambda c: [(1, Square(z))], "wrong total")
    with pytest.raises(KernelError, match="does not vanish"):
        wrong_total.certify(ctx, proof, [])


def test_bound_hypothesis_declarations_are_cached_on_the_context_not_by_id():
    ctx, _ = _ctx_and_proof()
    first = lem.features_bounded.declared(ctx)
    assert ctx._declared_bounds["features_bounded"] is first
    other = lem.sgd_context(1, 1, 1)
    assert "_declared_bounds" not in other.__dict__


def test_euclidean_norm_of_an_explicit_vector():
    a, b = sp.symbols("a b", real=True)
    assert euclidean_norm(sp.Matrix([a, b])) == sp.sqrt(a ** 2 + b ** 2)
