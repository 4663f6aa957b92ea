"""Theorem sgd_regret: the kernel verifies the projected-OGD regret derivation and issues the theorem
with exactly its nine hypotheses; it rejects broken derivations (wrong step-size constant, a missing
eta^2 term, no projection, no Lipschitz bound, no start at zero, a too-small bound) and statements that
drop a hypothesis; the atoms the derivation uses reject what they must not certify."""
import dataclasses

import pytest
import sympy as sp

from resnet_lemmas.proofs.kernel import Bound, Equation, KernelError, Proof, is_issued
from resnet_lemmas.proofs.kernel.atoms import BallProjectionVI, Declared, Square, WeightedSum
from resnet_lemmas.proofs.kernel.atoms.projection import euclidean_norm
from resnet_lemmas.proofs.kernel.env import Env
from resnet_lemmas.proofs.lemmas import sgd_regret as lem
from resnet_lemmas.proofs.printing import theorem_text

# The smallest model (T, n, d) = (1, 1, 1) checks every step in about a second; the registered sizes
# (lem.CONTEXT_SIZES: T = 2, 3, 4) run once, for the theorem.
SMALL = ((1, 1, 1),)


@pytest.fixture(scope="module")
def small_contexts():
    return lem.sgd_contexts(SMALL)


@pytest.fixture
def small_proof(small_contexts):
    """``small_proof(chain=None, hypotheses=None, **changes)``: the derivation at (T, n, d) = (1, 1, 1);
    ``changes`` replace Proof fields (``conclusion``, ``assumes``)."""
    def make(chain=None, hypotheses=None, **changes):
        fields = {"conclusion": lem.CONCLUSION, **changes}
        return Proof("sgd_regret_small", list(hypotheses or lem.HYPOTHESES),
                     [chain or lem.regret_chain()], small_contexts, **fields)
    return make


def test_the_registered_proof_yields_the_theorem_at_T_2_3_4(theorem):
    assert is_issued(theorem)
    assert theorem.steps == 9
    assert theorem.conclusion == lem.CONCLUSION
    assert list(theorem.hypotheses) == lem.HYPOTHESES
    assert sorted(size["T"] for size in theorem.sizes) == [2, 3, 4]
    assert {"BallProjectionVI", "BregmanMean", "Declared", "WeightedSum"} <= set(theorem.rules)


def test_only_the_F_lin_form_needs_the_comparator_to_attain_F_lin(theorem):
    names = [h.name for h in lem.HYPOTHESES]
    clauses = [(conjunct, [h.name for h in hyps]) for conjunct, hyps in theorem.clauses]
    assert clauses == [(lem.CONCLUSION[0], [n for n in names if n != "comparator_attains_F_lin"]),
                       (lem.CONCLUSION[1], names)]


def test_the_printed_statement_says_what_the_theorem_claims(theorem):
    printed = theorem_text(theorem)
    for hypothesis in ("l(.; y) convex and differentiable", "B > 0 and L > 0 and b > 0 and eta > 0",
                       "||z*|| <= B", "z_1 = 0", "eta = B/(L*sqrt(T)*b)", "E l(u*^T x; y) = F_lin"):
        assert hypothesis in printed
    assert printed.endswith(": (1/T) sum_t E F(z_t, V_t, theta_t) <= B*L*b/sqrt(T) + F_lin")


def test_the_conclusion_is_the_design_cards_bound():
    chain = lem.regret_chain()
    assert chain.relation == "<="
    assert sp.simplify(chain.end - (lem.F_lin + lem.B * lem.L * lem.b_feat / sp.sqrt(lem.T))) == 0


def test_the_step_size_minimises_the_bound_for_any_step():
    # d/d eta [B^2/(2 eta T) + eta L^2 b^2 / 2] = 0 at eta = B / (L b sqrt T), with value B L b / sqrt T
    derivative = sp.diff(lem.BOUND_ANY_STEP, lem.eta)
    assert sp.simplify(derivative.subs(lem.eta, lem.STEP_SIZE)) == 0
    assert sp.simplify(lem.BOUND_ANY_STEP.subs(lem.eta, lem.STEP_SIZE) - lem.REGRET_BOUND) == 0


def test_small_model_verifies(small_proof, kernel_check):
    report = kernel_check(small_proof())
    assert report.ok, report.summary()


