import dataclasses

from resnet_lemmas.proofs.expressions import V, grad_V, grad_w, norm, opnorm, u, w
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import (FIRST_ORDER, LEMMA,
                                                                        E_bregman_u, eps)


def _only(chain_name):
    """The lemma's proof restricted to one chain (the tests below break one step of it)."""
    proof = LEMMA.build()
    proof.chains = [ch for ch in proof.chains if ch.name == chain_name]
    return proof


def test_identity_bound_and_corollary_verify():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_bound_with_a_halved_constant_is_rejected(replace_link, failed_steps):
    halved = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / (2 * norm(w))
    proof = replace_link(_only("gap_bound"), "gap_bound", 6, expr=halved)
    assert failed_steps(proof.check()) == [("gap_bound", 6)]


def test_bound_without_the_one_over_norm_w_factor_is_rejected(replace_link, failed_steps):
    no_factor = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V)
    proof = replace_link(_only("gap_bound"), "gap_bound", 6, expr=no_factor)
    assert failed_steps(proof.check()) == [("gap_bound", 6)]


def test_bregman_term_counted_twice_is_rejected(replace_link, failed_steps):
    proof = replace_link(_only("gap_bound"), "gap_bound", 2, expr=FIRST_ORDER - 2 * E_bregman_u)
    assert ("gap_bound", 2) in failed_steps(proof.check())


def test_identity_with_the_wrong_sign_of_u_V_c_is_rejected(replace_link, failed_steps):
    from resnet_lemmas.proofs.expressions import c, inner
    wrong = inner(w - u, grad_w) - inner(u, V * c) - E_bregman_u
    proof = replace_link(_only("gap_identity"), "gap_identity", 1, expr=wrong)
    assert failed_steps(proof.check()) == [("gap_identity", 1)]


def test_norm_of_c_step_needs_w_nonzero(replace_link):
    proof = _only("gap_bound")
    just = proof.chains[0].links[5].justification
    proof = replace_link(proof, "gap_bound", 6, justification=dataclasses.replace(just, using=()))
    failures = proof.check().failures
    assert [(f.chain, f.index) for f in failures] == [("gap_bound", 6)]
    assert "declares nonzero" in failures[0].message


def test_corollary_without_the_eps_stationarity_hypothesis_is_rejected(replace_link):
    proof = _only("eps_stationary_corollary")
    last = len(proof.chains[0].links)
    just = proof.chains[0].links[-1].justification
    proof = replace_link(proof, "eps_stationary_corollary", last,
                         justification=dataclasses.replace(just, using=("w_nonzero",)))
    failures = proof.check().failures
    assert [(f.chain, f.index) for f in failures] == [("eps_stationary_corollary", last)]
    assert "eps_stationary" in failures[0].message


def test_corollary_with_eps_squared_is_rejected(replace_link, failed_steps):
    proof = _only("eps_stationary_corollary")
    last = len(proof.chains[0].links)
    wrong = eps ** 2 * (norm(w - u) + norm(u) * opnorm(V) / norm(w))
    proof = replace_link(proof, "eps_stationary_corollary", last, expr=wrong)
    assert failed_steps(proof.check()) == [("eps_stationary_corollary", last)]
