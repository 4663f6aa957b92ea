import dataclasses

import sympy as sp

from resnet_lemmas.proofs.expressions import V, grad_V, grad_w, norm, opnorm, u, w
from resnet_lemmas.proofs.lemmas.approximate_stationarity_bound import BOUND, LEMMA, eps


def test_bound_and_corollary_verify():
    report = LEMMA.build().check()
    assert report.ok, report.summary()


def test_bound_with_a_wrong_constant_is_rejected(replace_link, failed_steps):
    halved = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / (2 * norm(w))
    proof = replace_link(LEMMA.build(), "gap_bound", 6, expr=halved)
    assert ("gap_bound", 6) in failed_steps(proof.check())


def test_bound_without_the_one_over_norm_w_factor_is_rejected(replace_link, failed_steps):
    no_factor = norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V)
    proof = replace_link(LEMMA.build(), "gap_bound", 6, expr=no_factor)
    assert ("gap_bound", 6) in failed_steps(proof.check())


def test_dropping_the_bregman_term_with_the_wrong_sign_is_rejected(replace_link, failed_steps):
    proof = LEMMA.build()
    chain = [ch for ch in proof.chains if ch.name == "gap_bound"][0]
    # claim F - E l(u^T x) <= first order - 2 E[D]: the certificate's atoms no longer add up
    wrong = chain.links[0].expr - [ch for ch in proof.chains if ch.name == "gap_bound"][0].links[0].expr.args[0] * 0
    wrong = chain.links[1].expr - 2 * (chain.links[1].expr - chain.links[0].expr)
    proof = replace_link(proof, "gap_bound", 2, expr=wrong)
    assert ("gap_bound", 2) in failed_steps(proof.check())


def test_norm_of_c_needs_w_nonzero(replace_link):
    proof = LEMMA.build()
    chain = [ch for ch in proof.chains if ch.name == "gap_bound"][0]
    just = chain.links[5].justification
    proof = replace_link(proof, "gap_bound", 6, justification=dataclasses.replace(just, using=()))
    message = [f.message for f in proof.check().failures if f.chain == "gap_bound"][0]
    assert "declares nonzero" in message


def test_corollary_without_the_eps_stationarity_hypothesis_is_rejected(replace_link):
    proof = LEMMA.build()
    chain = [ch for ch in proof.chains if ch.name == "eps_stationary_corollary"][0]
    last = len(chain.links)
    just = chain.links[-1].justification
    proof = replace_link(proof, "eps_stationary_corollary", last,
                         justification=dataclasses.replace(just, using=("w_nonzero",)))
    message = [f.message for f in proof.check().failures][0]
    assert "eps_stationary" in message


def test_corollary_with_eps_squared_is_rejected(replace_link, failed_steps):
    proof = LEMMA.build()
    chain = [ch for ch in proof.chains if ch.name == "eps_stationary_corollary"][0]
    wrong = eps ** 2 * (norm(w - u) + norm(u) * opnorm(V) / norm(w))
    proof = replace_link(proof, "eps_stationary_corollary", len(chain.links), expr=wrong)
    assert ("eps_stationary_corollary", len(chain.links)) in failed_steps(proof.check())


def test_symbolic_bound_is_the_one_printed_in_the_statement():
    assert sp.srepr(BOUND) == sp.srepr(
        norm(w - u) * norm(grad_w) + norm(u) * opnorm(V) * norm(grad_V) / norm(w))