# -- broken instances --------------------------------------------------------------------------------
def test_wrong_step_size_constant_is_rejected(small_proof, kernel_check, failed_steps):
    wrong = Equation("wrong_step", lem.eta, 2 * lem.B / (lem.L * lem.b_feat * sp.sqrt(lem.T)))
    proof = small_proof(lem.regret_chain(step_size_hypothesis="wrong_step"), lem.HYPOTHESES + [wrong])
    report = kernel_check(proof)
    assert failed_steps(report) == [("average_risk_bound", 8)]
    assert "does not vanish" in report.failures[0].message


def test_a_bound_smaller_than_proven_is_rejected(small_proof, kernel_check, failed_steps):
    report = kernel_check(small_proof(lem.regret_chain(final_bound=lem.REGRET_BOUND / 2)))
    assert ("average_risk_bound", 8) in failed_steps(report)


def test_missing_eta_squared_term_is_rejected(small_proof, replace_link, kernel_check, failed_steps,
                                              failure_message):
    # step 3 without (eta/2) E||g_t||^2: the expansion of ||z_t - eta g_t - z*||^2 loses its square
    proof = replace_link(small_proof(), "average_risk_bound", 3, expr=lem.CompLoss + lem.E_pre)
    report = kernel_check(proof)
    assert ("average_risk_bound", 3) in failed_steps(report)
    assert "does not vanish" in failure_message(report, "average_risk_bound", 3)


def test_projection_step_needs_the_projection_hypothesis(small_proof, drop_using, kernel_check,
                                                         failed_steps):
    proof = drop_using(small_proof(), "average_risk_bound", 4, "ball_projection")
    report = kernel_check(proof)
    assert failed_steps(report) == [("average_risk_bound", 4)]
    assert "projection hypothesis 'ball_projection' in use" in report.failures[0].message


def test_gradient_bound_needs_the_lipschitz_hypothesis(small_proof, drop_using, kernel_check,
                                                       failed_steps):
    proof = drop_using(small_proof(), "average_risk_bound", 7, "lipschitz_on_range")
    report = kernel_check(proof)
    assert failed_steps(report) == [("average_risk_bound", 7)]
    assert "needs hypothesis 'lipschitz_on_range', which the step does not use" in (
        report.failures[0].message)


def test_dropping_the_start_at_zero_hypothesis_is_rejected(small_proof, drop_using, kernel_check,
                                                           failed_steps):
    proof = drop_using(small_proof(), "average_risk_bound", 7, "start_at_zero")
    assert failed_steps(kernel_check(proof)) == [("average_risk_bound", 7)]


def test_online_to_batch_is_not_an_identity_for_the_wrong_comparator(small_proof, replace_link,
                                                                     kernel_check, failed_steps):
    # E l(u*^T x) must be the comparator's *population* loss: dropping it breaks step 1
    proof = replace_link(small_proof(), "average_risk_bound", 1, expr=lem.E_regret)
    assert ("average_risk_bound", 1) in failed_steps(kernel_check(proof))


def test_a_looser_feature_bound_under_the_same_name_is_not_reused(small_proof, kernel_check,
                                                                  failed_steps):
    """Bounds are cached by hypothesis object, never by name: a later proof on the same contexts
    whose ``features_bounded`` says ||psi||^2 <= b (not b^2) does not inherit the earlier bound."""
    assert kernel_check(small_proof()).ok
    looser = Bound("features_bounded", sp.Lambda(lem.psi_t, sp.Le(lem.inner(lem.psi_t, lem.psi_t),
                                                                  lem.b_feat, evaluate=False)),
                   "t and x")
    hypotheses = [looser if h.name == "features_bounded" else h for h in lem.HYPOTHESES]
    report = kernel_check(small_proof(hypotheses=hypotheses))
    assert failed_steps(report) == [("average_risk_bound", 7)]
    assert "not among the 1 bounds declared by hypothesis 'features_bounded'" in (
        report.failures[0].message)


# -- statements the chains do not establish ----------------------------------------------------------
def test_a_halved_bound_as_the_statement_is_refused(small_proof, kernel_check, refused_statement):
    false = sp.Le(lem.AvgRisk, lem.F_lin + lem.REGRET_BOUND / 2, evaluate=False)
    message = refused_statement(kernel_check(small_proof(conclusion=(false,))))
    assert message.startswith(f"no verified step establishes {sp.sstr(false)}")


@pytest.mark.parametrize("dropped", ["step_size", "ball_projection", "start_at_zero",
                                     "comparator_attains_F_lin"])
def test_the_statement_without_a_hypothesis_it_rests_on_is_refused(small_proof, kernel_check,
                                                                   refused_statement, dropped):
    assumes = tuple(h.name for h in lem.HYPOTHESES if h.name != dropped)
    message = refused_statement(kernel_check(small_proof(conclusion=lem.CONCLUSION[1:],
                                                         assumes=assumes)))
    assert f"(not assumed: ['{dropped}'])" in message


# -- the atoms -----------------------------------------------------------------------------------
@pytest.fixture
def env(small_contexts):
    """``env(*premises)``: what a step using ``premises`` may use at (T, n, d) = (1, 1, 1)."""
    return lambda *premises: Env(small_contexts[0], list(premises), None, {})


@pytest.fixture
def stream(small_contexts):
    return small_contexts[0].samples


def test_projection_atom_certifies_a_comparator_in_the_ball(env, stream):
    atom = BallProjectionVI(stream.z_tilde(1, (), 0), stream.rho[(2, (0,))], stream.z_star, lem.B)
    message = atom.certify(env(lem.ball_projection, lem.comparator_in_ball))
    assert "case rho = 1 vanishes" in message


def test_projection_atom_rejects_an_undeclared_comparator_bound(env, stream):
    atom = BallProjectionVI(stream.z_tilde(1, (), 0), stream.rho[(2, (0,))], stream.z_star, lem.B)
    with pytest.raises(KernelError, match="needs hypothesis 'comparator_in_ball'"):
        atom.certify(env(lem.ball_projection))


def test_projection_atom_rejects_a_comparator_outside_the_ball(env, stream):
    # z* scaled by 2 is not declared inside the ball: the declared bound does not match
    atom = BallProjectionVI(stream.z_tilde(1, (), 0), stream.rho[(2, (0,))], 2 * stream.z_star,
                            lem.B)
    with pytest.raises(KernelError, match="not among the 1 bounds"):
        atom.certify(env(lem.ball_projection, lem.comparator_in_ball))


def test_projection_atom_rejects_a_scaling_that_is_not_a_projection(env, stream):
    # rho = 2 (an expansion) is not a projection factor: rejected before any case
    atom = BallProjectionVI(stream.z_tilde(1, (), 0), sp.Integer(2), stream.z_star, lem.B)
    with pytest.raises(KernelError, match="projection factor 2 is not a symbol"):
        atom.certify(env(lem.ball_projection, lem.comparator_in_ball))


def test_projection_atom_rejects_a_factor_of_another_point(env, stream):
    # rho_2 belongs to z_1 - eta g_1; using it for the point 2 (z_1 - eta g_1) would apply the case
    # analysis of min(1, B / ||y||) to the wrong y
    atom = BallProjectionVI(2 * stream.z_tilde(1, (), 0), stream.rho[(2, (0,))], stream.z_star,
                            lem.B)
    with pytest.raises(KernelError, match="not the projection factor of this point"):
        atom.certify(env(lem.ball_projection, lem.comparator_in_ball))


def test_declared_atom_rejects_an_expression_no_hypothesis_declares(env, stream):
    psi = stream.psi[(1, (), 0)]
    good = Declared(lem.b_feat ** 2 - sum(e ** 2 for e in psi), "features_bounded")
    assert "declared" in good.certify(env(lem.features_bounded))
    loose = Declared(lem.b_feat - sum(e ** 2 for e in psi), "features_bounded")  # b, not b^2
    with pytest.raises(KernelError, match="not among"):
        loose.certify(env(lem.features_bounded))
    with pytest.raises(KernelError, match="which the step does not use"):
        good.certify(env())


def test_weighted_sum_rejects_a_negative_weight_and_a_wrong_total(env):
    z = sp.Symbol("z_check", real=True)
    bad_weight = WeightedSum(-z ** 2, lambda ctx: [(-1, Square(z))], "negative")
    with pytest.raises(KernelError, match="not certified nonnegative"):
        bad_weight.certify(env())
    wrong_total = WeightedSum(2 * z ** 2, lambda ctx: [(1, Square(z))], "wrong total")
    with pytest.raises(KernelError, match="does not vanish"):
        wrong_total.certify(env())


def test_euclidean_norm_of_an_explicit_vector():
    a, b = sp.symbols("a b", real=True)
    assert euclidean_norm(sp.Matrix([a, b])) == sp.sqrt(a ** 2 + b ** 2)


def test_the_proof_without_the_stated_conclusion_is_not_a_theorem(small_proof, kernel_check):
    report = kernel_check(dataclasses.replace(small_proof(), conclusion=None))
    assert report.theorem is None
    assert "declares no conclusion" in report.conclusion_error
